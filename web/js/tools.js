// The tools of the panel: « Autour d'un point » (radius, nearest), « Dans une zone » (drawn
// polygon, commune, territory) and the result list they fill. A result always follows the
// layers and kinds on screen: when they change, the tool runs again. In a tool mode every
// click on the map belongs to the tool (see map.js).
import { $, el, intFormat, plural, formatKm, debounce } from './util.js';
import { api, de } from './api.js';
import { status, fail } from './messages.js';
import { state, hooks, SECTOR_BY_ID, kindLabel, kindsParam, filterDescription, filterListeners } from './state.js';
import { map, latLngOf, setToolMode, openPanel, scrollPanelTo } from './map.js';
import * as urlstate from './urlstate.js';
import { openActor } from './fiche.js';
import { selectCommune } from './search.js';

// Rows fetched for a commune or territory listing.
const LIST_LIMIT = 10000;
// Rows rendered in the result list (exports always contain every row).
const LIST_RENDER_MAX = 1000;

const radiusLayer = L.layerGroup().addTo(map);
const drawLayer = L.layerGroup().addTo(map);

// ---------------------------------------------------------------------------------------
// Around a point (radius search)
// ---------------------------------------------------------------------------------------

function radiusKm() {
  const v = Math.round(Number($('rayon-km').value));
  return Math.min(50, Math.max(1, Number.isFinite(v) && v > 0 ? v : 5));
}

function setRadiusKm(km) {
  $('rayon-km').value = String(km);
  $('rayon-curseur').value = String(km);
}

function setRadiusCenter(lat, lon, label) {
  state.radius = { lat, lon, km: radiusKm(), label: label || 'point choisi' };
  $('rayon-centre').textContent = `Centre : ${state.radius.label} (${lat.toFixed(4).replace('.', ',')} ; ${lon
    .toFixed(4)
    .replace('.', ',')})`;
  drawRadius();
  // The link carries the centre at once, before any answer arrives.
  urlstate.save();
}

function drawRadius() {
  radiusLayer.clearLayers();
  if (!state.radius) return null;
  const center = L.latLng(state.radius.lat, state.radius.lon);
  const circle = L.circle(center, {
    radius: state.radius.km * 1000,
    interactive: false,
    className: 'cercle-rayon',
    color: '#0f5f8c',
    weight: 2,
    fillColor: '#0f5f8c',
    fillOpacity: 0.06,
  }).addTo(radiusLayer);
  L.circleMarker(center, {
    radius: 5,
    interactive: false,
    className: 'centre-rayon',
    color: '#ffffff',
    weight: 2,
    fillColor: '#0f5f8c',
    fillOpacity: 1,
  }).addTo(radiusLayer);
  return circle;
}

async function runRadius(nearest, opts) {
  const fit = !opts || opts.fit !== false;
  if (!state.radius) {
    status("Choisissez d'abord un centre : clic sur la carte, centre de la carte ou commune recherchée.", true);
    return;
  }
  state.radius.km = radiusKm();
  const circle = drawRadius();
  const { lat, lon, km, label } = state.radius;
  const params = new URLSearchParams({ lat: lat.toFixed(6), lon: lon.toFixed(6) });
  let title;
  let ofLabel;
  try {
    ofLabel = await de(label);
  } catch (e) {
    fail(e);
    return;
  }
  if (nearest) {
    params.set('k', '10');
    title = `les plus proches ${ofLabel}`;
  } else {
    params.set('radius_m', String(km * 1000));
    title = `à moins de ${km}\u00a0km ${ofLabel}`;
    if (circle && fit) map.fitBounds(circle.getBounds(), { padding: [20, 20] });
  }
  const tool = nearest ? 'proches' : 'rayon';
  const rerun = () => runRadius(nearest, { fit: false });
  if (!kindsParam(params)) {
    showResults({ title, tool, features: [], distance: true, rerun });
    return;
  }
  try {
    const source = { path: `api/${nearest ? 'nearest' : 'within'}?${params}` };
    const fc = await api(source.path);
    // A radius answer is a page (the nearest 1 000): `total` says how many there are.
    showResults({ title, tool, features: fc.features || [], distance: true, total: fc.total, reveal: !!(opts && opts.reveal), rerun, source });
  } catch (e) {
    fail(e);
  }
}
const runRadiusSoon = debounce(() => runRadius(false), 350);

/** « Chercher autour » of the actor card. */
export function aroundActor(ll, name) {
  $('bloc-rayon').open = true;
  setRadiusCenter(ll.lat, ll.lng, name);
  runRadius(false);
}

