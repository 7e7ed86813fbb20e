-- wrk script (bench/compare_pg.sh): one masked subject read per call
-- (GET .../subjects/r-<n>?reveal=masked, X-Purpose: support) over the
-- subjects r-0 .. r-(VAULT_SUBJECTS-1) stored beforehand.
-- Environment: VAULT_KEY (a principal whose role allows read up to masked
-- with purpose "support"), VAULT_SUBJECTS, CMP_BENCH_DIR.
dofile((os.getenv("CMP_BENCH_DIR") or "bench") .. "/cmp_common.lua")
local subjects = tonumber(os.getenv("VAULT_SUBJECTS") or "1000")
local i = 0
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("VAULT_KEY")
wrk.headers["X-Purpose"] = "support"

init = function(args)
  i = (tid or 0) * 7919
end

request = function()
  i = i + 1
  return wrk.format(nil, string.format("/v1/tenants/acme/subjects/r-%d?reveal=masked", i % subjects))
end
