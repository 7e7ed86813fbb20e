#!/usr/bin/env bash
# cluster_bench.sh: several vaultd nodes on one PostgreSQL 15 database (issue
# 15), against one vaultd on RocksDB and against PostgreSQL + pgcrypto doing
# the job itself, in one run on one throwaway cluster.
#
# Systems, in this order:
#   rocksdb    one vaultd --dev on its own RocksDB folder
#   postgres   vaultd --dev --postgres URI --node-id node-K, with 1, 2, 3
#              (NODES) nodes on one database: the first node initialises the
#              vault, the others unseal from its dev key file (one shared
#              --data-dir); a node is added before each larger node count.
#              The load is spread evenly: one wrk per node, the cell's
#              connections split between them (16 over 3 nodes = 6+5+5)
#   pgs / pgd  PostgreSQL + pgcrypto alone, pgbench -M prepared with
#              bench/pg_*.sql (pgs: options 's2k-mode=1', pgd: defaults), as
#              bench/compare_pg.sh runs them (same functions, bench/cmp_lib.sh)
# Jobs: tokenize (one durable item per call), detokenize (one token per call,
# masked, with its durable audit entry), tokenize_batch100 (100 items per
# call), each at every concurrency of CONCURRENCY (total connections).
# The cluster is set up as compare_pg.sh's (initdb into a temporary folder,
# Unix socket only, fsync=on, synchronous_commit=on), with more connections
# for the nodes' pools and pg_stat_statements loaded (when installed).
#
# Figures per cell: calls/s (the sum of each wrk's rate) and items/s; p99 per
# call (one wrk: its own; several: merged from each wrk's percentiles 90 to
# 99.95 in 0.05 steps, weighted by its calls; bench/cluster_wrk.lua); CPU per
# call on each side: vaultd = utime+stime of every running vaultd process,
# postgres = the whole cluster (postmaster utime+stime+cutime+cstime plus its
# children's, pg_ticks of bench/cmp_lib.sh), read before and after the cell;
# the machine's busy share (/proc/stat: servers, wrk and everything else);
# and, for vaultd on PostgreSQL, the generation reads of the cross-node cache
# validation (vault/cluster_sync.h: SELECT ... FROM vault_generation), all
# SQL statements (BEGIN and COMMIT included), transactions (COMMITs) and the
# time spent waiting in pg_advisory_xact_lock (the audit chain head's lock,
# taken by every group commit) per call, counted by pg_stat_statements in the
# vault's database; and the nodes' own counters from /metrics when they
# expose them: vaultd_cluster_sync_reads (generation reads),
# vaultd_cluster_cache_drops (times a node dropped its caches) and
# vaultd_commit_groups (group commits), summed over the nodes.
#
# Usage: bash bench/cluster_bench.sh [RESULTS_DIR]  (default: a temporary folder)
#   Environment (all optional), besides bench/cmp_lib.sh's (VAULTD, PG_BIN,
#   PG_PORT, PG_OS_USER, READ_SET, KEEP_WORK):
#     DURATION=20                  seconds per cell
#     CONCURRENCY="16 64"          total connections / pgbench clients
#     NODES="1 2 3"                node counts on PostgreSQL (ascending)
#     JOBS="tokenize detokenize tokenize_batch100"
#     PG_MODES="pgs"               pgcrypto peers: pgs and/or pgd
#     SKIP_ROCKS=1 / SKIP_PGCRYPTO=1   leave a system out
# Writes RESULTS_DIR/cells.tsv (a header line, then one line per cell),
# sql-SYSTEM-NODES-JOB-CONC.txt (the vault database's statements of a cell:
# calls | execution ms | text, most called first), pgbench_cells.tsv
# (bench/cmp_lib.sh's lines) and summary.md (the printed report). The load generators (wrk,
# pgbench) run on the same cores as the servers.
set -euo pipefail
cd "$(dirname "$0")/.."
CMP_NAME=cluster_bench.sh
DURATION="${DURATION:-20}"
CONCURRENCY="${CONCURRENCY:-16 64}"
NODES="${NODES:-1 2 3}"
JOBS="${JOBS:-tokenize detokenize tokenize_batch100}"
PG_MODES="${PG_MODES:-pgs}"
SUBJECTS="${SUBJECTS:-1}"  # cmp_vaultd_read_sets stores these; no job here reads them
# shellcheck source=bench/cmp_lib.sh
source bench/cmp_lib.sh
NODE_PIDS=()
NODE_URLS=()
MAX_NODES=0

