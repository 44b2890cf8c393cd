// The search box (ARIA combobox over /api/search) and what a chosen result does: a commune is
// highlighted, an actor's card opens, a kind becomes the filter, a territory is selected.
import { $, el, intFormat, plural, debounce } from './util.js';
import { api, de } from './api.js';
import { status, fail } from './messages.js';
import { state } from './state.js';
import { map, selectionRenderer, latLngOf } from './map.js';
import * as urlstate from './urlstate.js';
import { openActor } from './fiche.js';
import { setKindFilter, setTerritory } from './layers.js';

const CATEGORY_LABELS = {
  acteur: 'Acteur',
  commune: 'Commune',
  type: 'Type',
  territoire: 'Territoire',
};

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
      el('span', {
        class: `proposition-categorie categorie-${item.categorie}`,
        text: CATEGORY_LABELS[item.categorie] || item.categorie,
      }),
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
    if (seq === search.seq) fail(e, search.input);
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
        setSearchPoint({ lat: ll.lat, lon: ll.lng, label: feature.properties.nom });
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
    fail(e, search.input);
  }
}

function setSearchPoint(point) {
  state.searchPoint = point;
  const btn = $('rayon-recherche');
  btn.hidden = !point;
  $('rayon-recherche-nom').textContent = point ? point.label : '';
}

// ---------------------------------------------------------------------------------------
// Commune highlight
// ---------------------------------------------------------------------------------------

const highlightLayer = L.layerGroup().addTo(map);

export async function selectCommune(code, opts) {
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
  if (center) setSearchPoint({ ...center, label: p.nom || code });
  $('zone-commune').disabled = false;
  $('zone-commune').textContent = 'Acteurs de la commune';
  de(p.nom || code).then(
    (t) => {
      if (state.commune === feature) $('zone-commune').textContent = `Acteurs ${t}`;
    },
    () => {}
  );
  const pop = p.population ? ` – ${intFormat.format(p.population)} habitants` : '';
  const n = typeof p.nombre_acteurs === 'number' ? ` – ${plural(p.nombre_acteurs, 'acteur', 'acteurs')}` : '';
  status(`Commune : ${p.nom || code} (${p.code || code})${pop}${n}`, false, search.input);
  urlstate.save();
}

function clearCommune() {
  state.commune = null;
  highlightLayer.clearLayers();
  $('zone-commune').disabled = true;
}

urlstate.register({
  name: 'commune',
  order: 30,
  write(set) {
    if (state.commune && state.commune.properties) set('m', state.commune.properties.code);
  },
  async apply(h) {
    if (h.m) {
      if (!state.commune || state.commune.properties.code !== h.m) {
        await selectCommune(h.m, { fit: !(h.c && h.z) }).catch((e) => fail(e));
      }
    } else if (state.commune) {
      clearCommune();
    }
  },
});
