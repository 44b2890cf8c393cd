// maillage: the "Orienter un patient" wizard and the service areas of the actor panel.
//
// Wizard: situation (GET /api/procedures) → address or commune (autocomplete on /api/search,
// communes only) → age, then GET /api/orientation shows the steps with the chosen structures
// (name, phone as a tel: link, distance, reason), puts them on the map and links the printable
// sheet (/orientation/{procedure}/{commune}, new tab). When an actor's panel opens, its service
// area (GET /api/actors/{id}/zone) is outlined on the map with a line "Zone d'intervention : …".
// Every text from the data is set with textContent. A native ES module (imports from js/).
import { el, plural, formatKm, debounce } from './js/util.js';
import { request, errorMessage } from './js/api.js';
import { status } from './js/messages.js';
import { state, hooks, kindLabel } from './js/state.js';
import { map, selectionRenderer, openPanel, scrollPanelTo } from './js/map.js';
import { openActorById } from './js/fiche.js';
import { loaded } from './js/main.js';
import * as urlstate from './js/urlstate.js';

const $ = (id) => document.getElementById(id);

const RESULT_LABELS = {
  trouve: null,
  secours: 'Aucune structure pour cette étape : solution de repli',
  aucun: 'Aucune structure trouvée pour cette étape',
  non_applicable: "Étape non applicable (critère d'âge)",
};

const orientationLayer = L.layerGroup().addTo(map);
const zoneLayer = L.layerGroup().addTo(map);

const wizard = {
  procedures: [],
  place: null, // {commune, label} chosen from the list, or null (free text = address)
  items: [],
  active: -1,
  seq: 0,
  runSeq: 0,
  shown: null, // {procedure, commune, label, address, age} of the orientation on screen
};

// ---------------------------------------------------------------------------------------
// Step 1: situation
// ---------------------------------------------------------------------------------------

async function loadProcedures() {
  const r = await request('api/procedures');
  const select = $('orientation-procedure');
  if (!r.ok) {
    showError(errorMessage(r));
    return;
  }
  wizard.procedures = r.body.procedures || [];
  for (const p of wizard.procedures) {
    select.append(el('option', { value: p.id, text: p.titre + (p.exemple ? ' (exemple)' : '') }));
  }
  if (!wizard.procedures.length) {
    $('orientation-resume').textContent = "Aucune procédure d'orientation n'est chargée.";
  }
  for (const problem of r.body.problemes || []) status(problem, true);
}

function describeProcedure() {
  const p = wizard.procedures.find((x) => x.id === $('orientation-procedure').value);
  $('orientation-resume').textContent = p
    ? [p.resume, p.criteres ? `Pour : ${p.criteres}.` : ''].filter(Boolean).join(' ')
    : '';
}

// ---------------------------------------------------------------------------------------
// Step 2: place (commune autocomplete, or free address)
// ---------------------------------------------------------------------------------------

const input = $('orientation-lieu');
const list = $('orientation-lieu-liste');

function closeList() {
  list.hidden = true;
  list.textContent = '';
  wizard.items = [];
  wizard.active = -1;
  input.setAttribute('aria-expanded', 'false');
  input.removeAttribute('aria-activedescendant');
}

function setActive(i) {
  const options = list.querySelectorAll('[role=option]:not([aria-disabled])');
  if (!options.length) return;
  wizard.active = (i + options.length) % options.length;
  options.forEach((o, k) => o.setAttribute('aria-selected', k === wizard.active ? 'true' : 'false'));
  input.setAttribute('aria-activedescendant', options[wizard.active].id);
}

function choosePlace(item) {
  wizard.place = { commune: item.id, label: item.libelle };
  input.value = item.libelle;
  $('orientation-lieu-choisi').textContent = `Commune choisie : ${item.libelle} (${item.id})`;
  closeList();
}

