// Small helpers of the page: DOM building, French number and date formats, text folding,
// downloads and the clipboard. No state here.

export const $ = (id) => document.getElementById(id);

export const kmFormat = new Intl.NumberFormat('fr-FR', {
  minimumFractionDigits: 1,
  maximumFractionDigits: 1,
});
export const intFormat = new Intl.NumberFormat('fr-FR');

/** Creates an element: el('a', {href: '…', class: 'x'}, 'text', child…). */
export function el(tag, attrs, ...children) {
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

export function formatKm(meters) {
  return kmFormat.format(meters / 1000) + '\u00a0km';
}

/** A number of minutes with the server's wording of minutes (`minutes_libelle` of
 *  /api/config or of an answer, `analysis::Travel::minutes_wording`): « 15 min en voiture
 *  (Valhalla) ». The page has no wording of its own; answers carry their labels. */
export function formatMinutes(minutes, wording) {
  return `${intFormat.format(minutes)} min ${wording || ''}`.trim();
}

export function plural(n, one, many) {
  return intFormat.format(n) + '\u00a0' + (n > 1 ? many : one);
}

/** `AAAA-MM-JJ…` → `JJ/MM/AAAA`. */
export function formatDate(value) {
  if (!value) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(value));
  return m ? `${m[3]}/${m[2]}/${m[1]}` : String(value);
}

/** Folds case and accents for client-side filtering. */
export function fold(s) {
  return String(s || '')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
}

/** A file-name part: `Autour de Gaillac (EHPAD)` → `autour-de-gaillac-ehpad`. */
export function slug(s, max = 60) {
  return fold(s)
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/, '');
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** Today as `AAAA-MM-JJ` (local time), for file names. */
export function stamp() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: filename, class: 'visuellement-cache' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export async function copyText(text) {
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
