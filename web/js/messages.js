// Messages of the page, shown next to the control that caused them.
//
// Every message is read out by the live region #statut (visually hidden) and shown beside
// its origin: the control the user last clicked, changed or typed in (or an element given
// by the caller). In the side panel it appears right under that control's group of fields or
// buttons, and the panel scrolls to it; from the map or the header it appears over the map,
// under the header (#carte-message). On a phone the panel is closed first when the message
// is about the map.
import { $, el } from './util.js';

let origin = null;
let originAt = 0;
for (const type of ['click', 'change', 'submit', 'keydown']) {
  document.addEventListener(
    type,
    (ev) => {
      if (ev.target instanceof Element) {
        origin = ev.target;
        originAt = Date.now();
      }
    },
    true
  );
}

// How long after a user action its (asynchronous) messages still belong to its control.
const ORIGIN_MS = 15000;
let hideTimer = null;
let localNode = null;

function localMessage() {
  if (!localNode) {
    localNode = el('p', { id: 'message-local', class: 'message-local', 'aria-hidden': 'true' });
  }
  return localNode;
}

/** The group under which a message about `node` (inside the panel) is shown. */
function anchorOf(node) {
  // A list of checkboxes (kinds): under the list, not inside it.
  const list = node.closest('.types-liste');
  if (list) return list;
  const form = node.closest('form');
  if (form) return form.querySelector(':scope > .boutons:last-of-type') || form;
  return node.closest('.boutons, .champ, .type-ligne, fieldset, .fiche-actions, summary') || node;
}

/**
 * Shows a message next to `near` (an element), or next to the control the user last used.
 * `isError` marks it as an error (kept until the next message); others fade after 8 s.
 */
export function status(message, isError, near) {
  const live = $('statut');
  live.textContent = message || '';
  live.classList.toggle('statut-erreur', !!isError);
  clearTimeout(hideTimer);
  const local = localMessage();
  const floating = $('carte-message');
  local.hidden = true;
  floating.hidden = true;
  if (!message) return;
  let node = near || (Date.now() - originAt < ORIGIN_MS ? origin : null);
  if (node && !document.body.contains(node)) node = null;
  const panel = $('panneau');
  const visible = (n) => n && n.getClientRects().length > 0;
  let shown;
  if (node && panel.contains(node) && node !== panel && visible(node)) {
    const anchor = anchorOf(node);
    anchor.after(local);
    shown = local;
  } else {
    shown = floating;
  }
  shown.textContent = message;
  shown.classList.toggle('message-erreur', !!isError);
  shown.hidden = false;
  if (shown === local) local.scrollIntoView({ block: 'nearest' });
  if (!isError) hideTimer = setTimeout(() => (shown.hidden = true), 8000);
}

export function fail(err, near) {
  if (err && err.name === 'AbortError') return;
  status(err && err.message ? err.message : 'Erreur inattendue.', true, near);
}
