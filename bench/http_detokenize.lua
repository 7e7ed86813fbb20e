-- wrk script: one masked single-token detokenize per request, tokens drawn
-- from the file VAULT_TOKENS (one per line). Environment: VAULT_KEY (a
-- principal whose role allows detokenize with purpose "support").
local tokens = {}
for line in io.lines(os.getenv("VAULT_TOKENS")) do tokens[#tokens + 1] = line end
local i = 0
wrk.method = "POST"
wrk.path = "/v1/tenants/acme/detokenize"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("VAULT_KEY")
wrk.headers["X-Purpose"] = "support"

request = function()
  i = i + 1
  local body = '{"tokens": ["' .. tokens[(i % #tokens) + 1] .. '"], "reveal": "masked"}'
  return wrk.format(nil, nil, nil, body)
end

response = function(status, headers, body)
  if status ~= 200 then
    io.stderr:write("detokenize answered " .. status .. "\n")
  end
end
