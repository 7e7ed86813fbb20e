// Erasure receipts: shown as text, downloadable as JSON, and verified in the
// browser (WebCrypto Ed25519) against the key GET /v1/sys/receipt-key
// publishes, not against the receipt's own public_key field.
import { call } from './api.js';
import { el, fieldTable, show, text } from './dom.js';

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

function fromBase64(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i += 1) out[i] = bin.charCodeAt(i);
  return out;
}

// Whether this browser's WebCrypto has Ed25519 (Chromium 137 and later).
export async function ed25519Supported() {
  if (!globalThis.crypto || !crypto.subtle) return false;
  try {
    await crypto.subtle.importKey('raw', new Uint8Array(32), { name: 'Ed25519' }, false,
      ['verify']);
    return true;
  } catch (err) {
    return err.name !== 'NotSupportedError';
  }
}

// {ok, why}: checks the signature (and final_signature when present).
export async function verifyReceipt(receipt, publicKeyB64) {
  if (receipt.public_key !== publicKeyB64) {
    return { ok: false, why: 'signed by another key than the one this vault publishes' };
  }
  const key = await crypto.subtle.importKey('raw', fromBase64(publicKeyB64), { name: 'Ed25519' },
    false, ['verify']);
  const utf8 = new TextEncoder();
  const ok = await crypto.subtle.verify('Ed25519', key, fromBase64(receipt.signature),
    utf8.encode(receiptMessage(receipt)));
  if (!ok) return { ok: false, why: 'the signature does not match the receipt' };
  if (receipt.final_signature) {
    const finalOk = await crypto.subtle.verify('Ed25519', key, fromBase64(receipt.final_signature),
      utf8.encode(finalMessage(receipt)));
    if (!finalOk) return { ok: false, why: 'final_signature does not match final_at' };
  }
  return { ok: true, why: receipt.final_signature ? 'receipt and final signature valid'
    : 'signature valid' };
}

// Renders `receipt` into `out`: its fields, a download link and a verify button.
export function showReceipt(out, receipt) {
  const json = JSON.stringify(receipt, null, 2);
  const link = el('a', {
    className: 'download',
    id: 'receipt-download',
    href: URL.createObjectURL(new Blob([json], { type: 'application/json' })),
    download: `receipt-${receipt.erasure_id}.json`,
  }, 'Download receipt');
  const verdict = el('p', { id: 'receipt-verdict' });
  const button = el('button', { type: 'button', id: 'receipt-verify' }, 'Verify signature');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      if (!(await ed25519Supported())) {
        show(verdict, text('This browser cannot verify Ed25519: download the receipt and run '
          + '`vaultctl receipts verify`.', 'note'));
        return;
      }
      const published = (await call('GET', '/v1/sys/receipt-key', { auth: false })).body;
      const result = await verifyReceipt(receipt, published.public_key);
      show(verdict, el('span', { className: result.ok ? 'ok' : 'bad' },
        result.ok ? `Verified: ${result.why}` : `NOT valid: ${result.why}`),
      text('Checked in this browser (WebCrypto Ed25519) against GET /v1/sys/receipt-key; '
        + 'offline: `vaultctl receipts verify`.', 'note'));
    } catch (err) {
      show(verdict, text(`Could not verify: ${err.message}`, 'error'));
    } finally {
      button.disabled = false;
    }
  });
  show(out, el('h3', {}, 'Receipt'), fieldTable(receipt, RECEIPT_FIELDS),
    el('p', {}, button, link), verdict);
}
