// maillage: the "Diagnostic" panel of the map page.
//
// Asks GET /api/diagnostic for a territory and some kinds of supply, then shows over the map:
// the server's choropleth (carte.svg as an image), the comparison table, the sortable
// per-commune table, the parameters used (estimates labelled as such) and the download links
// (CSV `;` with BOM, CSV `,`, GeoJSON, SVG, PNG). Indicator labels, units and decimals come from
// the server's indicator table (GET /api/diagnostic/indicateurs, and `descripteurs` in every
// answer); each kind's coverage definition (by service area or by distance) is said beside
// every coverage figure. The coverage threshold is in km as the crow flies or in minutes, worded
// as the server words them (`minutes_libelle` of /api/config, `seuil_couverture_libelle` and
// `minutes_libelle` of the answer's parameters). The
// parameters (kinds, coverage threshold and its unit, 2SFCA steps, supply) can be changed
// from the result and recomputed; the full HTML report is served by
// /api/diagnostic/rapport.html. The diagnostic (territory, kinds, indicator, parameters) is
// kept in the URL (keys starting with `d`). Every text from the data is set with
// textContent. A native ES module: it imports what it needs from js/.
import { el, plural, intFormat, fold } from './js/util.js';
import { request, errorMessage } from './js/api.js';
import { status } from './js/messages.js';
import { state, kindLabel } from './js/state.js';
import { loaded } from './js/main.js';
import { isNarrow, setPanelOpen } from './js/map.js';
import * as urlstate from './js/urlstate.js';
import { kindsByLabel, kindCheckRow } from './js/kinds.js';

