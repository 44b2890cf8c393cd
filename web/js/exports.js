// Exports of what is on screen: the result list as CSV, GeoJSON or GeoPackage (asked of the
// server, which types every column), the map as a PNG image,
// and the link of the view. Each file says which tool and which filters made it, in its name
// and inside (a first line of the CSV, `titre`/`filtres` members of the GeoJSON, the legend of
// the PNG).
import { $, el, plural, formatDate, stamp, slug, download, copyText } from './util.js';
import { api, apiFile } from './api.js';
import { status } from './messages.js';
import { state, LAYERS, kindLabel, SECTOR_BY_ID, shownOnScreen, filterDescription } from './state.js';
import { map, latLngOf } from './map.js';
import * as urlstate from './urlstate.js';
import { communeFeatures, markersById, COMMUNE_LABEL_ZOOM } from './layers.js';
import { precisionLabel } from './fiche.js';
import { drawnZone } from './tools.js';

// ---------------------------------------------------------------------------------------
// Result list: CSV and GeoJSON
// ---------------------------------------------------------------------------------------

/** The exported rows: the result list, as filtered on screen. */
function exportedFeatures() {
  return state.results ? state.results.features.filter(shownOnScreen) : [];
}

/** What made the result, in words: « 7 acteurs à moins de 10 km de Gaillac (types : EHPAD) ». */
function resultTitle(n) {
  const r = state.results;
  return `${plural(n, 'acteur', 'acteurs')} ${r.title}`;
}

function resultFileName(ext) {
  const r = state.results;
  const parts = ['maillage', slug(r.title, 50)];
  if (r.filters) parts.push(slug(r.filters, 60));
  parts.push(stamp());
  return parts.filter(Boolean).join('-') + '.' + ext;
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
  const features = exportedFeatures();
  const r = state.results;
  // First line: what this file is (the tool, the filters, the date); then the columns.
  const about = `${resultTitle(features.length)} ; filtres : ${r.filters || 'aucun'} ; exporté le ${formatDate(stamp())}`;
  const lines = [csvCell(about), CSV_COLUMNS.map(([h]) => csvCell(h)).join(';')];
  for (const f of features) {
    const p = f.properties || {};
    const ll = latLngOf(f);
    lines.push(CSV_COLUMNS.map(([, get]) => csvCell(get(p, ll))).join(';'));
  }
  const blob = new Blob(['\ufeff' + lines.join('\r\n') + '\r\n'], { type: 'text/csv;charset=utf-8' });
  download(blob, resultFileName('csv'));
  status(`Export CSV : ${plural(features.length, 'ligne', 'lignes')}.`, false, $('export-csv'));
}

function exportGeojson() {
  if (!state.results) return;
  const features = exportedFeatures();
  const r = state.results;
  const fc = {
    type: 'FeatureCollection',
    titre: resultTitle(features.length),
    outil: r.tool || null,
    filtres: r.filters || 'aucun',
    exporte_le: stamp(),
    features,
  };
  const blob = new Blob([JSON.stringify(fc, null, 1)], { type: 'application/geo+json' });
  download(blob, resultFileName('geojson'));
  status(`Export GeoJSON : ${plural(features.length, 'acteur', 'acteurs')}.`, false, $('export-geojson'));
}

/**
 * The result as a GeoPackage for QGIS: the same request asked again with `format=gpkg`, so
 * that the server writes every column with its type (numbers stay numbers even when empty).
 */
async function exportGpkg() {
  const r = state.results;
  if (!r || !r.source) return;
  const button = $('export-gpkg');
  const sep = r.source.path.includes('?') ? '&' : '?';
  try {
    const blob = await apiFile(`${r.source.path}${sep}format=gpkg`, r.source.options);
    download(blob, resultFileName('gpkg'));
    status(`Export GeoPackage : ${plural(r.features.length, 'acteur', 'acteurs')}.`, false, button);
  } catch (e) {
    status(`Export GeoPackage impossible : ${e.message}`, true, button);
  }
}

