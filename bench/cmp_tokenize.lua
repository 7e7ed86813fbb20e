-- wrk script (bench/compare_pg.sh): one durable single-item tokenize per call.
-- Environment: VAULT_KEY (a principal allowed to tokenize phone), CMP_BENCH_DIR.
dofile((os.getenv("CMP_BENCH_DIR") or "bench") .. "/cmp_common.lua")
local counter = 0
wrk.method = "POST"
wrk.path = "/v1/tenants/acme/tokenize"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("VAULT_KEY")

request = function()
  counter = counter + 1
  local body = string.format('{"items": [{"type": "phone", "value": "+86139%08d"}]}',
                             ((tid or 0) * 10000000 + counter) % 90000000)
  return wrk.format(nil, nil, nil, body)
end
