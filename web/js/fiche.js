// The actor card (« fiche ») over the map: details, directions, copy, « Chercher autour », and
// the hooks through which the orientation and partner parts add to it.
import { $, el, intFormat, formatKm, formatDate, copyText } from './util.js';
import { api } from './api.js';
import { status, fail } from './messages.js';
import { state, hooks, SECTOR_BY_ID, kindLabel } from './state.js';
import { map, selectionRenderer, latLngOf, revealOverMap } from './map.js';
import * as urlstate from './urlstate.js';
import { aroundActor } from './tools.js';

const PRECISION_LABELS = {
  adresse: "à l'adresse",
  rue: 'à la rue',
  commune: 'au centre de la commune',
  inconnue: 'inconnue',
};

const selectionLayer = L.layerGroup().addTo(map);

function websiteHref(site) {
  return /^https?:\/\//i.test(site) ? site : 'https://' + site;
}

function directionsHref(ll) {
  const lat = ll.lat.toFixed(6);
  const lon = ll.lng.toFixed(6);
  return `https://www.openstreetmap.org/directions?route=%3B${lat}%2C${lon}#map=16/${lat}/${lon}`;
}

export function precisionLabel(p) {
  return p.precision_libelle || PRECISION_LABELS[p.precision] || 'inconnue';
}

export function sourceText(p) {
  if (!p.source) return '';
  return p.source_date ? `${p.source} (données : ${formatDate(p.source_date)})` : p.source;
}

export function openActor(feature, opts) {
  const p = feature.properties || {};
  state.selected = feature;
  const fiche = $('fiche');
  $('fiche-titre').textContent = p.nom || 'Acteur sans nom';
  const sector = SECTOR_BY_ID.get(p.secteur);
  const pastille = $('fiche-secteur');
  pastille.className = `pastille pastille-${sector ? sector.id : 'autre'}`;
  pastille.title = sector ? sector.label : '';
  $('fiche-type').textContent = (p.type_libelle || kindLabel(p.type) || '') + (sector ? ` · ${sector.label}` : '');
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
  if (p.tags) row('Étiquettes', p.tags.split('|').join(', '));

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

  // On a phone the panel would cover the card: the card comes first.
  if (opts && opts.focus) revealOverMap(fiche);
  else fiche.hidden = false;
  if (opts && opts.opener) state.ficheOpener = opts.opener;
  else if (opts && opts.focus) state.ficheOpener = document.activeElement;
  if (opts && opts.focus) $('fiche-titre').focus({ preventScroll: true });
  urlstate.save();
  for (const h of hooks.actorOpened) h(feature);
}

export function closeActor() {
  const fiche = $('fiche');
  if (fiche.hidden) return;
  fiche.hidden = true;
  state.selected = null;
  selectionLayer.clearLayers();
  urlstate.save();
  for (const h of hooks.actorClosed) h();
  const opener = state.ficheOpener;
  state.ficheOpener = null;
  if (opener && document.body.contains(opener) && opener !== document.body) opener.focus();
}

export async function openActorById(id, opts) {
  try {
    openActor(await api('api/actors/' + encodeURIComponent(id)), opts);
  } catch (e) {
    fail(e);
  }
}

function actorCardText(p) {
  const lines = [p.nom || ''];
  lines.push(
    [p.type_libelle || kindLabel(p.type), SECTOR_BY_ID.has(p.secteur) ? SECTOR_BY_ID.get(p.secteur).label : '']
      .filter(Boolean)
      .join(' – ')
  );
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
  if (ll) aroundActor(ll, state.selected.properties.nom);
});

urlstate.register({
  name: 'fiche',
  order: 90,
  write(set) {
    if (state.selected && state.selected.properties) set('a', state.selected.properties.id);
  },
  async apply(h) {
    if (h.a) {
      if (!state.selected || state.selected.properties.id !== h.a) await openActorById(h.a, {});
    } else {
      closeActor();
    }
  },
});
