/**
 * DOM building for the page. Text from the store only ever enters the page through
 * `textContent` / text nodes: never as HTML, so a parameter value like `<img onerror=...>` shows
 * as those characters and runs nothing.
 */

/** What {@link h} accepts as a child: nodes, or values shown as text. */
export type Child = Node | string | number | null | undefined | false;

/**
 * Creates an element with attributes and children (strings become text nodes).
 *
 * @example
 * h('a', { href: '#/trial/3', class: 'id' }, 'trial ', 3);
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    // event handlers are attached with addEventListener, never as attributes
    if (k.toLowerCase().startsWith('on')) throw new Error(`h(): attribute ${k} refused`);
    el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, ...children);
  return el;
}

/**
 * Appends children to a node, strings as text.
 *
 * @example
 * append(cell, 'trial ', 3);
 */
export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/**
 * Replaces a node's children.
 *
 * @example
 * replace(app, h('p', {}, 'loading…'));
 */
export function replace(el: Node, ...children: Child[]): void {
  while (el.firstChild) el.removeChild(el.firstChild);
  append(el, ...children);
}

/**
 * A number as the page shows it: integers with thousands separators, others to 4 digits.
 *
 * @example
 * fmt(25408); // '25,408'
 * fmt(0.81333); // '0.8133'
 */
export function fmt(v: unknown): string {
  if (typeof v !== 'number') return v === undefined || v === null ? '–' : String(v);
  if (!Number.isFinite(v)) return '–';
  return Number.isInteger(v) ? v.toLocaleString('en-US') : Math.abs(v) >= 1e4 ? v.toExponential(3) : v.toPrecision(4);
}

/**
 * A value of any kind as one line of text (objects as JSON).
 *
 * @example
 * text({ a: 1 }); // '{"a":1}'
 */
export function text(v: unknown): string {
  if (typeof v === 'number') return fmt(v);
  if (typeof v === 'string') return v;
  return v === undefined || v === null ? '–' : JSON.stringify(v);
}
