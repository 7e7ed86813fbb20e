// Ed25519 signatures of the vault's receipt key (erasure receipts, access
// reports), checked in the browser with WebCrypto. The key is the one
// GET /v1/sys/receipt-key publishes, never the public_key a document carries:
// a document signed by another key is refused before its signature is looked at.
import { call } from './api.js';
import { el, show, text } from './dom.js';

export function fromBase64(b64) {
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

// The vault's published signing key (base64), read without the API key.
export async function publishedKey() {
  return (await call('GET', '/v1/sys/receipt-key', { auth: false })).body.public_key;
}

// Whether `signatureB64` is `publicKeyB64`'s signature of the UTF-8 `message`;
// a signature that is not base64 does not verify.
export async function ed25519Verify(publicKeyB64, signatureB64, message) {
  let signature;
  try {
    signature = fromBase64(String(signatureB64 ?? ''));
  } catch {
    return false;
  }
  const key = await crypto.subtle.importKey('raw', fromBase64(publicKeyB64), { name: 'Ed25519' },
    false, ['verify']);
  return crypto.subtle.verify('Ed25519', key, signature, new TextEncoder().encode(message));
}

// A "Verify signature" button and its verdict: `check(publishedKeyB64)`
// answers {ok, why}. `labels`: the verdict's words, e.g. {ok: 'Verified',
// bad: 'NOT valid'}; `offline`: the vaultctl command that checks it offline.
export function verifyControls({ buttonId, verdictId, check, labels, offline }) {
  const verdict = el('p', { id: verdictId });
  const button = el('button', { type: 'button', id: buttonId }, 'Verify signature');
  const run = async () => {
    button.disabled = true;
    try {
      if (!(await ed25519Supported())) {
        show(verdict, text('This browser cannot verify Ed25519: download the JSON and run '
          + `\`${offline}\`.`, 'note'));
        return;
      }
      const result = await check(await publishedKey());
      show(verdict, el('span', { className: result.ok ? 'ok' : 'bad' },
        `${result.ok ? labels.ok : labels.bad}: ${result.why}`),
      text('Checked in this browser (WebCrypto Ed25519) against GET /v1/sys/receipt-key; '
        + `offline: \`${offline}\`.`, 'note'));
    } catch (err) {
      show(verdict, text(`Could not verify: ${err.message}`, 'error'));
    } finally {
      button.disabled = false;
    }
  };
  button.addEventListener('click', run);
  return { button, verdict, run };
}

// A link that downloads `doc` as pretty-printed JSON.
export function downloadLink(id, fileName, label, doc) {
  const json = JSON.stringify(doc, null, 2);
  return el('a', {
    className: 'download',
    id,
    href: URL.createObjectURL(new Blob([json], { type: 'application/json' })),
    download: fileName,
  }, label);
}
