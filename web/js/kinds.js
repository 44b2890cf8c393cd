// The checklist of kinds of supply, built in one place for every control that chooses kinds:
// the map's « Types » (js/layers.js) and the diagnostic's kinds and parameters (diagnostic.js).
import { el, intFormat } from './util.js';
import { state } from './state.js';

/** The loaded kinds that pass `keep`, in French alphabetical order of their label. */
export function kindsByLabel(keep = () => true) {
  return state.kinds.filter(keep).sort((a, b) => a.libelle.localeCompare(b.libelle, 'fr'));
}

/**
 * One row of a checklist of kinds: a box (id `${idPrefix}${k.id}`, value and `data-type` the
 * kind's id) and its label, followed by the kind's number of actors unless `count` is false.
 * `attrs` are more attributes of the row. Returns the row and its box.
 */
export function kindCheckRow(k, idPrefix, { checked = false, count = true, attrs = {} } = {}) {
  const id = `${idPrefix}${k.id}`;
  const input = el('input', { type: 'checkbox', id, value: k.id, 'data-type': k.id, checked });
  const row = el(
    'div',
    { ...attrs, class: 'type-ligne' },
    input,
    el(
      'label',
      { for: id },
      el('span', { class: 'type-libelle', text: k.libelle }),
      count ? el('span', { class: 'type-nombre', text: intFormat.format(k.nombre || 0) }) : null
    )
  );
  return { row, input };
}
