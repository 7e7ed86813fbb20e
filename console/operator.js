// Operators' screens: seal state, audit-chain verification, tenants, key
// versions, rotation and rewrap jobs (shred epochs) with a live progress bar.
import { call, enc, health, tenantPath } from './api.js';
import { $, busy, el, fieldTable, rowsTable, show, text } from './dom.js';

async function refreshHealth() {
  const r = await health();
  const b = r.body;
  const state = !b.initialized ? 'not initialised' : b.sealed ? 'SEALED' : 'unsealed';
  show($('health-result'), el('p', { id: 'seal-state', className: b.sealed ? 'bad' : 'ok' },
    `Vault ${state}`), fieldTable(b));
}

async function verifyAudit() {
  show($('audit-result'), text('Verifying…', 'note'));
  const r = await call('GET', '/v1/sys/audit/verify');
  show($('audit-result'), el('p', { id: 'audit-verdict', className: r.body.ok ? 'ok' : 'bad' },
    r.body.ok ? `Chain verified: ${r.body.entries} entries` : 'Chain does NOT verify'),
  fieldTable(r.body));
}

async function createTenant() {
  const body = { id: $('tenant-create-id').value.trim() };
  const residency = $('tenant-create-residency').value.trim();
  if (residency) body.residency = residency;
  const r = await call('POST', '/v1/tenants', { body });
  show($('tenant-create-result'), text(`Tenant ${r.body.id} created`, 'ok'), fieldTable(r.body));
}

async function getTenant() {
  const r = await call('GET', tenantPath($('tenant-get-id').value.trim()));
  show($('tenant-get-result'), fieldTable(r.body));
}

function showKeys(list) {
  show($('keys-result'), rowsTable(['version', 'state', 'created_at'], list.versions || []));
}

const keysTenant = () => $('keys-tenant').value.trim();

async function listKeys() {
  showKeys((await call('GET', `${tenantPath(keysTenant())}/keys`)).body);
}

async function rotateKeys() {
  showKeys((await call('POST', `${tenantPath(keysTenant())}/keys/rotate`)).body);
}

let watching = 0;

function showJob(job) {
  const progress = $('job-progress');
  progress.max = Math.max(job.total, 1);
  progress.value = job.state === 'done' ? progress.max : job.done;
  $('job-label').textContent = `Job ${job.job_id} (tenant ${job.tenant})`;
  $('job-state').textContent = `${job.state}: ${job.done} of ${job.total} data keys`
    + (job.error ? ` (${job.error})` : '');
  $('job-state').className = job.state === 'done' ? 'ok' : job.state === 'failed' ? 'bad' : '';
  $('job').hidden = false;
}

// Polls GET /v1/jobs/{id} twice a second until the job ends.
async function watchJob(jobId) {
  watching += 1;
  const mine = watching;
  for (;;) {
    const job = (await call('GET', `/v1/jobs/${enc(jobId)}`)).body;
    if (mine !== watching) return;
    showJob(job);
    if (job.state !== 'running') break;
    await new Promise((resolve) => { setTimeout(resolve, 500); });
  }
  await listKeys();
}

async function rewrap() {
  const r = await call('POST', `${tenantPath(keysTenant())}/keys/rewrap`);
  showJob(r.body);
  await watchJob(r.body.job_id);
}

export function setUpOperator() {
  $('health-refresh').addEventListener('click',
    () => busy($('health-refresh'), $('health-result'), refreshHealth));
  $('audit-verify').addEventListener('click',
    () => busy($('audit-verify'), $('audit-result'), verifyAudit));
  const submit = (form, button, out, action) => $(form).addEventListener('submit', (event) => {
    event.preventDefault();
    busy($(button), $(out), action);
  });
  submit('tenant-create-form', 'tenant-create-button', 'tenant-create-result', createTenant);
  submit('tenant-get-form', 'tenant-get-button', 'tenant-get-result', getTenant);
  submit('keys-form', 'keys-list', 'keys-result', listKeys);
  for (const [id, action] of [['keys-rotate', rotateKeys], ['keys-rewrap', rewrap]]) {
    $(id).addEventListener('click', () => {
      if ($('keys-form').reportValidity()) busy($(id), $('keys-result'), action);
    });
  }
  refreshHealth().catch(() => {});
}