function onRadiusInput(source) {
  const v = Number(source.value);
  if (!Number.isFinite(v) || v < 1 || v > 50) return;
  setRadiusKm(Math.round(v));
  if (state.radius) {
    state.radius.km = radiusKm();
    drawRadius();
    runRadiusSoon();
  }
}
$('rayon-curseur').addEventListener('input', () => onRadiusInput($('rayon-curseur')));
$('rayon-km').addEventListener('input', () => onRadiusInput($('rayon-km')));
$('rayon-km').addEventListener('change', () => {
  if ($('rayon-km').value !== '') setRadiusKm(radiusKm());
});
$('rayon-km').addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter') {
    ev.preventDefault();
    setRadiusKm(radiusKm());
    runRadius(false);
  }
});
$('rayon-lancer').addEventListener('click', () => runRadius(false, { reveal: true }));
$('rayon-proches').addEventListener('click', () => runRadius(true, { reveal: true }));
$('rayon-centre-carte').addEventListener('click', () => {
  const c = map.getCenter();
  setRadiusCenter(c.lat, c.lng, 'centre de la carte');
  runRadius(false, { reveal: true });
});
$('rayon-recherche').addEventListener('click', () => {
  if (!state.searchPoint) return;
  setRadiusCenter(state.searchPoint.lat, state.searchPoint.lon, state.searchPoint.label);
  runRadius(false, { reveal: true });
});
$('rayon-effacer').addEventListener('click', () => {
  state.radius = null;
  radiusLayer.clearLayers();
  $('rayon-centre').textContent = 'Aucun centre choisi.';
  if (state.results && (state.results.tool === 'rayon' || state.results.tool === 'proches')) clearResults();
  urlstate.save();
});
// While « Autour d'un point » is open, a click on the map chooses the centre.
$('bloc-rayon').addEventListener('toggle', () => setToolMode('rayon', $('bloc-rayon').open));

// ---------------------------------------------------------------------------------------
// Drawn polygon, commune and territory listings
// ---------------------------------------------------------------------------------------

const draw = { active: false, points: [], polygon: null };

/** The drawn zone (closed polygon) as a GeoJSON geometry, or null. */
export function drawnZone() {
  return draw.polygon ? draw.polygon.toGeoJSON().geometry : null;
}

function setMapMode(text) {
  const node = $('carte-mode');
  node.textContent = text || '';
  node.hidden = !text;
}

function redrawDraft() {
  drawLayer.clearLayers();
  if (draw.polygon) drawLayer.addLayer(draw.polygon);
  if (!draw.active) return;
  if (draw.points.length > 1) {
    L.polyline(draw.points, {
      interactive: false,
      className: 'zone-brouillon',
      color: '#7c2d12',
      weight: 2,
      dashArray: '6 4',
    }).addTo(drawLayer);
  }
  for (const pt of draw.points) {
    L.circleMarker(pt, {
      radius: 4,
      interactive: false,
      className: 'zone-sommet',
      color: '#7c2d12',
      weight: 2,
      fillColor: '#ffffff',
      fillOpacity: 1,
    }).addTo(drawLayer);
  }
  $('zone-terminer').disabled = draw.points.length < 3;
}

function startDraw() {
  draw.active = true;
  draw.points = [];
  draw.polygon = null;
  map.doubleClickZoom.disable();
  setToolMode('dessin', true);
  $('zone-dessiner').setAttribute('aria-pressed', 'true');
  $('zone-annuler').disabled = false;
  $('zone-terminer').disabled = true;
  setMapMode('Dessin : cliquez pour ajouter des sommets ; double-clic ou « Terminer » pour fermer ; Échap pour annuler.');
  redrawDraft();
}

function stopDraw() {
  draw.active = false;
  map.doubleClickZoom.enable();
  setToolMode('dessin', false);
  $('zone-dessiner').setAttribute('aria-pressed', 'false');
  $('zone-annuler').disabled = true;
  $('zone-terminer').disabled = true;
  setMapMode('');
  redrawDraft();
}

function addVertex(latlng) {
  const last = draw.points[draw.points.length - 1];
  if (last && map.latLngToContainerPoint(last).distanceTo(map.latLngToContainerPoint(latlng)) < 6) return;
  draw.points.push(latlng);
  redrawDraft();
}

function setPolygon(points) {
  draw.polygon = L.polygon(points, {
    interactive: false,
    className: 'zone-dessinee',
    color: '#7c2d12',
    weight: 2,
    fillColor: '#ea580c',
    fillOpacity: 0.1,
  });
  redrawDraft();
}