async function suggest() {
  const q = input.value.trim();
  const seq = ++wizard.seq;
  if (q.length < 2) {
    closeList();
    return;
  }
  const r = await request('api/search?limit=10&q=' + encodeURIComponent(q));
  if (seq !== wizard.seq || !r.ok) return;
  const items = (r.body.resultats || []).filter((x) => x.categorie === 'commune');
  list.textContent = '';
  wizard.items = items;
  wizard.active = -1;
  if (!items.length) {
    list.append(
      el('li', {
        role: 'option',
        'aria-disabled': 'true',
        class: 'proposition-vide',
        text: 'Aucune commune : le texte sera lu comme une adresse',
      })
    );
  }
  items.forEach((item, i) => {
    const option = el(
      'li',
      { role: 'option', id: `orientation-lieu-${i}`, class: 'proposition', 'aria-selected': 'false' },
      el('span', { class: 'proposition-libelle', text: item.libelle }),
      item.detail ? el('span', { class: 'proposition-detail', text: item.detail }) : null
    );
    option.addEventListener('mousedown', (ev) => ev.preventDefault());
    option.addEventListener('click', () => choosePlace(item));
    list.append(option);
  });
  list.hidden = false;
  input.setAttribute('aria-expanded', 'true');
}
const suggestSoon = debounce(suggest, 180);

input.addEventListener('input', () => {
  wizard.place = null;
  $('orientation-lieu-choisi').textContent = '';
  suggestSoon();
});
input.addEventListener('keydown', (ev) => {
  const open = !list.hidden;
  if (ev.key === 'ArrowDown') {
    ev.preventDefault();
    if (open) setActive(wizard.active + 1);
    else suggest();
  } else if (ev.key === 'ArrowUp') {
    if (open) {
      ev.preventDefault();
      setActive(wizard.active - 1);
    }
  } else if (ev.key === 'Enter' && open && wizard.active >= 0 && wizard.items[wizard.active]) {
    ev.preventDefault();
    choosePlace(wizard.items[wizard.active]);
  } else if (ev.key === 'Escape' && open) {
    ev.preventDefault();
    closeList();
  }
});
input.addEventListener('blur', () => setTimeout(closeList, 150));

/** Pre-fills the place with the commune highlighted on the map, if any. */
function prefillPlace() {
  const c = state.commune && state.commune.properties;
  if (!c || input.value.trim()) return;
  choosePlace({ id: c.code, libelle: c.nom || c.code });
}

// ---------------------------------------------------------------------------------------
// Run and show the orientation
// ---------------------------------------------------------------------------------------

function showError(message) {
  const node = $('orientation-erreur');
  node.textContent = message || '';
  node.hidden = !message;
}

function phoneLink(phone) {
  return el('a', { href: 'tel:' + phone.replace(/[^\d+]/g, ''), class: 'telephone', text: phone });
}

function actorCard(a, stepNumber) {
  const name = el('button', { type: 'button', class: 'bouton-lien acteur-nom', text: a.nom || 'Structure sans nom' });
  name.addEventListener('click', () => {
    if (typeof a.lat === 'number' && typeof a.lon === 'number') {
      map.setView([a.lat, a.lon], Math.max(map.getZoom(), 14));
    }
    openActorById(a.id, { focus: true, opener: name });
  });
  const lines = [
    el('span', { class: 'acteur-type', text: a.type_libelle || kindLabel(a.type) }),
    a.telephone ? el('span', { class: 'acteur-telephone' }, 'Tél. : ', phoneLink(a.telephone)) : null,
    typeof a.distance_m === 'number' ? el('span', { class: 'acteur-distance', text: `à ${formatKm(a.distance_m)}` }) : null,
    a.adresse ? el('span', { class: 'acteur-adresse', text: a.adresse }) : null,
    a.raison ? el('span', { class: 'acteur-raison', text: `Pourquoi : ${a.raison}` }) : null,
    a.exemple ? el('span', { class: 'badge-exemple', text: 'exemple' }) : null,
  ];
  return el('li', { class: 'acteur-oriente', 'data-etape': stepNumber, 'data-id': a.id }, name, ...lines);
}

function actorList(actors, stepNumber) {
  const ul = el('ul', { class: 'acteurs-orientes' });
  for (const a of actors || []) ul.append(actorCard(a, stepNumber));
  return ul;
}

function documentsList(docs) {
  if (!docs || !docs.length) return null;
  return el(
    'div',
    { class: 'documents' },
    el('span', { class: 'documents-titre', text: 'À préparer :' }),
    el('ul', {}, ...docs.map((d) => el('li', { text: d })))
  );
}