cmp_check
for n in $NODES; do
  case "$n" in '' | *[!0-9]* | 0) die "bad node count '$n'" ;; esac
  [ "$n" -gt "$MAX_NODES" ] && MAX_NODES=$n
done
for m in $PG_MODES; do case "$m" in pgs | pgd) ;; *) die "bad PG_MODES entry '$m'" ;; esac; done
for j in $JOBS; do case "$j" in tokenize | detokenize | tokenize_batch100) ;; *) die "bad job '$j'" ;; esac; done
PGSS=0
[ -f "$("$PG_BIN/pg_config" --pkglibdir)/pg_stat_statements.so" ] && PGSS=1
OUT="${1:-$(mktemp -d "${TMPDIR:-/tmp}/cluster-bench-XXXXXX")}"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cmp_init "$OUT/pgbench_cells.tsv"  # run_pgbench_cell's own lines
CELLS="$OUT/cells.tsv"
printf 'system\tnodes\tjob\tconc\tcalls\tcalls_per_s\tp99_us\terrors\tvaultd_ticks\tpg_ticks\titems\tbusy_pct\tgen_reads\tsql_calls\tmetric_reads\tcommits\tlock_wait_ms\tcache_drops\tcommit_groups\n' >"$CELLS"

cb_cleanup() {  # the extra nodes, then bench/cmp_lib.sh's cleanup (node 1 is its VPID)
  set +e
  local p
  for p in "${NODE_PIDS[@]}"; do [ "$p" = "$VPID" ] || kill "$p" 2>/dev/null; done
  for p in "${NODE_PIDS[@]}"; do [ "$p" = "$VPID" ] || wait "$p" 2>/dev/null; done
  cleanup
}
trap cb_cleanup EXIT

