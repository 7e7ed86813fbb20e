-- Shared part of the bench/cmp_*.lua wrk scripts used by bench/compare_pg.sh:
-- numbers the threads, counts every answer whose status is not 200 as an
-- error, and at the end prints one machine-readable line
--   CMP calls=N duration_us=D p50_us=X p99_us=Y bad_status=B sock_errors=S
-- (calls counts every answer, good or bad; latencies are per call).
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  threads[#threads + 1] = thread
end

bad = 0

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    if bad <= 3 then
      io.stderr:write(string.format("answered %d: %s\n", status, string.sub(body or "", 1, 200)))
    end
  end
end

function done(summary, latency, requests)
  local bad_total = 0
  for _, t in ipairs(threads) do bad_total = bad_total + (tonumber(t:get("bad")) or 0) end
  local e = summary.errors
  io.write(string.format(
      "CMP calls=%d duration_us=%d p50_us=%d p99_us=%d bad_status=%d sock_errors=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      bad_total, e.connect + e.read + e.write + e.timeout))
end