function drawOnMap(data) {
  orientationLayer.clearLayers();
  const bounds = L.latLngBounds([]);
  const lieu = data.lieu || {};
  if (typeof lieu.lat === 'number' && typeof lieu.lon === 'number') {
    const ll = L.latLng(lieu.lat, lieu.lon);
    L.circleMarker(ll, {
      radius: 7,
      className: 'lieu-patient',
      color: '#ffffff',
      weight: 2,
      fillColor: '#b45309',
      fillOpacity: 1,
      interactive: false,
    }).addTo(orientationLayer);
    bounds.extend(ll);
  }
  const seen = new Set();
  for (const step of data.etapes || []) {
    const actors = (step.acteurs || []).slice();
    for (const a of actors) {
      if (typeof a.lat !== 'number' || typeof a.lon !== 'number' || seen.has(a.id + ':' + step.numero)) continue;
      seen.add(a.id + ':' + step.numero);
      const ll = L.latLng(a.lat, a.lon);
      const label = el('span', { text: String(step.numero) });
      const marker = L.marker(ll, {
        icon: L.divIcon({ className: 'marqueur-orientation', html: label, iconSize: [24, 24], iconAnchor: [12, 12] }),
        title: `Étape ${step.numero} : ${a.nom}`,
        keyboard: true,
        zIndexOffset: 1000,
      });
      marker.on('click', () => openActorById(a.id, { focus: true }));
      marker.addTo(orientationLayer);
      bounds.extend(ll);
    }
  }
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [40, 40], maxZoom: 13 });
}

function render(data) {
  const box = $('orientation-resultat');
  box.hidden = false;
  const proc = data.procedure || {};
  $('orientation-titre').textContent = `${proc.titre || 'Orientation'}${proc.version ? ` (version ${proc.version})` : ''}`;
  const lieu = data.lieu || {};
  const lieuParts = [`Patient : ${lieu.commune_nom || lieu.commune || 'lieu inconnu'}`];
  if (typeof data.age === 'number') lieuParts.push(`${data.age} ans`);
  $('orientation-lieu-resume').textContent =
    lieuParts.join(', ') + '.' + ((lieu.remarques || []).length ? ' ' + lieu.remarques.join(' ; ') + '.' : '');
  const motif = $('orientation-motif');
  motif.hidden = data.applicable !== false;
  motif.textContent = data.applicable === false ? `Procédure non applicable : ${data.motif || ''}` : '';

  const steps = $('orientation-etapes');
  steps.textContent = '';
  for (const s of data.etapes || []) {
    const li = el('li', { class: `etape etape-${s.resultat}`, 'data-numero': s.numero });
    li.append(el('h4', { class: 'etape-titre', text: `Étape ${s.numero} : ${s.titre}` }));
    if (s.message) li.append(el('p', { class: 'etape-message', text: s.message }));
    if (s.choix_libelle) li.append(el('p', { class: 'note', text: `Choix : ${s.choix_libelle}` }));
    li.append(documentsList(s.documents) || '');
    const flag = RESULT_LABELS[s.resultat];
    if (flag) li.append(el('p', { class: 'etape-resultat', text: flag }));
    if (s.secours) {
      li.append(el('p', { class: 'etape-secours', text: `Repli : ${s.secours.titre}` }));
      if (s.secours.message) li.append(el('p', { class: 'etape-message', text: s.secours.message }));
      li.append(documentsList(s.secours.documents) || '');
    }
    if ((s.acteurs || []).length) li.append(actorList(s.acteurs, s.numero));
    if (s.remarque) li.append(el('p', { class: 'note', text: s.remarque }));
    steps.append(li);
  }
  const warnings = $('orientation-avertissements');
  warnings.textContent = '';
  for (const w of data.avertissements || []) warnings.append(el('li', { text: w }));

  const sheet = $('orientation-fiche');
  if (lieu.commune && proc.id) {
    // The age chosen in the wizard goes to the sheet (steps and criteria by age).
    const age = typeof data.age === 'number' ? `?age=${data.age}` : '';
    sheet.href = `orientation/${encodeURIComponent(proc.id)}/${encodeURIComponent(lieu.commune)}${age}`;
    sheet.hidden = false;
  } else {
    sheet.removeAttribute('href');
    sheet.hidden = true;
  }
  drawOnMap(data);
  openPanel();
  scrollPanelTo(box);
}