$('export-csv').addEventListener('click', exportCsv);
$('export-geojson').addEventListener('click', exportGeojson);
$('export-gpkg').addEventListener('click', exportGpkg);

// ---------------------------------------------------------------------------------------
// The map as a PNG image
// ---------------------------------------------------------------------------------------

/** A round distance (m) drawn at most `maxPx` wide: 1, 2, 5 × 10^n. */
function scaleBar(maxPx) {
  const size = map.getSize();
  const y = size.y / 2;
  const metersPerPx = map.containerPointToLatLng([0, y]).distanceTo(map.containerPointToLatLng([maxPx, y])) / maxPx;
  const max = metersPerPx * maxPx;
  const pow = Math.pow(10, Math.floor(Math.log10(max)));
  const meters = [5, 2, 1].map((m) => m * pow).find((m) => m <= max) || pow;
  return {
    px: meters / metersPerPx,
    label: meters >= 1000 ? `${meters / 1000}\u00a0km` : `${meters}\u00a0m`,
  };
}

let sourcesText = null;
async function sourcesLine() {
  if (sourcesText === null) {
    try {
      const list = await api('api/sources');
      const seen = new Set();
      for (const s of list) {
        const text = s.source + (s.date ? ` (${formatDate(s.date)})` : '') + (s.exemple ? ' – exemple fictif' : '');
        seen.add(text);
      }
      sourcesText = [...seen].join(', ');
    } catch (e) {
      sourcesText = '';
    }
  }
  return sourcesText;
}

/** Draws text on a white box; returns the box height. */
function wrapText(ctx, text, maxWidth) {
  const words = text.split(' ');
  const lines = [];
  let line = '';
  for (const w of words) {
    const next = line ? line + ' ' + w : w;
    if (ctx.measureText(next).width > maxWidth && line) {
      lines.push(line);
      line = w;
    } else {
      line = next;
    }
  }
  if (line) lines.push(line);
  return lines;
}

