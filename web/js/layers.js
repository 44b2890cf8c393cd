// What the map draws from the data: commune outlines (with their names at a useful zoom and
// a card on hover and click), optional raster tiles, the actors in view as markers clustered
// per layer (one per sector, town halls and CCAS apart), the territory outline, and the
// controls that choose them (layers, kinds, territory).
import { $, el, fold, plural, intFormat, debounce } from './util.js';
import { api, de } from './api.js';
import { status, fail } from './messages.js';
import {
  state,
  LAYERS,
  LAYER_BY_ID,
  DEFAULT_LAYERS,
  kindLabel,
  kindsParam,
  layerOf,
  layerOfKind,
  filtersChanged,
} from './state.js';
import { map, outlineRenderer, selectionRenderer, bboxParam, latLngOf, inToolMode, openPanel } from './map.js';
import * as urlstate from './urlstate.js';
import { kindsByLabel, kindCheckRow } from './kinds.js';
import { openActor } from './fiche.js';

// Markers fetched per view; the server counts the rest (`total`).
const ACTOR_LIMIT = 5000;
// Above this many communes, outlines are loaded per view and only when zoomed in.
const COMMUNES_ALL_AT_ONCE = 3000;
const COMMUNES_MIN_ZOOM = 9;
/** Commune names are written from this zoom on. */
export const COMMUNE_LABEL_ZOOM = 11;


// ---------------------------------------------------------------------------------------
// Commune outlines, names and cards
// ---------------------------------------------------------------------------------------

export const communeFeatures = new Map(); // code -> Feature (PNG export, labels)
const loadedCommuneBoxes = [];
const labelLayer = L.layerGroup().addTo(map);
const labelMarkers = new Map(); // code -> L.Marker
let hovered = null;

const OUTLINE_STYLE = {
  className: 'contour-commune',
  color: '#59616b',
  weight: 1,
  opacity: 0.8,
  fillColor: '#f4f1ea',
  fillOpacity: 0.35,
};

export const communeLayer = L.geoJSON(null, {
  pane: 'contours',
  renderer: outlineRenderer,
  style: () => OUTLINE_STYLE,
  onEachFeature: (feature, layer) => {
    const p = feature.properties || {};
    const pop = typeof p.population === 'number' ? ` – ${intFormat.format(p.population)} hab.` : '';
    layer.bindTooltip(`${p.nom || p.code}${pop}`, { sticky: true, className: 'bulle-commune', direction: 'top' });
    layer.on('mouseover', () => {
      if (inToolMode()) return;
      if (hovered && hovered !== layer) communeLayer.resetStyle(hovered);
      hovered = layer;
      layer.setStyle({ weight: 2.5, color: '#1f2937', fillOpacity: 0.5 });
    });
    layer.on('mouseout', () => {
      communeLayer.resetStyle(layer);
      if (hovered === layer) hovered = null;
    });
    layer.on('click', (ev) => {
      // In a tool mode the map's own click handler takes the click.
      if (inToolMode()) return;
      L.DomEvent.stopPropagation(ev);
      layer.closeTooltip();
      openCommuneCard(feature, ev.latlng);
    });
  },
}).addTo(map);
// Tooltips follow the mouse only outside tool modes.
map.on('tooltipopen', (ev) => {
  if (inToolMode() && ev.tooltip.options.className === 'bulle-commune') ev.tooltip.close();
});

