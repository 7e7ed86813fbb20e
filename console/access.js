// Operators' and tenant admins' screens for roles and principals (action
// admin): list roles, create or edit one through a form; list principals,
// create one (its API key shown once, never stored), delete one after an
// inline confirmation. A saved role calls `onRolesChanged` so the console
// probes its own abilities again.
import { call, enc, tenantPath } from './api.js';
import { $, busy, el, errorLine, show, text } from './dom.js';

const ACTIONS = ['tokenize', 'detokenize', 'write', 'read', 'search', 'export', 'erase', 'hold',
  'audit', 'keys', 'admin', 'revoke'];
const REVEALS = ['token_only', 'masked', 'hashed', 'plain'];

const tenant = () => $('access-tenant').value.trim();
const list = (value) => value.split(',').map((s) => s.trim()).filter((s) => s);
const joined = (items) => (items || []).join(', ');

let rolesChanged = async () => {};

// ---- roles
function roleRow(role) {
  const edit = el('button', { type: 'button', className: 'role-edit' }, 'Edit');
  edit.addEventListener('click', () => fillRoleForm(role));
  const flags = [role.require_purpose ? 'purpose required' : '',
    role.allow_deterministic ? 'deterministic tokens' : ''].filter((f) => f);
  return el('tr', { dataset: { role: role.name } },
    el('td', { className: 'mono' }, role.name),
    el('td', {}, joined(role.actions)),
    el('td', {}, joined(role.types)),
    el('td', {}, role.max_reveal || ''),
    el('td', {}, joined(role.purposes)),
    el('td', {}, flags.join(', ')),
    el('td', {}, edit));
}

async function listRoles() {
  const r = await call('GET', `${tenantPath(tenant())}/roles`);
  const roles = r.body.roles || [];
  const head = el('tr', {}, ...['role', 'actions', 'types', 'max_reveal', 'purposes', 'flags', '']
    .map((c) => el('th', {}, c)));
  show($('roles-result'), text(`${roles.length} roles in tenant ${tenant()}`, 'note'),
    el('table', { id: 'roles-table' }, el('thead', {}, head),
      el('tbody', {}, ...roles.map(roleRow))));
}

function fillRoleForm(role) {
  $('role-name').value = role.name;
  for (const box of document.querySelectorAll('#role-actions input')) {
    box.checked = (role.actions || []).includes(box.value);
  }
  $('role-types').value = joined(role.types);
  $('role-reveal').value = role.max_reveal || 'masked';
  $('role-purposes').value = joined(role.purposes);
  $('role-require-purpose').checked = Boolean(role.require_purpose);
  $('role-deterministic').checked = Boolean(role.allow_deterministic);
  show($('role-result'), text(`Editing role ${role.name}: change it and save.`, 'note'));
  $('role-name').focus();
}

async function saveRole() {
  const name = $('role-name').value.trim();
  const body = {
    actions: [...document.querySelectorAll('#role-actions input:checked')].map((b) => b.value),
    types: list($('role-types').value),
    max_reveal: $('role-reveal').value,
    purposes: list($('role-purposes').value),
    require_purpose: $('role-require-purpose').checked,
    allow_deterministic: $('role-deterministic').checked,
  };
  const heading = el('p', { id: 'role-heading' }, `Role ${name}`);
  let r;
  try {
    r = await call('PUT', `${tenantPath(tenant())}/roles/${enc(name)}`, { body });
  } catch (err) {
    show($('role-result'), heading, errorLine(err));
    return;
  }
  show($('role-result'), heading, text(`Role ${r.body.name} saved in tenant ${tenant()}`, 'ok'));
  await listRoles();
  // The signed-in key may hold this role: what it may do can have changed.
  await rolesChanged();
}

// ---- principals
function principalRow(p) {
  const del = el('button', { type: 'button', className: 'warn principal-delete' }, 'Delete…');
  del.addEventListener('click', () => askDelete(p));
  return el('tr', { dataset: { principal: p.id } },
    el('td', { className: 'mono' }, p.id),
    el('td', {}, p.name),
    el('td', {}, joined(p.roles)),
    el('td', {}, p.created_at || ''),
    el('td', {}, del));
}

