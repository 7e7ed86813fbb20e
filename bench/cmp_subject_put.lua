-- wrk script (bench/compare_pg.sh): one subject put per call, creating a new
-- subject (ids p-<thread>-<n>) with three fields: name, mobile, email.
-- Environment: VAULT_KEY (a principal allowed to write every type), CMP_BENCH_DIR.
dofile((os.getenv("CMP_BENCH_DIR") or "bench") .. "/cmp_common.lua")
local counter = 0
local run = os.time()
wrk.method = "PUT"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("VAULT_KEY")

request = function()
  counter = counter + 1
  local n = ((tid or 0) * 10000000 + counter) % 90000000
  local path = string.format("/v1/tenants/acme/subjects/p-%d-%d-%d", run, tid or 0, counter)
  local body = string.format(
      '{"fields": {"name": {"type": "person_name", "value": "Li Lei %d"}, ' ..
      '"mobile": {"type": "phone", "value": "+86136%08d"}, ' ..
      '"email": {"type": "email", "value": "user%d@example.com"}}}', n, n, n)
  return wrk.format(nil, path, nil, body)
end
