// maillage: the map page of a CPTS coordinator, started here.
//
// Native ES modules, no build step, no CDN: Leaflet and Leaflet.markercluster are vendored
// (vendor/) and loaded first as classic scripts (global `L`). Each module has one job:
//   util.js      DOM building, French formats, elision, downloads
//   api.js       requests to the HTTP API (docs/api.md)
//   messages.js  messages next to the control that caused them
//   state.js     what is on screen (layers, kinds, selection, result) and the hooks
//   urlstate.js  the page's state in the URL (shared with orientation and diagnostic)
//   map.js       the Leaflet map, the side panel, the tool mode
//   layers.js    communes (names, cards), actors in view, layer/kind/territory controls
//   search.js    the search box and the highlighted commune
//   fiche.js     the actor card
//   tools.js     « Autour d'un point », « Dans une zone » and the result list
//   exports.js   CSV, GeoJSON, PNG and the link of the view
//   isochrone.js « Autour d'un point : 15 min en voiture (Valhalla) » (with « servir --routage »)
// The other parts of the page (orientation.js, diagnostic.js, partners.js) import what they
// need from these modules.
import { $ } from './util.js';
import { api, request } from './api.js';
import { fail } from './messages.js';
import { state } from './state.js';
import { map, FRANCE } from './map.js';
import * as urlstate from './urlstate.js';
import {
  addTiles,
  buildLayerControls,
  buildTerritorySelect,
  loadActors,
  loadCommunes,
} from './layers.js';
import './search.js';
import { openActor, closeActor } from './fiche.js';
import './tools.js';
import './exports.js';
import './isochrone.js';

let resolveLoaded;
/** Resolved when the page's data (config, kinds, territories) is loaded, before the URL is applied. */
export const loaded = new Promise((r) => (resolveLoaded = r));

// The map view in the URL (first applied).
urlstate.register({
  name: 'carte',
  order: 10,
  write(set) {
    if (!map._loaded) return;
    const c = map.getCenter();
    set('c', `${c.lat.toFixed(5)},${c.lng.toFixed(5)}`);
    set('z', String(map.getZoom()));
  },
  apply(h) {
    if (!h.c || !h.z) return;
    const [lat, lon] = h.c.split(',').map(Number);
    const z = Number(h.z);
    if (Number.isFinite(lat) && Number.isFinite(lon) && Number.isFinite(z)) map.setView([lat, lon], z, { animate: false });
  },
});

function fitExtent(config) {
  const e = config.emprise;
  if (Array.isArray(e) && e.length === 4) {
    map.fitBounds(
      [
        [e[1], e[0]],
        [e[3], e[2]],
      ],
      { padding: [10, 10] }
    );
  } else {
    map.fitBounds(FRANCE);
  }
}

async function start() {
  buildLayerControls();
  let config = { tuiles: null, attribution: '', titre: 'maillage', emprise: null };
  try {
    const [cfg, health, kinds, territories] = await Promise.all([
      api('api/config'),
      api('api/health').catch(() => null),
      api('api/kinds'),
      api('api/territories').catch(() => []),
    ]);
    config = cfg;
    state.health = health;
    state.kinds = kinds;
    state.territories = territories;
  } catch (e) {
    fail(e);
  }
  state.config = config;
  state.kindById = new Map(state.kinds.map((k) => [k.id, k]));
  if (config.titre) {
    $('titre').textContent = config.titre;
    document.title = `${config.titre} – maillage`;
  }
  buildTerritorySelect();
  addTiles(config);
  resolveLoaded();
  // Every module of the page has registered its part of the URL by then.
  if (document.readyState === 'loading') {
    await new Promise((r) => document.addEventListener('DOMContentLoaded', r, { once: true }));
  }
  await urlstate.restore();
  if (!map._loaded) fitExtent(config);
  urlstate.markReady();
  await loadCommunes();
  await loadActors();
  document.body.classList.add('carte-prete');
}

window.addEventListener('hashchange', async () => {
  await urlstate.restore();
  await loadActors();
  urlstate.save();
});

/** Reloads what shows actors after the data changed (markers, result list, open card). */
export async function refreshData() {
  await loadActors({ force: true });
  if (state.results && state.results.rerun) await state.results.rerun();
  if (state.selected && state.selected.properties) {
    const id = state.selected.properties.id;
    const r = await request('api/actors/' + encodeURIComponent(id));
    if (r.ok) openActor(r.body, {});
    else closeActor();
  }
}

/** Resolved when the page is ready (data loaded, URL applied, first actors shown). */
export const ready = start().catch((e) => fail(e));