/** The card of a commune: population, actors, its listing and its diagnostic. */
async function openCommuneCard(feature, latlng) {
  const p = feature.properties || {};
  const body = el('div', { class: 'carte-commune', 'data-code': p.code });
  const title = el('h3', { text: `${p.nom} (${p.code})` });
  const facts = el('dl', { class: 'fiche-details' });
  const fact = (k, v) => facts.append(el('div', { class: 'fiche-ligne' }, el('dt', { text: k }), el('dd', { text: v })));
  if (typeof p.population === 'number') fact('Population', `${intFormat.format(p.population)} habitants`);
  const actorsLine = el('dd', { class: 'carte-commune-acteurs', text: '…' });
  facts.append(el('div', { class: 'fiche-ligne' }, el('dt', { text: 'Acteurs' }), actorsLine));
  const list = el('button', { type: 'button', class: 'bouton', text: 'Acteurs de la commune' });
  de(p.nom).then((t) => (list.textContent = `Acteurs ${t}`), () => {});
  const diag = el('button', { type: 'button', class: 'bouton carte-commune-diagnostic', text: 'Diagnostic du territoire' });
  diag.disabled = true;
  body.append(title, facts, el('div', { class: 'boutons' }, list, diag));
  L.popup({ className: 'bulle-carte-commune', maxWidth: 300, autoPanPadding: [20, 20] })
    .setLatLng(latlng)
    .setContent(body)
    .openOn(map);
  list.addEventListener('click', () => {
    map.closePopup();
    document.dispatchEvent(new CustomEvent('maillage:lister-commune', { detail: { code: p.code, nom: p.nom } }));
  });
  try {
    const full = await api('api/communes/' + encodeURIComponent(p.code));
    const fp = full.properties || {};
    const n = typeof fp.nombre_acteurs === 'number' ? fp.nombre_acteurs : null;
    actorsLine.textContent = n === null ? 'inconnu' : `${plural(n, 'acteur', 'acteurs')} (mairie et CCAS compris)`;
    const territory = diagnosticTerritoryOf(fp);
    if (territory) {
      diag.disabled = false;
      diag.textContent = `Diagnostic : ${territory.nom}`;
      diag.title = `Diagnostic du territoire qui contient ${p.nom} (la commune y a sa ligne)`;
      diag.addEventListener('click', () => {
        map.closePopup();
        openDiagnostic(territory.id);
      });
    } else {
      diag.textContent = 'Aucun territoire chargé pour le diagnostic';
    }
  } catch (e) {
    actorsLine.textContent = 'inconnu';
  }
}

/** The smallest loaded territory of the diagnostic that contains this commune. */
function diagnosticTerritoryOf(props) {
  const ids = [];
  if (props.epci) ids.push(`epci:${props.epci}`);
  if (props.departement) ids.push(`dep:${String(props.departement).toLowerCase()}`);
  for (const id of ids) {
    const t = state.territories.find((x) => String(x.id).toLowerCase() === id.toLowerCase());
    if (t) return t;
  }
  const cpts = state.territories.find((t) => (t.communes || []).includes(props.code));
  return cpts || null;
}

/** Opens the diagnostic block of the panel on a territory and runs it. */
function openDiagnostic(territoryId) {
  const select = $('diagnostic-territoire');
  const form = $('diagnostic-form');
  if (!select || !form) return;
  if (![...select.options].some((o) => o.value === territoryId)) {
    select.append(el('option', { value: territoryId, text: territoryId }));
  }
  select.value = territoryId;
  select.dispatchEvent(new Event('change', { bubbles: true }));
  // Kinds: those already ticked in the diagnostic form, else those ticked on the map, else
  // the first-line offer that is loaded (pharmacies, MSP, EHPAD, SSIAD).
  const boxes = [...document.querySelectorAll('#diagnostic-types input[type=checkbox]')];
  if (!boxes.some((b) => b.checked)) {
    const wanted = state.kindFilter.size ? state.kindFilter : new Set(DIAGNOSTIC_DEFAULT_KINDS);
    for (const b of boxes) if (wanted.has(b.value)) b.checked = true;
  }
  $('bloc-diagnostic').open = true;
  openPanel();
  form.requestSubmit();
}

const DIAGNOSTIC_DEFAULT_KINDS = ['pharmacie', 'msp', 'ehpad', 'ssiad'];

function addCommunes(fc) {
  const fresh = (fc.features || []).filter((f) => {
    const code = f.properties && f.properties.code;
    if (!code || communeFeatures.has(code) || !f.geometry) return false;
    communeFeatures.set(code, f);
    return true;
  });
  if (fresh.length) communeLayer.addData({ type: 'FeatureCollection', features: fresh });
  updateLabels();
}

export async function loadCommunes() {
  const many = state.health && state.health.communes > COMMUNES_ALL_AT_ONCE;
  if (!many) {
    if (loadedCommuneBoxes.length) return;
    loadedCommuneBoxes.push(null);
    try {
      addCommunes(await api('api/communes'));
    } catch (e) {
      loadedCommuneBoxes.length = 0;
      fail(e);
    }
    return;
  }
  if (map.getZoom() < COMMUNES_MIN_ZOOM) return;
  const view = map.getBounds();
  if (loadedCommuneBoxes.some((b) => b && b.contains(view))) return;
  const box = view.pad(0.5);
  try {
    addCommunes(await api('api/communes?bbox=' + bboxParam(box)));
    loadedCommuneBoxes.push(box);
  } catch (e) {
    fail(e);
  }
}