# ============================ measuring =====================================
cb_start_pg() {  # cmp_start_pg's cluster, plus the vault's database and pg_stat_statements
  echo "== starting a throwaway PostgreSQL cluster in $PGWORK"
  as_pg "$PG_BIN/initdb" -D "$PGDATA_DIR" -U postgres -A trust -E UTF8 --no-locale --no-sync >"$WORK/initdb.log" 2>&1 ||
    { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
  local preload=""
  [ "$PGSS" = 1 ] && preload="shared_preload_libraries = 'pg_stat_statements'"
  # shellcheck disable=SC2016  # $1 is the inner shell's argument
  as_pg sh -c 'cat >>"$1"' sh "$PGDATA_DIR/postgresql.conf" <<EOF
# cluster_bench.sh (bench/compare_pg.sh's settings; room for the nodes' pools)
listen_addresses = ''
unix_socket_directories = '$PGWORK'
port = $PG_PORT
max_connections = $((MAXC + 20 * MAX_NODES + 10))
fsync = on
synchronous_commit = on
$preload
EOF
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PGWORK/server.log" -w -t 60 start >/dev/null ||
    { cat "$PGWORK/server.log" >&2; die "PostgreSQL did not start"; }
  PMPID=$(head -1 "$PGDATA_DIR/postmaster.pid")
  PSQL=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGWORK" -p "$PG_PORT" -U postgres)
  "${PSQL[@]}" -d postgres -c 'CREATE DATABASE bench' -c 'CREATE DATABASE vault' >/dev/null
  [ "$PGSS" = 1 ] && "${PSQL[@]}" -d postgres -c 'CREATE EXTENSION pg_stat_statements' >/dev/null
  "${PSQL[@]}" -d bench -f "$BENCH_DIR/pg_schema.sql" >/dev/null
  PG_VERSION=$("${PSQL[@]}" -d bench -At -c 'SHOW server_version')
  PG_SETTINGS=$("${PSQL[@]}" -d bench -At -c "SELECT string_agg(name || '=' || current_setting(name), ' ' ORDER BY name) FROM pg_settings
    WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'wal_sync_method', 'full_page_writes', 'max_connections', 'shared_preload_libraries')")
  PGCRYPTO_VERSION=$("${PSQL[@]}" -d bench -At -c "SELECT extversion FROM pg_extension WHERE extname = 'pgcrypto'")
  KEY=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
  PG_URI="postgresql:///vault?host=$PGWORK&port=$PG_PORT&user=postgres"
  echo "PostgreSQL $PG_VERSION, pgcrypto $PGCRYPTO_VERSION, postmaster pid $PMPID; $PG_SETTINGS"
}

cb_add_node() {  # K: node-K on the shared database, unsealed from node-1's dev key file
  local k=$1 out="$WORK/node-$1"
  "$VAULTD" --dev --data-dir "$WORK/data" --listen 127.0.0.1:0 --postgres "$PG_URI" --node-id "node-$k" \
    >"$out.out" 2>"$out.log" &
  NODE_PIDS+=($!)
  for _ in $(seq 200); do grep -q '^listening on' "$out.out" 2>/dev/null && break; sleep 0.1; done
  grep -q '^listening on' "$out.out" || { tail -20 "$out.log" >&2; die "node-$k did not start"; }
  NODE_URLS+=("http://$(sed -n 's/^listening on //p' "$out.out")")
  curl -sf "${NODE_URLS[-1]}/v1/sys/health" | grep -q '"sealed":false' ||
    { curl -s "${NODE_URLS[-1]}/v1/sys/health" >&2; die "node-$k is not unsealed"; }
  echo "node-$k at ${NODE_URLS[-1]} (pid ${NODE_PIDS[-1]})"
}

vaultd_ticks() {  # CPU ticks of every running vaultd
  local p v t=0
  for p in "${NODE_PIDS[@]}"; do
    v=$(own_ticks "$p") || die "vaultd $p is gone"
    t=$((t + v))
  done
  echo "$t"
}
machine_stat() {  # "BUSY TOTAL" jiffies of all cores so far (/proc/stat; idle and iowait are not busy)
  awk '$1 == "cpu" { t = $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; print t - $5 - $6, t; exit }' /proc/stat
}
metric_sums() {  # "SYNC_READS CACHE_DROPS COMMIT_GROUPS": each summed over the nodes' /metrics
  # (vaultd_cluster_sync_reads, vaultd_cluster_cache_drops, vaultd_commit_groups; a
  # _total suffix accepted), "-" for one that a node does not expose
  local u
  for u in "${NODE_URLS[@]}"; do curl -sf "$u/metrics" || echo "scrape_failed 1"; done |
    awk -v nodes="${#NODE_URLS[@]}" '{ sub(/\{.*\}/, "", $1); sub(/_total$/, "", $1); v[$1] += $2; seen[$1]++ }
      END { n = split("vaultd_cluster_sync_reads vaultd_cluster_cache_drops vaultd_commit_groups", m, " ")
            for (i = 1; i <= n; i++) printf "%s%s", (i > 1 ? " " : ""),
              (seen[m[i]] == nodes && !seen["scrape_failed"]) ? sprintf("%.0f", v[m[i]]) : "-"
            print "" }'
}
pgss_reset() { if [ "$PGSS" = 1 ]; then "${PSQL[@]}" -d postgres -At -c 'SELECT pg_stat_statements_reset()' >/dev/null; fi; }
pgss_counts() {  # NAME -> "GENERATION_READS SQL_CALLS COMMITS LOCK_WAIT_MS" in the vault's database
  # since the reset (LOCK_WAIT_MS: time spent in pg_advisory_xact_lock, the
  # audit chain head's lock), or "- - - -";
  # the statements, most called first, go to $OUT/sql-NAME.txt
  if [ "$PGSS" != 1 ]; then echo "- - - -"; return; fi
  "${PSQL[@]}" -d postgres -At -F' | ' -c "SELECT calls, round(total_exec_time::numeric, 1) AS ms,
      left(regexp_replace(query, '\s+', ' ', 'g'), 160) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
      WHERE d.datname = 'vault' ORDER BY calls DESC LIMIT 25" >"$OUT/sql-$1.txt"
  "${PSQL[@]}" -d postgres -At -F' ' -c "SELECT coalesce(sum(calls) FILTER (WHERE query ILIKE 'SELECT%FROM vault_generation%'), 0),
      coalesce(sum(calls), 0), coalesce(sum(calls) FILTER (WHERE query ILIKE 'COMMIT%'), 0),
      round(coalesce(sum(total_exec_time) FILTER (WHERE query ILIKE '%pg_advisory_xact_lock%'), 0)::numeric, 1)
      FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = 'vault'"
}
merge_p99() {  # HIST... (bench/cluster_wrk.lua files) -> p99 in µs over all their calls
  # F(v) = sum over files of calls * (highest percentile whose latency <= v),
  # a file below its 90th percentile counting 0.90 (an upper bound); the
  # answer is the least latency seen where F reaches 99 % of all calls.
  awk 'FNR == 1 { f++; n[f] = $2; next }
       { k[f]++; p[f, k[f]] = $1 / 100; v[f, k[f]] = $2; cand[$2] = 1 }
       END {
         for (i = 1; i <= f; i++) total += n[i]
         best = -1
         for (c in cand) {
           c += 0; F = 0
           for (i = 1; i <= f; i++) {
             q = 0.90
             for (j = 1; j <= k[i]; j++) if (v[i, j] <= c && p[i, j] > q) q = p[i, j]
             F += n[i] * q
           }
           if (total > 0 && F / total >= 0.99 - 1e-9 && (best < 0 || c < best)) best = c
         }
         print (best < 0 ? 0 : best) }' "$@"
}
cb_record() { local IFS=$'\t'; echo "$*" >>"$CELLS"; }
cb_progress() {
  tail -1 "$CELLS" | awk -F'\t' -v clk="$CLK_TCK" '{
    per = ($5 > 0) ? 1000 / clk / $5 : 0
    printf "  %-9s n=%s %-18s c=%-3s %9.1f calls/s %9.0f items/s  p99 %7.2f ms  cpu ms/call vaultd %.3f postgres %.3f  busy %s%%  gen reads %s sql %s metric %s  errors %s\n",
      $1, $2, $3, $4, $6, $6 * $11, $7 / 1000, $9 * per, $10 * per, $12, $13, $14, $15, $8 }'
}

