#!/usr/bin/env bash
# compare_all.sh: the whole comparison of issue 14 in one run, with ratios.
#   1. in process: vault_bench's single-item tokenize and audited (and
#      unaudited) single-token detokenize, every thread count it has;
#   2. over HTTP: vaultd (--dev, defaults) driven by wrk (bench/cmp_*.lua)
#      for single tokenize, audited detokenize and the 100-item batch at
#      every concurrency of CONCURRENCY, as bench/compare_pg.sh does (same
#      functions: bench/cmp_lib.sh);
#   3. fixed rate: bench/fixed_rate_load (open loop, latency from the
#      scheduled send time, no coordinated omission) at fractions of the
#      throughput wrk reached for each job (FIXED_FRACTIONS), among them
#      half of it (the p99 < 5 ms target);
#   4. PostgreSQL 15 + pgcrypto (throwaway cluster, Unix socket, pgbench -M
#      prepared, bench/pg_*.sql) doing the same three jobs at the same
#      concurrencies, for each mode of PG_MODES (pgs: pgcrypto options
#      's2k-mode=1', the issue's peer; pgd: pgcrypto defaults).
# Prints the tables (vaultd / PostgreSQL, HTTP / in process, fixed-rate
# percentiles, the issue's targets) and writes, under RESULTS_DIR:
#   cells.tsv       one line per load cell (columns: see bench/cmp_lib.sh)
#   throughput.tsv  system job conc ops_per_s calls_per_s p50_us p99_us errors (header line)
#   inprocess.tsv   benchmark threads items_per_s
#   ratios.tsv      job conc vaultd_ops pg_mode pg_ops ratio_pg http_calls inprocess_best ratio_inprocess
#   fixed.tsv       job fraction rate connections measured errors unfinished achieved p50_us p90_us p99_us p999_us max_us
#   summary.md      the printed report; meta.txt the settings and versions
# bench/plot.sh RESULTS_DIR turns them into PNGs.
#
# Usage: bash bench/compare_all.sh [RESULTS_DIR]   (default: a new temporary folder)
#   Environment (all optional), besides compare_pg.sh's (VAULTD, DURATION,
#   READ_SET, PG_BIN, PG_PORT, PG_OS_USER, KEEP_WORK, VAULTD_ARGS):
#     CONCURRENCY="1 4 16 64"          wrk connections / pgbench clients
#     PG_MODES="pgs"                   PostgreSQL modes: pgs and/or pgd
#     VAULT_BENCH=./build/bench/vault_bench
#     INPROCESS_MIN_TIME=1             --benchmark_min_time per benchmark (s)
#     FIXED_RATE_LOAD=./build/bench/fixed_rate_load
#     FIXED_SECONDS=10                 seconds per fixed rate (1 s warm-up)
#     FIXED_CONNECTIONS=64             connections of the open-loop client
#     FIXED_FRACTIONS="0.25 0.5 0.75 0.9"  rates as fractions of wrk's best
#     SKIP_PG=1 / SKIP_INPROCESS=1 / SKIP_FIXED=1   leave a part out
# Examples:
#   bash bench/compare_all.sh /tmp/cmp && bash bench/plot.sh /tmp/cmp   # everything, then the PNGs
#   SKIP_PG=1 SKIP_INPROCESS=1 CONCURRENCY="16 64" FIXED_FRACTIONS=0.5 \
#       bash bench/compare_all.sh /tmp/p99   # only p99 at half of the reached throughput
set -euo pipefail
cd "$(dirname "$0")/.."
CMP_NAME=compare_all.sh
CONCURRENCY="${CONCURRENCY:-1 4 16 64}"
PG_MODES="${PG_MODES:-pgs}"
VAULT_BENCH="${VAULT_BENCH:-./build/bench/vault_bench}"
INPROCESS_MIN_TIME="${INPROCESS_MIN_TIME:-1}"
FIXED_RATE_LOAD="${FIXED_RATE_LOAD:-./build/bench/fixed_rate_load}"
FIXED_SECONDS="${FIXED_SECONDS:-10}"
FIXED_CONNECTIONS="${FIXED_CONNECTIONS:-64}"
FIXED_FRACTIONS="${FIXED_FRACTIONS:-0.25 0.5 0.75 0.9}"
# shellcheck source=bench/cmp_lib.sh
source bench/cmp_lib.sh
JOBS="tokenize detokenize tokenize_batch100"

cmp_check
[ "${SKIP_INPROCESS:-0}" = 1 ] || [ -x "$VAULT_BENCH" ] || die "no vault_bench at $VAULT_BENCH (build it, or set VAULT_BENCH)"
[ "${SKIP_FIXED:-0}" = 1 ] || [ -x "$FIXED_RATE_LOAD" ] || die "no fixed_rate_load at $FIXED_RATE_LOAD (build it)"
for m in $PG_MODES; do case "$m" in pgs | pgd) ;; *) die "bad PG_MODES entry '$m'" ;; esac; done
OUT="${1:-$(mktemp -d "${TMPDIR:-/tmp}/compare-all-XXXXXX")}"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cmp_init "$OUT/cells.tsv"
: >"$OUT/inprocess.tsv"
printf 'job\tfraction\trate\tconnections\tmeasured\terrors\tunfinished\tachieved\tp50_us\tp90_us\tp99_us\tp999_us\tmax_us\n' >"$OUT/fixed.tsv"
echo "results in $OUT"

