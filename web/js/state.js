// What the page shows, shared by its modules: the loaded kinds and territories, the layers
// and kinds on screen, the selected commune, actor and tool result, and the hooks through
// which the other parts of the page (orientation, diagnostic, partners) follow the actor card
// and map clicks.

/** Layers of actors: one per sector, and the town halls and CCAS apart (off by default). */
export const LAYERS = [
  { id: 'sanitaire', label: 'Sanitaire', color: '#1d5fa6' },
  { id: 'medico-social', label: 'Médico-social', color: '#8a3a99' },
  { id: 'social', label: 'Social', color: '#2b7a30' },
  { id: 'mairies', label: 'Mairies et CCAS', color: '#57534e', kinds: ['mairie', 'ccas'], off: true },
];
export const LAYER_BY_ID = new Map(LAYERS.map((l) => [l.id, l]));
/** The sectors of the data (the first three layers), for labels. */
export const SECTORS = LAYERS.filter((l) => !l.kinds);
export const SECTOR_BY_ID = new Map(SECTORS.map((s) => [s.id, s]));
const COMMUNAL_KINDS = new Set(LAYER_BY_ID.get('mairies').kinds);

export const DEFAULT_LAYERS = LAYERS.filter((l) => !l.off).map((l) => l.id);

export const state = {
  config: null,
  health: null,
  kinds: [],
  kindById: new Map(),
  territories: [],
  layers: new Set(DEFAULT_LAYERS),
  kindFilter: new Set(),
  territory: '',
  territoryFeature: null,
  commune: null, // Feature of the highlighted commune
  searchPoint: null, // {lat, lon, label} of the last chosen search result
  selected: null, // Feature of the actor shown in the card
  ficheOpener: null,
  radius: null, // {lat, lon, km, label}
  results: null, // {title, tool, features, distance: bool, total, rerun}
  viewTotal: 0,
  viewShown: 0,
};

// Extension points for the other parts of the page: called when the actor card opens or
// closes, and before the map's own click handling (a hook returning true consumes the click).
export const hooks = { actorOpened: [], actorClosed: [], mapClick: null };

/** Called after the layers or kinds on screen changed (tool results follow them). */
export const filterListeners = [];
export function filtersChanged() {
  for (const f of filterListeners) f();
}

export function kindLabel(id) {
  const k = state.kindById.get(id);
  return k ? k.libelle : id;
}

/** The layer an actor of this kind (and sector) is drawn in. */
export function layerOf(kind, sector) {
  if (COMMUNAL_KINDS.has(kind)) return 'mairies';
  return SECTOR_BY_ID.has(sector) ? sector : 'social';
}

export function layerOfKind(id) {
  const k = state.kindById.get(id);
  return layerOf(id, k && k.secteur);
}

/** The kind ids to query, or null for "every kind". */
export function effectiveKinds() {
  const chosen = state.kindFilter.size ? [...state.kindFilter] : null;
  if (LAYERS.every((l) => state.layers.has(l.id))) return chosen;
  const base = chosen || state.kinds.map((k) => k.id);
  return base.filter((id) => state.kindById.has(id) && state.layers.has(layerOfKind(id)));
}

/** Sets `kind` on the query; false when no kind at all is shown (nothing to ask). */
export function kindsParam(params) {
  const kinds = effectiveKinds();
  if (kinds === null) return true;
  if (kinds.length === 0) return false;
  params.set('kind', kinds.join(','));
  return true;
}

/** Whether an actor feature passes the layers and kinds on screen. */
export function shownOnScreen(feature) {
  const p = (feature && feature.properties) || {};
  if (state.kindFilter.size && !state.kindFilter.has(p.type)) return false;
  return state.layers.has(layerOf(p.type, p.secteur));
}

/** The filters on screen in words (empty when everything is shown), for titles and exports. */
export function filterDescription() {
  const parts = [];
  if (state.kindFilter.size) parts.push('types : ' + [...state.kindFilter].map(kindLabel).join(', '));
  const defaults = new Set(DEFAULT_LAYERS);
  const same = state.layers.size === defaults.size && [...state.layers].every((l) => defaults.has(l));
  if (!same) {
    const shown = LAYERS.filter((l) => state.layers.has(l.id)).map((l) => l.label.toLowerCase());
    parts.push('couches : ' + (shown.join(', ') || 'aucune'));
  } else if (!state.kindFilter.size) {
    parts.push('sans les mairies et CCAS');
  }
  return parts.join(' ; ');
}
