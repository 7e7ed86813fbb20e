// Browser test of the vaultd web console: the real vaultd (dev mode, a temp
// folder) and Debian's headless Chromium driven by puppeteer-core.
//   node console_test.mjs VAULTD_BINARY [--screenshots DIR]
// Checks: security headers; sign-in (key in sessionStorage, no cookie);
// masked values only until the audited Reveal (DOM text and every API answer
// the page received); a hold reason / subject id containing markup shown as
// text with no script run, and the CSP blocking injected inline script; an
// erasure requested, followed to done and its receipt verified in the browser
// (and a tampered one refused); denied abilities greyed out; the operator
// screens (seal state, audit verification, a rewrap job's progress); roles
// and principals: a role created and one edited (the console's abilities
// re-probed at once), a principal created with its key shown once and kept
// nowhere, signed in with and greyed out where its role falls short, then
// deleted and its key refused; markup in role and principal names shown as
// text with the API's 400. Consent: a purpose withdrawn in the console and a
// read for it refused (the 403 shown) while another purpose reads; a minor
// without a guardian's consent; bad purposes refused before anything is sent.
// The signed access report fetched, shown and verified in the browser, and
// tampered copies (in the page, and as a chosen file) failing.
import { spawn } from 'node:child_process';
import {
  accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import puppeteer from 'puppeteer-core';

const vaultdPath = process.argv[2];
const shotsAt = process.argv.indexOf('--screenshots');
const shotsDir = shotsAt > 0 ? path.resolve(process.argv[shotsAt + 1]) : '';
if (!vaultdPath) {
  console.error('usage: node console_test.mjs VAULTD [--screenshots DIR]');
  process.exit(2);
}

const PLAIN_PHONE = '+8613800138000';
const PLAIN_NAME = 'Zhang Sanfeng';
const MARKUP = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
const started = Date.now();
let failures = 0;

function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures += 1;
}

function findChromium() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const dir of (process.env.PATH || '').split(':')) {
    for (const name of ['chromium', 'chromium-browser']) {
      try {
        accessSync(path.join(dir, name), constants.X_OK);
        return path.join(dir, name);
      } catch { /* next */ }
    }
  }
  throw new Error('chromium not found (apt-get install chromium, or set CHROMIUM)');
}

async function startVaultd(dir) {
  const child = spawn(vaultdPath, ['--dev', '--data-dir', path.join(dir, 'data'),
    '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr.resume();
  const lines = readline.createInterface({ input: child.stdout });
  const address = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('vaultd did not start')), 20000);
    lines.on('line', (line) => {
      const m = /^listening on (\S+)$/.exec(line);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => reject(new Error(`vaultd exited (${code})`)));
  });
  const rootKey = readFileSync(path.join(dir, 'data', 'root-api-key'), 'utf8').trim();
  return { child, base: `http://${address}`, rootKey };
}

