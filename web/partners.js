// maillage: the CPTS's own partner directory on the map page.
//
// Session (POST/GET/DELETE /api/session: the token becomes an HttpOnly cookie), then for
// editors: add a partner (click on the map or give the commune), edit it in the side panel
// with the API's French field errors next to the fields (PUT with If-Match), history with
// "Restaurer cette version", archive and restore, CSV import preview then apply. Everyone sees
// the CPTS's annotations beside the official record. Every text from the data is set with
// textContent, never as HTML. A native ES module (imports from js/).
import { el, formatDate, fold } from './js/util.js';
import { request, errorMessage } from './js/api.js';
import { status } from './js/messages.js';
import { state, hooks } from './js/state.js';
import { kindsByLabel } from './js/kinds.js';
import { map, selectionRenderer, openPanel, scrollPanelTo, setToolMode } from './js/map.js';
import { openActorById, closeActor } from './js/fiche.js';
import { ready, refreshData } from './js/main.js';

(function () {
  const $ = (id) => document.getElementById(id);
  const JSON_HEADERS = { 'Content-Type': 'application/json' };

  // Form fields: [name, label, input type, help, required], from the server's partner field
  // table (GET /api/partenaires/champs: the same names as the API and the CSV).
  let FIELDS = [];
  let FIELD_LABELS = {};
  let PRIVATE_FIELDS = []; // [name, label] of the fields shown to editors only

  async function loadFields() {
    const r = await request('api/partenaires/champs');
    if (!r.ok || !Array.isArray(r.body.champs)) return false;
    FIELDS = r.body.champs
      .filter((f) => f.formulaire)
      .map((f) => [f.nom, f.libelle, f.saisie, f.aide, f.presence === 'value']);
    FIELD_LABELS = Object.fromEntries(r.body.champs.map((f) => [f.nom, f.libelle]));
    PRIVATE_FIELDS = r.body.champs.filter((f) => f.prive).map((f) => [f.nom, f.libelle]);
    return true;
  }
  const ACTIONS = {
    creation: 'création',
    modification: 'modification',
    archivage: 'archivage',
    restauration: 'restauration',
    import: 'import',
  };

  const session = { available: false, connected: false, canWrite: false, name: '', role: '' };
  const annotations = new Map(); // official actor id -> annotation
  const edit = {
    partner: null, // the partner being edited (API JSON), null for a new one
    etag: null,
    placing: false,
    marker: null,
  };
  let ficheSeq = 0;
  let ficheRecord = null; // {partner, etag} of the partner shown in the actor panel
  let importText = null;
  let importName = '';

  function showError(id, message) {
    const node = $(id);
    node.textContent = message || '';
    node.hidden = !message;
  }

  // ---------------------------------------------------------------------------------------
  // Session
  // ---------------------------------------------------------------------------------------

  function applySession(body) {
    session.connected = !!(body && body.connecte);
    session.canWrite = !!(body && body.peut_modifier);
    session.name = (body && body.nom) || '';
    session.role = (body && body.role) || '';
    $('session-anonyme').hidden = session.connected;
    $('session-connectee').hidden = !session.connected;
    const roles = { lecteur: 'lecteur', editeur: 'éditeur', admin: 'administrateur' };
    $('session-qui').textContent = session.connected
      ? `Connecté : ${session.name} (${roles[session.role] || session.role})`
      : '';
    $('partenaires-edition').hidden = !session.canWrite;
    if (!session.canWrite) closeForm();
  }

  async function loadSession() {
    const r = await request('api/session');
    if (r.status === 503 || !r.ok) return; // served without a partner base
    session.available = true;
    $('bloc-partenaires').hidden = false;
    applySession(r.body);
    await loadAnnotations();
  }

  async function login(ev) {
    ev.preventDefault();
    showError('session-erreur', '');
    const token = $('session-jeton').value.trim();
    if (!token) {
      showError('session-erreur', "Saisissez le jeton d'accès.");
      $('session-jeton').focus();
      return;
    }
    const r = await request('api/session', {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify({ jeton: token }),
    });
    if (!r.ok) {
      showError('session-erreur', errorMessage(r));
      $('session-jeton').focus();
      return;
    }
    $('session-jeton').value = '';
    applySession(r.body);
    status(`Connecté : ${session.name}.`);
    $('session-deconnecter').focus();
    await afterSessionChange();
  }

  async function logout() {
    const r = await request('api/session', { method: 'DELETE' });
    if (!r.ok) {
      status(errorMessage(r), true);
      return;
    }
    applySession(r.body);
    status('Déconnecté.');
    $('session-jeton').focus();
    await afterSessionChange();
  }

  async function afterSessionChange() {
    await loadAnnotations();
    if (state.selected) refreshFiche(state.selected);
  }

  // ---------------------------------------------------------------------------------------
  // Actor panel: annotations and partner actions
  // ---------------------------------------------------------------------------------------

  async function loadAnnotations() {
    const r = await request('api/annotations');
    annotations.clear();
    if (!r.ok) return;
    for (const a of r.body.annotations || []) annotations.set(a.acteur, a);
  }

  function showAnnotation(id) {
    const a = annotations.get(id);
    const section = $('fiche-annotation');
    const dl = $('fiche-annotation-details');
    dl.textContent = '';
    section.hidden = !a;
    if (!a) return;
    const row = (term, value) => {
      if (value === null || value === undefined || value === '' || value === false) return;
      dl.append(el('div', { class: 'fiche-ligne' }, el('dt', { text: term }), el('dd', {}, value)));
    };
    row('Membre de la CPTS', a.membre_cpts ? 'oui' : '');
    row('Rôle', a.role);
    row('Référent', a.referent);
    if (a.telephone) {
      row('Téléphone', el('a', { href: 'tel:' + a.telephone.replace(/[^\d+]/g, ''), text: a.telephone }));
    }
    if (a.email) row('Courriel', el('a', { href: 'mailto:' + a.email, text: a.email }));
    row('Note', a.note);
    row('Modifiée le', formatDate(a.modifie_le));
  }

  async function refreshFiche(feature) {
    const id = feature && feature.properties && feature.properties.id;
    ficheSeq += 1;
    const seq = ficheSeq;
    ficheRecord = null;
    $('fiche-partenaire').hidden = true;
    $('partenaire-historique-liste').hidden = true;
    $('partenaire-historique').setAttribute('aria-expanded', 'false');
    resetArchiveButton();
    if (!id) return;
    showAnnotation(id);
    if (!session.canWrite || !id.startsWith('local:')) return;
    const r = await request('api/partenaires/' + encodeURIComponent(id));
    if (seq !== ficheSeq || !r.ok) return;
    ficheRecord = { partner: r.body, etag: r.etag };
    showPrivate(r.body);
    $('fiche-partenaire').hidden = false;
  }

  /** The private fields (« ligne directe », internal notes): answered to editors only, shown
   *  to them in the actor panel, marked as not public. */
  function showPrivate(partner) {
    let box = $('fiche-prive');
    if (!box) {
      box = el(
        'section',
        { id: 'fiche-prive', class: 'fiche-prive', 'aria-labelledby': 'fiche-prive-titre' },
        el('h3', { id: 'fiche-prive-titre', text: 'Réservé aux éditeurs' }),
        el('p', { class: 'note', text: 'Ces informations ne sont ni affichées au public ni exportées sans droit d’édition.' }),
        el('dl', { id: 'fiche-prive-details', class: 'fiche-details' })
      );
      $('fiche-partenaire').prepend(box);
    }
    const dl = $('fiche-prive-details');
    dl.textContent = '';
    for (const [name, label] of PRIVATE_FIELDS) {
      const value = partner[name];
      if (value === null || value === undefined || value === '') continue;
      const dd =
        name === 'ligne_directe'
          ? el('a', { href: 'tel:' + String(value).replace(/[^\d+]/g, ''), text: String(value) })
          : String(value);
      dl.append(el('div', { class: 'fiche-ligne', 'data-champ': name }, el('dt', { text: label }), el('dd', {}, dd)));
    }
    box.hidden = !dl.children.length;
  }

  function resetArchiveButton() {
    const b = $('partenaire-archiver');
    b.textContent = 'Archiver';
    b.dataset.confirmer = '';
  }

  async function archive() {
    if (!ficheRecord) return;
    const b = $('partenaire-archiver');
    if (b.dataset.confirmer !== 'oui') {
      b.textContent = "Confirmer l'archivage";
      b.dataset.confirmer = 'oui';
      return;
    }
    const p = ficheRecord.partner;
    const r = await request('api/partenaires/' + encodeURIComponent(p.id), {
      method: 'DELETE',
      headers: ficheRecord.etag ? { 'If-Match': ficheRecord.etag } : {},
    });
    resetArchiveButton();
    if (!r.ok) {
      status(errorMessage(r), true);
      return;
    }
    status(`« ${p.nom} » archivé : il n'apparaît plus sur la carte (restaurable depuis « Partenaires archivés »).`);
    closeActor();
    await refreshData();
    if (!$('partenaires-archives-liste').hidden) await loadArchived();
  }

  async function toggleHistory() {
    const list = $('partenaire-historique-liste');
    const button = $('partenaire-historique');
    if (!list.hidden) {
      list.hidden = true;
      button.setAttribute('aria-expanded', 'false');
      return;
    }
    if (!ficheRecord) return;
    const p = ficheRecord.partner;
    const r = await request(`api/partenaires/${encodeURIComponent(p.id)}/historique`);
    if (!r.ok) {
      status(errorMessage(r), true);
      return;
    }
    list.textContent = '';
    const entries = (r.body.historique || []).slice().reverse();
    for (const h of entries) {
      const fields = (h.champs || []).map((c) => FIELD_LABELS[c] || c).join(', ');
      const li = el(
        'li',
        { class: 'historique-entree', 'data-version': h.version },
        el('span', { class: 'historique-titre', text: `Version ${h.version} – ${ACTIONS[h.action] || h.action}` }),
        el('span', { class: 'note', text: `${formatDate(h.date)} ${String(h.date || '').slice(11, 16)} par ${h.auteur || 'inconnu'}` }),
        fields ? el('span', { class: 'note', text: `Champs : ${fields}` }) : null
      );
      if (h.apres) li.append(el('span', { class: 'historique-valeur', text: summary(h.apres) }));
      if (h.version !== p.version && h.apres) {
        const restore = el('button', { type: 'button', class: 'bouton', text: 'Restaurer cette version' });
        restore.addEventListener('click', () => restoreVersion(p, h.version));
        li.append(restore);
      }
      list.append(li);
    }
    list.hidden = false;
    button.setAttribute('aria-expanded', 'true');
  }

  function summary(fields) {
    return [fields.nom, fields.telephone, fields.adresse, fields.commune].filter(Boolean).join(' · ');
  }

  async function restoreVersion(p, version) {
    const query = version ? `?version=${version}` : '';
    const r = await request(`api/partenaires/${encodeURIComponent(p.id)}/restaurer${query}`, {
      method: 'POST',
      headers: { 'If-Match': `"${p.version}"` },
    });
    if (!r.ok) {
      status(errorMessage(r), true);
      return;
    }
    status(version ? `« ${r.body.nom} » : version ${version} restaurée.` : `« ${r.body.nom} » restauré.`);
    await refreshData();
    if (!$('partenaires-archives-liste').hidden) await loadArchived();
    await openActorById(r.body.id, {});
  }

  // ---------------------------------------------------------------------------------------
  // Archived partners
  // ---------------------------------------------------------------------------------------

  async function loadArchived() {
    const list = $('partenaires-archives-liste');
    const r = await request('api/partenaires?archives=1');
    if (!r.ok) {
      status(errorMessage(r), true);
      return;
    }
    list.textContent = '';
    const archived = (r.body.partenaires || []).filter((p) => p.archive);
    if (!archived.length) list.append(el('li', { class: 'note', text: 'Aucun partenaire archivé.' }));
    for (const p of archived) {
      const b = el('button', { type: 'button', class: 'bouton', text: 'Restaurer' });
      b.addEventListener('click', () => restoreVersion(p, null));
      list.append(el('li', {}, el('span', { text: p.nom }), ' ', b));
    }
    list.hidden = false;
  }

  async function toggleArchived() {
    const list = $('partenaires-archives-liste');
    const button = $('partenaires-archives');
    if (!list.hidden) {
      list.hidden = true;
      button.setAttribute('aria-expanded', 'false');
      return;
    }
    await loadArchived();
    button.setAttribute('aria-expanded', 'true');
  }

  // ---------------------------------------------------------------------------------------
  // Form (add / edit)
  // ---------------------------------------------------------------------------------------

  function buildFields() {
    const box = $('partenaire-champs');
    box.textContent = '';
    for (const [name, label, type, help, required] of FIELDS) {
      const id = `pf-${name}`;
      const errId = `pf-erreur-${name}`;
      const helpId = help ? `pf-aide-${name}` : null;
      let input;
      if (type === 'select') {
        input = el('select', { id, name });
        for (const k of kindsByLabel()) input.append(el('option', { value: k.id, text: k.libelle }));
      } else if (type === 'textarea') {
        input = el('textarea', { id, name, rows: 2 });
      } else if (type === 'checkbox') {
        input = el('input', { id, name, type: 'checkbox' });
      } else {
        input = el('input', { id, name, type, autocomplete: 'off', spellcheck: 'false', required: required || null });
      }
      input.setAttribute('aria-describedby', [helpId, errId].filter(Boolean).join(' '));
      const wrap = el(
        'div',
        { class: type === 'checkbox' ? 'type-ligne champ-case' : 'champ', 'data-champ': name },
        type === 'checkbox' ? input : null,
        el('label', { for: id, text: label + (required ? ' (obligatoire)' : '') }),
        type === 'checkbox' ? null : input,
        help ? el('span', { id: helpId, class: 'note', text: help }) : null,
        el('span', { id: errId, class: 'erreur-champ', hidden: true })
      );
      box.append(wrap);
    }
  }

  function clearFieldErrors() {
    for (const node of document.querySelectorAll('#partenaire-champs .erreur-champ')) {
      node.textContent = '';
      node.hidden = true;
    }
    for (const node of document.querySelectorAll('#partenaire-champs [aria-invalid]')) {
      node.removeAttribute('aria-invalid');
    }
    showError('partenaire-erreur', '');
  }

  function fieldError(body) {
    const name = body && body.champ;
    const input = name ? $(`pf-${name}`) : null;
    if (!input) {
      showError('partenaire-erreur', body ? (body.erreur || '') + (body.detail ? ' : ' + body.detail : '') : 'Erreur.');
      return;
    }
    const node = $(`pf-erreur-${name}`);
    node.textContent = `Attendu : ${body.attendu}. Trouvé : « ${body.trouve} ».`;
    node.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    showError('partenaire-erreur', `Le champ « ${FIELD_LABELS[name] || name} » est à corriger.`);
    input.focus();
  }

  function fillForm(p) {
    for (const [name, , type] of FIELDS) {
      const input = $(`pf-${name}`);
      const v = p ? p[name] : null;
      if (type === 'checkbox') input.checked = !!v;
      else if (name === 'etiquettes') input.value = Array.isArray(v) ? v.join(', ') : v || '';
      else if (name === 'type') input.value = v || 'partenaire';
      else input.value = v === null || v === undefined ? '' : String(v);
    }
  }

  function formValues() {
    const out = {};
    for (const [name, , type] of FIELDS) {
      const input = $(`pf-${name}`);
      if (type === 'checkbox') out[name] = input.checked;
      else if (name === 'etiquettes') out[name] = input.value.split(/[,|]/).map((s) => s.trim()).filter(Boolean);
      else out[name] = input.value.trim() === '' ? null : input.value.trim();
    }
    return out;
  }

  function openForm(partner, etag) {
    edit.partner = partner;
    edit.etag = etag || null;
    clearFieldErrors();
    fillForm(partner);
    $('partenaire-form').hidden = false;
    $('partenaire-form-titre').textContent = partner ? `Modifier « ${partner.nom} »` : 'Nouveau partenaire';
    $('partenaire-form-aide').textContent = partner
      ? 'Un clic sur la carte déplace le partenaire.'
      : 'Cliquez sur la carte pour placer le partenaire, ou indiquez sa commune (nom ou code INSEE).';
    setPlacing(true);
    $('bloc-partenaires').open = true;
    openPanel();
    scrollPanelTo($('partenaire-form'));
    $('partenaire-form-titre').focus({ preventScroll: true });
    if (partner && typeof partner.latitude === 'number' && typeof partner.longitude === 'number') {
      placeMarker(L.latLng(partner.latitude, partner.longitude));
    }
  }

  function closeForm() {
    $('partenaire-form').hidden = true;
    setPlacing(false);
    if (edit.marker) {
      edit.marker.remove();
      edit.marker = null;
    }
    edit.partner = null;
    edit.etag = null;
  }

  function setPlacing(on) {
    edit.placing = on;
    $('partenaire-ajouter').setAttribute('aria-pressed', on && !edit.partner ? 'true' : 'false');
    map.getContainer().classList.toggle('mode-placement', on);
    hooks.mapClick = on ? onMapClick : null;
    setToolMode('partenaire', on);
  }

  function placeMarker(ll) {
    if (!edit.marker) {
      edit.marker = L.circleMarker(ll, {
        renderer: selectionRenderer,
        pane: 'selection',
        radius: 9,
        interactive: false,
        className: 'placement-partenaire',
        color: '#7c2d12',
        weight: 3,
        fillColor: '#fb923c',
        fillOpacity: 0.9,
      }).addTo(map);
    } else {
      edit.marker.setLatLng(ll);
    }
  }

  function onMapClick(ev) {
    if (!edit.placing) return false;
    const ll = ev.latlng;
    $('pf-latitude').value = ll.lat.toFixed(6);
    $('pf-longitude').value = ll.lng.toFixed(6);
    placeMarker(ll);
    fillCommuneAt(ll);
    return true;
  }

  async function fillCommuneAt(ll) {
    const r = await request(`api/communes?at=${ll.lat.toFixed(6)},${ll.lng.toFixed(6)}`);
    if (!r.ok || !r.body || !r.body.properties) return;
    const p = r.body.properties;
    $('pf-code_insee').value = p.code || '';
    if (!$('pf-commune').value.trim()) $('pf-commune').value = p.nom || '';
    $('partenaire-form-aide').textContent = `Position choisie dans la commune de ${p.nom || p.code}.`;
  }

  async function save(ev) {
    ev.preventDefault();
    clearFieldErrors();
    const values = formValues();
    if (!values.nom) {
      fieldError({ champ: 'nom', attendu: 'le nom du partenaire', trouve: '' });
      return;
    }
    if (!values.code_insee && !values.latitude && values.commune) {
      // A commune typed by name: find its INSEE code, as the search box would.
      const code = await communeCode(values.commune);
      if (code) {
        values.code_insee = code;
        $('pf-code_insee').value = code;
      }
    }
    const editing = edit.partner;
    const r = editing
      ? await request('api/partenaires/' + encodeURIComponent(editing.id), {
          method: 'PUT',
          headers: { ...JSON_HEADERS, 'If-Match': edit.etag || `"${editing.version}"` },
          body: JSON.stringify(values),
        })
      : await request('api/partenaires', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(values) });
    if (r.status === 400 && r.body && r.body.champ) {
      fieldError(r.body);
      return;
    }
    if (r.status === 412 && r.body && r.body.actuel) {
      openForm(r.body.actuel, r.etag);
      showError(
        'partenaire-erreur',
        "Ce partenaire a été modifié entre-temps par quelqu'un d'autre : voici sa version actuelle, refaites votre modification."
      );
      return;
    }
    if (!r.ok) {
      showError('partenaire-erreur', errorMessage(r));
      return;
    }
    closeForm();
    status(`« ${r.body.nom} » ${editing ? 'modifié' : 'ajouté'}.`);
    await refreshData();
    await openActorById(r.body.id, {});
  }

  /** The INSEE code of the loaded commune with this name (or "81600 Gaillac"), if one matches. */
  async function communeCode(text) {
    const r = await request('api/search?limit=10&q=' + encodeURIComponent(text));
    if (!r.ok) return null;
    const name = fold(text.replace(/^\d{5}\s*/, '')).trim();
    const hit = (r.body.resultats || []).find((x) => x.categorie === 'commune' && fold(x.libelle) === name);
    return hit ? hit.id : null;
  }

  async function editFromFiche() {
    if (!ficheRecord) return;
    // Re-read: the form starts from the current version.
    const id = ficheRecord.partner.id;
    const r = await request('api/partenaires/' + encodeURIComponent(id));
    if (!r.ok) {
      status(errorMessage(r), true);
      return;
    }
    openForm(r.body, r.etag);
  }

  // ---------------------------------------------------------------------------------------
  // CSV import: preview, then apply
  // ---------------------------------------------------------------------------------------

  async function sendImport(preview) {
    const q = new URLSearchParams({ fichier: importName || 'import.csv' });
    if (preview) q.set('apercu', '1');
    return request('api/partenaires/import?' + q, {
      method: 'POST',
      headers: { 'Content-Type': 'text/csv; charset=utf-8' },
      body: importText,
    });
  }

  function renderImport(report, applied) {
    const table = $('import-apercu');
    table.textContent = '';
    const rows = [];
    for (const a of report.ajoutes || []) rows.push([a.ligne, 'ajouté', a.nom, a.id]);
    for (const m of report.modifies || []) {
      const fields = (m.champs || []).map((c) => FIELD_LABELS[c] || c).join(', ');
      rows.push([m.ligne, 'modifié', m.nom, fields ? `champs : ${fields}` : m.id]);
    }
    for (const u of report.inchanges || []) rows.push([u.ligne, 'inchangé', u.nom, u.id]);
    for (const j of report.rejetes || []) {
      // The partner named on the line, the value found and a short hint (not the whole list
      // of valid values).
      const label = j.libelle || FIELD_LABELS[j.champ] || j.champ || '';
      const found = j.trouve ? `« ${j.trouve} »` : 'vide';
      const detail = `${label} : ${found}${j.aide ? ` – ${j.aide}` : ''}`;
      rows.push([j.ligne, 'rejeté', j.nom || '(sans nom)', detail]);
    }
    rows.sort((a, b) => (a[0] || 0) - (b[0] || 0));
    table.append(
      el('caption', { class: 'visuellement-cache', text: "Aperçu de l'import" }),
      el('thead', {}, el('tr', {}, ...['Ligne', 'Résultat', 'Partenaire', 'Détail'].map((h) => el('th', { scope: 'col', text: h }))))
    );
    const body = el('tbody');
    for (const [line, result, name, detail] of rows) {
      body.append(
        el(
          'tr',
          { class: `import-${result.replace(/é/g, 'e')}` },
          el('td', { class: 'nombre', text: line === undefined || line === null ? '' : String(line) }),
          el('td', { text: result }),
          el('td', { text: name || '' }),
          el('td', { text: detail || '' })
        )
      );
    }
    table.append(body);
    table.hidden = rows.length === 0;
    const n = (k) => (report[k] || []).length;
    const counts = `${n('ajoutes')} ajouté(s), ${n('modifies')} modifié(s), ${n('inchanges')} inchangé(s), ${n('rejetes')} rejeté(s)`;
    const remarks = (report.remarques || []).join(' ; ');
    $('import-resume').textContent =
      (applied ? `Import appliqué : ${counts}.` : `Aperçu de « ${report.fichier || importName} » (rien n'est encore écrit) : ${counts}.`) +
      (remarks ? ` Remarques : ${remarks}.` : '');
    $('import-appliquer').disabled = applied || n('ajoutes') + n('modifies') === 0;
  }

  async function previewImport() {
    const file = $('import-fichier').files[0];
    $('import-appliquer').disabled = true;
    $('import-apercu').hidden = true;
    if (!file) return;
    importName = file.name;
    importText = await file.text();
    const r = await sendImport(true);
    if (!r.ok) {
      $('import-resume').textContent = errorMessage(r);
      return;
    }
    renderImport(r.body, false);
  }

  async function applyImport() {
    if (importText === null) return;
    $('import-appliquer').disabled = true;
    const r = await sendImport(false);
    if (!r.ok) {
      $('import-resume').textContent = errorMessage(r);
      return;
    }
    renderImport(r.body, true);
    status('Import appliqué.');
    await refreshData();
  }

  // ---------------------------------------------------------------------------------------
  // Wiring
  // ---------------------------------------------------------------------------------------

  $('session-form').addEventListener('submit', login);
  $('session-deconnecter').addEventListener('click', logout);
  $('partenaire-ajouter').addEventListener('click', () => {
    if (edit.placing && !edit.partner) closeForm();
    else openForm(null, null);
  });
  $('partenaire-annuler').addEventListener('click', () => {
    closeForm();
    status('Saisie annulée.');
  });
  $('partenaire-form').addEventListener('submit', save);
  $('partenaire-modifier').addEventListener('click', editFromFiche);
  $('partenaire-archiver').addEventListener('click', archive);
  $('partenaire-historique').addEventListener('click', toggleHistory);
  $('partenaires-archives').addEventListener('click', toggleArchived);
  $('import-fichier').addEventListener('change', previewImport);
  $('import-appliquer').addEventListener('click', applyImport);

  hooks.actorOpened.push(refreshFiche);
  hooks.actorClosed.push(() => {
    ficheSeq += 1;
    ficheRecord = null;
    $('fiche-partenaire').hidden = true;
    $('fiche-annotation').hidden = true;
  });

  ready.then(async () => {
    if (await loadFields()) buildFields();
    return loadSession();
  });
})();
