// The Leaflet map, its panes and renderers, the side panel (collapsible on narrow screens)
// and the tool mode: while a tool (« Autour d'un point », zone drawing, a partner's place)
// waits for a click, every click on the map belongs to it (markers, clusters and commune
// outlines let clicks through).
import { $ } from './util.js';

export const FRANCE = [
  [41.3, -5.2],
  [51.1, 9.6],
];

export const map = L.map('carte', {
  zoomControl: false,
  keyboard: true,
  minZoom: 4,
  maxZoom: 19,
  zoomSnap: 0.5,
});
L.control.zoom({ position: 'topleft', zoomInTitle: 'Zoomer', zoomOutTitle: 'Dézoomer' }).addTo(map);
export const scale = L.control.scale({ imperial: false, position: 'bottomleft' }).addTo(map);
map.attributionControl.setPrefix(
  '<a href="https://leafletjs.com" target="_blank" rel="noopener noreferrer">Leaflet</a>'
);

map.createPane('contours').style.zIndex = 350;
// Commune names: above outlines, below shapes and markers; never catch the mouse.
map.createPane('noms').style.zIndex = 380;
map.getPane('noms').style.pointerEvents = 'none';
// Above outlines and shapes, below markers.
map.createPane('selection').style.zIndex = 450;
map.getPane('selection').style.pointerEvents = 'none';
export const outlineRenderer = L.svg({ pane: 'contours', padding: 0.5 });
export const selectionRenderer = L.svg({ pane: 'selection' });

map.on('movestart', () => document.body.classList.add('carte-en-mouvement'));
map.on('moveend', () => document.body.classList.remove('carte-en-mouvement'));

// ---------------------------------------------------------------------------------------
// Tool mode
// ---------------------------------------------------------------------------------------

const toolModes = new Set();

/** Turns a tool mode on or off (`name`: 'rayon', 'dessin', 'partenaire'…). */
export function setToolMode(name, on) {
  if (on) toolModes.add(name);
  else toolModes.delete(name);
  document.body.classList.toggle('mode-outil', toolModes.size > 0);
  map.getContainer().classList.toggle('mode-dessin', toolModes.size > 0);
}

export function inToolMode() {
  return toolModes.size > 0;
}

// ---------------------------------------------------------------------------------------
// Side panel
// ---------------------------------------------------------------------------------------

const NARROW = window.matchMedia('(max-width: 1024px)');

export function isNarrow() {
  return NARROW.matches;
}

export function setPanelOpen(open) {
  document.body.classList.toggle('panneau-replie', !open);
  $('basculer-panneau').setAttribute('aria-expanded', open ? 'true' : 'false');
  setTimeout(() => map.invalidateSize(), 260);
}

export function openPanel() {
  if (document.body.classList.contains('panneau-replie')) setPanelOpen(true);
}

/**
 * Shows something drawn over the map (the actor card, the diagnostic): on a narrow screen the
 * panel, which covers the map, is closed first so that it is not hidden behind it.
 */
export function revealOverMap(node) {
  if (isNarrow()) setPanelOpen(false);
  if (node) node.hidden = false;
}

/** Scrolls the side panel (and nothing else) so that `node` is at its top. */
export function scrollPanelTo(node) {
  const panel = $('panneau');
  panel.scrollTop += node.getBoundingClientRect().top - panel.getBoundingClientRect().top - 8;
}

$('basculer-panneau').addEventListener('click', () => {
  const open = document.body.classList.contains('panneau-replie');
  setPanelOpen(open);
  if (open) $('panneau').focus();
});
if (isNarrow()) setPanelOpen(false);

// The page itself never scrolls (only the panel and lists do); undo any focus-induced scroll.
window.addEventListener('scroll', () => {
  if (window.scrollX || window.scrollY) window.scrollTo(0, 0);
});

export function bboxParam(bounds) {
  const f = (x) => x.toFixed(5);
  return [
    f(Math.max(-180, bounds.getWest())),
    f(Math.max(-90, bounds.getSouth())),
    f(Math.min(180, bounds.getEast())),
    f(Math.min(90, bounds.getNorth())),
  ].join(',');
}

export function latLngOf(feature) {
  if (!feature || !feature.geometry || feature.geometry.type !== 'Point') return null;
  const [lon, lat] = feature.geometry.coordinates;
  return L.latLng(lat, lon);
}