async function listPrincipals() {
  const r = await call('GET', `${tenantPath(tenant())}/principals`);
  const principals = r.body.principals || [];
  const head = el('tr', {}, ...['id', 'name', 'roles', 'created_at', '']
    .map((c) => el('th', {}, c)));
  show($('principals-result'),
    text(`${principals.length} principals in tenant ${tenant()}`, 'note'),
    el('table', { id: 'principals-table' }, el('thead', {}, head),
      el('tbody', {}, ...principals.map(principalRow))));
}

// The key is put into the page once, as text, and nowhere else: not in
// storage, not in a variable that outlives this call.
function showNewKey(p) {
  const key = el('code', { id: 'new-key', className: 'secret' }, p.api_key);
  const copy = el('button', { type: 'button', id: 'new-key-copy' }, 'Copy');
  const done = el('button', { type: 'button', id: 'new-key-dismiss' }, 'I have stored it: hide');
  const note = el('p', { id: 'new-key-copied', className: 'note', role: 'status' });
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(key.textContent);
      note.textContent = 'Copied to the clipboard.';
    } catch {
      // No clipboard access (plain HTTP from another host, or refused):
      // select the text so that Ctrl+C copies it.
      window.getSelection().selectAllChildren(key);
      note.textContent = 'Selected: press Ctrl+C (the browser refused clipboard access).';
    }
  });
  done.addEventListener('click', () => show($('new-key-box')));
  show($('new-key-box'),
    el('p', { className: 'ok' }, `Principal ${p.id} (${p.name}) created with roles `
      + `${joined(p.roles) || '(none)'}.`),
    el('p', { className: 'bad', id: 'new-key-warning' }, 'API key, shown only now: the vault keeps '
      + 'only a hash of it and cannot show it again. Store it in your secret store.'),
    el('div', { className: 'keyline' }, key, copy, done), note);
}

async function createPrincipal() {
  const name = $('principal-name').value.trim();
  const body = { name, roles: list($('principal-roles').value) };
  const heading = el('p', { id: 'principal-heading' }, `Principal ${name}`);
  show($('new-key-box'));
  let r;
  try {
    r = await call('POST', `${tenantPath(tenant())}/principals`, { body });
  } catch (err) {
    show($('new-key-box'), heading, errorLine(err));
    return;
  }
  $('principal-name').value = '';
  showNewKey(r.body);
  await listPrincipals();
}

// Asks inline (no browser dialog) before deleting.
function askDelete(p) {
  const yes = el('button', { type: 'button', id: 'principal-delete-confirm', className: 'warn' },
    `Delete ${p.name}`);
  const no = el('button', { type: 'button', id: 'principal-delete-keep' }, 'Keep it');
  no.addEventListener('click', () => show($('principal-delete-box')));
  yes.addEventListener('click', () => busy(yes, $('principal-delete-box'), async () => {
    await call('DELETE', `${tenantPath(tenant())}/principals/${enc(p.id)}`);
    show($('principal-delete-box'),
      text(`Principal ${p.id} (${p.name}) deleted: its key is refused from now on.`, 'ok'));
    await listPrincipals();
  }));
  show($('principal-delete-box'),
    el('p', { id: 'principal-delete-question', className: 'bad' },
      `Delete principal ${p.id} (${p.name})? Its API key stops working at once; `
      + 'this cannot be undone (a new principal gets a new key).'),
    yes, no);
}

function onSubmit(formId, buttonId, outId, action) {
  $(formId).addEventListener('submit', (event) => {
    event.preventDefault();
    busy($(buttonId), $(outId), action);
  });
}

export function setUpAccess({ onRolesChanged }) {
  rolesChanged = onRolesChanged;
  const actions = $('role-actions');
  for (const a of ACTIONS) {
    actions.append(el('label', { className: 'check' },
      el('input', { type: 'checkbox', value: a, name: 'role-action' }), a));
  }
  for (const r of REVEALS) $('role-reveal').append(el('option', { value: r }, r));
  $('role-reveal').value = 'masked';
  // Every call names the tenant typed (or given at sign-in) above.
  const needTenant = (action) => async () => {
    if ($('access-form').reportValidity()) await action();
  };
  onSubmit('access-form', 'roles-list', 'roles-result', listRoles);
  $('principals-list').addEventListener('click', () => busy($('principals-list'),
    $('principals-result'), needTenant(listPrincipals)));
  onSubmit('role-form', 'role-save', 'role-result', needTenant(saveRole));
  onSubmit('principal-form', 'principal-create', 'new-key-box', needTenant(createPrincipal));
}
