// The page's state in the URL (`#c=43.9,1.9&z=11&k=ehpad…`): a link restores the work.
//
// One place for every part of the page. A part registers the keys it owns, how to write
// them and how to apply them:
//
//   register({ name: 'diagnostic', order: 80, keys: ['dt', 'dk'],
//              write: (set) => set('dt', territory),          // set(key, value); '' or null: omitted
//              apply: async (h) => { if (h.dt) … } });       // h: every key of the hash
//   save();                                                   // after a change of that part
//
// Parts are applied in `order` at start-up (restore) and when the hash changes (back/forward,
// a pasted link). While a restore runs and before the first one is done, save() does nothing,
// so applying a link never rewrites it half-way.
//
// Keys in use (each owned by one part):
//   map     c (centre lat,lon), z (zoom)
//   layers  s (sectors shown), l (extra layers: mairies), k (kinds), t (territory)
//   search  m (highlighted commune)
//   actor   a (actor card)
//   tools   r (radius lat,lon,km), rn (its label), o (tool result: rayon, proches, zone,
//           commune, territoire), zp (drawn zone: lat,lon;lat,lon;…)
//   orientation  op (procedure), ol (commune code), on (place label), oa (age)
//   diagnostic   keys starting with d (owned by web/diagnostic.js): dt, dk, di, dv, ds and dsu
//                (coverage threshold and its unit), dp, du, do, dm, dc

const parts = [];
let ready = false;
let applying = 0;

export function register(part) {
  parts.push({ order: 50, ...part });
  parts.sort((a, b) => a.order - b.order);
}

/** The hash as a plain object (values decoded). */
export function read() {
  const out = {};
  for (const piece of location.hash.replace(/^#/, '').split('&')) {
    if (!piece) continue;
    const i = piece.indexOf('=');
    const key = i < 0 ? piece : piece.slice(0, i);
    let value = i < 0 ? '' : piece.slice(i + 1);
    try {
      value = decodeURIComponent(value);
    } catch (e) {
      // Keep a malformed value as written.
    }
    out[key] = value;
  }
  return out;
}

/** The hash that the parts describe now. */
export function current() {
  const pairs = [];
  const set = (k, v) => {
    if (v === null || v === undefined || v === '') return;
    pairs.push(`${k}=${encodeURIComponent(String(v)).replace(/%2C/gi, ',').replace(/%3B/gi, ';')}`);
  };
  for (const p of parts) if (p.write) p.write(set);
  return '#' + pairs.join('&');
}

/** Writes every part's state to the URL (replaceState: no history entry per change). */
export function save() {
  if (!ready || applying) return;
  const hash = current();
  if (location.hash !== hash) history.replaceState(null, '', hash);
}

/** Applies the hash to every part, in order; returns the decoded hash. */
export async function restore() {
  const h = read();
  applying += 1;
  try {
    for (const p of parts) {
      if (!p.apply) continue;
      try {
        await p.apply(h);
      } catch (e) {
        console.error(`état de l'adresse (${p.name}) :`, e);
      }
    }
  } finally {
    applying -= 1;
  }
  return h;
}

/** Called once the page has applied its first hash: from now on, changes are saved. */
export function markReady() {
  ready = true;
  save();
}

export function isRestoring() {
  return applying > 0;
}
