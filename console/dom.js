// DOM helpers. Every value is inserted as text (textContent or a text node),
// never as HTML, so data from the vault cannot become markup or script.

export const $ = (id) => document.getElementById(id);

// el('td', {className: 'mono'}, 'text', childNode, ...): strings become text nodes.
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'dataset') Object.assign(node.dataset, value);
    else node[key] = value;
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return node;
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

// Replaces `node`'s content with `children`.
export function show(node, ...children) {
  clear(node).append(...children.filter((c) => c !== null && c !== undefined));
}

export function text(message, className = '') {
  return el('p', { className }, message);
}

// The reasons of the consent gate (api.md, Consent), as the 403 message starts.
const CONSENT_REFUSALS = {
  consent_withdrawn: 'the subject withdrew consent for this purpose',
  minor_without_guardian_consent: 'the subject is a minor without a guardian\'s consent',
};

// An API error as one line: "403 PERMISSION_DENIED: no role grants this action".
// A read refused by the subject's consent says so first, then the API's answer.
export function errorLine(err) {
  const reason = err.status === 403 ? /^([a-z_]+):/.exec(err.detail || '') : null;
  if (reason && CONSENT_REFUSALS[reason[1]]) {
    return el('div', { className: 'consent-refused' },
      el('p', { className: 'bad' },
        `Refused by the subject's consent (${reason[1]}): ${CONSENT_REFUSALS[reason[1]]}.`),
      text(err.message, 'error'));
  }
  return text(err.message, 'error');
}

// A two-column table of an object's fields (nested objects as JSON text).
export function fieldTable(obj, keys = Object.keys(obj)) {
  const body = el('tbody');
  for (const key of keys) {
    if (!(key in obj)) continue;
    const v = obj[key];
    const shown = typeof v === 'object' ? JSON.stringify(v) : String(v);
    body.append(el('tr', {}, el('th', {}, key), el('td', { className: 'mono' }, shown)));
  }
  return el('table', {}, body);
}

// A table with a header row and one row per item (cells from `columns`).
export function rowsTable(columns, items, cell = (item, c) => item[c]) {
  const head = el('tr', {}, ...columns.map((c) => el('th', {}, c)));
  const body = el('tbody');
  for (const item of items) {
    body.append(el('tr', {}, ...columns.map((c) => {
      const v = cell(item, c);
      return el('td', {}, Array.isArray(v) ? v.join(', ') : String(v ?? ''));
    })));
  }
  return el('table', {}, el('thead', {}, head), body);
}

// Runs an async action with its button disabled meanwhile; errors go to `out`.
export async function busy(button, out, action) {
  const wasDisabled = button ? button.disabled : false;
  if (button) button.disabled = true;
  try {
    await action();
  } catch (err) {
    if (out) show(out, errorLine(err));
  } finally {
    if (button) button.disabled = wasDisabled;
  }
}