/** Where a commune's name is written: the centre of its largest ring's bounding box. */
function labelPoint(feature) {
  const g = feature.geometry;
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
  let best = null;
  let bestArea = -1;
  for (const poly of polys) {
    const ring = poly[0] || [];
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (const [x, y] of ring) {
      minX = Math.min(minX, x);
      minY = Math.min(minY, y);
      maxX = Math.max(maxX, x);
      maxY = Math.max(maxY, y);
    }
    const area = (maxX - minX) * (maxY - minY);
    if (area > bestArea) {
      bestArea = area;
      best = L.latLng((minY + maxY) / 2, (minX + maxX) / 2);
    }
  }
  return best;
}

/** Writes the names of the communes in view from COMMUNE_LABEL_ZOOM on. */
export function updateLabels() {
  if (!map._loaded) return;
  if (map.getZoom() < COMMUNE_LABEL_ZOOM) {
    labelLayer.clearLayers();
    labelMarkers.clear();
    return;
  }
  const view = map.getBounds().pad(0.2);
  for (const [code, m] of labelMarkers) {
    if (!view.contains(m.getLatLng())) {
      labelLayer.removeLayer(m);
      labelMarkers.delete(code);
    }
  }
  for (const [code, f] of communeFeatures) {
    if (labelMarkers.has(code)) continue;
    if (!f.labelPoint) f.labelPoint = labelPoint(f);
    const at = f.labelPoint;
    if (!at || !view.contains(at)) continue;
    const name = (f.properties && f.properties.nom) || code;
    const m = L.marker(at, {
      pane: 'noms',
      interactive: false,
      keyboard: false,
      icon: L.divIcon({ className: 'nom-commune', html: '', iconSize: null }),
    });
    m.on('add', () => {
      const node = m.getElement();
      if (node && !node.firstChild) {
        node.append(el('span', { text: name }));
        node.dataset.code = code;
      }
    });
    labelMarkers.set(code, m);
    labelLayer.addLayer(m);
  }
}

// ---------------------------------------------------------------------------------------
// Raster tiles (optional)
// ---------------------------------------------------------------------------------------

export function addTiles(config) {
  if (!config.tuiles) return;
  const attribution =
    config.attribution ||
    '© <a href="https://www.openstreetmap.org/copyright" target="_blank" rel="noopener noreferrer">les contributeurs d’OpenStreetMap</a>';
  const tiles = L.tileLayer(config.tuiles, { attribution, maxZoom: 19 });
  let loaded = 0;
  let errors = 0;
  tiles.on('tileload', () => {
    loaded += 1;
  });
  tiles.on('tileerror', () => {
    errors += 1;
    if (loaded === 0 && errors >= 4 && map.hasLayer(tiles)) {
      map.removeLayer(tiles);
      $('carte-info').textContent =
        'Fond de carte indisponible (hors ligne ?) : seuls les contours des communes sont affichés.';
    }
  });
  tiles.addTo(map);
}

// ---------------------------------------------------------------------------------------
// Actor markers, clustered per layer
// ---------------------------------------------------------------------------------------

const icons = {};
// Actors placed at their commune's centre (or with an unknown position) look hollow.
function iconFor(layer, approximate) {
  const key = layer + (approximate ? ':approx' : '');
  if (!icons[key]) {
    icons[key] = L.divIcon({
      className: `marqueur marqueur-${layer}${approximate ? ' marqueur-approx' : ''}`,
      iconSize: [16, 16],
      iconAnchor: [8, 8],
    });
  }
  return icons[key];
}

export const clusters = {};
for (const l of LAYERS) {
  clusters[l.id] = L.markerClusterGroup({
    chunkedLoading: true,
    showCoverageOnHover: false,
    maxClusterRadius: 45,
    spiderfyDistanceMultiplier: 1.4,
    iconCreateFunction: (cluster) => {
      const n = cluster.getChildCount();
      const size = n < 10 ? 30 : n < 100 ? 36 : n < 1000 ? 42 : 48;
      return L.divIcon({
        html: `<span>${n}</span>`,
        className: `grappe grappe-${l.id}`,
        iconSize: [size, size],
      });
    },
  });
  if (state.layers.has(l.id)) clusters[l.id].addTo(map);
}
export const markersById = new Map(); // actor id -> L.Marker (with .feature and .layerId)

