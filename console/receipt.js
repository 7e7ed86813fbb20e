// Erasure receipts: shown as text, downloadable as JSON, and verified in the
// browser (WebCrypto Ed25519) against the key GET /v1/sys/receipt-key
// publishes, not against the receipt's own public_key field.
import { el, fieldTable, show } from './dom.js';
import { downloadLink, ed25519Verify, verifyControls } from './signature.js';

export { ed25519Supported } from './signature.js';

const RECEIPT_FIELDS = ['erasure_id', 'tenant', 'subject', 'requested_at', 'shredded_at',
  'destroyed_key_id', 'signature', 'public_key', 'final_at', 'backups_unreadable_by',
  'final_signature'];

// The signed message: seven lines joined by \n, no trailing newline.
export function receiptMessage(r) {
  return ['vaultd-erasure-receipt-v1', r.erasure_id, r.tenant, r.subject, r.requested_at,
    r.shredded_at, r.destroyed_key_id].join('\n');
}

export function finalMessage(r) {
  return ['vaultd-erasure-final-v1', r.erasure_id, r.signature, r.final_at || '',
    r.backups_unreadable_by || ''].join('\n');
}

// {ok, why}: checks the signature (and final_signature when present).
export async function verifyReceipt(receipt, publicKeyB64) {
  if (receipt.public_key !== publicKeyB64) {
    return { ok: false, why: 'signed by another key than the one this vault publishes' };
  }
  if (!(await ed25519Verify(publicKeyB64, receipt.signature, receiptMessage(receipt)))) {
    return { ok: false, why: 'the signature does not match the receipt' };
  }
  if (receipt.final_signature
    && !(await ed25519Verify(publicKeyB64, receipt.final_signature, finalMessage(receipt)))) {
    return { ok: false, why: 'final_signature does not match final_at' };
  }
  return { ok: true, why: receipt.final_signature ? 'receipt and final signature valid'
    : 'signature valid' };
}

// Renders `receipt` into `out`: its fields, a download link and a verify
// button (ids prefixed with `prefix`; run() verifies at once).
export function showReceipt(out, receipt, prefix = 'receipt') {
  const link = downloadLink(`${prefix}-download`, `receipt-${receipt.erasure_id}.json`,
    'Download receipt', receipt);
  const controls = verifyControls({
    buttonId: `${prefix}-verify`,
    verdictId: `${prefix}-verdict`,
    check: (key) => verifyReceipt(receipt, key),
    labels: { ok: 'Verified', bad: 'NOT valid' },
    offline: 'vaultctl receipts verify',
  });
  show(out, el('h3', {}, 'Receipt'), fieldTable(receipt, RECEIPT_FIELDS),
    el('p', {}, controls.button, link), controls.verdict);
  return controls;
}
