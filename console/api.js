// The vaultd HTTP API as the console uses it: same origin, the API key from
// session storage (this tab only; never a cookie) as a Bearer header.

const KEY = 'vaultd.console.apiKey';
const TENANT = 'vaultd.console.tenant';

export const session = {
  get key() { return sessionStorage.getItem(KEY) || ''; },
  get tenant() { return sessionStorage.getItem(TENANT) || ''; },
  start(key, tenant) {
    sessionStorage.setItem(KEY, key);
    sessionStorage.setItem(TENANT, tenant);
  },
  end() {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(TENANT);
  },
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(`${status} ${code}: ${message}`);
    this.status = status;
    this.code = code;
    this.detail = message;
  }
}

// The purposes the console offers in its lists (any lowercase word is a purpose).
export const PURPOSES = ['support', 'fraud', 'billing', 'marketing', 'analytics', 'legal',
  'subject_request'];

export const enc = encodeURIComponent;
export const tenantPath = (tenant) => `/v1/tenants/${enc(tenant)}`;

// One call; answers {status, body} for 2xx (body null for 204), throws
// ApiError otherwise. `purpose` becomes X-Purpose.
export async function call(method, path, { body, purpose, auth = true } = {}) {
  const headers = {};
  if (auth) headers.Authorization = `Bearer ${session.key}`;
  if (purpose) headers['X-Purpose'] = purpose;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
  });
  const raw = await response.text();
  let parsed = null;
  try {
    parsed = raw ? JSON.parse(raw) : null;
  } catch {
    parsed = null;
  }
  if (response.ok) return { status: response.status, body: parsed };
  const error = (parsed && parsed.error) || {};
  throw new ApiError(response.status, error.code || 'ERROR', error.message || response.statusText);
}

// GET /v1/sys/health answers 503 with the same body while sealed.
export async function health() {
  const response = await fetch('/v1/sys/health', { credentials: 'omit', cache: 'no-store' });
  return { status: response.status, body: await response.json() };
}