async function finishDraw() {
  if (draw.points.length < 3) {
    status('Une zone a besoin d’au moins trois sommets.', true, $('zone-terminer'));
    return;
  }
  const points = draw.points.slice();
  setPolygon(points);
  stopDraw();
  await listZone();
}

async function listZone(opts) {
  const geometry = drawnZone();
  if (!geometry) return;
  const title = 'dans la zone dessinée';
  const params = new URLSearchParams();
  const rerun = () => listZone({ quiet: true });
  if (!kindsParam(params)) {
    showResults({ title, tool: 'zone', features: [], distance: false, rerun });
    return;
  }
  try {
    const source = {
      path: 'api/within?' + params,
      options: { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(geometry) },
    };
    const fc = await api(source.path, source.options);
    showResults({ title, tool: 'zone', features: fc.features || [], distance: false, total: fc.total, reveal: !(opts && opts.quiet), rerun, source });
  } catch (e) {
    fail(e);
  }
}

async function listActors(extra, title, tool, opts) {
  const params = new URLSearchParams(extra);
  params.set('limit', String(LIST_LIMIT));
  const rerun = () => listActors(extra, title, tool, { quiet: true });
  if (!kindsParam(params)) {
    showResults({ title, tool, features: [], distance: false, rerun });
    return;
  }
  try {
    const source = { path: 'api/actors?' + params };
    const fc = await api(source.path);
    showResults({
      title,
      tool,
      features: fc.features || [],
      distance: false,
      total: fc.total,
      reveal: !(opts && opts.quiet),
      rerun,
      source,
    });
  } catch (e) {
    fail(e);
  }
}

async function listCommune(code, name, opts) {
  let title;
  try {
    title = `dans la commune ${await de(name || code)}`;
  } catch (e) {
    fail(e);
    return;
  }
  return listActors({ commune: code }, title, 'commune', opts);
}

function listTerritory() {
  if (!state.territory) return Promise.resolve();
  const t = state.territories.find((x) => String(x.id) === String(state.territory));
  return listActors({ territory: state.territory }, `dans le territoire ${t ? t.nom : state.territory}`, 'territoire');
}

$('zone-dessiner').addEventListener('click', () => (draw.active ? stopDraw() : startDraw()));
$('zone-terminer').addEventListener('click', finishDraw);
$('zone-annuler').addEventListener('click', () => {
  draw.points = [];
  stopDraw();
  status('Dessin annulé.');
});
$('zone-commune').addEventListener('click', () => {
  if (!state.commune) return;
  const p = state.commune.properties || {};
  listCommune(p.code, p.nom);
});
$('zone-territoire').addEventListener('click', listTerritory);
// « Acteurs de … » from a commune's card on the map.
document.addEventListener('maillage:lister-commune', async (ev) => {
  try {
    await selectCommune(ev.detail.code, {});
  } catch (e) {
    fail(e);
    return;
  }
  $('bloc-zone').open = true;
  listCommune(ev.detail.code, ev.detail.nom);
});

map.on('click', (ev) => {
  if (hooks.mapClick && hooks.mapClick(ev)) return;
  if (draw.active) {
    addVertex(ev.latlng);
  } else if ($('bloc-rayon').open) {
    setRadiusCenter(ev.latlng.lat, ev.latlng.lng, 'point choisi sur la carte');
    runRadius(false);
  }
});
map.on('dblclick', (ev) => {
  if (!draw.active) return;
  addVertex(ev.latlng);
  finishDraw();
});

document.addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape' && draw.active) {
    draw.points = [];
    stopDraw();
    status('Dessin annulé.');
  } else if (ev.key === 'Backspace' && draw.active && draw.points.length && ev.target === map.getContainer()) {
    draw.points.pop();
    redrawDraft();
  }
});

// ---------------------------------------------------------------------------------------
// Result list
// ---------------------------------------------------------------------------------------

/**
 * Shows a tool's result. `r`: {title (what the tool did), tool, features, distance, total,
 * rerun (asks again with the filters on screen), reveal, source (the request that answered:
 * {path, options}, asked again with `format=gpkg` for the GeoPackage)}. The filters that made it are
 * recorded with it (exports name them).
 */
