// Small DOM helpers: elements from plain data, with text always set as text (names and
// payloads come from the API and are never parsed as HTML).

/** An element: `h('a', {href: '#/'}, 'home', child)`. `on*` attributes are listeners. */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? '' : value);
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
}

/** An API date (epoch seconds) as local date and time with milliseconds. */
export function formatDate(seconds) {
  if (seconds === undefined || seconds === null) return '—';
  const date = new Date(seconds * 1000);
  const pad = (n, width = 2) => String(n).padStart(width, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.` +
    pad(date.getMilliseconds(), 3);
}

/** An execution status as a coloured badge. */
export function statusBadge(status) {
  return h('span', { class: `badge badge-${String(status).toLowerCase()}`, 'data-status': status }, status);
}

/** JSON text from the API (an input or output), pretty-printed when it parses. */
export function pretty(text) {
  if (text === undefined || text === null) return '';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return String(text);
  }
}

/** A collapsible block of JSON text; open when `open`. */
export function jsonBlock(label, text, open = false) {
  const body = pretty(text);
  const preview = body.replace(/\s+/g, ' ').slice(0, 60);
  return h('details', { class: 'json', open },
    h('summary', {}, h('b', {}, label), ' ', h('code', {}, preview + (body.length > 60 ? '…' : ''))),
    h('pre', {}, body));
}

/** An error message in the page. */
export function errorBox(error) {
  return h('div', { class: 'error-box', role: 'alert' }, String(error.message || error));
}