async function run(ev) {
  ev.preventDefault();
  showError('');
  const procedure = $('orientation-procedure').value;
  if (!procedure) {
    showError('Choisissez une situation.');
    $('orientation-procedure').focus();
    return;
  }
  const params = new URLSearchParams({ procedure });
  const text = input.value.trim();
  if (wizard.place && wizard.place.label === text) params.set('commune', wizard.place.commune);
  else if (text) params.set('adresse', text);
  else {
    showError("Indiquez l'adresse ou la commune du patient.");
    input.focus();
    return;
  }
  const ageText = $('orientation-age').value.trim();
  if (ageText) {
    const age = Number(ageText);
    if (!Number.isInteger(age) || age < 0 || age > 130) {
      showError("L'âge doit être un nombre entier d'années entre 0 et 130.");
      $('orientation-age').focus();
      return;
    }
    params.set('age', String(age));
  }
  const seq = ++wizard.runSeq;
  const r = await request('api/orientation?' + params);
  if (seq !== wizard.runSeq) return;
  if (!r.ok) {
    showError(errorMessage(r));
    return;
  }
  render(r.body);
  wizard.shown = {
    procedure,
    commune: params.get('commune'),
    label: wizard.place && params.get('commune') ? wizard.place.label : null,
    address: params.get('adresse'),
    age: params.get('age'),
  };
  urlstate.save();
  if (!urlstate.isRestoring()) status(`Orientation : ${r.body.procedure.titre}.`);
}

function clear() {
  wizard.shown = null;
  urlstate.save();
  orientationLayer.clearLayers();
  $('orientation-resultat').hidden = true;
  $('orientation-etapes').textContent = '';
  showError('');
}

$('orientation-procedure').addEventListener('change', describeProcedure);
$('orientation-form').addEventListener('submit', run);
$('orientation-effacer').addEventListener('click', clear);
$('bloc-orientation').addEventListener('toggle', () => {
  if ($('bloc-orientation').open) prefillPlace();
});

// ---------------------------------------------------------------------------------------
// Service area of the selected actor
// ---------------------------------------------------------------------------------------

let zoneSeq = 0;

function clearZone() {
  zoneSeq += 1;
  zoneLayer.clearLayers();
  const line = $('fiche-zone');
  line.hidden = true;
  line.textContent = '';
}

async function showZone(feature) {
  clearZone();
  const id = feature && feature.properties && feature.properties.id;
  if (!id) return;
  const seq = zoneSeq;
  const r = await request('api/actors/' + encodeURIComponent(id) + '/zone');
  if (seq !== zoneSeq || !r.ok || !r.body) return;
  const p = r.body.properties || {};
  const zones = (p.zones || []).map((z) => z.libelle || z.zone).filter(Boolean);
  const n = (p.communes || []).length;
  // Most actors have no declared service area.
  if (!zones.length && !n && !r.body.geometry) return;
  const line = $('fiche-zone');
  line.textContent = '';
  line.append(
    el('strong', { text: "Zone d'intervention : " }),
    zones.join(' ; ') || 'zone dessinée',
    n ? ` (${plural(n, 'commune', 'communes')})` : ''
  );
  line.hidden = false;
  if (r.body.geometry) {
    L.geoJSON(r.body, {
      renderer: selectionRenderer,
      pane: 'selection',
      interactive: false,
      style: {
        className: 'contour-zone-intervention',
        color: '#0f766e',
        weight: 3,
        fillColor: '#14b8a6',
        fillOpacity: 0.08,
      },
    }).addTo(zoneLayer);
  }
}

hooks.actorOpened.push(showZone);
hooks.actorClosed.push(clearZone);

const proceduresLoaded = loaded.then(loadProcedures);

// The orientation on screen in the URL: procedure, place (commune or address), age.
urlstate.register({
  name: 'orientation',
  order: 70,
  write(set) {
    const o = wizard.shown;
    if (!o) return;
    set('op', o.procedure);
    if (o.commune) {
      set('ol', o.commune);
      set('on', o.label);
    } else {
      set('oq', o.address);
    }
    set('oa', o.age);
  },
  async apply(h) {
    if (!h.op) {
      if (wizard.shown) clear();
      return;
    }
    const same =
      wizard.shown &&
      wizard.shown.procedure === h.op &&
      (wizard.shown.commune || '') === (h.ol || '') &&
      (wizard.shown.address || '') === (h.oq || '') &&
      (wizard.shown.age || '') === (h.oa || '');
    if (same) return;
    await proceduresLoaded;
    $('orientation-procedure').value = h.op;
    describeProcedure();
    if (h.ol) {
      wizard.place = { commune: h.ol, label: h.on || h.ol };
      input.value = wizard.place.label;
      $('orientation-lieu-choisi').textContent = `Commune choisie : ${wizard.place.label} (${h.ol})`;
    } else {
      wizard.place = null;
      input.value = h.oq || '';
    }
    $('orientation-age').value = h.oa || '';
    $('bloc-orientation').open = true;
    await run({ preventDefault() {} });
  },
});