function makeMarker(feature) {
  const p = feature.properties;
  const layer = layerOf(p.type, p.secteur);
  const approximate = p.precision === 'commune' || p.precision === 'inconnue';
  const marker = L.marker(latLngOf(feature), {
    icon: iconFor(layer, approximate),
    title: `${p.nom} – ${p.type_libelle || kindLabel(p.type)}${approximate ? ' (position approximative)' : ''}`,
    keyboard: true,
    riseOnHover: true,
  });
  marker.feature = feature;
  marker.layerId = layer;
  marker.on('click', () => openActor(marker.feature, { focus: true }));
  // Markers are focusable buttons: Enter or Space opens the card too.
  marker.on('keydown', (ev) => {
    const key = ev.originalEvent && ev.originalEvent.key;
    if (key === 'Enter' || key === ' ') {
      ev.originalEvent.preventDefault();
      openActor(marker.feature, { focus: true });
    }
  });
  marker.on('add', () => {
    const node = marker.getElement();
    if (node) {
      node.setAttribute('aria-label', marker.options.title);
      node.dataset.id = p.id;
    }
  });
  return marker;
}

let actorsAbort = null;
let actorsQuery = null;
let shownQuery = null;

/**
 * Loads the actors in view. A query already running or already shown is not sent again
 * (`force`: after the data changed); nothing is asked while the URL is being applied (the
 * page asks once it is done).
 */
export async function loadActors(opts) {
  if (!map._loaded || urlstate.isRestoring()) return;
  const params = new URLSearchParams();
  params.set('bbox', bboxParam(map.getBounds().pad(0.15)));
  params.set('limit', String(ACTOR_LIMIT));
  if (state.territory) params.set('territory', state.territory);
  const any = kindsParam(params);
  const query = any ? params.toString() : '';
  if (actorsAbort && actorsQuery === query) return;
  if (!actorsAbort && shownQuery === query && !(opts && opts.force)) {
    updateCounts();
    return;
  }
  if (actorsAbort) actorsAbort.abort();
  const ctl = new AbortController();
  actorsAbort = ctl;
  actorsQuery = query;
  let features = [];
  let total = 0;
  if (any) {
    $('carte-info').textContent = 'Chargement des acteurs…';
    try {
      const fc = await api('api/actors?' + query, { signal: ctl.signal });
      features = fc.features || [];
      total = typeof fc.total === 'number' ? fc.total : features.length;
    } catch (e) {
      if (e.name === 'AbortError') return;
      if (actorsAbort === ctl) actorsAbort = null;
      $('carte-info').textContent = '';
      fail(e);
      return;
    }
  }
  if (actorsAbort !== ctl) return;
  actorsAbort = null;
  shownQuery = query;
  syncMarkers(features);
  state.viewTotal = total;
  state.viewShown = features.filter((f) => f.geometry).length;
  updateCounts();
}

function syncMarkers(features) {
  const keep = new Set();
  const add = {};
  const remove = {};
  for (const l of LAYERS) {
    add[l.id] = [];
    remove[l.id] = [];
  }
  for (const f of features) {
    if (!latLngOf(f)) continue;
    const id = f.properties.id;
    keep.add(id);
    const existing = markersById.get(id);
    if (existing) {
      existing.feature = f;
      continue;
    }
    const m = makeMarker(f);
    markersById.set(id, m);
    add[m.layerId].push(m);
  }
  for (const [id, m] of markersById) {
    if (!keep.has(id)) {
      remove[m.layerId].push(m);
      markersById.delete(id);
    }
  }
  for (const l of LAYERS) {
    if (remove[l.id].length) clusters[l.id].removeLayers(remove[l.id]);
    if (add[l.id].length) clusters[l.id].addLayers(add[l.id]);
  }
}