(function () {
  const $ = (id) => document.getElementById(id);

  const LEVELS = { territoire: 'Territoire', departement: 'Département', region: 'Région' };
  const DEFAULT_STEPS = '10:1,15:0.667,20:0.333';


  const formats = new Map();
  /** French number format with a fixed number of decimals. */
  const dec = (digits) => {
    if (!formats.has(digits)) {
      formats.set(
        digits,
        new Intl.NumberFormat('fr-FR', { minimumFractionDigits: digits, maximumFractionDigits: digits })
      );
    }
    return formats.get(digits);
  };

  /** The server's indicator tables: { communes: [...], comparaisons: [...] }. */
  let descriptors = { communes: [], comparaisons: [], couvertures: [] };

  /** A descriptor's text for a kind: `{couverture}` is the kind's coverage definition. */
  function forKind(text, kind) {
    const definition = kind && kind.couverture_libelle ? ` ${kind.couverture_libelle}` : '';
    return String(text || '').replace(' {couverture}', definition);
  }

  /** The value of a descriptor's field (`couverture.part_couverte`) in a JSON object. */
  function field(obj, path) {
    return String(path)
      .split('.')
      .reduce((o, k) => (o === null || o === undefined ? undefined : o[k]), obj);
  }

  /** Display text of a value under its descriptor (decimals, scale, masked « < 5 », oui/non). */
  function show(d, v) {
    if (v === null || v === undefined) return '';
    if (d.genre === 'oui_non') return v === true ? 'oui' : v === false ? 'non (zone blanche)' : '';
    if (d.genre === 'texte') return String(v);
    if (typeof v === 'string') return v; // masked by the server
    return dec(d.decimales).format(v * (d.echelle || 1));
  }

  const view = {
    data: null, // the last /api/diagnostic answer
    query: null, // URLSearchParams of that answer
    kind: '', // kind shown on the map and in the table
    sort: { key: 'nom', asc: true },
    seq: 0,
    form: 'outil', // the form of the last run, where its errors are said (see formError)
  };

  /** Sort key of a possibly masked value: masked counts sort between 0 and 5. */
  function sortValue(v) {
    if (v === null || v === undefined || v === '') return null;
    if (typeof v === 'number') return v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (/^<\s*5$/.test(v)) return 2.5;
    return String(v);
  }

  // ---------------------------------------------------------------------------------------
  // Form
  // ---------------------------------------------------------------------------------------

  function buildForm() {
    const select = $('diagnostic-territoire');
    const territories = state.territories.slice().sort((a, b) => {
      const rank = (t) => (t.type === 'cpts' ? 0 : t.type === 'departement' ? 1 : 2);
      return rank(a) - rank(b) || String(a.nom).localeCompare(String(b.nom), 'fr');
    });
    for (const t of territories) {
      const detail = t.nombre_communes ? ` (${plural(t.nombre_communes, 'commune', 'communes')})` : '';
      select.append(el('option', { value: t.id, text: `${t.nom}${detail}` }));
    }
    if (state.territory) select.value = state.territory;

    const box = $('diagnostic-types');
    box.textContent = '';
    for (const k of kindsByLabel((k) => k.nombre > 0)) box.append(kindCheckRow(k, 'diagnostic-type-').row);
  }

  /** The menu of the unit of the 2SFCA steps. */
  function unitSelect(id) {
    return el(
      'select',
      { id },
      el('option', { value: 'minutes', text: minutesUnit('minutes') }),
      el('option', { value: 'km', text: "km à vol d'oiseau" })
    );
  }

  /** The coverage threshold per unit: its query parameter and bounds (the server's,
   *  `Reach::validate`). */
  const THRESHOLD = {
    km: { param: 'max_km', max: 200, name: 'kilomètres' },
    minutes: { param: 'max_minutes', max: 180, name: 'minutes' },
  };

  /** The unit of the coverage threshold in a menu (`km` or `minutes`). */
  function thresholdUnit(select) {
    return select && select.value === 'minutes' ? 'minutes' : 'km';
  }

  /** Sets the unit of a threshold menu and the bound of its number field (the number is
   *  left as it is: a restored link or a submitted form sets both). */
  function setThresholdUnit(select, input, unit) {
    select.value = unit === 'minutes' ? 'minutes' : 'km';
    select.dataset.unite = select.value;
    input.max = String(THRESHOLD[thresholdUnit(select)].max);
  }

  /** The last threshold chosen in each unit (typed before a change of unit, or run), shared by
   *  the tool form and the result's form: 10 km never becomes 10 min. */
  const lastThreshold = { km: null, minutes: null };
  const DEFAULT_THRESHOLD = { km: 10, minutes: 15 };

  /** Remembers `value` as the threshold in `unit` when it is a valid one. */
  function rememberThreshold(unit, value) {
    const v = Number(value);
    if (THRESHOLD[unit] && Number.isFinite(v) && v >= 1 && v <= THRESHOLD[unit].max) lastThreshold[unit] = v;
  }

  /** A change of unit by the user: the number typed is kept for its unit, and the field shows
   *  the last number of the new unit (its default the first time). */
  function switchThresholdUnit(select, input) {
    const before = select.dataset.unite === 'minutes' ? 'minutes' : 'km';
    const after = thresholdUnit(select);
    if (before !== after) {
      rememberThreshold(before, input.value);
      input.value = String(lastThreshold[after] ?? DEFAULT_THRESHOLD[after]);
    }
    setThresholdUnit(select, input, after);
  }

  /** The menu of the unit of the coverage threshold, beside its number field `input`, and its
   *  label for screen readers ([label, select]): km as
   *  the crow flies, or minutes in the server's wording (minutesUnit). */
  function thresholdUnitSelect(id, input) {
    const select = el(
      'select',
      { id },
      el('option', { value: 'km', text: "km à vol d'oiseau" }),
      el('option', { value: 'minutes', text: minutesUnit('min') })
    );
    select.dataset.unite = 'km';
    select.addEventListener('change', () => switchThresholdUnit(select, input));
    // Its label is read by screen readers, not shown: the field's own label says it.
    const label = el('label', { for: id, class: 'hors-ecran', text: 'Unité du seuil de couverture' });
    return [label, select];
  }

  /** A unit of minutes in the server's wording under its travel model (`minutes_libelle` of
   *  /api/config): « min en voiture (Valhalla) » or « min estimées à vol d'oiseau ». */
  function minutesUnit(unit) {
    return `${unit} ${(state.config && state.config.minutes_libelle) || ''}`.trim();
  }

  /** The menu of the supply: the directory's actors or the BPE counts. */
  function sourceSelect(id) {
    return el(
      'select',
      { id },
      el('option', { value: 'acteurs', text: "acteurs de l'annuaire" }),
      el('option', { value: 'bpe', text: 'équipements BPE (INSEE)' })
    );
  }

  /** The 2SFCA steps, their unit and the supply source: fields added after the threshold. */
  function buildParameterFields() {
    if ($('diagnostic-paliers')) return;
    const steps = el('input', {
      id: 'diagnostic-paliers',
      type: 'text',
      value: DEFAULT_STEPS,
      spellcheck: 'false',
      autocomplete: 'off',
      'aria-describedby': 'diagnostic-paliers-aide',
    });
    const unit = unitSelect('diagnostic-unite');
    const source = sourceSelect('diagnostic-source');
    $('diagnostic-seuil').after(...thresholdUnitSelect('diagnostic-seuil-unite', $('diagnostic-seuil')));
    const threshold = $('diagnostic-seuil').closest('.champ');
    threshold.after(
      el(
        'div',
        { class: 'champ' },
        el('label', { for: 'diagnostic-paliers', text: 'Paliers de l’accessibilité 2SFCA (borne:poids)' }),
        steps,
        el('p', {
          id: 'diagnostic-paliers-aide',
          class: 'note',
          text: 'Ex. 10:1 ; 15:0,667 ; 20:0,333 (ou 10:1,15:0.667,20:0.333) : poids 1 jusqu’à 10, 2/3 jusqu’à 15, 1/3 jusqu’à 20.',
        })
      ),
      el('div', { class: 'champ' }, el('label', { for: 'diagnostic-unite', text: 'Unité des paliers' }), unit),
      el('div', { class: 'champ' }, el('label', { for: 'diagnostic-source', text: 'Offre' }), source)
    );
  }

  function chosenKinds() {
    return [...document.querySelectorAll('#diagnostic-types input:checked')].map((i) => i.value);
  }

  /** Checks the kinds of the tool form (unknown ids ignored). */
  function setKinds(ids) {
    const wanted = new Set(ids);
    for (const i of document.querySelectorAll('#diagnostic-types input')) i.checked = wanted.has(i.value);
  }

  /** The 2SFCA steps as typed, spaces removed; the server checks them (bounds increasing,
   *  weights in ]0, 1]) and its French error is shown next to the form. */
  /** The steps as typed (the server reads `10:1,15:0.667` and `10:1 ; 15:0,667`). */
  function normaliseSteps(text) {
    const t = String(text || '').trim();
    return t.replace(/\s+/g, '') === DEFAULT_STEPS ? DEFAULT_STEPS : t || DEFAULT_STEPS;
  }

  /** Says what is wrong next to the form that was used: the result's (`view.form` is
   *  `reglages`, while the result is shown) or the tool form. */
  function formError(message) {
    const inResult = view.form === 'reglages' && !$('diagnostic').hidden && !!$('diagnostic-reglages-erreur');
    for (const [id, show] of [
      ['diagnostic-erreur', !inResult],
      ['diagnostic-reglages-erreur', inResult],
    ]) {
      const node = $(id);
      if (!node) continue;
      node.textContent = show ? message || '' : '';
      node.hidden = !(show && message);
    }
  }

  /** Runs the diagnostic of the tool form; `form` says which form was used (`outil`, or
   *  `reglages` when the result's form filled the tool form), where errors are said. */
  async function run(ev, form = 'outil') {
    if (ev) ev.preventDefault();
    view.form = form;
    formError('');
    const territory = $('diagnostic-territoire').value;
    const kinds = chosenKinds();
    if (!territory) {
      formError('Choisissez un territoire.');
      $('diagnostic-territoire').focus();
      return;
    }
    if (!kinds.length) {
      formError("Cochez au moins un type d'offre.");
      const first = document.querySelector('#diagnostic-types input');
      if (first) first.focus();
      return;
    }
    const params = new URLSearchParams({ territory, kinds: kinds.join(',') });
    const bound = THRESHOLD[thresholdUnit($('diagnostic-seuil-unite'))];
    const threshold = Number($('diagnostic-seuil').value);
    if (!Number.isFinite(threshold) || threshold < 1 || threshold > bound.max) {
      formError(`Le seuil de couverture doit être un nombre de ${bound.name} entre 1 et ${bound.max}.`);
      $('diagnostic-seuil').focus();
      return;
    }
    params.set(bound.param, String(threshold));
    rememberThreshold(thresholdUnit($('diagnostic-seuil-unite')), threshold);
    const steps = normaliseSteps($('diagnostic-paliers').value);
    if (steps !== DEFAULT_STEPS || $('diagnostic-unite').value !== 'minutes') {
      params.set('paliers', steps);
      params.set('unite', $('diagnostic-unite').value);
    }
    if ($('diagnostic-source').value === 'bpe') params.set('source', 'bpe');
    if ($('diagnostic-masquer').checked) params.set('masquer', 'oui');
    params.set('couverture', $('diagnostic-couverture').value || 'auto');
    const seq = ++view.seq;
    $('diagnostic-lancer').disabled = true;
    status('Calcul du diagnostic…');
    try {
      const r = await request('api/diagnostic?' + params);
      if (seq !== view.seq) return;
      if (!r.ok) {
        formError(errorMessage(r));
        return;
      }
      view.data = r.body;
      if (r.body.descripteurs) descriptors = r.body.descripteurs;
      view.query = params;
      if (!kinds.includes(view.pendingKind || view.kind)) view.kind = kinds[0];
      else view.kind = view.pendingKind || view.kind;
      view.pendingKind = '';
      render();
      saveUrl();
      status(`Diagnostic : ${r.body.territoire.nom}.`);
    } catch (e) {
      formError(e.message || 'Erreur inattendue.');
    } finally {
      $('diagnostic-lancer').disabled = false;
      const again = $('diagnostic-recalculer');
      if (again) again.disabled = false;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Rendering
  // ---------------------------------------------------------------------------------------

  function kindInfo(id) {
    return (view.data.types || []).find((k) => k.id === id) || { id, libelle: kindLabel(id) };
  }

  function cellOf(row) {
    return (row.indicateurs || []).find((c) => c.type === view.kind) || {};
  }

  function render() {
    const d = view.data;
    const section = $('diagnostic');
    const opening = section.hidden;
    section.hidden = false;
    // On a phone the tools panel covers the map: fold it so that the result is in sight.
    if (opening && isNarrow() && !document.body.classList.contains('panneau-replie')) {
      setPanelOpen(false);
      view.panelFolded = true;
    }
    if (opening) section.scrollTop = 0;
    const t = d.territoire;
    $('diagnostic-titre').textContent = `Diagnostic – ${t.nom}`;
    const unknown = (t.communes_inconnues || []).length
      ? ` ; ${plural(t.communes_inconnues.length, 'commune inconnue', 'communes inconnues')}`
      : '';
    $('diagnostic-resume').textContent =
      `${t.type || ''} – ${plural(t.nombre_communes, 'commune', 'communes')}, ` +
      `${intFormat.format(t.population)} habitants${unknown}. Types : ` +
      (d.types || []).map((k) => k.libelle).join(', ') +
      '.';
    renderKindChooser();
    renderMap();
    renderComparisons();
    renderDownloads();
    renderParameters();
    renderSettings();
    renderTable();
    $('diagnostic-titre').focus({ preventScroll: true });
  }

  function renderKindChooser() {
    let wrap = $('diagnostic-type-choix');
    if (!wrap) {
      const select = el('select', { id: 'diagnostic-type-carte' });
      select.addEventListener('change', () => {
        view.kind = select.value;
        fillIndicators($('diagnostic-indicateur-carte'), kindInfo(view.kind));
        fillIndicators($('diagnostic-indicateur'), kindInfo(view.kind));
        renderMap();
        renderComparisons();
        renderDownloads();
        renderTable();
        saveUrl();
      });
      const indicator = el('select', { id: 'diagnostic-indicateur-carte' });
      indicator.addEventListener('change', () => {
        $('diagnostic-indicateur').value = indicator.value;
        renderMap();
        renderDownloads();
        saveUrl();
      });
      wrap = el(
        'div',
        { id: 'diagnostic-type-choix', class: 'diagnostic-choix' },
        el('div', { class: 'champ' }, el('label', { for: 'diagnostic-type-carte', text: 'Type affiché' }), select),
        el('div', { class: 'champ' }, el('label', { for: 'diagnostic-indicateur-carte', text: 'Indicateur' }), indicator)
      );
      $('diagnostic-resume').after(wrap);
    }
    const select = $('diagnostic-type-carte');
    select.textContent = '';
    for (const k of view.data.types || []) select.append(el('option', { value: k.id, text: k.libelle }));
    select.value = view.kind;
    fillIndicators($('diagnostic-indicateur-carte'), kindInfo(view.kind));
    fillIndicators($('diagnostic-indicateur'), kindInfo(view.kind));
    $('diagnostic-indicateur-carte').value = $('diagnostic-indicateur').value;
  }

  /** The mappable indicators as options, labelled for a kind; keeps the chosen one. */
  function fillIndicators(select, kind) {
    const chosen = select.value || 'densite';
    select.textContent = '';
    for (const d of descriptors.communes.filter((x) => x.carte)) {
      select.append(el('option', { value: d.id, text: forKind(d.libelle, kind) }));
    }
    select.value = chosen;
    if (!select.value && select.options.length) select.value = select.options[0].value;
  }

  function descriptor(id) {
    return descriptors.communes.find((d) => d.id === id) || { id, libelle: id };
  }

  function indicator() {
    return $('diagnostic-indicateur').value || 'densite';
  }

  function mapQuery() {
    const q = new URLSearchParams(view.query);
    q.set('kind', view.kind);
    q.set('indicateur', indicator());
    return q;
  }

  function renderMap() {
    const img = $('diagnostic-image');
    const kind = kindInfo(view.kind);
    const label = `${forKind(descriptor(indicator()).libelle, kind)} – ${kind.libelle} – ${view.data.territoire.nom}`;
    img.alt = `Carte des communes : ${label}`;
    img.removeAttribute('src');
    img.src = 'api/diagnostic/carte.svg?' + mapQuery();
    const caption = $('diagnostic-legende');
    caption.textContent = `Carte : ${label}. Légende et sources dans l'image.`;
    if (indicator() === 'couverture') {
      const cells = (view.data.communes || []).map(cellOf);
      const covered = cells.filter((c) => c.couverte === true).length;
      const white = cells.filter((c) => c.couverte === false).length;
      caption.append(
        el(
          'span',
          { class: 'legende-couverture', id: 'diagnostic-legende-couverture' },
          el('span', { class: 'legende-case legende-couverte', 'aria-hidden': 'true' }),
          ` couverte : ${plural(covered, 'commune', 'communes')} · `,
          el('span', { class: 'legende-case legende-zone-blanche', 'aria-hidden': 'true' }),
          ` non couverte (zone blanche, hachurée en rouge) : ${plural(white, 'commune', 'communes')}`
        )
      );
    }
    renderCoverageDefinition();
  }

  /** Says which definition of « covered » the shown kind uses, beside the map and tables. */
  function renderCoverageDefinition() {
    const kind = kindInfo(view.kind);
    const text = kind.couverture_definition
      ? `${kind.libelle} – ${kind.couverture_definition}.`
      : '';
    $('diagnostic-couverture-definition').textContent = text;
    $('diagnostic-couverture-definition').dataset.definition = kind.couverture || '';
  }

  function renderComparisons() {
    const table = $('diagnostic-comparaisons');
    table.textContent = '';
    const kind = kindInfo(view.kind);
    const shown = descriptors.comparaisons;
    const headers = ['Niveau', 'Nom', ...shown.map((d) => forKind(d.entete, kind))];
    table.append(el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', { scope: 'col', text: h })))));
    const body = el('tbody');
    for (const a of view.data.comparaisons || []) {
      const c = (a.indicateurs || []).find((x) => x.type === view.kind) || {};
      body.append(
        el(
          'tr',
          {},
          el('td', { text: LEVELS[a.niveau] || a.niveau }),
          el('th', { scope: 'row', text: a.nom }),
          ...shown.map((d) =>
            el('td', { class: 'nombre', 'data-indicateur': d.id, text: show(d, field(d.par_type ? c : a, d.champ)) })
          )
        )
      );
    }
    for (const m of view.data.comparaisons_absentes || []) {
      body.append(
        el(
          'tr',
          { class: 'comparaison-absente', 'data-niveau': m.niveau },
          el('td', { text: LEVELS[m.niveau] || m.niveau }),
          el('th', { scope: 'row', text: m.nom }),
          el('td', { colspan: String(shown.length), class: 'note', text: m.motif })
        )
      );
    }
    table.append(body);
  }

  function renderDownloads() {
    const list = $('diagnostic-telechargements');
    list.textContent = '';
    const base = view.query.toString();
    const slug = fold(view.data.territoire.id).replace(/[^a-z0-9]+/gi, '-');
    // Same names as the server's (Content-Disposition): territory and kinds, never twice the same.
    const stem = `diagnostic-${slug}-${(view.data.types || []).map((k) => k.id).join('-')}`;
    const maps = mapQuery().toString();
    const links = [
      ['CSV (Excel, « ; »)', `api/diagnostic.csv?${base}`, `${stem}.csv`, 'diagnostic-csv'],
      ['CSV (« , »)', `api/diagnostic.csv?${base}&separateur=virgule`, `${stem}-virgule.csv`, 'diagnostic-csv-virgule'],
      ['GeoJSON', `api/diagnostic.geojson?${base}`, `${stem}.geojson`, 'diagnostic-geojson'],
      ['GeoPackage (QGIS)', `api/diagnostic.gpkg?${base}`, `${stem}.gpkg`, 'diagnostic-gpkg'],
      ['Carte SVG', `api/diagnostic/carte.svg?${maps}`, `carte-${slug}-${view.kind}-${indicator()}.svg`, 'diagnostic-svg'],
      ['Carte PNG', `api/diagnostic/carte.png?${maps}`, `carte-${slug}-${view.kind}-${indicator()}.png`, 'diagnostic-png'],
    ];
    list.append(
      el(
        'li',
        {},
        el('a', {
          id: 'diagnostic-rapport',
          class: 'bouton bouton-principal',
          href: `api/diagnostic/rapport.html?${base}`,
          target: '_blank',
          rel: 'noopener',
          text: 'Rapport complet (HTML, imprimable)',
        })
      )
    );
    for (const [label, href, file, id] of links) {
      list.append(el('li', {}, el('a', { id, class: 'bouton', href, download: file, text: label })));
    }
  }

  function estimationBadge(text) {
    return /estim/i.test(text || '') ? el('span', { class: 'badge-estimation', text: 'estimation' }) : null;
  }

  function renderParameters() {
    const p = view.data.parametres || {};
    const dl = $('diagnostic-parametres');
    dl.textContent = '';
    const row = (term, value) => {
      if (value === null || value === undefined || value === '') return;
      dl.append(
        el('div', { class: 'fiche-ligne' }, el('dt', { text: term }), el('dd', {}, String(value), ' ', estimationBadge(value)))
      );
    };
    row('Offre', p.source_libelle);
    row('Trajet', p.modele_trajet_libelle);
    row('Minutes de trajet', p.minutes_libelle);
    row('Couverture demandée', p.couverture_demandee_libelle);
    for (const k of view.data.types || []) row(`Couverture – ${k.libelle}`, k.couverture_libelle);
    row('Seuil de couverture (par distance)', p.seuil_couverture_libelle);
    row('Accessibilité 2SFCA', p.decroissance_2sfca_libelle);
    row('Point de la commune', p.point_commune);
    row('Offre pondérée par la capacité', p.offre_ponderee_par_capacite ? 'oui' : 'non');
    row('Petits effectifs masqués', p.masquage_petits_effectifs ? 'oui (moins de 5)' : 'non');
    const methode = $('diagnostic-methode');
    methode.textContent = '';
    for (const m of p.methode || []) methode.append(el('li', { text: m }));
    // The estimated parts are visible without opening the details.
    $('diagnostic-parametres-bloc').open = true;

    const warnings = $('diagnostic-avertissements');
    warnings.textContent = '';
    for (const w of view.data.avertissements || []) warnings.append(el('li', { text: w }));
  }

  /** The parameters the user can change from the result: kinds, threshold, steps, supply. */
  function renderSettings() {
    let form = $('diagnostic-reglages');
    if (!form) {
      form = el('form', { id: 'diagnostic-reglages', class: 'formulaire diagnostic-reglages', novalidate: 'novalidate' });
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        // The result's form drives the tool form, then the one computation runs.
        setKinds([...form.querySelectorAll('.reglages-types input:checked')].map((i) => i.value));
        $('diagnostic-seuil').value = $('reglages-seuil').value;
        setThresholdUnit($('diagnostic-seuil-unite'), $('diagnostic-seuil'), $('reglages-seuil-unite').value);
        $('diagnostic-paliers').value = $('reglages-paliers').value;
        $('diagnostic-unite').value = $('reglages-unite').value;
        $('diagnostic-source').value = $('reglages-source').value;
        $('diagnostic-recalculer').disabled = true;
        run(null, 'reglages');
      });
      $('diagnostic-parametres-bloc').after(form);
    }
    form.textContent = '';
    const q = view.query;
    const chosen = new Set((q.get('kinds') || '').split(','));
    const box = el('div', { class: 'types-liste reglages-types', role: 'group', 'aria-label': 'Types d’offre' });
    for (const k of kindsByLabel((k) => k.nombre > 0 || chosen.has(k.id))) {
      box.append(kindCheckRow(k, 'reglages-type-', { checked: chosen.has(k.id), count: false }).row);
    }
    const unit = unitSelect('reglages-unite');
    unit.value = q.get('unite') || 'minutes';
    const source = sourceSelect('reglages-source');
    source.value = q.get('source') || 'acteurs';
    const thresholdInput = el('input', {
      id: 'reglages-seuil',
      type: 'number',
      min: '1',
      step: '1',
      value: q.get('max_minutes') || q.get('max_km') || String(DEFAULT_THRESHOLD.km),
      inputmode: 'numeric',
    });
    const [thresholdUnitLabel, thresholdUnitMenu] = thresholdUnitSelect('reglages-seuil-unite', thresholdInput);
    setThresholdUnit(thresholdUnitMenu, thresholdInput, q.has('max_minutes') ? 'minutes' : 'km');
    form.append(
      el('h3', { text: 'Modifier les paramètres' }),
      el('details', { class: 'reglages-bloc' }, el('summary', { text: 'Types d’offre' }), box),
      el(
        'div',
        { class: 'champ rayon-champ' },
        el('label', { for: 'reglages-seuil', text: 'Seuil de couverture par distance ou temps de trajet' }),
        thresholdInput,
        thresholdUnitLabel,
        thresholdUnitMenu
      ),
      el(
        'div',
        { class: 'champ' },
        el('label', { for: 'reglages-paliers', text: 'Paliers de l’accessibilité 2SFCA (borne:poids)' }),
        el('input', { id: 'reglages-paliers', type: 'text', value: q.get('paliers') || DEFAULT_STEPS, spellcheck: 'false', autocomplete: 'off' })
      ),
      el('div', { class: 'champ' }, el('label', { for: 'reglages-unite', text: 'Unité des paliers' }), unit),
      el('div', { class: 'champ' }, el('label', { for: 'reglages-source', text: 'Offre' }), source),
      el('p', { id: 'diagnostic-reglages-erreur', class: 'erreur', role: 'alert', hidden: 'hidden' }),
      el('div', { class: 'boutons' }, el('button', { type: 'submit', id: 'diagnostic-recalculer', class: 'bouton bouton-principal', text: 'Recalculer' }))
    );
  }

  /** Table columns: the commune, its code, then every per-commune indicator of the table. */
  function columns() {
    const kind = kindInfo(view.kind);
    const fromTable = descriptors.communes.map((d) => {
      const get = (r, c) => field(d.par_type ? c : r, d.champ);
      return {
        key: d.id,
        label: forKind(d.entete, kind),
        estimate: d.estimation,
        get,
        text: (r, c) => (d.id === 'population' && typeof r.population !== 'number' ? 'inconnue' : show(d, get(r, c))),
        num: d.genre === 'nombre',
      };
    });
    return [
      { key: 'nom', label: 'Commune', get: (r) => r.nom, text: (r) => r.nom, head: true },
      { key: 'code', label: 'Code', get: (r) => r.code, text: (r) => r.code },
      ...fromTable,
    ];
  }

  function renderTable() {
    const table = $('diagnostic-table');
    table.textContent = '';
    $('diagnostic-table-titre').textContent = `Indicateurs par commune – ${kindInfo(view.kind).libelle}`;
    const headRow = el('tr');
    const COLUMNS = columns();
    for (const col of COLUMNS) {
      const sorted = view.sort.key === col.key;
      const button = el(
        'button',
        { type: 'button', class: 'tri', 'data-cle': col.key },
        col.label,
        col.estimate ? el('span', { class: 'badge-estimation', text: 'estimation' }) : null
      );
      button.addEventListener('click', () => {
        view.sort = { key: col.key, asc: view.sort.key === col.key ? !view.sort.asc : true };
        renderTable();
        const again = table.querySelector(`button[data-cle="${col.key}"]`);
        if (again) again.focus();
      });
      headRow.append(
        el(
          'th',
          { scope: 'col', class: col.num ? 'nombre' : null, 'aria-sort': sorted ? (view.sort.asc ? 'ascending' : 'descending') : 'none' },
          button
        )
      );
    }
    table.append(el('thead', {}, headRow));
    const col = COLUMNS.find((c) => c.key === view.sort.key) || COLUMNS[0];
    const rows = (view.data.communes || []).map((r) => ({ r, c: cellOf(r) }));
    const collator = new Intl.Collator('fr', { numeric: true, sensitivity: 'base' });
    rows.sort((a, b) => {
      const x = sortValue(col.get(a.r, a.c));
      const y = sortValue(col.get(b.r, b.c));
      // Empty values last whatever the direction.
      if (x === null || y === null) return x === null ? (y === null ? 0 : 1) : -1;
      const cmp = typeof x === 'number' && typeof y === 'number' ? x - y : collator.compare(String(x), String(y));
      return (view.sort.asc ? cmp : -cmp) || collator.compare(a.r.code, b.r.code);
    });
    const body = el('tbody');
    for (const { r, c } of rows) {
      const tr = el('tr', { 'data-code': r.code, class: c.couverte === false ? 'zone-blanche' : null });
      for (const column of COLUMNS) {
        const text = column.text(r, c);
        tr.append(el(column.head ? 'th' : 'td', { scope: column.head ? 'row' : null, class: column.num ? 'nombre' : null, text }));
      }
      body.append(tr);
    }
    table.append(body);
  }

  function close() {
    const section = $('diagnostic');
    if (section.hidden) return;
    section.hidden = true;
    if (view.panelFolded && document.body.classList.contains('panneau-replie')) setPanelOpen(true);
    view.panelFolded = false;
    saveUrl();
    $('diagnostic-lancer').focus();
  }

  // ---------------------------------------------------------------------------------------
  // State in the URL: dt (territory), dk (kinds), di (indicator), dv (kind shown), ds
  // (coverage threshold), dsu (its unit when minutes: `minutes`; km otherwise), dp (2SFCA
  // steps), du (their unit), do (supply), dm (masking), dc (coverage definition).
  // ---------------------------------------------------------------------------------------

  function writeUrl(set) {
    if (!view.data || $('diagnostic').hidden || !view.query) return;
    const q = view.query;
    set('dt', q.get('territory'));
    set('dk', q.get('kinds'));
    set('di', indicator());
    if (view.kind !== (q.get('kinds') || '').split(',')[0]) set('dv', view.kind);
    if (q.get('max_minutes')) {
      set('ds', q.get('max_minutes'));
      set('dsu', 'minutes');
    } else if (q.get('max_km') && q.get('max_km') !== String(DEFAULT_THRESHOLD.km)) set('ds', q.get('max_km'));
    if (q.get('paliers')) set('dp', q.get('paliers'));
    if (q.get('unite') && q.get('unite') !== 'minutes') set('du', q.get('unite'));
    if (q.get('source')) set('do', q.get('source'));
    if (q.get('masquer')) set('dm', '1');
    if (q.get('couverture') && q.get('couverture') !== 'auto') set('dc', q.get('couverture'));
  }

  async function applyUrl(h) {
    if (!h.dt || !h.dk) {
      if (!$('diagnostic').hidden && !h.dt) close();
      return;
    }
    const key = [h.dt, h.dk, h.di, h.dv, h.ds, h.dsu, h.dp, h.du, h.do, h.dm, h.dc].join('|');
    if (key === view.appliedKey && !$('diagnostic').hidden) return;
    view.appliedKey = key;
    $('diagnostic-territoire').value = h.dt;
    setKinds(h.dk.split(','));
    $('diagnostic-seuil').value = h.ds || String(DEFAULT_THRESHOLD.km);
    setThresholdUnit($('diagnostic-seuil-unite'), $('diagnostic-seuil'), h.dsu);
    $('diagnostic-paliers').value = h.dp || DEFAULT_STEPS;
    $('diagnostic-unite').value = h.du === 'km' ? 'km' : 'minutes';
    $('diagnostic-source').value = h.do === 'bpe' ? 'bpe' : 'acteurs';
    $('diagnostic-masquer').checked = h.dm === '1';
    if (h.dc) $('diagnostic-couverture').value = h.dc;
    if (h.di) {
      fillIndicators($('diagnostic-indicateur'), null);
      $('diagnostic-indicateur').value = h.di;
    }
    view.pendingKind = h.dv || '';
    $('bloc-diagnostic').open = true;
    await run();
  }

  /** Writes the page's URL (the shared URL state, js/urlstate.js) after a change here. */
  function saveUrl() {
    urlstate.save();
  }

  $('diagnostic-form').addEventListener('submit', run);
  $('diagnostic-fermer').addEventListener('click', close);
  $('diagnostic').addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      ev.preventDefault();
      close();
    }
  });
  $('diagnostic-indicateur').addEventListener('change', () => {
    if (!view.data || $('diagnostic').hidden) return;
    $('diagnostic-indicateur-carte').value = indicator();
    renderMap();
    renderDownloads();
    saveUrl();
  });

  // Once the page's data is loaded (before the URL is applied): the form and the labels.
  const started = loaded.then(async () => {
    buildForm();
    buildParameterFields();
    try {
      const r = await request('api/diagnostic/indicateurs');
      if (r.ok && r.body) descriptors = r.body;
    } catch (e) {
      // The labels come with the first diagnostic then.
    }
    fillIndicators($('diagnostic-indicateur'), null);
    const coverage = $('diagnostic-couverture');
    for (const c of descriptors.couvertures || []) coverage.append(el('option', { value: c.id, text: c.libelle }));
  });

  urlstate.register({
    name: 'diagnostic',
    order: 80,
    keys: ['dt', 'dk', 'di', 'dv', 'ds', 'dsu', 'dp', 'du', 'do', 'dm', 'dc'],
    write: writeUrl,
    apply: async (h) => {
      await started;
      await applyUrl(h);
    },
  });
})();