export function showResults(r) {
  r.filters = filterDescription();
  state.results = r;
  const section = $('resultats');
  section.hidden = false;
  const n = r.features.length;
  let summary = `${plural(n, 'acteur', 'acteurs')} ${r.title}`;
  if (r.filters) summary += ` (${r.filters})`;
  if (typeof r.total === 'number' && r.total > n) {
    summary += ` – ${intFormat.format(n)} premiers sur ${intFormat.format(r.total)}`;
  }
  $('resultats-resume').textContent = summary + '.';
  const list = $('resultats-liste');
  list.textContent = '';
  r.features.slice(0, LIST_RENDER_MAX).forEach((f, i) => {
    const p = f.properties || {};
    const sector = SECTOR_BY_ID.has(p.secteur) ? p.secteur : 'autre';
    const button = el(
      'button',
      { type: 'button', class: 'resultat', 'data-index': i, 'data-id': p.id },
      el('span', { class: `pastille pastille-${sector}`, 'aria-hidden': 'true' }),
      el(
        'span',
        { class: 'resultat-texte' },
        el('span', { class: 'resultat-nom', text: p.nom || 'Acteur sans nom' }),
        el('span', {
          class: 'resultat-type',
          text: [p.type_libelle || kindLabel(p.type), p.commune_nom || p.ville].filter(Boolean).join(' · '),
        })
      ),
      typeof p.distance_m === 'number' ? el('span', { class: 'resultat-distance', text: formatKm(p.distance_m) }) : null
    );
    button.addEventListener('click', () => {
      const ll = latLngOf(f);
      if (ll) map.setView(ll, Math.max(map.getZoom(), 15));
      openActor(f, { focus: true, opener: button });
    });
    list.append(el('li', {}, button));
  });
  const more = $('resultats-suite');
  more.hidden = n <= LIST_RENDER_MAX;
  more.textContent =
    n > LIST_RENDER_MAX
      ? `Seuls les ${intFormat.format(LIST_RENDER_MAX)} premiers sont listés ; les exports contiennent les ${intFormat.format(n)}.`
      : '';
  $('export-csv').disabled = n === 0;
  $('export-geojson').disabled = n === 0;
  $('export-gpkg').disabled = n === 0 || !r.source;
  urlstate.save();
  if (r.reveal) {
    openPanel();
    scrollPanelTo(section);
    status(summary + '.', false, $('resultats-resume'));
  }
}

function clearResults() {
  state.results = null;
  $('resultats').hidden = true;
  $('resultats-liste').textContent = '';
  urlstate.save();
}

$('resultats-effacer').addEventListener('click', () => {
  const tool = state.results && state.results.tool;
  clearResults();
  if (tool === 'zone') {
    draw.polygon = null;
    redrawDraft();
    urlstate.save();
  }
});

// The result follows the layers and kinds on screen.
filterListeners.push(() => {
  if (state.results && state.results.rerun && !urlstate.isRestoring()) state.results.rerun();
});

// ---------------------------------------------------------------------------------------
// In the URL: the radius, the drawn zone and which tool made the result
// ---------------------------------------------------------------------------------------

const num = (x) => Number(x.toFixed(5));

urlstate.register({
  name: 'outils',
  order: 60,
  write(set) {
    if (state.radius) {
      set('r', `${num(state.radius.lat)},${num(state.radius.lon)},${state.radius.km}`);
      set('rn', state.radius.label);
    }
    const zone = drawnZone();
    if (zone) set('zp', zone.coordinates[0].slice(0, -1).map(([lon, lat]) => `${num(lat)},${num(lon)}`).join(';'));
    if (state.results && state.results.tool) set('o', state.results.tool);
  },
  async apply(h) {
    const viewSet = !!(h.c && h.z);
    if (h.zp) {
      const points = h.zp
        .split(';')
        .map((pair) => pair.split(',').map(Number))
        .filter((p) => p.length === 2 && p.every(Number.isFinite))
        .map(([lat, lon]) => L.latLng(lat, lon));
      if (points.length >= 3) {
        setPolygon(points);
        $('bloc-zone').open = true;
      }
    } else if (draw.polygon) {
      draw.polygon = null;
      redrawDraft();
    }
    if (h.r) {
      const [lat, lon, km] = h.r.split(',').map(Number);
      if ([lat, lon, km].every(Number.isFinite)) {
        setRadiusKm(Math.min(50, Math.max(1, Math.round(km))));
        $('bloc-rayon').open = true;
        setRadiusCenter(lat, lon, h.rn || 'point partagé');
      }
    }
    const tool = h.o || (h.r ? 'rayon' : '');
    if (tool === 'rayon' && state.radius) await runRadius(false, { fit: !viewSet });
    else if (tool === 'proches' && state.radius) await runRadius(true, { fit: false });
    else if (tool === 'zone' && draw.polygon) await listZone({ quiet: true });
    else if (tool === 'commune' && state.commune) {
      const p = state.commune.properties || {};
      await listCommune(p.code, p.nom, { quiet: true });
    } else if (tool === 'territoire' && state.territory) await listTerritory();
  },
});
