// « Autour d'un point : 15 min en voiture (Valhalla) » (the server's words): the area reachable by road from the chosen
// centre (GET /api/isochrone), shown when the server has a routing engine (servir --routage).
import { $, formatMinutes } from './util.js';
import { api } from './api.js';
import { status, fail } from './messages.js';
import { state } from './state.js';
import { map } from './map.js';

const MINUTES = 15;
const layer = L.layerGroup().addTo(map);

async function showIsochrone() {
  if (!state.radius) {
    status("Choisissez d'abord un centre : clic sur la carte, centre de la carte ou commune recherchée.", true);
    return;
  }
  const { lat, lon, label } = state.radius;
  const params = new URLSearchParams({ lat: lat.toFixed(6), lon: lon.toFixed(6), minutes: String(MINUTES) });
  try {
    const fc = await api(`api/isochrone?${params}`);
    layer.clearLayers();
    const shape = L.geoJSON(fc, {
      interactive: false,
      className: 'isochrone',
      style: { color: '#8c3b0f', weight: 2, fillColor: '#8c3b0f', fillOpacity: 0.08 },
    }).addTo(layer);
    // The polygon says its minutes as the server words them (`libelle` of the answer).
    const minutes = fc.libelle;
    shape.bindTooltip(minutes, { permanent: true, direction: 'center', className: 'isochrone-etiquette' });
    const b = shape.getBounds();
    if (b.isValid()) map.fitBounds(b, { padding: [20, 20] });
    status(`Autour d'un point : ${minutes} depuis ${label} — ${fc.modele_trajet}.`);
  } catch (e) {
    fail(e);
  }
}

api('api/config')
  .then((cfg) => {
    const button = $('rayon-isochrone');
    if (!button || !cfg.routage) return;
    button.hidden = false;
    button.textContent = formatMinutes(MINUTES, cfg.minutes_libelle);
    button.title = `Zone atteignable en ${button.textContent} — ${cfg.modele_trajet}`;
    button.addEventListener('click', showIsochrone);
  })
  .catch(() => {});
