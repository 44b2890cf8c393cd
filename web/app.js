// maillage: the map page of a CPTS coordinator.
//
// Everything talks to the HTTP API described in docs/api.md. User-facing texts are French;
// identifiers and comments are English. No inline script or style: this file is loaded with
// `defer` after Leaflet and Leaflet.markercluster (vendored under vendor/).
'use strict';

(function () {
  // ---------------------------------------------------------------------------------------
  // Constants and small helpers
  // ---------------------------------------------------------------------------------------

  const SECTORS = [
    { id: 'sanitaire', label: 'Sanitaire', color: '#1d5fa6' },
    { id: 'medico-social', label: 'Médico-social', color: '#8a3a99' },
    { id: 'social', label: 'Social', color: '#2b7a30' },
  ];
  const SECTOR_BY_ID = new Map(SECTORS.map((s) => [s.id, s]));
  const CATEGORY_LABELS = {
    acteur: 'Acteur',
    commune: 'Commune',
    type: 'Type',
    territoire: 'Territoire',
  };
  const PRECISION_LABELS = {
    adresse: "à l'adresse",
    rue: 'à la rue',
    commune: 'au centre de la commune',
    inconnue: 'inconnue',
  };
  // Markers fetched per view; the server counts the rest (`total`).
  const ACTOR_LIMIT = 5000;
  // Rows fetched for a commune or territory listing.
  const LIST_LIMIT = 10000;
  // Rows rendered in the result list (exports always contain every row).
  const LIST_RENDER_MAX = 1000;
  // Above this many communes, outlines are loaded per view and only when zoomed in.
  const COMMUNES_ALL_AT_ONCE = 3000;
  const COMMUNES_MIN_ZOOM = 9;
  const FRANCE = [
    [41.3, -5.2],
    [51.1, 9.6],
  ];

  const kmFormat = new Intl.NumberFormat('fr-FR', {
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  });
  const intFormat = new Intl.NumberFormat('fr-FR');

  const $ = (id) => document.getElementById(id);

  /** Creates an element: el('a', {href: '…', class: 'x'}, 'text', child…). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : String(c));
    }
    return node;
  }

  function formatKm(meters) {
    return kmFormat.format(meters / 1000) + '\u00a0km';
  }

  function plural(n, one, many) {
    return intFormat.format(n) + '\u00a0' + (n > 1 ? many : one);
  }

  function formatDate(value) {
    if (!value) return '';
    const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(value));
    return m ? `${m[3]}/${m[2]}/${m[1]}` : String(value);
  }

  /** Folds case and accents for client-side filtering. */
  function fold(s) {
    return String(s || '')
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase();
  }

  function debounce(fn, ms) {
    let timer = null;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), ms);
    };
  }

  function bboxParam(bounds) {
    const f = (x) => x.toFixed(5);
    return [
      f(Math.max(-180, bounds.getWest())),
      f(Math.max(-90, bounds.getSouth())),
      f(Math.min(180, bounds.getEast())),
      f(Math.min(90, bounds.getNorth())),
    ].join(',');
  }

  function latLngOf(feature) {
    if (!feature || !feature.geometry || feature.geometry.type !== 'Point') return null;
    const [lon, lat] = feature.geometry.coordinates;
    return L.latLng(lat, lon);
  }

  function kindLabel(id) {
    const k = state.kindById.get(id);
    return k ? k.libelle : id;
  }

  // Requests in flight, exposed on <body data-requetes> (lets tests and styles know when idle).
  let pending = 0;
  function trackPending(delta) {
    pending += delta;
    document.body.dataset.requetes = String(pending);
  }

  /** Fetches JSON from the API; throws an Error with the server's French message. */
  async function api(path, options) {
    trackPending(1);
    try {
      return await apiInner(path, options);
    } finally {
      trackPending(-1);
    }
  }

  async function apiInner(path, options) {
    const resp = await fetch(path, options);
    let body = null;
    try {
      body = await resp.json();
    } catch (e) {
      body = null;
    }
    if (!resp.ok) {
      const msg =
        body && body.erreur
          ? body.erreur + (body.detail ? ' : ' + body.detail : '')
          : `Le serveur a répondu par une erreur (${resp.status}).`;
      throw new Error(msg);
    }
    if (body === null) throw new Error('Réponse illisible du serveur.');
    return body;
  }

  /**
   * Like `api`, but never throws on an HTTP error: resolves to {ok, status, etag, body} so that
   * callers can read field errors (400), stale versions (412) and ETags.
   */
  async function request(path, options) {
    trackPending(1);
    try {
      const resp = await fetch(path, options);
      let body = null;
      try {
        body = await resp.json();
      } catch (e) {
        body = null;
      }
      return { ok: resp.ok, status: resp.status, etag: resp.headers.get('ETag'), body };
    } finally {
      trackPending(-1);
    }
  }

  /** The French message of a failed `request`. */
  function errorMessage(r) {
    const b = r.body;
    return b && b.erreur
      ? b.erreur + (b.detail ? ' : ' + b.detail : '')
      : `Le serveur a répondu par une erreur (${r.status}).`;
  }

  // Extension points for the other scripts of the page (diagnostic.js, orientation.js,
  // partners.js): called when the actor panel opens or closes, and before the map's own
  // click handling (a hook returning true consumes the click).
  const hooks = { actorOpened: [], actorClosed: [], mapClick: null };

  let statusTimer = null;
  function status(message, isError) {
    const node = $('statut');
    node.textContent = message || '';
    node.classList.toggle('statut-erreur', !!isError);
    clearTimeout(statusTimer);
    if (message && !isError) statusTimer = setTimeout(() => (node.textContent = ''), 8000);
  }

  function fail(err) {
    if (err && err.name === 'AbortError') return;
    status(err && err.message ? err.message : 'Erreur inattendue.', true);
  }

  // ---------------------------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------------------------

  const state = {
    config: null,
    health: null,
    kinds: [],
    kindById: new Map(),
    territories: [],
    sectors: new Set(SECTORS.map((s) => s.id)),
    kindFilter: new Set(),
    territory: '',
    territoryFeature: null,
    commune: null, // Feature of the highlighted commune
    searchPoint: null, // {lat, lon, label} of the last chosen search result
    selected: null, // Feature of the actor shown in the panel
    ficheOpener: null,
    radius: null, // {lat, lon, km, label}
    results: null, // {title, features, distance: bool, total}
    viewTotal: 0,
    viewShown: 0,
  };

  /** The kind ids to query, or null for "every kind". */
  function effectiveKinds() {
    const chosen = state.kindFilter.size ? [...state.kindFilter] : null;
    if (state.sectors.size === SECTORS.length) return chosen;
    const base = chosen || state.kinds.map((k) => k.id);
    return base.filter((id) => {
      const k = state.kindById.get(id);
      return k && state.sectors.has(k.secteur);
    });
  }

  function kindsParam(params) {
    const kinds = effectiveKinds();
    if (kinds === null) return true;
    if (kinds.length === 0) return false;
    params.set('kind', kinds.join(','));
    return true;
  }

  function filterDescription() {
    const parts = [];
    if (state.kindFilter.size) parts.push('types : ' + [...state.kindFilter].map(kindLabel).join(', '));
    if (state.sectors.size !== SECTORS.length) {
      const shown = SECTORS.filter((s) => state.sectors.has(s.id)).map((s) => s.label.toLowerCase());
      parts.push('secteurs : ' + (shown.join(', ') || 'aucun'));
    }
    return parts.join(' ; ');
  }

  // ---------------------------------------------------------------------------------------
  // Map and layers
  // ---------------------------------------------------------------------------------------

  const map = L.map('carte', {
    zoomControl: false,
    keyboard: true,
    minZoom: 4,
    maxZoom: 19,
    zoomSnap: 0.5,
  });
  L.control.zoom({ position: 'topleft', zoomInTitle: 'Zoomer', zoomOutTitle: 'Dézoomer' }).addTo(map);
  L.control.scale({ imperial: false, position: 'bottomleft' }).addTo(map);
  map.attributionControl.setPrefix(
    '<a href="https://leafletjs.com" target="_blank" rel="noopener noreferrer">Leaflet</a>'
  );

  map.createPane('contours').style.zIndex = 350;
  // Above outlines and shapes, below markers.
  map.createPane('selection').style.zIndex = 450;
  map.getPane('selection').style.pointerEvents = 'none';
  const outlineRenderer = L.svg({ pane: 'contours', padding: 0.5 });
  const selectionRenderer = L.svg({ pane: 'selection' });

  const communeLayer = L.geoJSON(null, {
    pane: 'contours',
    renderer: outlineRenderer,
    interactive: false,
    style: () => ({
      className: 'contour-commune',
      color: '#59616b',
      weight: 1,
      opacity: 0.8,
      fillColor: '#f4f1ea',
      fillOpacity: 0.35,
    }),
  }).addTo(map);
  const highlightLayer = L.layerGroup().addTo(map);
  const territoryLayer = L.layerGroup().addTo(map);
  const radiusLayer = L.layerGroup().addTo(map);
  const drawLayer = L.layerGroup().addTo(map);
  const selectionLayer = L.layerGroup().addTo(map);

  const communeFeatures = new Map(); // code -> Feature (for the PNG export)
  const loadedCommuneBoxes = [];

  const icons = {};
  // Actors placed at their commune's centre (or with an unknown position) look hollow.
  function iconFor(sector, approximate) {
    const key = sector + (approximate ? ':approx' : '');
    if (!icons[key]) {
      icons[key] = L.divIcon({
        className: `marqueur marqueur-${SECTOR_BY_ID.has(sector) ? sector : 'autre'}${approximate ? ' marqueur-approx' : ''}`,
        iconSize: [16, 16],
        iconAnchor: [8, 8],
      });
    }
    return icons[key];
  }

  const clusters = {};
  for (const s of SECTORS) {
    clusters[s.id] = L.markerClusterGroup({
      chunkedLoading: true,
      showCoverageOnHover: false,
      maxClusterRadius: 45,
      spiderfyDistanceMultiplier: 1.4,
      iconCreateFunction: (cluster) => {
        const n = cluster.getChildCount();
        const size = n < 10 ? 30 : n < 100 ? 36 : n < 1000 ? 42 : 48;
        return L.divIcon({
          html: `<span>${n}</span>`,
          className: `grappe grappe-${s.id}`,
          iconSize: [size, size],
        });
      },
    });
    clusters[s.id].on('clusterclick', () => status(''));
    clusters[s.id].addTo(map);
  }
  const markersById = new Map(); // actor id -> L.Marker (with .feature and .sector)

  function makeMarker(feature) {
    const p = feature.properties;
    const sector = SECTOR_BY_ID.has(p.secteur) ? p.secteur : 'social';
    const approximate = p.precision === 'commune' || p.precision === 'inconnue';
    const marker = L.marker(latLngOf(feature), {
      icon: iconFor(sector, approximate),
      title: `${p.nom} – ${p.type_libelle || kindLabel(p.type)}${approximate ? ' (position approximative)' : ''}`,
      keyboard: true,
      riseOnHover: true,
    });
    marker.feature = feature;
    marker.sector = sector;
    marker.on('click', () => openActor(marker.feature, { focus: true }));
    // Markers are focusable buttons: Enter or Space opens the panel too.
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

  // ---------------------------------------------------------------------------------------
  // Background: commune outlines and optional raster tiles
  // ---------------------------------------------------------------------------------------

  function addCommunes(fc) {
    const fresh = (fc.features || []).filter((f) => {
      const code = f.properties && f.properties.code;
      if (!code || communeFeatures.has(code) || !f.geometry) return false;
      communeFeatures.set(code, f);
      return true;
    });
    if (fresh.length) communeLayer.addData({ type: 'FeatureCollection', features: fresh });
  }

  async function loadCommunes() {
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

  function addTiles(config) {
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
  // Actors in view
  // ---------------------------------------------------------------------------------------

  let actorsAbort = null;

  async function loadActors() {
    if (actorsAbort) actorsAbort.abort();
    const ctl = new AbortController();
    actorsAbort = ctl;
    const params = new URLSearchParams();
    params.set('bbox', bboxParam(map.getBounds().pad(0.15)));
    params.set('limit', String(ACTOR_LIMIT));
    if (state.territory) params.set('territory', state.territory);
    let features = [];
    let total = 0;
    if (kindsParam(params)) {
      $('carte-info').textContent = 'Chargement des acteurs…';
      try {
        const fc = await api('api/actors?' + params.toString(), { signal: ctl.signal });
        features = fc.features || [];
        total = typeof fc.total === 'number' ? fc.total : features.length;
      } catch (e) {
        if (e.name === 'AbortError') return;
        $('carte-info').textContent = '';
        fail(e);
        return;
      }
    }
    if (actorsAbort !== ctl) return;
    actorsAbort = null;
    syncMarkers(features);
    state.viewTotal = total;
    state.viewShown = features.filter((f) => f.geometry).length;
    updateCounts();
  }

  function syncMarkers(features) {
    const keep = new Set();
    const add = {};
    const remove = {};
    for (const s of SECTORS) {
      add[s.id] = [];
      remove[s.id] = [];
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
      add[m.sector].push(m);
    }
    for (const [id, m] of markersById) {
      if (!keep.has(id)) {
        remove[m.sector].push(m);
        markersById.delete(id);
      }
    }
    for (const s of SECTORS) {
      if (remove[s.id].length) clusters[s.id].removeLayers(remove[s.id]);
      if (add[s.id].length) clusters[s.id].addLayers(add[s.id]);
    }
  }

  function updateCounts() {
    const bounds = map.getBounds();
    const inView = {};
    for (const s of SECTORS) inView[s.id] = 0;
    for (const m of markersById.values()) {
      if (bounds.contains(m.getLatLng())) inView[m.sector] += 1;
    }
    for (const s of SECTORS) {
      const node = document.querySelector(`[data-compte="${s.id}"]`);
      if (!node) continue;
      const total = state.kinds
        .filter((k) => k.secteur === s.id && (!state.kindFilter.size || state.kindFilter.has(k.id)))
        .reduce((sum, k) => sum + (k.nombre || 0), 0);
      node.textContent = state.sectors.has(s.id)
        ? `${intFormat.format(inView[s.id])} dans la vue / ${intFormat.format(total)}`
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
    writeHash();
  }, 250);

  map.on('movestart', () => document.body.classList.add('carte-en-mouvement'));
  map.on('moveend', () => {
    document.body.classList.remove('carte-en-mouvement');
    updateCounts();
    refreshView();
  });

  // ---------------------------------------------------------------------------------------
  // Layers (sectors), kinds and territory filters
  // ---------------------------------------------------------------------------------------

  function buildSectorControls() {
    const list = $('couches');
    list.textContent = '';
    for (const s of SECTORS) {
      const input = el('input', {
        type: 'checkbox',
        id: `couche-${s.id}`,
        name: 'secteur',
        value: s.id,
      });
      input.checked = state.sectors.has(s.id);
      input.addEventListener('change', () => {
        if (input.checked) state.sectors.add(s.id);
        else state.sectors.delete(s.id);
        applySectorVisibility();
        loadActors();
        writeHash();
      });
      list.append(
        el(
          'li',
          {},
          input,
          el(
            'label',
            { for: `couche-${s.id}` },
            el('span', { class: `pastille pastille-${s.id}`, 'aria-hidden': 'true' }),
            el('span', { class: 'couche-nom', text: s.label }),
            el('span', { class: 'couche-compte', 'data-compte': s.id })
          )
        )
      );
    }
  }

  function applySectorVisibility() {
    for (const s of SECTORS) {
      const on = state.sectors.has(s.id);
      const box = $(`couche-${s.id}`);
      if (box) box.checked = on;
      if (on && !map.hasLayer(clusters[s.id])) clusters[s.id].addTo(map);
      if (!on && map.hasLayer(clusters[s.id])) map.removeLayer(clusters[s.id]);
    }
  }

  function buildKindControls() {
    const container = $('types');
    container.textContent = '';
    for (const s of SECTORS) {
      const kinds = state.kinds
        .filter((k) => k.secteur === s.id && (k.nombre > 0 || state.kindFilter.has(k.id)))
        .sort((a, b) => a.libelle.localeCompare(b.libelle, 'fr'));
      if (!kinds.length) continue;
      const group = el('div', { class: 'types-groupe', role: 'group', 'aria-label': s.label });
      group.append(
        el(
          'p',
          { class: 'types-secteur', 'aria-hidden': 'true' },
          el('span', { class: `pastille pastille-${s.id}` }),
          s.label
        )
      );
      for (const k of kinds) {
        const id = `type-${k.id}`;
        const input = el('input', { type: 'checkbox', id, value: k.id, 'data-type': k.id });
        input.checked = state.kindFilter.has(k.id);
        input.addEventListener('change', () => {
          if (input.checked) state.kindFilter.add(k.id);
          else state.kindFilter.delete(k.id);
          onKindFilterChanged();
        });
        group.append(
          el(
            'div',
            { class: 'type-ligne', 'data-libelle': fold(k.libelle + ' ' + k.id) },
            input,
            el(
              'label',
              { for: id },
              el('span', { class: 'type-libelle', text: k.libelle }),
              el('span', { class: 'type-nombre', text: intFormat.format(k.nombre || 0) })
            )
          )
        );
      }
      container.append(group);
    }
    filterKindList();
    updateKindSummary();
  }

  function filterKindList() {
    const q = fold($('types-filtre').value.trim());
    for (const row of document.querySelectorAll('.type-ligne')) {
      row.hidden = q !== '' && !row.dataset.libelle.includes(q);
    }
    for (const group of document.querySelectorAll('.types-groupe')) {
      group.hidden = ![...group.querySelectorAll('.type-ligne')].some((r) => !r.hidden);
    }
  }

  function updateKindSummary() {
    const n = state.kindFilter.size;
    $('types-resume').textContent = n
      ? `${plural(n, 'type sélectionné', 'types sélectionnés')} : ${[...state.kindFilter].map(kindLabel).join(', ')}`
      : 'Tous les types';
    $('types-aucun').hidden = n === 0;
  }

  function setKindFilter(ids) {
    state.kindFilter = new Set(ids);
    for (const box of document.querySelectorAll('#types input[type=checkbox]')) {
      box.checked = state.kindFilter.has(box.value);
    }
    if (ids.some((id) => !document.getElementById(`type-${id}`))) buildKindControls();
    onKindFilterChanged();
  }

  function onKindFilterChanged() {
    updateKindSummary();
    loadActors();
    writeHash();
    if (state.kindFilter.size) {
      status('Filtre : ' + [...state.kindFilter].map(kindLabel).join(', '));
    } else {
      status('Tous les types sont affichés.');
    }
  }

  function buildTerritorySelect() {
    const select = $('territoire');
    for (const t of state.territories) {
      const detail = t.nombre_communes ? ` (${plural(t.nombre_communes, 'commune', 'communes')})` : '';
      select.append(el('option', { value: t.id, text: `${t.nom}${detail}` }));
    }
    select.value = state.territory;
    select.addEventListener('change', () => setTerritory(select.value, { fit: true }));
  }

  async function setTerritory(id, opts) {
    state.territory = id || '';
    $('territoire').value = state.territory;
    territoryLayer.clearLayers();
    state.territoryFeature = null;
    $('zone-territoire').disabled = !state.territory;
    loadActors();
    writeHash();
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

  // ---------------------------------------------------------------------------------------
  // Search box (ARIA combobox)
  // ---------------------------------------------------------------------------------------

  const search = {
    input: $('recherche'),
    list: $('recherche-liste'),
    items: [],
    active: -1,
    seq: 0,
  };

  function closeSearchList() {
    search.list.hidden = true;
    search.list.textContent = '';
    search.items = [];
    search.active = -1;
    search.input.setAttribute('aria-expanded', 'false');
    search.input.removeAttribute('aria-activedescendant');
  }

  function setActiveOption(index) {
    const options = search.list.querySelectorAll('[role=option]:not([aria-disabled])');
    if (!options.length) return;
    search.active = (index + options.length) % options.length;
    options.forEach((o, i) => o.setAttribute('aria-selected', i === search.active ? 'true' : 'false'));
    const current = options[search.active];
    search.input.setAttribute('aria-activedescendant', current.id);
    // Scroll the list only (scrollIntoView would also scroll the page).
    const list = search.list;
    if (current.offsetTop < list.scrollTop) list.scrollTop = current.offsetTop;
    else if (current.offsetTop + current.offsetHeight > list.scrollTop + list.clientHeight) {
      list.scrollTop = current.offsetTop + current.offsetHeight - list.clientHeight;
    }
  }

  function renderSearchList(items) {
    search.list.textContent = '';
    search.items = items;
    search.active = -1;
    search.input.removeAttribute('aria-activedescendant');
    if (!items.length) {
      search.list.append(
        el('li', { role: 'option', 'aria-disabled': 'true', class: 'proposition-vide', text: 'Aucun résultat' })
      );
    }
    items.forEach((item, i) => {
      const option = el(
        'li',
        {
          role: 'option',
          id: `proposition-${i}`,
          class: 'proposition',
          'aria-selected': 'false',
          'data-categorie': item.categorie,
        },
        el('span', { class: `proposition-categorie categorie-${item.categorie}`, text: CATEGORY_LABELS[item.categorie] || item.categorie }),
        el('span', { class: 'proposition-libelle', text: item.libelle }),
        item.detail ? el('span', { class: 'proposition-detail', text: item.detail }) : null
      );
      option.addEventListener('mousedown', (ev) => ev.preventDefault());
      option.addEventListener('click', () => chooseSearchItem(item));
      search.list.append(option);
    });
    search.list.hidden = false;
    search.input.setAttribute('aria-expanded', 'true');
  }

  async function runSearch() {
    const q = search.input.value.trim();
    const seq = ++search.seq;
    if (q.length < 2) {
      closeSearchList();
      return;
    }
    try {
      const data = await api('api/search?limit=10&q=' + encodeURIComponent(q));
      if (seq !== search.seq) return;
      renderSearchList(data.resultats || []);
    } catch (e) {
      if (seq === search.seq) fail(e);
    }
  }
  const runSearchSoon = debounce(runSearch, 180);

  search.input.addEventListener('input', runSearchSoon);
  search.input.addEventListener('keydown', (ev) => {
    const open = !search.list.hidden;
    if (ev.key === 'ArrowDown') {
      ev.preventDefault();
      if (!open) runSearch();
      else setActiveOption(search.active + 1);
    } else if (ev.key === 'ArrowUp') {
      ev.preventDefault();
      if (open) setActiveOption(search.active - 1);
    } else if (ev.key === 'Enter') {
      ev.preventDefault();
      if (open && search.items.length) {
        chooseSearchItem(search.items[Math.max(0, search.active)]);
      } else {
        runSearch();
      }
    } else if (ev.key === 'Escape') {
      if (open) {
        ev.preventDefault();
        closeSearchList();
      } else if (search.input.value) {
        ev.preventDefault();
        search.input.value = '';
      }
    }
  });
  search.input.addEventListener('blur', () => setTimeout(closeSearchList, 150));

  async function chooseSearchItem(item) {
    closeSearchList();
    search.seq += 1;
    search.input.value = item.libelle;
    try {
      if (item.categorie === 'commune') {
        await selectCommune(item.id, { fit: true, item });
      } else if (item.categorie === 'acteur') {
        const feature = await api('api/actors/' + encodeURIComponent(item.id));
        const ll = latLngOf(feature);
        if (ll) {
          state.searchPoint = { lat: ll.lat, lon: ll.lng, label: feature.properties.nom };
          updateSearchPointButton();
          map.setView(ll, Math.max(map.getZoom(), 15));
        }
        openActor(feature, { focus: true, opener: search.input });
      } else if (item.categorie === 'type') {
        setKindFilter([item.id]);
        $('bloc-filtres').open = true;
      } else if (item.categorie === 'territoire') {
        await setTerritory(item.id, { fit: true });
      }
    } catch (e) {
      fail(e);
    }
  }

  function updateSearchPointButton() {
    const btn = $('rayon-recherche');
    btn.hidden = !state.searchPoint;
    $('rayon-recherche-nom').textContent = state.searchPoint ? state.searchPoint.label : '';
  }

  // ---------------------------------------------------------------------------------------
  // Commune highlight
  // ---------------------------------------------------------------------------------------

  async function selectCommune(code, opts) {
    const feature = await api('api/communes/' + encodeURIComponent(code));
    state.commune = feature;
    highlightLayer.clearLayers();
    const layer = L.geoJSON(feature, {
      renderer: selectionRenderer,
      pane: 'selection',
      interactive: false,
      style: { className: 'contour-selection', color: '#c2410c', weight: 4, fillColor: '#f97316', fillOpacity: 0.08 },
    }).addTo(highlightLayer);
    const bounds = layer.getBounds();
    if (opts && opts.fit && bounds.isValid()) map.fitBounds(bounds, { padding: [30, 30], maxZoom: 14 });
    const p = feature.properties || {};
    const item = opts && opts.item;
    const center =
      item && typeof item.lat === 'number' && typeof item.lon === 'number'
        ? { lat: item.lat, lon: item.lon }
        : bounds.isValid()
          ? { lat: bounds.getCenter().lat, lon: bounds.getCenter().lng }
          : null;
    if (center) {
      state.searchPoint = { ...center, label: p.nom || code };
      updateSearchPointButton();
    }
    $('zone-commune').disabled = false;
    $('zone-commune').textContent = `Acteurs de ${p.nom || code}`;
    const pop = p.population ? ` – ${intFormat.format(p.population)} habitants` : '';
    const n = typeof p.nombre_acteurs === 'number' ? ` – ${plural(p.nombre_acteurs, 'acteur', 'acteurs')}` : '';
    status(`Commune : ${p.nom || code} (${p.code || code})${pop}${n}`);
    writeHash();
  }

  // ---------------------------------------------------------------------------------------
  // Actor panel ("fiche")
  // ---------------------------------------------------------------------------------------

  function websiteHref(site) {
    return /^https?:\/\//i.test(site) ? site : 'https://' + site;
  }

  function directionsHref(ll) {
    const lat = ll.lat.toFixed(6);
    const lon = ll.lng.toFixed(6);
    return `https://www.openstreetmap.org/directions?route=%3B${lat}%2C${lon}#map=16/${lat}/${lon}`;
  }

  function precisionLabel(p) {
    return p.precision_libelle || PRECISION_LABELS[p.precision] || 'inconnue';
  }

  function sourceText(p) {
    if (!p.source) return '';
    return p.source_date ? `${p.source} (données du ${formatDate(p.source_date)})` : p.source;
  }

  function openActor(feature, opts) {
    const p = feature.properties || {};
    state.selected = feature;
    const fiche = $('fiche');
    $('fiche-titre').textContent = p.nom || 'Acteur sans nom';
    const sector = SECTOR_BY_ID.get(p.secteur);
    const pastille = $('fiche-secteur');
    pastille.className = `pastille pastille-${sector ? sector.id : 'autre'}`;
    pastille.title = sector ? sector.label : '';
    $('fiche-type').textContent =
      (p.type_libelle || kindLabel(p.type) || '') + (sector ? ` · ${sector.label}` : '');
    $('fiche-exemple').hidden = !p.exemple;

    const dl = $('fiche-details');
    dl.textContent = '';
    const row = (term, ...value) => {
      if (!value.length || value.every((v) => v === null || v === undefined || v === '')) return;
      dl.append(el('div', { class: 'fiche-ligne' }, el('dt', { text: term }), el('dd', {}, ...value)));
    };
    row('Adresse', p.adresse || '');
    if (p.telephone) {
      row('Téléphone', el('a', { href: 'tel:' + p.telephone.replace(/[^\d+]/g, ''), text: p.telephone }));
    }
    if (p.email) row('Courriel', el('a', { href: 'mailto:' + p.email, text: p.email }));
    if (p.site) {
      row('Site', el('a', { href: websiteHref(p.site), target: '_blank', rel: 'noopener noreferrer', text: p.site }));
    }
    row('Horaires', p.horaires || '');
    if (p.capacite !== null && p.capacite !== undefined) row('Capacité', intFormat.format(p.capacite));
    if (typeof p.distance_m === 'number') row('Distance', formatKm(p.distance_m));
    row('Position', precisionLabel(p));
    row('Source', sourceText(p));
    if (p.libelle_source || p.code_source) {
      row('Catégorie source', [p.libelle_source, p.code_source ? `(${p.code_source})` : ''].filter(Boolean).join(' '));
    }
    if (p.tags && p.tags.length) row('Étiquettes', p.tags.join(', '));

    const ll = latLngOf(feature);
    const route = $('fiche-itineraire');
    if (ll) {
      route.href = directionsHref(ll);
      route.removeAttribute('aria-disabled');
      route.hidden = false;
    } else {
      route.removeAttribute('href');
      route.hidden = true;
    }
    $('fiche-autour').hidden = !ll;

    selectionLayer.clearLayers();
    if (ll) {
      L.circleMarker(ll, {
        renderer: selectionRenderer,
        pane: 'selection',
        radius: 14,
        interactive: false,
        className: 'anneau-selection',
        color: '#111827',
        weight: 3,
        fill: false,
      }).addTo(selectionLayer);
    }

    fiche.hidden = false;
    if (opts && opts.opener) state.ficheOpener = opts.opener;
    else if (opts && opts.focus) state.ficheOpener = document.activeElement;
    if (opts && opts.focus) $('fiche-titre').focus({ preventScroll: true });
    writeHash();
    for (const h of hooks.actorOpened) h(feature);
  }

  function closeActor() {
    const fiche = $('fiche');
    if (fiche.hidden) return;
    fiche.hidden = true;
    state.selected = null;
    selectionLayer.clearLayers();
    writeHash();
    for (const h of hooks.actorClosed) h();
    const opener = state.ficheOpener;
    state.ficheOpener = null;
    if (opener && document.body.contains(opener) && opener !== document.body) opener.focus();
  }

  function actorCardText(p) {
    const lines = [p.nom || ''];
    lines.push([p.type_libelle || kindLabel(p.type), SECTOR_BY_ID.has(p.secteur) ? SECTOR_BY_ID.get(p.secteur).label : ''].filter(Boolean).join(' – '));
    if (p.adresse) lines.push(p.adresse);
    if (p.telephone) lines.push('Tél. : ' + p.telephone);
    if (p.email) lines.push('Courriel : ' + p.email);
    if (p.site) lines.push('Site : ' + p.site);
    if (p.horaires) lines.push('Horaires : ' + p.horaires);
    if (p.capacite !== null && p.capacite !== undefined) lines.push('Capacité : ' + intFormat.format(p.capacite));
    lines.push('Position : ' + precisionLabel(p));
    if (p.source) lines.push('Source : ' + sourceText(p));
    if (p.exemple) lines.push("Donnée d'exemple (fictive)");
    return lines.join('\n');
  }

  async function copyText(text) {
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        return true;
      }
    } catch (e) {
      // Fall back to a temporary textarea below.
    }
    const area = el('textarea', { readonly: true, class: 'presse-papiers', 'aria-hidden': 'true' });
    area.value = text;
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch (e) {
      ok = false;
    }
    area.remove();
    return ok;
  }

  $('fiche-fermer').addEventListener('click', closeActor);
  $('fiche').addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      ev.preventDefault();
      closeActor();
    }
  });
  $('fiche-copier').addEventListener('click', async () => {
    if (!state.selected) return;
    const ok = await copyText(actorCardText(state.selected.properties || {}));
    status(ok ? 'Fiche copiée dans le presse-papiers.' : 'Impossible de copier la fiche.', !ok);
  });
  $('fiche-autour').addEventListener('click', () => {
    const ll = latLngOf(state.selected);
    if (!ll) return;
    $('bloc-rayon').open = true;
    setRadiusCenter(ll.lat, ll.lng, state.selected.properties.nom);
    runRadius();
  });

  async function openActorById(id, opts) {
    try {
      openActor(await api('api/actors/' + encodeURIComponent(id)), opts);
    } catch (e) {
      fail(e);
    }
  }

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
    writeHash();
    const { lat, lon, km, label } = state.radius;
    const params = new URLSearchParams({ lat: lat.toFixed(6), lon: lon.toFixed(6) });
    let title;
    if (nearest) {
      params.set('k', '10');
      title = `les plus proches de ${label}`;
    } else {
      params.set('radius_m', String(km * 1000));
      title = `à moins de ${km}\u00a0km de ${label}`;
      if (circle && fit) map.fitBounds(circle.getBounds(), { padding: [20, 20] });
    }
    const filter = filterDescription();
    if (filter) title += ` (${filter})`;
    if (!kindsParam(params)) {
      showResults({ title, features: [], distance: true });
      return;
    }
    try {
      const fc = await api(`api/${nearest ? 'nearest' : 'within'}?${params}`);
      showResults({
        title,
        features: fc.features || [],
        distance: true,
        reveal: !!(opts && opts.reveal),
        rerun: () => runRadius(nearest, { fit: false }),
      });
    } catch (e) {
      fail(e);
    }
  }
  const runRadiusSoon = debounce(() => runRadius(false), 350);

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
    writeHash();
  });

  // ---------------------------------------------------------------------------------------
  // Drawn polygon, commune and territory listings
  // ---------------------------------------------------------------------------------------

  const draw = { active: false, points: [], polygon: null };

  function setMapMode(text) {
    const node = $('carte-mode');
    node.textContent = text || '';
    node.hidden = !text;
    map.getContainer().classList.toggle('mode-dessin', draw.active);
  }

  function redrawDraft() {
    drawLayer.clearLayers();
    if (draw.polygon) drawLayer.addLayer(draw.polygon);
    if (!draw.active) return;
    if (draw.points.length > 1) {
      L.polyline(draw.points, { interactive: false, className: 'zone-brouillon', color: '#7c2d12', weight: 2, dashArray: '6 4' }).addTo(drawLayer);
    }
    for (const pt of draw.points) {
      L.circleMarker(pt, { radius: 4, interactive: false, color: '#7c2d12', weight: 2, fillColor: '#ffffff', fillOpacity: 1 }).addTo(drawLayer);
    }
    $('zone-terminer').disabled = draw.points.length < 3;
  }

  function startDraw() {
    draw.active = true;
    draw.points = [];
    draw.polygon = null;
    map.doubleClickZoom.disable();
    $('zone-dessiner').setAttribute('aria-pressed', 'true');
    $('zone-annuler').disabled = false;
    $('zone-terminer').disabled = true;
    setMapMode('Dessin : cliquez pour ajouter des sommets ; double-clic ou « Terminer » pour fermer ; Échap pour annuler.');
    redrawDraft();
  }

  function stopDraw() {
    draw.active = false;
    map.doubleClickZoom.enable();
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

  async function finishDraw() {
    if (draw.points.length < 3) {
      status('Une zone a besoin d’au moins trois sommets.', true);
      return;
    }
    const points = draw.points.slice();
    draw.polygon = L.polygon(points, {
      interactive: false,
      className: 'zone-dessinee',
      color: '#7c2d12',
      weight: 2,
      fillColor: '#ea580c',
      fillOpacity: 0.1,
    });
    stopDraw();
    const ring = points.map((p) => [Number(p.lng.toFixed(6)), Number(p.lat.toFixed(6))]);
    ring.push(ring[0]);
    await listWithin({ type: 'Polygon', coordinates: [ring] }, 'dans la zone dessinée');
  }

  async function listWithin(geometry, title) {
    const params = new URLSearchParams();
    const filter = filterDescription();
    const fullTitle = filter ? `${title} (${filter})` : title;
    if (!kindsParam(params)) {
      showResults({ title: fullTitle, features: [], distance: false });
      return;
    }
    try {
      const fc = await api('api/within?' + params, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(geometry),
      });
      showResults({
        title: fullTitle,
        features: fc.features || [],
        distance: false,
        reveal: true,
        rerun: () => listWithin(geometry, title),
      });
    } catch (e) {
      fail(e);
    }
  }

  async function listActors(extra, title) {
    const params = new URLSearchParams(extra);
    params.set('limit', String(LIST_LIMIT));
    const filter = filterDescription();
    const fullTitle = filter ? `${title} (${filter})` : title;
    if (!kindsParam(params)) {
      showResults({ title: fullTitle, features: [], distance: false });
      return;
    }
    try {
      const fc = await api('api/actors?' + params);
      showResults({
        title: fullTitle,
        features: fc.features || [],
        distance: false,
        total: fc.total,
        reveal: true,
        rerun: () => listActors(extra, title),
      });
    } catch (e) {
      fail(e);
    }
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
    listActors({ commune: p.code }, `dans la commune de ${p.nom || p.code}`);
  });
  $('zone-territoire').addEventListener('click', () => {
    if (!state.territory) return;
    const t = state.territories.find((x) => String(x.id) === String(state.territory));
    listActors({ territory: state.territory }, `dans le territoire ${t ? t.nom : state.territory}`);
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

  // ---------------------------------------------------------------------------------------
  // Result list and exports
  // ---------------------------------------------------------------------------------------

  function showResults(r) {
    state.results = r;
    const section = $('resultats');
    section.hidden = false;
    const n = r.features.length;
    let summary = `${plural(n, 'acteur', 'acteurs')} ${r.title}`;
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
        { type: 'button', class: 'resultat', 'data-index': i },
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
        typeof p.distance_m === 'number'
          ? el('span', { class: 'resultat-distance', text: formatKm(p.distance_m) })
          : null
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
    openPanel();
    status(summary + '.');
    if (r.reveal) scrollPanelTo(section);
  }

  $('resultats-effacer').addEventListener('click', () => {
    state.results = null;
    $('resultats').hidden = true;
    $('resultats-liste').textContent = '';
    draw.polygon = null;
    redrawDraft();
  });

  /** Scrolls the side panel (and nothing else) so that `node` is at its top. */
  function scrollPanelTo(node) {
    const panel = $('panneau');
    panel.scrollTop += node.getBoundingClientRect().top - panel.getBoundingClientRect().top - 8;
  }

  function download(blob, filename) {
    const url = URL.createObjectURL(blob);
    const a = el('a', { href: url, download: filename, class: 'visuellement-cache' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  function stamp() {
    const d = new Date();
    const pad = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  }

  function csvCell(value) {
    const s = value === null || value === undefined ? '' : String(value);
    return /[;"\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }

  function frenchNumber(x, digits) {
    return x.toFixed(digits).replace('.', ',');
  }

  const CSV_COLUMNS = [
    ['Nom', (p) => p.nom],
    ['Type', (p) => p.type_libelle || kindLabel(p.type)],
    ['Secteur', (p) => (SECTOR_BY_ID.get(p.secteur) || { label: p.secteur || '' }).label],
    ['Distance (km)', (p) => (typeof p.distance_m === 'number' ? frenchNumber(p.distance_m / 1000, 1) : '')],
    ['Adresse', (p) => p.adresse],
    ['Code postal', (p) => p.code_postal],
    ['Commune', (p) => p.commune_nom || p.ville],
    ['Code commune', (p) => p.commune],
    ['Téléphone', (p) => p.telephone],
    ['Courriel', (p) => p.email],
    ['Site', (p) => p.site],
    ['Horaires', (p) => p.horaires],
    ['Capacité', (p) => p.capacite],
    ['Latitude', (p, ll) => (ll ? frenchNumber(ll.lat, 6) : '')],
    ['Longitude', (p, ll) => (ll ? frenchNumber(ll.lng, 6) : '')],
    ['Précision de la position', (p) => precisionLabel(p)],
    ['Source', (p) => p.source],
    ['Date de la source', (p) => formatDate(p.source_date)],
    ['Exemple', (p) => (p.exemple ? 'oui' : 'non')],
    ['Identifiant', (p) => p.id],
  ];

  function exportCsv() {
    if (!state.results) return;
    const lines = [CSV_COLUMNS.map(([h]) => csvCell(h)).join(';')];
    for (const f of state.results.features) {
      const p = f.properties || {};
      const ll = latLngOf(f);
      lines.push(CSV_COLUMNS.map(([, get]) => csvCell(get(p, ll))).join(';'));
    }
    const blob = new Blob(['\ufeff' + lines.join('\r\n') + '\r\n'], { type: 'text/csv;charset=utf-8' });
    download(blob, `maillage-resultats-${stamp()}.csv`);
    status(`Export CSV : ${plural(state.results.features.length, 'ligne', 'lignes')}.`);
  }

  function exportGeojson() {
    if (!state.results) return;
    const fc = { type: 'FeatureCollection', features: state.results.features };
    const blob = new Blob([JSON.stringify(fc, null, 1)], { type: 'application/geo+json' });
    download(blob, `maillage-resultats-${stamp()}.geojson`);
    status(`Export GeoJSON : ${plural(state.results.features.length, 'acteur', 'acteurs')}.`);
  }

  $('export-csv').addEventListener('click', exportCsv);
  $('export-geojson').addEventListener('click', exportGeojson);

  // PNG: outlines, shapes and markers drawn from current data onto a canvas (tiles omitted).
  function exportPng() {
    const size = map.getSize();
    const ratio = window.devicePixelRatio || 1;
    const canvas = el('canvas');
    canvas.width = Math.round(size.x * ratio);
    canvas.height = Math.round(size.y * ratio);
    const ctx = canvas.getContext('2d');
    ctx.scale(ratio, ratio);
    ctx.fillStyle = '#eef1f4';
    ctx.fillRect(0, 0, size.x, size.y);
    const pt = (lon, lat) => map.latLngToContainerPoint([lat, lon]);
    const view = map.getBounds().pad(0.1);

    const tracePolygons = (geometry) => {
      if (!geometry) return;
      const polys =
        geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
      for (const poly of polys) {
        for (const ring of poly) {
          ring.forEach(([lon, lat], i) => {
            const p = pt(lon, lat);
            if (i === 0) ctx.moveTo(p.x, p.y);
            else ctx.lineTo(p.x, p.y);
          });
          ctx.closePath();
        }
      }
    };
    const geometryOf = (f) => (f && f.type === 'Feature' ? f.geometry : f);
    const intersectsView = (f) => {
      try {
        return L.geoJSON(f).getBounds().intersects(view);
      } catch (e) {
        return false;
      }
    };

    ctx.lineJoin = 'round';
    ctx.beginPath();
    for (const f of communeFeatures.values()) if (intersectsView(f)) tracePolygons(f.geometry);
    ctx.fillStyle = '#f8f6f0';
    ctx.fill('evenodd');
    ctx.strokeStyle = '#8a929b';
    ctx.lineWidth = 0.8;
    ctx.stroke();

    if (state.territoryFeature) {
      ctx.beginPath();
      const g = geometryOf(state.territoryFeature);
      if (g && g.type === 'FeatureCollection') g.features.forEach((f) => tracePolygons(f.geometry));
      else tracePolygons(g);
      ctx.setLineDash([8, 6]);
      ctx.strokeStyle = '#b3541e';
      ctx.lineWidth = 3;
      ctx.stroke();
      ctx.setLineDash([]);
    }
    if (state.commune) {
      ctx.beginPath();
      tracePolygons(geometryOf(state.commune));
      ctx.fillStyle = 'rgba(249, 115, 22, 0.08)';
      ctx.fill('evenodd');
      ctx.strokeStyle = '#c2410c';
      ctx.lineWidth = 4;
      ctx.stroke();
    }
    if (draw.polygon) {
      ctx.beginPath();
      tracePolygons(draw.polygon.toGeoJSON().geometry);
      ctx.fillStyle = 'rgba(234, 88, 12, 0.1)';
      ctx.fill();
      ctx.strokeStyle = '#7c2d12';
      ctx.lineWidth = 2;
      ctx.stroke();
    }
    if (state.radius) {
      const c = pt(state.radius.lon, state.radius.lat);
      const edge = pt(state.radius.lon, state.radius.lat + state.radius.km / 111.195);
      ctx.beginPath();
      ctx.arc(c.x, c.y, Math.abs(c.y - edge.y), 0, 2 * Math.PI);
      ctx.fillStyle = 'rgba(15, 95, 140, 0.06)';
      ctx.fill();
      ctx.strokeStyle = '#0f5f8c';
      ctx.lineWidth = 2;
      ctx.stroke();
    }
    const inView = map.getBounds();
    for (const s of SECTORS) {
      if (!state.sectors.has(s.id)) continue;
      ctx.fillStyle = s.color;
      ctx.strokeStyle = '#ffffff';
      ctx.lineWidth = 1.5;
      for (const m of markersById.values()) {
        if (m.sector !== s.id || !inView.contains(m.getLatLng())) continue;
        const p = map.latLngToContainerPoint(m.getLatLng());
        ctx.beginPath();
        ctx.arc(p.x, p.y, 5, 0, 2 * Math.PI);
        ctx.fill();
        ctx.stroke();
      }
    }
    const selected = latLngOf(state.selected);
    if (selected) {
      const p = map.latLngToContainerPoint(selected);
      ctx.beginPath();
      ctx.arc(p.x, p.y, 12, 0, 2 * Math.PI);
      ctx.strokeStyle = '#111827';
      ctx.lineWidth = 3;
      ctx.stroke();
    }

    // Title, legend and credits.
    ctx.font = '600 15px system-ui, sans-serif';
    const title = (state.config && state.config.titre) || 'maillage';
    ctx.fillStyle = 'rgba(255, 255, 255, 0.92)';
    ctx.fillRect(8, 8, Math.min(size.x - 16, ctx.measureText(title).width + 20), 28);
    ctx.fillStyle = '#111827';
    ctx.fillText(title, 18, 27);
    const legendH = 16 + SECTORS.length * 20;
    ctx.fillStyle = 'rgba(255, 255, 255, 0.92)';
    ctx.fillRect(8, size.y - legendH - 30, 170, legendH);
    ctx.font = '13px system-ui, sans-serif';
    SECTORS.forEach((s, i) => {
      const y = size.y - legendH - 30 + 18 + i * 20;
      ctx.beginPath();
      ctx.arc(22, y - 4, 6, 0, 2 * Math.PI);
      ctx.fillStyle = s.color;
      ctx.fill();
      ctx.fillStyle = state.sectors.has(s.id) ? '#111827' : '#6b7280';
      ctx.fillText(s.label + (state.sectors.has(s.id) ? '' : ' (masqué)'), 36, y);
    });
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#374151';
    ctx.fillText(`maillage – carte exportée le ${formatDate(stamp())} – fond : contours des communes`, 10, size.y - 10);

    canvas.toBlob((blob) => {
      if (!blob) {
        status("Impossible de produire l'image.", true);
        return;
      }
      download(blob, `maillage-carte-${stamp()}.png`);
      status('Image de la carte enregistrée.');
    }, 'image/png');
  }
  $('export-png').addEventListener('click', exportPng);

  // ---------------------------------------------------------------------------------------
  // Shareable state in the URL hash
  // ---------------------------------------------------------------------------------------

  let applyingHash = false;
  let viewReady = false;

  function writeHash() {
    if (applyingHash || !viewReady) return;
    const parts = [];
    const add = (k, v) => parts.push(`${k}=${encodeURIComponent(v).replace(/%2C/gi, ',')}`);
    const c = map.getCenter();
    add('c', `${c.lat.toFixed(5)},${c.lng.toFixed(5)}`);
    add('z', String(map.getZoom()));
    if (state.sectors.size !== SECTORS.length) add('s', [...state.sectors].join(',') || 'aucun');
    if (state.kindFilter.size) add('k', [...state.kindFilter].join(','));
    if (state.territory) add('t', state.territory);
    if (state.commune && state.commune.properties) add('m', state.commune.properties.code);
    if (state.selected && state.selected.properties) add('a', state.selected.properties.id);
    if (state.radius) {
      add('r', `${state.radius.lat.toFixed(5)},${state.radius.lon.toFixed(5)},${state.radius.km}`);
      add('rn', state.radius.label);
    }
    // Keys of the other scripts of the page (diagnostic.js: keys starting with d).
    for (const write of hooks.hashParts || []) {
      write((k, v) => {
        if (v !== null && v !== undefined && v !== '') add(k, v);
      });
    }
    const hash = '#' + parts.join('&');
    if (location.hash !== hash) history.replaceState(null, '', hash);
  }

  function readHash() {
    const out = {};
    for (const part of location.hash.replace(/^#/, '').split('&')) {
      if (!part) continue;
      const i = part.indexOf('=');
      const key = i < 0 ? part : part.slice(0, i);
      const value = i < 0 ? '' : decodeURIComponent(part.slice(i + 1));
      out[key] = value;
    }
    return out;
  }

  /** Applies the hash; returns true when it set the view. */
  async function applyHash() {
    const h = readHash();
    applyingHash = true;
    let viewSet = false;
    try {
      if (h.c && h.z) {
        const [lat, lon] = h.c.split(',').map(Number);
        const z = Number(h.z);
        if (Number.isFinite(lat) && Number.isFinite(lon) && Number.isFinite(z)) {
          map.setView([lat, lon], z);
          viewSet = true;
        }
      }
      state.sectors = new Set(
        h.s ? h.s.split(',').filter((s) => SECTOR_BY_ID.has(s)) : SECTORS.map((s) => s.id)
      );
      applySectorVisibility();
      state.kindFilter = new Set(h.k ? h.k.split(',').filter(Boolean) : []);
      buildKindControls();
      if ((h.t || '') !== state.territory) await setTerritory(h.t || '', { fit: !viewSet });
      if (h.m) {
        if (!state.commune || state.commune.properties.code !== h.m) {
          await selectCommune(h.m, { fit: !viewSet }).catch(fail);
        }
      } else if (state.commune) {
        state.commune = null;
        highlightLayer.clearLayers();
        $('zone-commune').disabled = true;
      }
      if (h.r) {
        const [lat, lon, km] = h.r.split(',').map(Number);
        if ([lat, lon, km].every(Number.isFinite)) {
          setRadiusKm(Math.min(50, Math.max(1, Math.round(km))));
          $('bloc-rayon').open = true;
          setRadiusCenter(lat, lon, h.rn || 'point partagé');
          runRadius(false, { fit: !viewSet });
        }
      }
      if (h.a) {
        if (!state.selected || state.selected.properties.id !== h.a) await openActorById(h.a, {});
      } else {
        closeActor();
      }
    } finally {
      applyingHash = false;
    }
    return viewSet;
  }

  window.addEventListener('hashchange', async () => {
    await applyHash();
    loadActors();
  });

  $('copier-lien').addEventListener('click', async () => {
    writeHash();
    const ok = await copyText(location.href);
    status(ok ? 'Lien copié : il reproduit cette vue.' : 'Impossible de copier le lien.', !ok);
  });

  // ---------------------------------------------------------------------------------------
  // Panel (collapsible on narrow screens) and global keys
  // ---------------------------------------------------------------------------------------

  function setPanelOpen(open) {
    document.body.classList.toggle('panneau-replie', !open);
    $('basculer-panneau').setAttribute('aria-expanded', open ? 'true' : 'false');
    setTimeout(() => map.invalidateSize(), 260);
  }
  function openPanel() {
    if (document.body.classList.contains('panneau-replie')) setPanelOpen(true);
  }
  $('basculer-panneau').addEventListener('click', () => {
    const open = document.body.classList.contains('panneau-replie');
    setPanelOpen(open);
    if (open) $('panneau').focus();
  });
  if (window.matchMedia('(max-width: 1024px)').matches) setPanelOpen(false);

  // The page itself never scrolls (only the panel and lists do); undo any focus-induced scroll.
  window.addEventListener('scroll', () => {
    if (window.scrollX || window.scrollY) window.scrollTo(0, 0);
  });

  $('types-filtre').addEventListener('input', filterKindList);
  $('types-aucun').addEventListener('click', () => setKindFilter([]));

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
  // Start-up
  // ---------------------------------------------------------------------------------------

  async function start() {
    buildSectorControls();
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

    const viewSet = await applyHash();
    if (!viewSet && !map._loaded) {
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
    viewReady = true;
    await loadCommunes();
    await loadActors();
    writeHash();
    document.body.classList.add('carte-prete');
  }

  /** Reloads what shows actors after the data changed (markers, result list, open panel). */
  async function refreshData() {
    await loadActors();
    if (state.results && state.results.rerun) await state.results.rerun();
    if (state.selected && state.selected.properties) {
      const id = state.selected.properties.id;
      const r = await request('api/actors/' + encodeURIComponent(id));
      if (r.ok) openActor(r.body, {});
      else closeActor();
    }
  }

  // The page's internals, for the other scripts of the page (loaded after this one).
  window.maillage = {
    map,
    state,
    hooks,
    api,
    request,
    errorMessage,
    el,
    status,
    fail,
    plural,
    intFormat,
    kmFormat,
    formatKm,
    formatDate,
    fold,
    debounce,
    kindLabel,
    latLngOf,
    openActor,
    openActorById,
    closeActor,
    openPanel,
    scrollPanelTo,
    showResults,
    refreshData,
    selectionRenderer,
    download,
    stamp,
    ready: start().catch(fail),
  };
})();