# ============================ in process ====================================
run_inprocess() {  # vault_bench's single-item benchmarks -> inprocess.tsv
  echo "== in process: vault_bench (min time ${INPROCESS_MIN_TIME}s per benchmark)"
  "$VAULT_BENCH" --benchmark_filter='BM_(TokenizeSingle|DetokenizeSingle|DetokenizeAuditedSingle)/' \
      --benchmark_min_time="$INPROCESS_MIN_TIME" --benchmark_format=csv \
      >"$WORK/vault_bench.csv" 2>"$WORK/vault_bench.err" || {
    cat "$WORK/vault_bench.err" >&2
    die "vault_bench failed"
  }
  # "BM_TokenizeSingle/real_time/threads:8",iterations,real,cpu,unit,bytes/s,items/s,...
  awk -F, '/^"BM_/ { name = $1; gsub(/"/, "", name); split(name, p, "/"); t = name
    sub(/.*threads:/, "", t); printf "%s\t%s\t%.0f\n", p[1], t, $7 }' "$WORK/vault_bench.csv" >"$OUT/inprocess.tsv"
  awk -F'\t' '{ printf "  %-28s threads %-3s %10.0f items/s\n", $1, $2, $3 }' "$OUT/inprocess.tsv"
}
[ "${SKIP_INPROCESS:-0}" = 1 ] || run_inprocess

# ============================== vaultd ======================================
best_calls() {  # JOB -> the highest calls/s vaultd reached over wrk's cells
  awk -F'\t' -v j="$1" '$1 == "vaultd" && $2 == j && $8 == 0 && $5 > m { m = $5 } END { printf "%.0f", m }' "$RESULTS"
}
run_fixed() {  # JOB VAR=VALUE...: FIXED_FRACTIONS of the job's best wrk rate -> fixed.tsv
  local job=$1 best f rate line
  shift
  best=$(best_calls "$job")
  [ "${best:-0}" -gt 0 ] || { echo "  no wrk figure for $job: no fixed-rate cells" >&2; return; }
  for f in $FIXED_FRACTIONS; do
    rate=$(awk -v b="$best" -v f="$f" 'BEGIN { printf "%.0f", b * f }')
    [ "$rate" -gt 0 ] || continue
    line=$(env "$@" "$FIXED_RATE_LOAD" "$ADDR" "$job" "$rate" "$FIXED_SECONDS" "$FIXED_CONNECTIONS" 1 |
      grep '^FIXED ' || true)
    [ -n "$line" ] || { echo "  fixed_rate_load failed for $job at $rate/s" >&2; continue; }
    awk -v job="$job" -v f="$f" '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", job, f, v["rate"], v["connections"],
        v["measured"], v["errors"], v["unfinished"], v["achieved"], v["p50_us"], v["p90_us"],
        v["p99_us"], v["p999_us"], v["max_us"] }' <<<"$line" >>"$OUT/fixed.tsv"
    tail -1 "$OUT/fixed.tsv" | awk -F'\t' '{ printf "  fixed %-18s %.2f of best: %6s/s sent, %8.1f/s answered  p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f ms  errors %s unfinished %s\n",
      $1, $2, $3, $8, $9 / 1000, $10 / 1000, $11 / 1000, $12 / 1000, $6, $7 }'
  done
}

cmp_start_vaultd
cmp_vaultd_read_sets
echo "== vaultd cells (${DURATION}s each; concurrency: $CONCURRENCY)"
for c in $CONCURRENCY; do run_wrk_cell tokenize "$c" cmp_tokenize.lua 1 VAULT_KEY="$TOKENIZER"; done
for c in $CONCURRENCY; do
  run_wrk_cell detokenize "$c" cmp_detokenize.lua 1 VAULT_KEY="$SUPPORT" VAULT_TOKENS="$WORK/tokens"
done
for c in $CONCURRENCY; do run_wrk_cell tokenize_batch100 "$c" cmp_tokenize_batch.lua 100 VAULT_KEY="$TOKENIZER"; done
if [ "${SKIP_FIXED:-0}" != 1 ]; then
  echo "== fixed rate (open loop, ${FIXED_SECONDS}s each, $FIXED_CONNECTIONS connections; fractions: $FIXED_FRACTIONS)"
  run_fixed tokenize VAULT_KEY="$TOKENIZER"
  run_fixed detokenize VAULT_KEY="$SUPPORT" VAULT_TOKENS="$WORK/tokens"
fi
cmp_stop_vaultd

# ============================ PostgreSQL ====================================
if [ "${SKIP_PG:-0}" != 1 ]; then
  cmp_start_pg
  for mode in $PG_MODES; do
    cmp_pg_prepare "$mode"
    echo "== PostgreSQL cells, $LABEL (${DURATION}s each; concurrency: $CONCURRENCY)"
    for c in $CONCURRENCY; do run_pgbench_cell "$mode" "$OPTS" tokenize "$c" pg_tokenize.sql 1; done
    for c in $CONCURRENCY; do run_pgbench_cell "$mode" "$OPTS" detokenize "$c" pg_detokenize.sql 1; done
    for c in $CONCURRENCY; do run_pgbench_cell "$mode" "$OPTS" tokenize_batch100 "$c" pg_tokenize_batch.sql 100; done
  done
fi

# ============================== report ======================================
# shellcheck source=bench/compare_all_report.sh
source bench/compare_all_report.sh
write_tables
report | tee "$OUT/summary.md"
echo
echo "results: $OUT (plot: bash bench/plot.sh $OUT)"
