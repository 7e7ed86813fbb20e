// A data subject's signed access report (GET .../subjects/{s}/access-report,
// action export, purpose subject_request): its entries as a table, the JSON
// for download, and its Ed25519 signature checked in the browser against the
// key GET /v1/sys/receipt-key publishes (as for erasure receipts). A report
// file (or a receipt file) can also be checked without fetching anything but
// that key.
import { call, enc, session, tenantPath } from './api.js';
import { $, busy, el, errorLine, fieldTable, rowsTable, show, text } from './dom.js';
import { showReceipt } from './receipt.js';
import { downloadLink, ed25519Verify, verifyControls } from './signature.js';

const HEADER_FIELDS = ['tenant', 'subject', 'residency', 'since', 'until', 'generated_at'];
const ENTRY_FIELDS = ['seq', 'time', 'principal', 'action', 'subject_ref', 'types', 'purpose',
  'outcome', 'reason', 'request_id', 'hash'];
const COLUMNS = ['seq', 'time', 'principal', 'action', 'types', 'purpose', 'outcome', 'reason'];

const clean = (s) => !/[\t\n]/.test(s);

// The signed message (vault/audit/access_report.h): the header lines, the
// entry count, then one line per entry with its fields joined by tabs (types
// by commas); lines joined by \n, no trailing newline. Throws when the report
// is malformed, or when a field holds a tab or a newline (the vault never
// signs such a report: those would let one message read as another report).
export function reportMessage(r) {
  if (!r || typeof r !== 'object' || !Array.isArray(r.entries)) {
    throw new Error('not an access report (no entries)');
  }
  const header = HEADER_FIELDS.map((f) => String(r[f] ?? ''));
  if (!header.every(clean)) throw new Error('a field holds a tab or a newline');
  const lines = ['vaultd-access-report-v1', ...header, String(r.entries.length)];
  for (const e of r.entries) {
    if (!e || typeof e !== 'object') throw new Error('an entry is not an object');
    const types = Array.isArray(e.types) ? e.types.map(String) : [];
    if (types.some((t) => !clean(t) || t.includes(','))) {
      throw new Error('a type holds a tab or a comma');
    }
    const fields = ENTRY_FIELDS.map((f) => (f === 'types' ? types.join(',') : String(e[f] ?? '')));
    if (!Number.isSafeInteger(Number(e.seq)) || String(Number(e.seq)) !== fields[0]) {
      throw new Error(`seq ${fields[0]} is not a whole number`);
    }
    if (!fields.every(clean)) throw new Error('a field holds a tab or a newline');
    lines.push(fields.join('\t'));
  }
  return lines.join('\n');
}

// {ok, why}, checked against the vault's published key.
export async function verifyAccessReport(report, publicKeyB64) {
  let message;
  try {
    message = reportMessage(report);
  } catch (err) {
    return { ok: false, why: err.message };
  }
  if (report.public_key !== publicKeyB64) {
    return { ok: false, why: 'signed by another key than the one this vault publishes' };
  }
  if (!(await ed25519Verify(publicKeyB64, report.signature, message))) {
    return { ok: false, why: 'the signature does not match the report (changed after signing?)' };
  }
  const n = report.entries.length;
  return { ok: true, why: `signature valid over ${n} ${n === 1 ? 'entry' : 'entries'}` };
}

function entriesTable(report) {
  // A file may hold anything: a non-object entry shows as an empty row.
  const entries = report.entries.map((e) => (e && typeof e === 'object' ? e : {}));
  const table = rowsTable(COLUMNS, entries);
  table.classList.add('entries', 'report-entries');
  entries.forEach((e, i) => {
    if (e.outcome !== 'allowed') table.tBodies[0].rows[i].classList.add('denied');
  });
  return table;
}

// Renders `report` into `out` (ids prefixed with `prefix`): who and when,
// its entries, a download link and a verify button; answers the controls.
export function showReport(out, report, prefix) {
  const n = report.entries.length;
  const controls = verifyControls({
    buttonId: `${prefix}-verify`,
    verdictId: `${prefix}-verdict`,
    check: (key) => verifyAccessReport(report, key),
    labels: { ok: 'Verifies', bad: 'Does NOT verify' },
    offline: 'vaultctl report verify',
  });
  const stamp = String(report.generated_at || '').replace(/[^0-9A-Za-z]/g, '');
  const link = downloadLink(`${prefix}-download`,
    `access-report-${String(report.subject || '').replace(/[^\w.-]/g, '_')}-${stamp}.json`,
    'Download report (JSON)', report);
  const header = Object.fromEntries(HEADER_FIELDS.map((f) => [f, report[f] ?? '']));
  if (!header.since) header.since = '(from the first entry)';
  show(out, el('h3', { id: `${prefix}-heading` }, `Access report: subject ${report.subject}`),
    fieldTable({ ...header, entries: n }),
    text('Every audited access to the subject in the period, this request included. Data '
      + 'types only: the report holds no values.', 'note'),
    entriesTable(report), el('p', {}, controls.button, link), controls.verdict);
  return controls;
}

async function fetchReport() {
  const subject = $('signed-report-subject').value.trim();
  const query = [['since', $('signed-report-since').value.trim()],
    ['until', $('signed-report-until').value.trim()]]
    .filter(([, v]) => v).map(([k, v]) => `${k}=${enc(v)}`).join('&');
  const heading = el('h3', { id: 'signed-report-heading' }, `Access report: subject ${subject}`);
  show($('signed-report-result'), heading, text('Asking the vault…', 'note'));
  const path = `${tenantPath(session.tenant)}/subjects/${enc(subject)}/access-report`;
  let r;
  try {
    r = await call('GET', query ? `${path}?${query}` : path, { purpose: 'subject_request' });
  } catch (err) {
    show($('signed-report-result'), heading, errorLine(err));
    return;
  }
  showReport($('signed-report-result'), r.body, 'signed-report');
}

// A file chosen by the user: a report or an erasure receipt, checked at once.
async function verifyFile() {
  const file = $('verify-file').files[0];
  if (!file) return;
  const title = el('p', { id: 'verify-file-name' }, `File ${file.name}`);
  show($('verify-file-result'), title, text('Checking…', 'note'));
  const raw = await file.text();
  $('verify-file').value = ''; // the same file may be chosen again
  let doc;
  try {
    doc = JSON.parse(raw);
  } catch {
    show($('verify-file-result'), title, text('Not JSON: not a report or receipt.', 'error'));
    return;
  }
  const out = el('div');
  show($('verify-file-result'), title, out);
  let controls;
  if (doc && Array.isArray(doc.entries)) controls = showReport(out, doc, 'file-report');
  else if (doc && doc.erasure_id) controls = showReceipt(out, doc, 'file-receipt');
  else {
    show(out, text('Neither an access report (entries) nor an erasure receipt (erasure_id).',
      'error'));
    return;
  }
  await controls.run();
}

export function setUpReport() {
  $('signed-report-form').addEventListener('submit', (event) => {
    event.preventDefault();
    busy($('signed-report-button'), $('signed-report-result'), fetchReport);
  });
  $('verify-file').addEventListener('change',
    () => busy(null, $('verify-file-result'), verifyFile));
}