cb_wrk_cell() {  # SYSTEM NODES JOB CONC LUA ITEMS VAR=VALUE...: one wrk per node, CONC split
  local sys=$1 n=$2 job=$3 c=$4 lua=$5 items=$6 i share t failed=0 pids=()
  local out="$WORK/cell-$1-$2-$3-$4" m0 m1 s0 s1 v0 v1 p0 p1 agg p99 busy counts mreads gen sql commits lockms drops groups
  shift 6
  # Fresh statistics, as bench/pg_prepare.sql gives the pgbench tables: the
  # tokens just stored would otherwise leave the planner estimating an
  # empty table (a multi-key read then filters every row of its kind).
  if [ "$sys" = postgres ]; then "${PSQL[@]}" -d vault -c ANALYZE -c CHECKPOINT >/dev/null; fi
  pgss_reset
  m0=$(metric_sums)
  s0=$(machine_stat)
  v0=$(vaultd_ticks)
  p0=$(pg_ticks)
  for ((i = 0; i < n; i++)); do
    share=$((c / n + (i < c % n ? 1 : 0)))
    t=1
    [ "$n" -eq 1 ] && t=$(threads_for "$c")
    env "$@" CMP_BENCH_DIR="$BENCH_DIR" CLUSTER_JOB="$lua" CLUSTER_HIST="$out.$i.hist" \
      wrk -t"$t" -c"$share" -d"${DURATION}s" --timeout 10s -s "$BENCH_DIR/cluster_wrk.lua" "${NODE_URLS[i]}" \
      >"$out.$i.out" 2>"$out.$i.err" &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do wait "${pids[i]}" || failed=1; done
  v1=$(vaultd_ticks)
  p1=$(pg_ticks)
  s1=$(machine_stat)
  counts=$(pgss_counts "$sys-$n-$job-$c")
  m1=$(metric_sums)
  cat "$out".*.out | grep '^CMP ' >"$out.cmp" || true
  [ "$(wc -l <"$out.cmp")" -eq "$n" ] || failed=1
  if [ "$failed" -ne 0 ]; then echo "  wrk failed for $sys n=$n $job c=$c:" >&2; cat "$out".*.err >&2; fi
  agg=$(awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
               calls += v["calls"]; err += v["bad_status"] + v["sock_errors"]
               if (v["duration_us"] > 0) rate += v["calls"] / (v["duration_us"] / 1e6) }
             END { printf "%d\t%.3f\t%d", calls, rate, err }' "$out.cmp")
  if grep -q 'bad_status=[1-9]\|sock_errors=[1-9]' "$out.cmp"; then head -3 "$out".*.err >&2; fi
  p99=$(merge_p99 "$out".*.hist)
  busy=$(awk -v a="$s0" -v b="$s1" 'BEGIN { split(a, x, " "); split(b, y, " ")
    printf "%.0f", (y[2] > x[2]) ? 100 * (y[1] - x[1]) / (y[2] - x[2]) : 0 }')
  read -r mreads drops groups < <(awk -v a="$m0" -v b="$m1" 'BEGIN { split(a, x, " "); split(b, y, " ")
    for (i = 1; i <= 3; i++) printf "%s ", (x[i] == "-" || y[i] == "-") ? "-" : y[i] - x[i]; print "" }')
  local calls rate err
  IFS=$'\t' read -r calls rate err <<<"$agg"
  read -r gen sql commits lockms <<<"$counts"
  cb_record "$sys" "$n" "$job" "$c" "$calls" "$rate" "$p99" $((err + failed)) $((v1 - v0)) $((p1 - p0)) \
    "$items" "$busy" "$gen" "$sql" "$mreads" "$commits" "$lockms" "$drops" "$groups"
  cb_progress
}

