-- wrk script (bench/compare_pg.sh): one durable 100-item tokenize per call.
-- Bodies (16 per thread, distinct values) are built once in init() so the
-- load generator spends its CPU on sending, not on string building.
-- Environment: VAULT_KEY (a principal allowed to tokenize phone), CMP_BENCH_DIR.
dofile((os.getenv("CMP_BENCH_DIR") or "bench") .. "/cmp_common.lua")
local bodies = {}
local i = 0
wrk.method = "POST"
wrk.path = "/v1/tenants/acme/tokenize"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("VAULT_KEY")

init = function(args)
  for b = 1, 16 do
    local items = {}
    for k = 1, 100 do
      items[k] = string.format('{"type": "phone", "value": "+86137%08d"}',
                               ((tid or 0) * 10000 + b * 100 + k) % 90000000)
    end
    bodies[b] = '{"items": [' .. table.concat(items, ",") .. ']}'
  end
end

request = function()
  i = i + 1
  return wrk.format(nil, nil, nil, bodies[(i % #bodies) + 1])
end
