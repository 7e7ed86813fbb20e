// Privacy staff's screens: subject lookup (masked; plain only through the
// audited "Reveal" with a chosen purpose), erasures (request, follow, cancel,
// receipt), legal holds and the audit entries about a subject (consent is in
// consent.js, the signed access report in report.js).
import { call, enc, session, tenantPath } from './api.js';
import { $, busy, el, errorLine, fieldTable, rowsTable, show, text } from './dom.js';
import { showReceipt } from './receipt.js';

const subjectPath = (subject) => `${tenantPath(session.tenant)}/subjects/${enc(subject)}`;

// ---- lookup and reveal
let looked = null; // {subject, masked}: the last masked answer

function renderSubject(answer, revealedFor) {
  const fields = Object.entries(answer.fields || {}).sort(([a], [b]) => a.localeCompare(b));
  const table = rowsTable(['field', 'type', 'value', 'reveal'],
    fields.map(([name, f]) => ({ field: name, ...f })));
  if (revealedFor) {
    for (const cell of table.querySelectorAll('tbody td:nth-child(3)')) cell.className = 'plain';
  }
  const heading = el('h3', { id: 'lookup-heading' }, `Subject ${answer.subject}`);
  const state = revealedFor
    ? text(`Plain values, revealed for purpose "${revealedFor}" (this read is in the audit log).`,
      'note')
    : text('Masked values. Plain values only through "Reveal", which the vault audits.', 'note');
  const withheld = (answer.withheld || []).length
    ? text(`Withheld (not allowed for this key): ${answer.withheld.join(', ')}`, 'note') : null;
  show($('lookup-result'), heading, state, table, withheld);
}

async function lookUp() {
  const subject = $('lookup-subject').value.trim();
  looked = null;
  $('reveal-form').hidden = true;
  const heading = el('h3', { id: 'lookup-heading' }, `Subject ${subject}`);
  show($('lookup-result'), heading);
  let r;
  try {
    r = await call('GET', `${subjectPath(subject)}?reveal=masked`,
      { purpose: $('lookup-purpose').value });
  } catch (err) {
    show($('lookup-result'), heading, errorLine(err));
    return;
  }
  looked = { subject, masked: r.body };
  renderSubject(r.body, '');
  $('reveal-form').hidden = false;
  $('hide-button').hidden = true;
  for (const id of ['consent-subject', 'erasure-subject', 'hold-subject', 'report-subject',
    'signed-report-subject']) $(id).value = subject;
}

async function reveal() {
  const purpose = $('reveal-purpose').value;
  if (!looked || !purpose) return;
  const r = await call('GET', `${subjectPath(looked.subject)}?reveal=plain`, { purpose });
  renderSubject(r.body, purpose);
  $('hide-button').hidden = false;
}

function hide() {
  if (looked) renderSubject(looked.masked, '');
  $('hide-button').hidden = true;
}

// ---- erasures
let following = 0; // increases to stop an older poll

function renderErasure(e) {
  const rows = { erasure_id: e.erasure_id, state: e.state };
  if (e.due_at) rows.due_at = e.due_at;
  if ((e.retained || []).length) rows.retained = e.retained;
  const line = el('p', { id: 'erasure-state', className: e.state === 'done' ? 'ok' : '' },
    `Erasure ${e.erasure_id}: ${e.state}`);
  show($('erasure-result'), line, fieldTable(rows));
  $('erasure-cancel').hidden = e.state !== 'pending';
  $('erasure-cancel').dataset.subject = e.subject || $('erasure-subject').value.trim();
  if (e.receipt) showReceipt($('receipt'), e.receipt);
  else show($('receipt'));
}

// Polls GET .../erasures/{id} once a second while it is pending.
async function follow(erasureId) {
  following += 1;
  const mine = following;
  for (;;) {
    const r = await call('GET', `${tenantPath(session.tenant)}/erasures/${enc(erasureId)}`);
    if (mine !== following) return;
    renderErasure(r.body);
    if (r.body.state !== 'pending') return;
    // Once a second near the due time, every ten seconds before.
    const wait = Date.parse(r.body.due_at) - Date.now() > 60000 ? 10000 : 1000;
    await new Promise((resolve) => { setTimeout(resolve, wait); });
    if (mine !== following) return;
  }
}

async function requestErasure() {
  const subject = $('erasure-subject').value.trim();
  const grace = Number($('erasure-grace').value);
  const r = await call('POST', `${subjectPath(subject)}/erasure`,
    { body: { grace_seconds: grace } });
  renderErasure({ ...r.body, subject });
  $('follow-id').value = r.body.erasure_id;
  if (r.body.state === 'pending') await follow(r.body.erasure_id);
}

async function cancelErasure() {
  const subject = $('erasure-cancel').dataset.subject;
  await call('DELETE', `${subjectPath(subject)}/erasure`);
  await follow($('follow-id').value.trim());
}

// ---- holds
async function placeHold() {
  const subject = $('hold-subject').value.trim();
  const id = $('hold-id').value.trim();
  const r = await call('PUT', `${subjectPath(subject)}/holds/${enc(id)}`,
    { body: { reason: $('hold-reason').value } });
  show($('hold-result'), text(`Hold placed on ${subject}`, 'ok'), fieldTable(r.body));
}

async function releaseHold() {
  const subject = $('hold-subject').value.trim();
  const id = $('hold-id').value.trim();
  await call('DELETE', `${subjectPath(subject)}/holds/${enc(id)}`);
  show($('hold-result'), text(`Hold ${id} released on ${subject}`, 'ok'));
}

// ---- the tenant's audit entries about the subject (action audit; the signed
// report for the subject is in report.js)
let reportPage = '';

async function readReport(next) {
  const subject = $('report-subject').value.trim();
  if (!next) reportPage = '';
  const page = reportPage ? `&page_token=${enc(reportPage)}` : '';
  const query = `subject=${enc(subject)}&limit=50${page}`;
  const r = await call('GET', `${tenantPath(session.tenant)}/audit?${query}`);
  reportPage = r.body.next_page_token || '';
  $('report-next').hidden = !reportPage;
  const table = rowsTable(['seq', 'time', 'principal', 'action', 'types', 'purpose', 'outcome',
    'reason', 'request_id'], r.body.entries);
  table.classList.add('entries');
  show($('report-result'), text(`${r.body.entries.length} entries about ${subject}`, 'note'),
    table);
}

function onSubmit(formId, buttonId, outId, action) {
  $(formId).addEventListener('submit', (event) => {
    event.preventDefault();
    busy($(buttonId), $(outId), action);
  });
}

export function setUpPrivacy() {
  onSubmit('lookup-form', 'lookup-button', 'lookup-result', lookUp);
  onSubmit('reveal-form', 'reveal-button', 'lookup-result', reveal);
  $('hide-button').addEventListener('click', hide);
  onSubmit('erasure-form', 'erasure-button', 'erasure-result', requestErasure);
  onSubmit('follow-form', 'follow-button', 'erasure-result',
    () => follow($('follow-id').value.trim()));
  $('erasure-cancel').addEventListener('click',
    () => busy($('erasure-cancel'), $('erasure-result'), cancelErasure));
  onSubmit('hold-form', 'hold-place', 'hold-result', placeHold);
  $('hold-release').addEventListener('click', () => {
    if ($('hold-form').reportValidity()) busy($('hold-release'), $('hold-result'), releaseHold);
  });
  onSubmit('report-form', 'report-button', 'report-result', () => readReport(false));
  $('report-next').addEventListener('click',
    () => busy($('report-next'), $('report-result'), () => readReport(true)));
}
