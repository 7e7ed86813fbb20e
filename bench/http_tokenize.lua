-- wrk script: one durable single-item tokenize per request.
-- Environment: VAULT_KEY (tokenizer API key).
local counter = 0
wrk.method = "POST"
wrk.path = "/v1/tenants/acme/tokenize"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("VAULT_KEY")

request = function()
  counter = counter + 1
  local body = string.format(
      '{"items": [{"type": "phone", "value": "+86139%08d"}]}', counter % 90000000)
  return wrk.format(nil, nil, nil, body)
end

response = function(status, headers, body)
  if status ~= 200 then
    io.stderr:write("tokenize answered " .. status .. "\n")
  end
end
