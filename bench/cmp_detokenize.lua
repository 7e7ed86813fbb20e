-- wrk script (bench/compare_pg.sh): one audited single-token detokenize per
-- call (reveal masked, X-Purpose: support), tokens drawn in turn from the
-- file VAULT_TOKENS (one per line, issued beforehand).
-- Environment: VAULT_KEY (a principal whose role allows detokenize with
-- purpose "support"), VAULT_TOKENS, CMP_BENCH_DIR.
dofile((os.getenv("CMP_BENCH_DIR") or "bench") .. "/cmp_common.lua")
local tokens = {}
for line in io.lines(os.getenv("VAULT_TOKENS")) do tokens[#tokens + 1] = line end
local i = 0
wrk.method = "POST"
wrk.path = "/v1/tenants/acme/detokenize"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("VAULT_KEY")
wrk.headers["X-Purpose"] = "support"

init = function(args)
  i = (tid or 0) * 7919  -- threads start at different tokens
end

request = function()
  i = i + 1
  local body = '{"tokens": ["' .. tokens[(i % #tokens) + 1] .. '"], "reveal": "masked"}'
  return wrk.format(nil, nil, nil, body)
end