// Outlines, shapes and markers drawn from current data onto a canvas (tiles omitted), with a
// title, the legend of the visible layers only, a scale, the filters and the sources.
async function exportPng() {
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
  const legend = []; // [draw(x, y), label]

  ctx.lineJoin = 'round';
  ctx.beginPath();
  const visibleCommunes = [...communeFeatures.values()].filter(intersectsView);
  for (const f of visibleCommunes) tracePolygons(f.geometry);
  ctx.fillStyle = '#f8f6f0';
  ctx.fill('evenodd');
  ctx.strokeStyle = '#8a929b';
  ctx.lineWidth = 0.8;
  ctx.stroke();
  if (visibleCommunes.length) {
    legend.push([
      (x, y) => {
        ctx.fillStyle = '#f8f6f0';
        ctx.strokeStyle = '#8a929b';
        ctx.lineWidth = 1;
        ctx.fillRect(x - 7, y - 10, 14, 12);
        ctx.strokeRect(x - 7, y - 10, 14, 12);
      },
      'Limites des communes',
    ]);
  }
  // Commune names, as on screen.
  if (map.getZoom() >= COMMUNE_LABEL_ZOOM) {
    ctx.font = '11px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.fillStyle = '#374151';
    for (const node of document.querySelectorAll('.leaflet-pane .nom-commune')) {
      const f = communeFeatures.get(node.dataset.code);
      if (!f || !f.labelPoint) continue;
      const p = map.latLngToContainerPoint(f.labelPoint);
      ctx.fillText(node.textContent, p.x, p.y);
    }
    ctx.textAlign = 'left';
  }

  const stroke = (color, width, dash) => {
    ctx.setLineDash(dash || []);
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.stroke();
    ctx.setLineDash([]);
  };
  const line = (color, width, dash) => (x, y) => {
    ctx.beginPath();
    ctx.moveTo(x - 8, y - 4);
    ctx.lineTo(x + 8, y - 4);
    stroke(color, width, dash);
  };
  if (state.territoryFeature) {
    ctx.beginPath();
    const g = geometryOf(state.territoryFeature);
    if (g && g.type === 'FeatureCollection') g.features.forEach((f) => tracePolygons(f.geometry));
    else tracePolygons(g);
    stroke('#b3541e', 3, [8, 6]);
    const name = (state.territoryFeature.properties || {}).nom || state.territory;
    legend.push([line('#b3541e', 3, [5, 3]), `Territoire : ${name}`]);
  }
  if (state.commune) {
    ctx.beginPath();
    tracePolygons(geometryOf(state.commune));
    ctx.fillStyle = 'rgba(249, 115, 22, 0.08)';
    ctx.fill('evenodd');
    stroke('#c2410c', 4);
    legend.push([line('#c2410c', 4), `Commune : ${(state.commune.properties || {}).nom || ''}`]);
  }
  const zone = drawnZone();
  if (zone) {
    ctx.beginPath();
    tracePolygons(zone);
    ctx.fillStyle = 'rgba(234, 88, 12, 0.1)';
    ctx.fill();
    stroke('#7c2d12', 2);
    legend.push([line('#7c2d12', 2), 'Zone dessinée']);
  }
  if (state.radius) {
    const c = pt(state.radius.lon, state.radius.lat);
    const edge = pt(state.radius.lon, state.radius.lat + state.radius.km / 111.195);
    ctx.beginPath();
    ctx.arc(c.x, c.y, Math.abs(c.y - edge.y), 0, 2 * Math.PI);
    ctx.fillStyle = 'rgba(15, 95, 140, 0.06)';
    ctx.fill();
    stroke('#0f5f8c', 2);
    legend.push([line('#0f5f8c', 2), `Rayon de ${state.radius.km}\u00a0km`]);
  }
  const inView = map.getBounds();
  for (const l of LAYERS) {
    if (!state.layers.has(l.id)) continue;
    let count = 0;
    ctx.fillStyle = l.color;
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = 1.5;
    for (const m of markersById.values()) {
      if (m.layerId !== l.id || !inView.contains(m.getLatLng())) continue;
      const p = map.latLngToContainerPoint(m.getLatLng());
      ctx.beginPath();
      ctx.arc(p.x, p.y, 5, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
      count += 1;
    }
    // The legend names the visible layers only (shown, and with actors in the picture).
    if (count) {
      legend.push([
        (x, y) => {
          ctx.beginPath();
          ctx.arc(x, y - 4, 6, 0, 2 * Math.PI);
          ctx.fillStyle = l.color;
          ctx.fill();
        },
        `${l.label} (${count})`,
      ]);
    }
  }
  const selected = latLngOf(state.selected);
  if (selected) {
    const p = map.latLngToContainerPoint(selected);
    ctx.beginPath();
    ctx.arc(p.x, p.y, 12, 0, 2 * Math.PI);
    stroke('#111827', 3);
  }

  // Title (with the filters) at the top.
  const box = 'rgba(255, 255, 255, 0.92)';
  const title = (state.config && state.config.titre) || 'maillage';
  const filters = filterDescription() || 'tous les acteurs';
  ctx.font = '600 15px system-ui, sans-serif';
  const titleLines = wrapText(ctx, title, size.x - 40);
  ctx.font = '12px system-ui, sans-serif';
  const filterLines = wrapText(ctx, `Filtres : ${filters}`, size.x - 40);
  const headH = 12 + titleLines.length * 19 + filterLines.length * 15;
  let headW = 0;
  ctx.font = '600 15px system-ui, sans-serif';
  for (const t of titleLines) headW = Math.max(headW, ctx.measureText(t).width);
  ctx.font = '12px system-ui, sans-serif';
  for (const t of filterLines) headW = Math.max(headW, ctx.measureText(t).width);
  ctx.fillStyle = box;
  ctx.fillRect(8, 8, headW + 20, headH);
  ctx.fillStyle = '#111827';
  ctx.font = '600 15px system-ui, sans-serif';
  titleLines.forEach((t, i) => ctx.fillText(t, 18, 27 + i * 19));
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillStyle = '#374151';
  filterLines.forEach((t, i) => ctx.fillText(t, 18, 27 + titleLines.length * 19 + i * 15 - 2));

  // Footer: date and sources.
  const sources = await sourcesLine();
  ctx.font = '11px system-ui, sans-serif';
  const footLines = wrapText(
    ctx,
    `maillage – carte exportée le ${formatDate(stamp())} – sources : ${sources || 'non précisées'} – fond : contours des communes`,
    size.x - 24
  );
  const footH = footLines.length * 14 + 8;
  ctx.fillStyle = box;
  ctx.fillRect(0, size.y - footH, size.x, footH);
  ctx.fillStyle = '#374151';
  footLines.forEach((t, i) => ctx.fillText(t, 10, size.y - footH + 15 + i * 14));

  // Scale, above the footer on the right.
  const bar = scaleBar(Math.min(140, size.x / 4));
  const sx = size.x - bar.px - 20;
  const sy = size.y - footH - 14;
  ctx.fillStyle = box;
  ctx.fillRect(sx - 8, sy - 20, bar.px + 16, 28);
  ctx.fillStyle = '#111827';
  ctx.fillRect(sx, sy, bar.px, 3);
  ctx.fillRect(sx, sy - 5, 2, 8);
  ctx.fillRect(sx + bar.px - 2, sy - 5, 2, 8);
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.fillText(bar.label, sx + bar.px / 2, sy - 7);
  ctx.textAlign = 'left';

  // Legend of what is drawn, above the footer on the left.
  ctx.font = '13px system-ui, sans-serif';
  let legendW = 0;
  for (const [, label] of legend) legendW = Math.max(legendW, ctx.measureText(label).width);
  const legendH = 30 + legend.length * 20;
  const ly = size.y - footH - 8 - legendH;
  if (legend.length) {
    ctx.fillStyle = box;
    ctx.fillRect(8, ly, legendW + 46, legendH);
    ctx.fillStyle = '#111827';
    ctx.font = '600 13px system-ui, sans-serif';
    ctx.fillText('Légende', 18, ly + 18);
    ctx.font = '13px system-ui, sans-serif';
    legend.forEach(([drawSymbol, label], i) => {
      const y = ly + 40 + i * 20;
      drawSymbol(22, y);
      ctx.fillStyle = '#111827';
      ctx.fillText(label, 36, y);
    });
  }
  // What the image holds, for who checks it (tests, accessibility of the download message).
  const described = {
    titre: title,
    filtres: filters,
    legende: legend.map(([, label]) => label),
    echelle: bar.label,
    sources,
  };
  document.body.dataset.dernierPng = JSON.stringify(described);

  const name = ['maillage-carte', filterDescription() ? slug(filterDescription(), 60) : '', stamp()]
    .filter(Boolean)
    .join('-');
  canvas.toBlob((blob) => {
    if (!blob) {
      status("Impossible de produire l'image.", true, $('export-png'));
      return;
    }
    download(blob, `${name}.png`);
    status('Image de la carte enregistrée.', false, $('export-png'));
  }, 'image/png');
}
$('export-png').addEventListener('click', exportPng);

// ---------------------------------------------------------------------------------------
// The link of the view
// ---------------------------------------------------------------------------------------

$('copier-lien').addEventListener('click', async () => {
  urlstate.save();
  const ok = await copyText(location.href);
  status(ok ? 'Lien copié : il reproduit cette vue.' : 'Impossible de copier le lien.', !ok, $('copier-lien'));
});