cb_jobs() {  # SYSTEM NODES: every job at every concurrency on the first NODES nodes
  local sys=$1 n=$2 job c
  for job in $JOBS; do
    for c in $CONCURRENCY; do
      case "$job" in
        tokenize) cb_wrk_cell "$sys" "$n" tokenize "$c" cmp_tokenize.lua 1 VAULT_KEY="$TOKENIZER" ;;
        detokenize)
          cb_wrk_cell "$sys" "$n" detokenize "$c" cmp_detokenize.lua 1 VAULT_KEY="$SUPPORT" VAULT_TOKENS="$WORK/tokens"
          ;;
        tokenize_batch100)
          cb_wrk_cell "$sys" "$n" tokenize_batch100 "$c" cmp_tokenize_batch.lua 100 VAULT_KEY="$TOKENIZER"
          ;;
      esac
    done
  done
}

# ============================== the run =====================================
START_UTC=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
echo "results in $OUT; load average at start $LOAD_AT_START"
cb_start_pg

if [ "${SKIP_ROCKS:-0}" != 1 ]; then
  VAULTD_ARGS=""
  cmp_start_vaultd
  cmp_vaultd_read_sets
  NODE_PIDS=("$VPID")
  NODE_URLS=("$URL")
  echo "== vaultd on RocksDB, one node (${DURATION}s per cell; connections: $CONCURRENCY)"
  cb_jobs rocksdb 1
  cmp_stop_vaultd
  NODE_PIDS=()
  NODE_URLS=()
  rm -rf "$WORK/data"
fi

VAULTD_ARGS="--postgres $PG_URI --node-id node-1"
cmp_start_vaultd
cmp_vaultd_read_sets
NODE_PIDS=("$VPID")
NODE_URLS=("$URL")
for n in $NODES; do
  while [ "${#NODE_PIDS[@]}" -lt "$n" ]; do cb_add_node $((${#NODE_PIDS[@]} + 1)); done
  echo "== vaultd on PostgreSQL, $n node(s) (${DURATION}s per cell; connections: $CONCURRENCY)"
  cb_jobs postgres "$n"
done
for p in "${NODE_PIDS[@]}"; do [ "$p" = "$VPID" ] || { kill "$p"; wait "$p" || true; }; done
cmp_stop_vaultd
NODE_PIDS=()
NODE_URLS=()

if [ "${SKIP_PGCRYPTO:-0}" != 1 ]; then
  for mode in $PG_MODES; do
    cmp_pg_prepare "$mode"
    echo "== PostgreSQL + pgcrypto alone, $LABEL (${DURATION}s per cell; clients: $CONCURRENCY)"
    for job in $JOBS; do
      for c in $CONCURRENCY; do
        case "$job" in
          tokenize) run_pgbench_cell "$mode" "$OPTS" tokenize "$c" pg_tokenize.sql 1 ;;
          detokenize) run_pgbench_cell "$mode" "$OPTS" detokenize "$c" pg_detokenize.sql 1 ;;
          tokenize_batch100) run_pgbench_cell "$mode" "$OPTS" tokenize_batch100 "$c" pg_tokenize_batch.sql 100 ;;
        esac
        # run_pgbench_cell's line: SYSTEM JOB CONC CALLS CALLS_PER_S P50 P99 ERRORS CPU_TICKS MEM ITEMS
        tail -1 "$RESULTS" | awk -F'\t' -v OFS='\t' '{ print $1, "-", $2, $3, $4, $5, $7, $8, 0, $9, $11, "-", "-", "-", "-", "-", "-", "-", "-" }' >>"$CELLS"
      done
    done
  done
fi

# ============================== report ======================================
# shellcheck source=bench/cluster_bench_report.sh
source bench/cluster_bench_report.sh
cb_report | tee "$OUT/summary.md"
