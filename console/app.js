// The console's entry point: sign-in, discovering what the key may do (one
// API call per ability), greying out what the API refused, and the tabs.
import { ApiError, PURPOSES, call, session, tenantPath } from './api.js';
import { setUpAccess } from './access.js';
import { setUpConsent } from './consent.js';
import { $, el, show } from './dom.js';
import { setUpOperator } from './operator.js';
import { setUpPrivacy } from './privacy.js';
import { setUpReport } from './report.js';

const PROBE_SUBJECT = 'console-probe';

// Each ability: a harmless call that the API refuses with 403 when the key
// lacks it (a nonexistent subject, erasure or hold answers 404 instead; a
// consent that withdraws `legal`, or a report whose period ends before it
// starts, 400 after the role check and before anything is stored or read).
function probes(tenant) {
  const t = tenantPath(tenant);
  const list = [{ ability: 'operator', method: 'GET', path: '/v1/sys/audit/verify' }];
  if (!tenant) return list;
  return list.concat([
    { ability: 'admin', method: 'GET', path: t },
    { ability: 'keys', method: 'GET', path: `${t}/keys` },
    { ability: 'audit', method: 'GET', path: `${t}/audit?limit=1` },
    { ability: 'read', method: 'GET', path: `${t}/subjects/${PROBE_SUBJECT}?reveal=masked` },
    { ability: 'erase', method: 'GET', path: `${t}/erasures/er_00000000000000000000` },
    { ability: 'hold', method: 'DELETE',
      path: `${t}/subjects/${PROBE_SUBJECT}/holds/${PROBE_SUBJECT}` },
    { ability: 'write', method: 'PUT', path: `${t}/subjects/${PROBE_SUBJECT}/consent`,
      body: { withdrawn_purposes: ['legal'] } },
    { ability: 'export', method: 'GET', purpose: 'subject_request',
      path: `${t}/subjects/${PROBE_SUBJECT}/access-report`
        + '?since=2000-01-02T00:00:00Z&until=2000-01-01T00:00:00Z' },
  ]);
}

// ability -> {allowed, why}
export const abilities = {};

// Fills a new table, then replaces `abilities` at once (a re-check never
// leaves it half filled).
async function discover(tenant) {
  const found = {};
  for (const probe of probes(tenant)) {
    let answer;
    try {
      const r = await call(probe.method, probe.path,
        { body: probe.body, purpose: probe.purpose });
      answer = { allowed: true, why: `${r.status}` };
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 401) throw new Error('the vault does not know this API key');
      // A role that needs a stated purpose still has the ability (a probe
      // that states its purpose gets no such benefit of the doubt).
      const needsPurpose = !probe.purpose && err.status === 403 && /purpose/.test(err.detail);
      // Sealed (503): nothing is allowed until it is unsealed; the seal state shows it.
      answer = { allowed: (err.status !== 403 && err.status !== 503) || needsPurpose,
        why: err.message };
    }
    found[probe.ability] = { ...answer, probe: `${probe.method} ${probe.path}` };
  }
  if (!tenant) {
    // Operators may administer every tenant but read no personal data.
    const operator = found.operator.allowed;
    for (const a of ['admin', 'keys']) {
      found[a] = operator ? { allowed: true, why: 'operator: every tenant', probe: '' }
        : { allowed: false, why: 'no tenant given at sign-in', probe: '' };
    }
    found.audit = { allowed: false, why: 'no tenant given at sign-in', probe: '' };
    for (const a of ['read', 'write', 'export', 'erase', 'hold']) {
      found[a] = { allowed: false, probe: '', why: operator
        ? 'operators read no personal data' : 'no tenant given at sign-in' };
    }
  }
  for (const key of Object.keys(abilities)) delete abilities[key];
  Object.assign(abilities, found);
}

// data-needs="read export": open when any of the abilities is allowed.
function needed(names) {
  const found = names.split(' ').map((n) => abilities[n] || { allowed: false, why: 'unknown' });
  return found.find((a) => a.allowed) || found[0];
}

function applyAbilities() {
  for (const node of document.querySelectorAll('[data-needs]')) {
    const a = needed(node.dataset.needs);
    node.disabled = !a.allowed;
    node.title = a.allowed ? '' : `Not allowed for this key: the API answered ${a.why}`;
    for (const control of node.querySelectorAll('button')) control.title = node.title;
  }
  const rows = Object.entries(abilities).map(([name, a]) => el('tr', {},
    el('td', {}, name),
    el('td', { className: a.allowed ? 'ok' : 'bad' }, a.allowed ? 'allowed' : `refused: ${a.why}`),
    el('td', { className: 'mono' }, a.probe)));
  show($('abilities').tBodies[0], ...rows);
}

// Probes again (after a role change made here, or on request): the key's
// roles may allow more or less than at sign-in.
async function refreshAbilities() {
  $('abilities-checked').textContent = 'Checking…';
  try {
    await discover(session.tenant);
  } catch (err) {
    $('abilities-checked').textContent = `Check failed: ${err.message}`;
    throw err;
  }
  applyAbilities();
  $('abilities-checked').textContent = `Checked at ${new Date().toLocaleTimeString()}`;
}

function selectScreen(id) {
  for (const tab of document.querySelectorAll('nav .tab')) {
    tab.setAttribute('aria-current', tab.dataset.screen === id ? 'page' : 'false');
  }
  for (const screen of document.querySelectorAll('.screen')) screen.hidden = screen.id !== id;
}

async function enter() {
  const tenant = session.tenant;
  await discover(tenant);
  applyAbilities();
  $('abilities-checked').textContent = `Checked at sign-in, ${new Date().toLocaleTimeString()}`;
  $('session-who').textContent = tenant ? `tenant ${tenant}` : 'no tenant (operator)';
  for (const input of document.querySelectorAll('.tenant-default')) input.value = tenant;
  $('sign-in-screen').hidden = true;
  $('main-screen').hidden = false;
  $('session').hidden = false;
  const privacy = ['read', 'write', 'export', 'erase', 'hold'].some((a) => abilities[a].allowed);
  selectScreen(privacy ? 'privacy-screen' : 'operator-screen');
  document.body.dataset.ready = 'true';
}

function signOut() {
  session.end();
  // A reload drops every value the page held in memory.
  window.location.reload();
}

function setUp() {
  for (const select of document.querySelectorAll('select.purpose')) {
    for (const p of PURPOSES) select.append(el('option', { value: p }, p));
  }
  for (const tab of document.querySelectorAll('nav .tab')) {
    tab.addEventListener('click', () => selectScreen(tab.dataset.screen));
  }
  $('sign-out').addEventListener('click', signOut);
  $('sign-in-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = $('sign-in-key').value.trim();
    const tenant = $('sign-in-tenant').value.trim();
    $('sign-in-key').value = '';
    session.start(key, tenant);
    try {
      await enter();
    } catch (err) {
      session.end();
      $('sign-in-error').textContent = `Sign-in failed: ${err.message}`;
    }
  });
  setUpPrivacy();
  setUpConsent();
  setUpReport();
  setUpOperator();
  setUpAccess({ onRolesChanged: refreshAbilities });
  $('abilities-refresh').addEventListener('click', () => refreshAbilities().catch(() => {}));
  if (session.key) {
    enter().catch((err) => {
      session.end();
      $('sign-in-error').textContent = `Session ended: ${err.message}`;
    });
  }
}

setUp();
