// A subject's consent (GET/PUT .../subjects/{s}/consent): the purposes the
// subject withdrew, whether it is a minor and whether a guardian consented,
// with who recorded it and when. Reading needs `read` or `export`, changing
// it `write`. Purposes are checked here as the API checks them before
// anything is sent; the vault checks again (400).
import { PURPOSES, call, enc, session, tenantPath } from './api.js';
import { $, busy, el, errorLine, fieldTable, show, text } from './dom.js';

// They do not rest on consent: the API refuses to record them as withdrawn.
export const UNWITHDRAWABLE = ['legal', 'subject_request'];

// '' when `p` may be withdrawn, else why not (the API's rule).
export function purposeProblem(p) {
  if (!/^[a-z_]{1,32}$/.test(p)) {
    return `"${p}" is not a purpose: lowercase words (a-z and _), 1-32 characters`;
  }
  if (UNWITHDRAWABLE.includes(p)) {
    return `"${p}" cannot be withdrawn: legal and subject_request do not rest on consent`;
  }
  return '';
}

// What the vault will refuse for this consent (the rule in api.md, Consent).
export function consentEffect(c) {
  if (c.minor && !c.guardian_consent) {
    return 'A minor without a guardian\'s consent: reads are refused except for purposes '
      + 'legal and subject_request.';
  }
  if ((c.withdrawn_purposes || []).length) {
    return `Reads for ${c.withdrawn_purposes.join(', ')} are refused, and so is every read `
      + 'that states no purpose.';
  }
  return 'Consent refuses no read.';
}

const consentPath = (subject) =>
  `${tenantPath(session.tenant)}/subjects/${enc(subject)}/consent`;
// X-Purpose, for roles that require one (consent never gates reading consent).
const purpose = () => $('consent-purpose').value;
const purposeBoxes = () => [...document.querySelectorAll('#consent-purposes input')];

function showConsent(subject, c, saved) {
  const rows = {
    withdrawn_purposes: (c.withdrawn_purposes || []).join(', ') || '(none)',
    minor: c.minor ? 'yes' : 'no',
    guardian_consent: c.guardian_consent ? 'yes' : 'no',
    updated_at: c.updated_at || '(never recorded)',
    principal: c.principal || '',
  };
  show($('consent-result'), el('h3', { id: 'consent-heading' }, `Consent of subject ${subject}`),
    saved ? el('p', { className: 'ok', id: 'consent-saved' }, 'Saved.') : null,
    fieldTable(rows), el('p', { id: 'consent-effect' }, consentEffect(c)));
  // The form starts from what is stored.
  const others = [];
  for (const box of purposeBoxes()) box.checked = false;
  for (const p of c.withdrawn_purposes || []) {
    const box = purposeBoxes().find((b) => b.value === p);
    if (box) box.checked = true;
    else others.push(p);
  }
  $('consent-other').value = others.join(', ');
  $('consent-minor').checked = Boolean(c.minor);
  $('consent-guardian').checked = Boolean(c.guardian_consent);
  show($('consent-edit-result'));
}

const subjectHeading = (subject) =>
  el('h3', { id: 'consent-heading' }, `Consent of subject ${subject}`);

async function loadConsent() {
  const subject = $('consent-subject').value.trim();
  let r;
  try {
    r = await call('GET', consentPath(subject), { purpose: purpose() });
  } catch (err) {
    show($('consent-result'), subjectHeading(subject), errorLine(err));
    return;
  }
  showConsent(subject, r.body, false);
}

async function saveConsent() {
  const subject = $('consent-subject').value.trim();
  const lastSaved = $('consent-saved');
  if (lastSaved) lastSaved.remove();
  show($('consent-edit-result'), text('Saving…', 'note'));
  const typed = $('consent-other').value.split(',').map((s) => s.trim()).filter((s) => s);
  const withdrawn = [...purposeBoxes().filter((b) => b.checked).map((b) => b.value), ...typed];
  const problems = withdrawn.map(purposeProblem).filter((p) => p);
  if (problems.length) {
    show($('consent-edit-result'), ...problems.map((p) => text(p, 'error consent-problem')),
      text('Nothing was sent.', 'note'));
    return;
  }
  if (!subject) {
    show($('consent-edit-result'), text('Name the subject above first.', 'error'));
    return;
  }
  const body = { withdrawn_purposes: [...new Set(withdrawn)], minor: $('consent-minor').checked,
    guardian_consent: $('consent-guardian').checked };
  let r;
  try {
    r = await call('PUT', consentPath(subject), { body, purpose: purpose() });
  } catch (err) {
    show($('consent-edit-result'), el('p', {}, `Consent of subject ${subject}`), errorLine(err));
    return;
  }
  showConsent(subject, r.body, true);
}

export function setUpConsent() {
  const boxes = $('consent-purposes');
  for (const p of PURPOSES) {
    const fixed = UNWITHDRAWABLE.includes(p);
    boxes.append(el('label', { className: 'check', title: fixed ? purposeProblem(p) : '' },
      el('input', { type: 'checkbox', value: p, disabled: fixed }), p));
  }
  $('consent-form').addEventListener('submit', (event) => {
    event.preventDefault();
    busy($('consent-load'), $('consent-result'), loadConsent);
  });
  $('consent-edit-form').addEventListener('submit', (event) => {
    event.preventDefault();
    busy($('consent-save'), $('consent-edit-result'), saveConsent);
  });
}
