-- wrk script (bench/cluster_bench.sh): runs the job script named by
-- CLUSTER_JOB (one of bench/cmp_*.lua, which prints the CMP line) and, at
-- the end, also writes the tail of wrk's latency distribution to the file
-- CLUSTER_HIST, so that the figures of several wrk processes (one per node)
-- can be merged into one p99: a line "calls N", then "P US" lines, the
-- latency in microseconds at percentile P, for P = 90 to 99.95 in steps of
-- 0.05 and 99.99. (This wrk cannot hand out its histogram itself.)
-- Environment: CLUSTER_JOB, CLUSTER_HIST, CMP_BENCH_DIR and the job's own.
local dir = os.getenv("CMP_BENCH_DIR") or "bench"
dofile(dir .. "/" .. os.getenv("CLUSTER_JOB"))
local job_done = done

function done(summary, latency, requests)
  job_done(summary, latency, requests)
  local path = os.getenv("CLUSTER_HIST")
  if path == nil or path == "" then return end
  local f = assert(io.open(path, "w"))
  f:write(string.format("calls %d\n", summary.requests))
  if summary.requests > 0 then
    for step = 0, 199 do
      local p = 90 + step * 0.05
      f:write(string.format("%.2f %d\n", p, latency:percentile(p)))
    end
    f:write(string.format("99.99 %d\n", latency:percentile(99.99)))
  end
  f:close()
end