async function api(base, key, method, target, body, purpose) {
  const headers = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };
  if (purpose) headers['X-Purpose'] = purpose;
  const r = await fetch(base + target, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${target}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// Tenant acme: a writer, a dpo (read up to plain for some purposes, write
// (consent), export (signed reports), erase, hold, audit) and a helpdesk
// (masked reads only); subjects u-1, u-2 and u-3.
async function provision(base, root) {
  const call = (m, t, b) => api(base, root, m, t, b);
  await call('POST', '/v1/tenants', { id: 'acme' });
  await call('PUT', '/v1/tenants/acme/roles/writer',
    { actions: ['write'], types: ['*'], max_reveal: 'token_only' });
  await call('PUT', '/v1/tenants/acme/roles/dpo', {
    actions: ['read', 'write', 'export', 'erase', 'hold', 'audit'],
    types: ['*'], max_reveal: 'plain', purposes: ['support', 'legal', 'subject_request'] });
  await call('PUT', '/v1/tenants/acme/roles/helpdesk',
    { actions: ['read'], types: ['*'], max_reveal: 'masked' });
  // A tenant administrator (admin only) for the roles and principals screens.
  await call('PUT', '/v1/tenants/acme/roles/acme-admin', { actions: ['admin'], types: ['*'] });
  const keys = {};
  for (const name of ['writer', 'dpo', 'helpdesk', 'acme-admin']) {
    const p = await call('POST', '/v1/tenants/acme/principals', { name, roles: [name] });
    keys[name] = p.api_key;
  }
  for (const s of ['u-1', 'u-2', 'u-3']) {
    await api(base, keys.writer, 'PUT', `/v1/tenants/acme/subjects/${s}`, { fields: {
      name: { type: 'person_name', value: PLAIN_NAME },
      mobile: { type: 'phone', value: '+86 138 0013 8000' } } });
  }
  return keys;
}

const bodyText = (page) => page.evaluate(() => document.body.innerText);

// The whole page, or only the part from the first to the last of `selectors`.
async function shot(page, name, ...selectors) {
  if (!shotsDir) return;
  const file = path.join(shotsDir, `${name}.png`);
  if (!selectors.length) {
    await page.screenshot({ path: file, fullPage: true });
    return;
  }
  const clip = await page.evaluate((sels) => {
    const boxes = sels.map((s) => document.querySelector(s).getBoundingClientRect());
    const top = Math.min(...boxes.map((b) => b.top)) + window.scrollY - 8;
    const bottom = Math.max(...boxes.map((b) => b.bottom)) + window.scrollY + 8;
    const left = Math.min(...boxes.map((b) => b.left)) - 8;
    const right = Math.max(...boxes.map((b) => b.right)) + 8;
    return { x: Math.max(left, 0), y: Math.max(top, 0), width: right - left, height: bottom - top };
  }, selectors);
  await page.screenshot({ path: file, clip, captureBeyondViewport: true });
}

async function signIn(page, key, tenant) {
  await page.waitForSelector('#sign-in-form', { visible: true });
  await page.type('#sign-in-key', key);
  await page.type('#sign-in-tenant', tenant);
  await page.click('#sign-in-button');
  await page.waitForSelector('body[data-ready="true"]');
}

async function signOut(page) {
  await Promise.all([page.waitForNavigation(), page.click('#sign-out')]);
}

async function clickAndWaitText(page, button, selector, pattern, timeout = 15000) {
  if (button) await page.click(button);
  await page.waitForFunction((sel, src) => {
    const node = document.querySelector(sel);
    return node && new RegExp(src).test(node.textContent);
  }, { timeout }, selector, pattern.source);
}

async function privacyChecks(page, base, keys, responses) {
  await signIn(page, keys.dpo, 'acme');
  check(await page.evaluate(() => sessionStorage.getItem('vaultd.console.apiKey')) === keys.dpo,
    'the API key is in sessionStorage');
  check(await page.evaluate(() => document.cookie) === ''
    && (await page.cookies()).length === 0, 'no cookie is set');
  check(await page.$eval('#audit-panel', (n) => n.disabled), 'operator panel greyed out for dpo');

  // Masked lookup: no plain value in the DOM nor in any answer received.
  await page.type('#lookup-subject', 'u-1');
  await clickAndWaitText(page, '#lookup-button', '#lookup-result', /8000/);
  await shot(page, 'lookup-masked');
  let text = await bodyText(page);
  check(!text.includes(PLAIN_PHONE) && !text.includes(PLAIN_NAME),
    'masked lookup shows no plain value');
  const before = await Promise.all(responses.splice(0).map((r) => r.text().catch(() => '')));
  check(before.length > 0 && before.every((b) => !b.includes(PLAIN_PHONE) && !b.includes(PLAIN_NAME)),
    `no API answer before the reveal held a plain value (${before.length} answers)`);

  // Reveal with a chosen purpose: plain values shown, and the read audited.
  check(await page.$eval('#reveal-button', (b) => !b.disabled), 'reveal button offered');
  await page.select('#reveal-purpose', 'support');
  await clickAndWaitText(page, '#reveal-button', '#lookup-result', new RegExp(`\\${PLAIN_PHONE}`));
  await shot(page, 'lookup-revealed');
  text = await bodyText(page);
  check(text.includes(PLAIN_PHONE) && text.includes(PLAIN_NAME), 'reveal shows the plain values');
  const audit = await api(base, keys.dpo, 'GET', '/v1/tenants/acme/audit?subject=u-1&limit=1000');
  check(audit.entries.some((e) => e.action === 'read' && e.purpose === 'support'
    && e.outcome === 'allowed'), 'the reveal is in the audit log with its purpose');
  await page.click('#hide-button');
  text = await bodyText(page);
  check(!text.includes(PLAIN_PHONE) && !text.includes(PLAIN_NAME), 'hide removes the plain values');

  // Markup in a subject id and a hold reason is shown as text; nothing runs.
  await page.$eval('#lookup-subject', (n) => { n.value = ''; });
  await page.type('#lookup-subject', MARKUP);
  await clickAndWaitText(page, '#lookup-button', '#lookup-result', /400/);
  check((await page.$eval('#lookup-heading', (n) => n.textContent)) === `Subject ${MARKUP}`,
    'a subject id with markup is shown as text');
  await page.$eval('#hold-subject', (n) => { n.value = ''; });
  await page.type('#hold-subject', 'u-2');
  await page.type('#hold-id', 'dispute-42');
  await page.type('#hold-reason', MARKUP);
  await clickAndWaitText(page, '#hold-place', '#hold-result', /Hold placed/);
  await shot(page, 'hold');
  check((await page.$eval('#hold-result', (n) => n.textContent)).includes(MARKUP)
    && (await page.$$('#hold-result img, #hold-result script')).length === 0,
  'a hold reason with markup is shown as text, no element made from it');
  // The CSP itself: inline script and handlers injected into the page are blocked.
  await page.evaluate((markup) => {
    const div = document.createElement('div');
    div.id = 'injected';
    div.innerHTML = markup; // deliberate: what an escaping bug would do
    document.body.append(div);
    const s = document.createElement('script');
    s.textContent = 'window.__pwned = 3';
    document.body.append(s);
  }, MARKUP);
  await new Promise((r) => { setTimeout(r, 500); });
  const violations = await page.evaluate(() => window.__violations || []);
  check(await page.evaluate(() => window.__pwned === undefined), 'no injected script ran');
  check(violations.filter((v) => v.startsWith('script-src')).length >= 2,
    `the CSP reported the blocked inline script and handler (${violations.join(', ')})`);
  await page.evaluate(() => document.getElementById('injected').remove());
  await clickAndWaitText(page, '#hold-release', '#hold-result', /released/);

  // Erasure: requested with a 1 s grace, followed until done, receipt verified.
  await page.$eval('#erasure-subject', (n) => { n.value = 'u-2'; });
  await page.$eval('#erasure-grace', (n) => { n.value = '1'; });
  await clickAndWaitText(page, '#erasure-button', '#erasure-state', /pending/);
  check(true, 'erasure pending');
  await clickAndWaitText(page, null, '#erasure-state', /: done$/);
  check(true, 'erasure followed to done');
  await clickAndWaitText(page, '#receipt-verify', '#receipt-verdict', /Verified|NOT valid|cannot/);
  const verdict = await page.$eval('#receipt-verdict', (n) => n.textContent);
  check(/^Verified: signature valid/.test(verdict), `receipt verified in the browser: ${verdict}`);
  await shot(page, 'erasure-receipt');
  const erasureId = await page.$eval('#follow-id', (n) => n.value);
  const receipt = (await api(base, keys.dpo, 'GET', `/v1/tenants/acme/erasures/${erasureId}`)).receipt;
  const tampered = await page.evaluate(async (r) => {
    const m = await import('/ui/receipt.js');
    const good = await m.verifyReceipt(r, r.public_key);
    const bad = await m.verifyReceipt({ ...r, subject: 'u-1' }, r.public_key);
    return [good.ok, bad.ok];
  }, receipt);
  check(tampered[0] === true && tampered[1] === false, 'a tampered receipt fails verification');
  check(await page.$eval('#receipt-download', (a) => a.download.startsWith('receipt-er_')),
    'download link offered');

  await page.$eval('#report-subject', (n) => { n.value = 'u-1'; });
  await clickAndWaitText(page, '#report-button', '#report-result', /entries about u-1/);
  check(/reason/.test(await page.$eval('#report-result', (n) => n.textContent)),
    'the audit entries show their reason');
  await shot(page, 'audit-entries', '#report-panel');

  await consentChecks(page, base, keys, responses);
  await signedReportChecks(page, base, keys, receipt);
  await signOut(page);
}

const lookupWith = async (page, subject, purpose) => {
  await page.$eval('#lookup-subject', (n, s) => { n.value = s; }, subject);
  await page.select('#lookup-purpose', purpose);
  await clickAndWaitText(page, '#lookup-button', '#lookup-result', /8000|\d{3} [A-Z_]+:/);
  return page.$eval('#lookup-result', (n) => n.textContent);
};

const saveConsent = async (page) => {
  await page.click('#consent-save');
  await page.waitForSelector('#consent-saved, #consent-edit-result .error');
  return page.$eval('#consent-result', (n) => n.textContent);
};

// Consent (console/consent.js), as dpo (write), on u-3.
async function consentChecks(page, base, keys, responses) {
  responses.splice(0);
  check(await page.$eval('#consent-edit', (n) => !n.disabled), 'consent can be changed by dpo');
  check(await page.$$eval('#consent-purposes input:disabled', (boxes) => boxes.map((b) => b.value)
    .sort().join()) === 'legal,subject_request', 'legal and subject_request cannot be ticked');
  await lookupWith(page, 'u-3', 'support');
  check(await page.$eval('#consent-subject', (n) => n.value) === 'u-3',
    'a lookup fills the consent subject');
  await clickAndWaitText(page, '#consent-load', '#consent-result', /never recorded/);
  check(/withdrawn_purposes\(none\)/.test(await page.$eval('#consent-result', (n) => n.textContent)),
    'no consent recorded yet: nothing withdrawn');

  // Bad purposes are refused in the page; nothing reaches the vault.
  const puts = () => responses.filter((r) => r.url().endsWith('/consent')
    && r.request().method() === 'PUT').length;
  await page.type('#consent-other', MARKUP);
  await clickAndWaitText(page, '#consent-save', '#consent-edit-result', /Nothing was sent/);
  const problem = await page.$eval('#consent-edit-result', (n) => n.textContent);
  check(problem.includes(MARKUP) && /not a purpose/.test(problem)
    && (await page.$$('#consent-edit-result img, #consent-edit-result script')).length === 0
    && await page.evaluate(() => window.__pwned === undefined),
  'markup typed as a purpose is refused and shown as text');
  await page.$eval('#consent-other', (n) => { n.value = 'legal'; });
  await clickAndWaitText(page, '#consent-save', '#consent-edit-result', /cannot be withdrawn/);
  check(puts() === 0, 'refused purposes were not sent');
  let refused = '';
  await api(base, keys.dpo, 'PUT', '/v1/tenants/acme/subjects/u-3/consent',
    { withdrawn_purposes: ['legal'] }).catch((e) => { refused = e.message; });
  check(/ 400 /.test(refused), 'the API refuses to withdraw legal too (400)');

  // Withdraw support: a read for support is refused, one for legal reads.
  await page.$eval('#consent-other', (n) => { n.value = ''; });
  await page.click('#consent-purposes input[value="support"]');
  const saved = await saveConsent(page);
  const stored = await api(base, keys.dpo, 'GET', '/v1/tenants/acme/subjects/u-3/consent');
  check(stored.withdrawn_purposes.join() === 'support' && !stored.minor
    && saved.includes(stored.principal) && saved.includes(stored.updated_at),
  `support withdrawn through the console, shown with who and when: ${JSON.stringify(stored)}`);
  let shown = await lookupWith(page, 'u-3', 'support');
  check(/Refused by the subject's consent \(consent_withdrawn\)/.test(shown) && /403/.test(shown),
    `a read for support is refused, the 403 shown: ${shown}`);
  await shot(page, 'consent', '#lookup-panel', '#consent-panel');
  shown = await lookupWith(page, 'u-3', '');
  check(/consent_withdrawn/.test(shown), 'a read stating no purpose is refused too');
  shown = await lookupWith(page, 'u-3', 'legal');
  check(/8000/.test(shown) && !/Refused/.test(shown), 'a read for legal still reads (masked)');
  const audit = await api(base, keys.dpo, 'GET', '/v1/tenants/acme/audit?subject=u-3&limit=1000');
  check(audit.entries.some((e) => e.outcome === 'denied' && e.reason === 'consent_withdrawn'
    && e.purpose === 'support'), 'the refused read is audited with reason consent_withdrawn');

  // A minor without a guardian's consent: only legal and subject_request read.
  await page.click('#consent-purposes input[value="support"]');
  await page.click('#consent-minor');
  const minor = await saveConsent(page);
  check(/minoryes/.test(minor) && /guardian_consentno/.test(minor)
    && /minor without a guardian's consent/.test(minor), 'marked minor without guardian consent');
  shown = await lookupWith(page, 'u-3', 'support');
  check(/Refused by the subject's consent \(minor_without_guardian_consent\)/.test(shown),
    `a minor's read for support is refused: ${shown}`);
  await shot(page, 'consent-minor', '#lookup-panel', '#consent-panel');
  check(/8000/.test(await lookupWith(page, 'u-3', 'legal')), 'a minor\'s read for legal reads');
  await page.click('#consent-guardian');
  check(/guardian_consentyes/.test(await saveConsent(page)), 'guardian consent recorded');
  check(/8000/.test(await lookupWith(page, 'u-3', 'support')),
    'with a guardian\'s consent the read for support reads again');

  const text = await bodyText(page);
  const answers = await Promise.all(responses.splice(0).map((r) => r.text().catch(() => '')));
  check(!text.includes(PLAIN_PHONE) && !text.includes(PLAIN_NAME) && answers.length > 0
    && answers.every((b) => !b.includes(PLAIN_PHONE) && !b.includes(PLAIN_NAME)),
  `values stay masked while consent is changed (${answers.length} answers)`);
}

// The signed access report (console/report.js), as dpo (export).
async function signedReportChecks(page, base, keys, receipt) {
  await page.$eval('#signed-report-subject', (n) => { n.value = 'u-3'; });
  await clickAndWaitText(page, '#signed-report-button', '#signed-report-result', /entries/);
  await clickAndWaitText(page, '#signed-report-verify', '#signed-report-verdict',
    /Verifies|NOT|cannot|Could not/);
  const verdict = await page.$eval('#signed-report-verdict', (n) => n.textContent);
  check(/^Verifies: signature valid over \d+ entries/.test(verdict),
    `the signed report verifies in the browser: ${verdict}`);
  const rows = await page.$$eval('#signed-report-result table.report-entries tbody tr',
    (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  const has = (f) => rows.some(f);
  check(has((r) => r[3] === 'read' && r[5] === 'support' && r[6] === 'denied'
    && r[7] === 'consent_withdrawn')
    && has((r) => r[6] === 'denied' && r[7] === 'minor_without_guardian_consent')
    && has((r) => r[3] === 'write' && r[7] === 'consent changed')
    && has((r) => r[3] === 'export' && r[7] === 'access report'),
  `the report lists the refused reads, the consent changes and itself (${rows.length} rows)`);
  const reportText = await page.$eval('#signed-report-result', (n) => n.textContent);
  check(!reportText.includes(PLAIN_PHONE) && !reportText.includes(PLAIN_NAME)
    && !reportText.includes('8000'), 'the report shows no value');
  check(await page.$eval('#signed-report-download', (a) => a.download.startsWith(
    'access-report-u-3-')), 'the report is offered for download');
  await shot(page, 'access-report', '#signed-report-panel');

  // Tampered copies fail; the untouched one verifies.
  const report = await api(base, keys.dpo, 'GET', '/v1/tenants/acme/subjects/u-3/access-report',
    undefined, 'subject_request');
  const denied = report.entries.findIndex((e) => e.outcome === 'denied');
  const flipped = structuredClone(report);
  flipped.entries[denied].outcome = 'allowed';
  const dropped = { ...report, entries: report.entries.filter((_, i) => i !== denied) };
  const shifted = structuredClone(report);
  shifted.entries[0].principal += '\tx';
  const results = await page.evaluate(async (docs) => {
    const m = await import('/ui/report.js');
    const out = [];
    for (const d of docs) out.push((await m.verifyAccessReport(d, docs[0].public_key)).ok);
    out.push((await m.verifyAccessReport(docs[0], btoa('x'.repeat(32)))).ok);
    return out;
  }, [report, flipped, dropped, shifted]);
  check(results.join() === 'true,false,false,false,false',
    `a changed outcome, a dropped entry, a tab in a field and another key fail (${results})`);

  // A report file chosen in the page: tampered fails, untouched verifies.
  const dir = mkdtempSync(path.join(tmpdir(), 'console-files-'));
  const files = { tampered: flipped, junk: { ...report, entries: [null] }, report, receipt };
  for (const [name, doc] of Object.entries(files)) {
    writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(doc));
  }
  // Chosen, then shown and checked at once: waits for this file's verdict.
  const choose = async (name, verdictId) => {
    await (await page.$('#verify-file')).uploadFile(path.join(dir, `${name}.json`));
    await page.waitForFunction((file, id) => {
      const title = document.getElementById('verify-file-name');
      const verdict = document.getElementById(id);
      return title && title.textContent === `File ${file}` && verdict && verdict.textContent;
    }, { timeout: 15000 }, `${name}.json`, verdictId);
    return page.$eval(`#${verdictId}`, (n) => n.textContent);
  };
  check(/^Does NOT verify: the signature does not match/.test(
    await choose('tampered', 'file-report-verdict')), 'a tampered report file does NOT verify');
  await shot(page, 'access-report-tampered', '#verify-file-panel');
  check(/^Does NOT verify: an entry is not an object/.test(
    await choose('junk', 'file-report-verdict')),
  'a malformed report file is refused, not shown as verified');
  check(/^Verifies/.test(await choose('report', 'file-report-verdict')),
    'the untouched report file verifies');
  check(/^Verified/.test(await choose('receipt', 'file-receipt-verdict')),
    'a receipt file verifies in the same place');
  rmSync(dir, { recursive: true, force: true });

  // An erased subject has no report (410); markup in the subject is text.
  await page.$eval('#signed-report-subject', (n) => { n.value = 'u-2'; });
  await clickAndWaitText(page, '#signed-report-button', '#signed-report-result', /\d{3} /);
  check(/410/.test(await page.$eval('#signed-report-result', (n) => n.textContent)),
    'the erased subject\'s report is refused (410)');
  await page.$eval('#signed-report-subject', (n) => { n.value = ''; });
  await page.type('#signed-report-subject', MARKUP);
  await clickAndWaitText(page, '#signed-report-button', '#signed-report-result', /400/);
  check((await page.$eval('#signed-report-heading', (n) => n.textContent))
    === `Access report: subject ${MARKUP}`
    && (await page.$$('#signed-report-result img, #signed-report-result script')).length === 0,
  'a subject with markup is shown as text with the 400');
}

async function deniedChecks(page, keys) {
  await signIn(page, keys.helpdesk, 'acme');
  for (const panel of ['erasure-panel', 'hold-panel', 'report-panel', 'audit-panel',
    'signed-report-panel', 'consent-edit']) {
    const state = await page.$eval(`#${panel}`, (n) => [n.disabled, n.title]);
    check(state[0] && /403/.test(state[1]), `${panel} greyed out for helpdesk: "${state[1]}"`);
  }
  check(await page.$eval('#consent-save', (b) => b.matches(':disabled')),
    'consent cannot be saved by helpdesk');
  // Reading consent needs only read: helpdesk sees u-3's consent.
  await page.$eval('#consent-subject', (n) => { n.value = 'u-3'; });
  await clickAndWaitText(page, '#consent-load', '#consent-result', /Consent of subject u-3/);
  check(/minoryes/.test(await page.$eval('#consent-result', (n) => n.textContent)),
    'helpdesk reads the consent (read is enough)');
  check(await page.$eval('#erasure-button', (b) => b.matches(':disabled')),
    'the erasure button cannot be clicked');
  check(await page.$eval('#lookup-panel', (n) => !n.disabled), 'lookup allowed for helpdesk');
  await page.click('nav .tab[data-screen="abilities-screen"]');
  await shot(page, 'abilities');
  await signOut(page);
}

async function operatorChecks(page, rootKey) {
  await signIn(page, rootKey, '');
  await clickAndWaitText(page, null, '#seal-state', /unsealed/);
  await clickAndWaitText(page, '#audit-verify', '#audit-verdict', /Chain verified/);
  check(true, 'audit chain verified from the console');
  await page.$eval('#keys-tenant', (n) => { n.value = 'acme'; });
  await clickAndWaitText(page, '#keys-rewrap', '#job-state', /^done/, 30000);
  check(await page.$eval('#job-progress', (p) => p.value === p.max), 'rewrap progress bar full');
  await clickAndWaitText(page, null, '#keys-result', /destroyed/);
  check(await page.$eval('#lookup-panel', (n) => n.disabled), 'privacy panels greyed out for root');
  await shot(page, 'operator');
  await signOut(page);
  await page.type('#sign-in-key', 'vaultd_not-a-key');
  await clickAndWaitText(page, '#sign-in-button', '#sign-in-error', /does not know/);
  check(await page.evaluate(() => sessionStorage.length === 0), 'a refused key is not kept');
}

// Roles and principals (console/access.js): root lists and creates, a
// tenant admin edits its own role and deletes a principal.
async function accessChecks(page, base, keys, rootKey, responses) {
  await signIn(page, rootKey, '');
  await page.click('nav .tab[data-screen="access-screen"]');
  check(await page.$eval('#roles-panel', (n) => !n.disabled), 'roles panel open for the root key');
  await page.type('#access-tenant', 'acme');
  await clickAndWaitText(page, '#roles-list', '#roles-result', /roles in tenant acme/);
  const dpoRow = await page.$eval('#roles-table tr[data-role="dpo"]', (n) => n.innerText);
  check(['read', 'erase', 'hold', 'audit', 'plain', 'support', 'legal', 'subject_request']
    .every((w) => dpoRow.includes(w)), `role listed with actions, max_reveal, purposes: ${dpoRow}`);

  // A new role through the form: read and audit, masked.
  await page.type('#role-name', 'auditor');
  for (const a of ['read', 'audit']) await page.click(`#role-actions input[value="${a}"]`);
  await page.select('#role-reveal', 'masked');
  await clickAndWaitText(page, '#role-save', '#role-result', /Role auditor saved/);
  const roles = await api(base, rootKey, 'GET', '/v1/tenants/acme/roles');
  const auditor = roles.roles.find((r) => r.name === 'auditor');
  check(auditor && [...auditor.actions].sort().join() === 'audit,read'
    && auditor.max_reveal === 'masked' && auditor.types.join() === '*',
  `role created through the form: ${JSON.stringify(auditor)}`);
  await page.waitForSelector('#roles-table tr[data-role="auditor"]');
  check(true, 'the list shows it');
  // Markup in a role name: the API's 400, the name shown as text.
  await page.$eval('#role-name', (n) => { n.value = ''; });
  await page.type('#role-name', MARKUP);
  await clickAndWaitText(page, '#role-save', '#role-result', /400/);
  check((await page.$eval('#role-heading', (n) => n.textContent)) === `Role ${MARKUP}`
    && (await page.$$('#role-result img, #role-result script')).length === 0,
  'a role name with markup is shown as text with the 400');
  await shot(page, 'roles');

  // A principal: its key shown once, kept nowhere.
  responses.splice(0);
  await page.type('#principal-name', 'ops-auditor');
  await page.type('#principal-roles', 'auditor');
  await clickAndWaitText(page, '#principal-create', '#principals-result', /ops-auditor/);
  const key = await page.$eval('#new-key', (n) => n.textContent);
  check(/^vaultd_/.test(key), 'the new API key is shown');
  check(/shown only now/.test(await page.$eval('#new-key-warning', (n) => n.textContent)),
    'with the note that it is shown only now');
  check(await page.evaluate((k) => ![...Object.values(sessionStorage),
    ...Object.values(localStorage)].some((v) => v.includes(k)) && document.cookie === '', key),
  'the new key is in no storage and no cookie');
  const shownList = await page.$eval('#principals-result', (n) => n.textContent);
  check(shownList.includes('ops-auditor') && !shownList.includes(key),
    'the principals list shows the new principal, not its key');
  const listed = await Promise.all(responses.filter((r) => r.url().endsWith('/principals')
    && r.request().method() === 'GET').map((r) => r.text()));
  check(listed.length > 0 && listed.every((b) => !b.includes(key) && !b.includes('api_key')),
    `no principals listing carried a key (${listed.length} answers)`);
  // The test (not the page) reads the clipboard back.
  await page.browserContext().setPermission(base,
    { permission: { name: 'clipboard-read' }, state: 'granted' });
  await page.click('#new-key-copy');
  await page.waitForFunction(() => document.getElementById('new-key-copied').textContent !== '');
  const [how, copied] = await page.evaluate(async () => {
    const note = document.getElementById('new-key-copied').textContent;
    if (note.startsWith('Copied')) {
      return ['clipboard', await navigator.clipboard.readText().catch((e) => `${e}`)];
    }
    return ['selection', window.getSelection().toString()];
  });
  check(copied === key, `Copy puts the key on the ${how}${copied === key ? '' : `: ${copied}`}`);
  await shot(page, 'principal-created');
  await page.click('#new-key-dismiss');
  check(await page.$('#new-key') === null && !(await bodyText(page)).includes(key),
    'dismissed: the key is gone from the page');
  // Markup in a principal name: the API's 400, the name shown as text.
  await page.type('#principal-name', MARKUP);
  await clickAndWaitText(page, '#principal-create', '#new-key-box', /400/);
  check((await page.$eval('#principal-heading', (n) => n.textContent)) === `Principal ${MARKUP}`
    && (await page.$$('#new-key-box img, #new-key-box script')).length === 0
    && await page.evaluate(() => window.__pwned === undefined),
  'a principal name with markup is shown as text with the 400');
  await signOut(page);

  // Signed in with the new key: what its role lacks is greyed out.
  await signIn(page, key, 'acme');
  for (const panel of ['erasure-panel', 'hold-panel', 'roles-panel', 'principals-panel',
    'keys-panel']) {
    const state = await page.$eval(`#${panel}`, (n) => [n.disabled, n.title]);
    check(state[0] && /403/.test(state[1]), `${panel} greyed out for the new principal`);
  }
  check(await page.$eval('#report-panel', (n) => !n.disabled)
    && await page.$eval('#lookup-panel', (n) => !n.disabled), 'what its role allows stays open');
  await page.click('nav .tab[data-screen="access-screen"]');
  await shot(page, 'access-denied');
  await signOut(page);

  // A tenant admin adds audit to its own role: the console re-probes.
  await signIn(page, keys['acme-admin'], 'acme');
  check(await page.$eval('#report-panel', (n) => n.disabled), 'report greyed out before');
  await page.evaluate(() => { window.__sameDocument = true; });
  await page.click('nav .tab[data-screen="access-screen"]');
  await clickAndWaitText(page, '#roles-list', '#roles-result', /roles in tenant acme/);
  await page.click('#roles-table tr[data-role="acme-admin"] .role-edit');
  check(await page.$eval('#role-name', (n) => n.value) === 'acme-admin'
    && await page.$eval('#role-actions input[value="admin"]', (n) => n.checked),
  'Edit fills the form with the role');
  await page.click('#role-actions input[value="audit"]');
  await clickAndWaitText(page, '#role-save', '#role-result', /Role acme-admin saved/);
  await page.waitForFunction(() => !document.getElementById('report-panel').disabled);
  check(await page.evaluate(() => window.__sameDocument === true),
    'abilities re-probed after the role change, without signing in again');

  // It deletes the new principal, after confirming.
  await page.click('#principals-list');
  await page.waitForSelector('#principals-table');
  await page.evaluate(() => [...document.querySelectorAll('#principals-table tbody tr')]
    .find((tr) => tr.children[1].textContent === 'ops-auditor')
    .querySelector('.principal-delete').click());
  await page.waitForSelector('#principal-delete-question');
  const before = await api(base, keys['acme-admin'], 'GET', '/v1/tenants/acme/principals');
  check(before.principals.some((p) => p.name === 'ops-auditor'),
    'nothing is deleted before the confirmation');
  await clickAndWaitText(page, '#principal-delete-confirm', '#principal-delete-box', /deleted/);
  await page.waitForFunction(() => !document.getElementById('principals-result')
    .textContent.includes('ops-auditor'));
  await signOut(page);
  await page.type('#sign-in-key', key);
  await page.type('#sign-in-tenant', 'acme');
  await clickAndWaitText(page, '#sign-in-button', '#sign-in-error', /does not know/);
  const refused = await fetch(`${base}/v1/tenants/acme/audit?limit=1`,
    { headers: { Authorization: `Bearer ${key}` } });
  check(refused.status === 401, 'the deleted principal\'s key is refused');
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'console-test-'));
  if (shotsDir) mkdirSync(shotsDir, { recursive: true });
  const vaultd = await startVaultd(dir);
  let browser;
  try {
    const keys = await provision(vaultd.base, vaultd.rootKey);
    browser = await puppeteer.launch({
      executablePath: findChromium(),
      headless: true,
      args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    const page = await browser.newPage();
    await page.setViewport({ width: 1200, height: 900 });
    const pageErrors = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    const responses = [];
    page.on('response', (r) => { if (r.url().includes('/v1/')) responses.push(r); });
    await page.evaluateOnNewDocument(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        (window.__violations ||= []).push(e.violatedDirective);
      });
    });
    const first = await page.goto(`${vaultd.base}/ui/`);
    check(first.status() === 200 && first.headers()['content-security-policy']
      .includes("script-src 'self'"), 'GET /ui/ with its CSP');
    await shot(page, 'sign-in');
    await privacyChecks(page, vaultd.base, keys, responses);
    await deniedChecks(page, keys);
    await operatorChecks(page, vaultd.rootKey);
    await accessChecks(page, vaultd.base, keys, vaultd.rootKey, responses);
    check(pageErrors.length === 0, `no uncaught error in the page ${pageErrors.join('; ')}`);
  } catch (err) {
    console.log(`FAIL ${err.stack || err}`);
    failures += 1;
  } finally {
    if (browser) await browser.close();
    vaultd.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${failures ? 'FAILED' : 'passed'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.exit(failures ? 1 : 0);
}

main();