export function updateCounts() {
  if (!map._loaded) return;
  const bounds = map.getBounds();
  const inView = {};
  for (const l of LAYERS) inView[l.id] = 0;
  for (const m of markersById.values()) {
    if (bounds.contains(m.getLatLng())) inView[m.layerId] += 1;
  }
  for (const l of LAYERS) {
    const node = document.querySelector(`[data-compte="${l.id}"]`);
    if (!node) continue;
    const total = state.kinds
      .filter((k) => layerOfKind(k.id) === l.id && (!state.kindFilter.size || state.kindFilter.has(k.id)))
      .reduce((sum, k) => sum + (k.nombre || 0), 0);
    node.textContent = state.layers.has(l.id)
      ? `${intFormat.format(inView[l.id])} dans la vue / ${intFormat.format(total)}`
      : `masqué / ${intFormat.format(total)}`;
  }
  const info = $('carte-info');
  const shown = [...Object.values(inView)].reduce((a, b) => a + b, 0);
  if (state.viewTotal > state.viewShown) {
    info.textContent = `${plural(state.viewShown, 'acteur affiché', 'acteurs affichés')} sur ${intFormat.format(
      state.viewTotal
    )} : zoomez pour tout voir.`;
  } else if (!/indisponible/.test(info.textContent)) {
    info.textContent = `${plural(shown, 'acteur', 'acteurs')} dans la vue`;
  }
}

const refreshView = debounce(() => {
  loadActors();
  loadCommunes();
  urlstate.save();
}, 250);

map.on('moveend', () => {
  updateCounts();
  updateLabels();
  refreshView();
});

// ---------------------------------------------------------------------------------------
// Layer, kind and territory controls
// ---------------------------------------------------------------------------------------

export function buildLayerControls() {
  const list = $('couches');
  list.textContent = '';
  for (const l of LAYERS) {
    const input = el('input', { type: 'checkbox', id: `couche-${l.id}`, name: 'couche', value: l.id });
    input.checked = state.layers.has(l.id);
    input.addEventListener('change', () => setLayerShown(l.id, input.checked));
    list.append(
      el(
        'li',
        {},
        input,
        el(
          'label',
          { for: `couche-${l.id}` },
          el('span', { class: `pastille pastille-${l.id}`, 'aria-hidden': 'true' }),
          el('span', { class: 'couche-nom', text: l.label }),
          el('span', { class: 'couche-compte', 'data-compte': l.id })
        )
      )
    );
  }
}

function setLayerShown(id, on) {
  if (on) state.layers.add(id);
  else state.layers.delete(id);
  applyLayerVisibility();
  loadActors();
  updateCounts();
  urlstate.save();
  filtersChanged();
}

export function applyLayerVisibility() {
  for (const l of LAYERS) {
    const on = state.layers.has(l.id);
    const box = $(`couche-${l.id}`);
    if (box) box.checked = on;
    if (on && !map.hasLayer(clusters[l.id])) clusters[l.id].addTo(map);
    if (!on && map.hasLayer(clusters[l.id])) map.removeLayer(clusters[l.id]);
  }
}

export function buildKindControls() {
  const container = $('types');
  container.textContent = '';
  for (const l of LAYERS) {
    const kinds = kindsByLabel((k) => layerOfKind(k.id) === l.id && (k.nombre > 0 || state.kindFilter.has(k.id)));
    if (!kinds.length) continue;
    const group = el('div', { class: 'types-groupe', role: 'group', 'aria-label': l.label });
    group.append(
      el('p', { class: 'types-secteur', 'aria-hidden': 'true' }, el('span', { class: `pastille pastille-${l.id}` }), l.label)
    );
    for (const k of kinds) {
      const { row, input } = kindCheckRow(k, 'type-', {
        checked: state.kindFilter.has(k.id),
        attrs: { 'data-libelle': fold(k.libelle + ' ' + k.id) },
      });
      input.addEventListener('change', () => {
        if (input.checked) state.kindFilter.add(k.id);
        else state.kindFilter.delete(k.id);
        onKindFilterChanged();
      });
      group.append(row);
    }
    container.append(group);
  }
  filterKindList();
  updateKindSummary();
}

/** Hides the kinds that do not match « Filtrer les types… », and the groups left empty. */
function filterKindList() {
  const q = fold($('types-filtre').value.trim());
  const container = $('types');
  for (const row of container.querySelectorAll('.type-ligne')) {
    row.hidden = q !== '' && !(row.dataset.libelle || '').includes(q);
  }
  for (const group of container.querySelectorAll('.types-groupe')) {
    group.hidden = ![...group.querySelectorAll('.type-ligne')].some((r) => !r.hidden);
  }
  const none = $('types-vide');
  none.hidden = q === '' || [...container.querySelectorAll('.type-ligne')].some((r) => !r.hidden);
}

