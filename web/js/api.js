// Requests to the HTTP API (docs/api.md). The number of requests in flight is kept on
// <body data-requetes> (lets tests and styles know when the page is idle).

let pending = 0;
function trackPending(delta) {
  pending += delta;
  document.body.dataset.requetes = String(pending);
}

/** Reads a JSON body; a request cancelled while its body arrives stays an AbortError. */
async function readJson(resp, signal) {
  try {
    return await resp.json();
  } catch (e) {
    if ((e && e.name === 'AbortError') || (signal && signal.aborted)) {
      throw new DOMException('requête annulée', 'AbortError');
    }
    return null;
  }
}

/** The French message of an error body. */
function messageOf(body, status) {
  return body && body.erreur
    ? body.erreur + (body.detail ? ' : ' + body.detail : '')
    : `Le serveur a répondu par une erreur (${status}).`;
}

/** Fetches JSON from the API; throws an Error with the server's French message. */
export async function api(path, options) {
  trackPending(1);
  try {
    const signal = options && options.signal;
    const resp = await fetch(path, options);
    const body = await readJson(resp, signal);
    if (!resp.ok) throw new Error(messageOf(body, resp.status));
    if (body === null) throw new Error('Réponse illisible du serveur.');
    return body;
  } finally {
    trackPending(-1);
  }
}

/** Fetches a file from the API (a download); throws an Error with the server's French message. */
export async function apiFile(path, options) {
  trackPending(1);
  try {
    const resp = await fetch(path, options);
    if (!resp.ok) throw new Error(messageOf(await readJson(resp), resp.status));
    return await resp.blob();
  } finally {
    trackPending(-1);
  }
}

const deCache = new Map();
/**
 * « de » + a name with French elision and contraction (d'Albi, du Garric, de Gaillac), as the
 * server forms it (`model::text::de`, through `/api/texte/de`): the rule has one definition.
 */
export async function de(name) {
  const n = String(name || '').trim();
  if (!deCache.has(n)) {
    const p = api('api/texte/de?nom=' + encodeURIComponent(n)).then((r) => r.texte);
    deCache.set(n, p);
    p.catch(() => deCache.delete(n));
  }
  return deCache.get(n);
}

/**
 * Like `api`, but never throws on an HTTP error: resolves to {ok, status, etag, body} so that
 * callers can read field errors (400), stale versions (412) and ETags.
 */
export async function request(path, options) {
  trackPending(1);
  try {
    const resp = await fetch(path, options);
    const body = await readJson(resp, options && options.signal);
    return { ok: resp.ok, status: resp.status, etag: resp.headers.get('ETag'), body };
  } finally {
    trackPending(-1);
  }
}

/** The French message of a failed `request`. */
export function errorMessage(r) {
  return messageOf(r.body, r.status);
}