function updateKindSummary() {
  const n = state.kindFilter.size;
  $('types-resume').textContent = n
    ? `${plural(n, 'type sélectionné', 'types sélectionnés')} : ${[...state.kindFilter].map(kindLabel).join(', ')}`
    : 'Tous les types';
  $('types-aucun').hidden = n === 0;
}

export function setKindFilter(ids) {
  state.kindFilter = new Set(ids);
  for (const box of document.querySelectorAll('#types input[type=checkbox]')) {
    box.checked = state.kindFilter.has(box.value);
  }
  if (ids.some((id) => !document.getElementById(`type-${id}`))) buildKindControls();
  onKindFilterChanged();
}

function onKindFilterChanged() {
  // Ticking a kind of a hidden layer (a town hall…) shows that layer.
  for (const id of state.kindFilter) {
    const layer = layerOfKind(id);
    if (!state.layers.has(layer)) {
      state.layers.add(layer);
      applyLayerVisibility();
    }
  }
  updateKindSummary();
  loadActors();
  updateCounts();
  urlstate.save();
  if (!urlstate.isRestoring()) {
    status(state.kindFilter.size ? 'Filtre : ' + [...state.kindFilter].map(kindLabel).join(', ') : 'Tous les types sont affichés.');
  }
  filtersChanged();
}

$('types-filtre').addEventListener('input', filterKindList);
$('types-aucun').addEventListener('click', () => setKindFilter([]));

export function buildTerritorySelect() {
  const select = $('territoire');
  for (const t of state.territories) {
    const detail = t.nombre_communes ? ` (${plural(t.nombre_communes, 'commune', 'communes')})` : '';
    select.append(el('option', { value: t.id, text: `${t.nom}${detail}` }));
  }
  select.value = state.territory;
  select.addEventListener('change', () => setTerritory(select.value, { fit: true }));
}

const territoryLayer = L.layerGroup().addTo(map);

export async function setTerritory(id, opts) {
  state.territory = id || '';
  $('territoire').value = state.territory;
  territoryLayer.clearLayers();
  state.territoryFeature = null;
  $('zone-territoire').disabled = !state.territory;
  loadActors();
  urlstate.save();
  if (!state.territory) return;
  try {
    const feature = await api('api/territories/' + encodeURIComponent(state.territory));
    if (state.territory !== id) return;
    state.territoryFeature = feature;
    const layer = L.geoJSON(feature, {
      renderer: selectionRenderer,
      pane: 'selection',
      interactive: false,
      style: { className: 'contour-territoire', color: '#b3541e', weight: 3, fill: false, dashArray: '8 6' },
    }).addTo(territoryLayer);
    if (opts && opts.fit && layer.getBounds().isValid()) map.fitBounds(layer.getBounds(), { padding: [20, 20] });
    const p = feature.properties || {};
    const pop = p.population ? `, ${intFormat.format(p.population)} habitants` : '';
    const unknown = (p.communes_inconnues || []).length
      ? ` (${plural(p.communes_inconnues.length, 'commune inconnue', 'communes inconnues')})`
      : '';
    status(`Territoire : ${p.nom || id} – ${plural((p.communes || []).length, 'commune', 'communes')}${pop}${unknown}`);
  } catch (e) {
    fail(e);
  }
}

// Layers, kinds and territory in the URL.
urlstate.register({
  name: 'couches',
  order: 20,
  write(set) {
    const same =
      state.layers.size === DEFAULT_LAYERS.length && DEFAULT_LAYERS.every((id) => state.layers.has(id));
    if (!same) set('s', LAYERS.filter((l) => state.layers.has(l.id)).map((l) => l.id).join(',') || 'aucun');
    if (state.kindFilter.size) set('k', [...state.kindFilter].join(','));
    if (state.territory) set('t', state.territory);
  },
  async apply(h) {
    state.layers = new Set(h.s ? h.s.split(',').filter((s) => LAYER_BY_ID.has(s)) : DEFAULT_LAYERS);
    applyLayerVisibility();
    state.kindFilter = new Set(h.k ? h.k.split(',').filter(Boolean) : []);
    buildKindControls();
    updateCounts();
    if ((h.t || '') !== state.territory) await setTerritory(h.t || '', { fit: !(h.c && h.z) });
  },
});

