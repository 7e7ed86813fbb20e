# shellcheck shell=bash disable=SC2034  # SC2034: variables the sourcing scripts use
# cmp_lib.sh: the shared part of bench/compare_pg.sh and bench/compare_all.sh
# (sourced, not run): settings, tool checks, the temporary folders and their
# cleanup, a dev-mode vaultd with its principals and read sets, wrk cells
# driven by bench/cmp_*.lua, a throwaway PostgreSQL 15 cluster (initdb into a
# temporary folder, Unix socket only) and pgbench cells driven by
# bench/pg_*.sql. Every cell appends one line to $RESULTS (tab-separated):
#   SYSTEM JOB CONC CALLS CALLS_PER_S P50_US P99_US ERRORS CPU_TICKS MEM_KIB ITEMS
# The caller sets `set -euo pipefail`, changes to the repository root, sets
# CMP_NAME (its name in messages), sources this file, then calls cmp_check,
# cmp_init, cmp_start_vaultd, run_wrk_cell..., cmp_stop_vaultd, cmp_start_pg,
# cmp_pg_prepare MODE and run_pgbench_cell...; cleanup runs on exit.
# Settings (environment, all optional): see the header of bench/compare_pg.sh;
# VAULTD_ARGS adds arguments to vaultd's command line (split on spaces).
set -euo pipefail
BENCH_DIR=bench
VAULTD="${VAULTD:-./build/api/vaultd}"
VAULTD_ARGS="${VAULTD_ARGS:-}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
DURATION="${DURATION:-10}"
CONCURRENCY="${CONCURRENCY:-1 16 64}"
READ_SET="${READ_SET:-10000}"
SUBJECTS="${SUBJECTS:-1000}"
PG_PORT="${PG_PORT:-5432}"
PG_OS_USER="${PG_OS_USER:-postgres}"
CLK_TCK=$(getconf CLK_TCK)
LOAD_AT_START=$(cut -d" " -f1-3 /proc/loadavg)
NCPU=$(getconf _NPROCESSORS_ONLN)
WORK=""
PGWORK=""
PGDATA_DIR=""
VPID=""
SAMPLER=""
PMPID=""
RESULTS=""
HWM_NOTE="VmHWM, reset before each cell through clear_refs"

die() { echo "${CMP_NAME:-cmp_lib.sh}: $*" >&2; exit 1; }

cmp_check() {  # tools, binaries and settings; sets MAXC (the largest concurrency)
  local tool c
  for tool in wrk curl awk sort; do command -v "$tool" >/dev/null || die "$tool not found"; done
  [ -x "$VAULTD" ] || die "no vaultd at $VAULTD (build it, or set VAULTD)"
  for tool in initdb pg_ctl postgres pgbench psql pg_config; do
    [ -x "$PG_BIN/$tool" ] || die "no $tool in $PG_BIN (set PG_BIN)"
  done
  [ -f "$("$PG_BIN/pg_config" --sharedir)/extension/pgcrypto.control" ] || die "pgcrypto is not installed"
  case "$DURATION" in '' | *[!0-9]*) die "DURATION must be whole seconds" ;; esac
  for c in $CONCURRENCY; do
    case "$c" in '' | *[!0-9]* | 0) die "bad concurrency '$c'" ;; esac
  done
  # shellcheck disable=SC2086  # the list is split on purpose
  MAXC=$(printf '%s\n' $CONCURRENCY | sort -n | tail -1)
}

# as_pg CMD...: runs CMD as the cluster's OS user, in $PGWORK.
if [ "$(id -u)" -eq 0 ]; then
  if command -v runuser >/dev/null; then
    as_pg() { (cd "$PGWORK" && runuser -u "$PG_OS_USER" -- "$@"); }
  else
    as_pg() { (cd "$PGWORK" && su -s "$BASH" "$PG_OS_USER" -c "$(printf '%q ' "$@")"); }
  fi
else
  as_pg() { (cd "$PGWORK" && "$@"); }
fi

cleanup() {
  set +e
  [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null && wait "$SAMPLER" 2>/dev/null
  if [ -n "$VPID" ]; then kill "$VPID" 2>/dev/null; wait "$VPID" 2>/dev/null; fi
  if [ -f "$PGDATA_DIR/postmaster.pid" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -t 30 -w stop >/dev/null 2>&1 ||
      as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w stop >/dev/null 2>&1
  fi
  if [ "${KEEP_WORK:-0}" = 1 ]; then
    echo "kept $WORK and $PGWORK" >&2
  else
    rm -rf "$WORK" "$PGWORK"
  fi
}

cmp_init() {  # RESULTS_FILE: temporary folders (removed on exit), the results file
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/cmp-vaultd-XXXXXX")
  PGWORK=$(mktemp -d "${TMPDIR:-/tmp}/cmp-pg-XXXXXX")
  chmod 700 "$WORK" "$PGWORK"
  PGDATA_DIR="$PGWORK/data"
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  if [ "$(id -u)" -eq 0 ]; then
    id "$PG_OS_USER" >/dev/null 2>&1 || die "running as root needs the OS user $PG_OS_USER for PostgreSQL"
    chown "$PG_OS_USER" "$PGWORK"
  fi
  RESULTS=${1:-$WORK/results.tsv}
  : >"$RESULTS"
}

# record SYSTEM JOB CONC CALLS CALLS_PER_S P50_US P99_US ERRORS CPU_TICKS MEM_KIB ITEMS
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; }
progress() {  # one line per cell as it finishes
  awk -v clk="$CLK_TCK" -F'\t' 'END {
    ops = $5 * $11; cpu = ($4 * $11 > 0) ? $9 / clk / ($4 * $11) * 1000 : 0
    printf "  %-6s %-20s c=%-3s %10.0f ops/s %9.1f calls/s  p50 %.2f ms  p99 %.2f ms  cpu %.3f s/1k ops  peak %.0f MiB  errors %d\n",
      $1, $2, $3, ops, $5, $6 / 1000, $7 / 1000, cpu, $10 / 1024, $8 }' "$RESULTS"
}
threads_for() { if [ "$1" -lt 2 ]; then echo 1; else echo 2; fi; }

# /proc/PID/stat fields after the command: index 11 utime, 12 stime,
# 13 cutime, 14 cstime (fields 14-17 of proc(5)).
stat_fields() {  # PID -> sets F (array); fails when the process is gone
  local s
  read -r s 2>/dev/null <"/proc/$1/stat" || return 1  # not $(<...): fatal under set -e
  s=${s##*) }
  read -r -a F <<<"$s"
}
own_ticks() { stat_fields "$1" && echo $((F[11] + F[12])); }

call() { curl -sf -X "$1" "$URL$2" -H "Authorization: Bearer $ROOT" -H 'Content-Type: application/json' -d "${3:-}"; }
key_of() { sed -E 's/.*"api_key":"([^"]+)".*/\1/'; }

cmp_start_vaultd() {  # a dev-mode vaultd, tenant acme, its roles and principals
  echo "== starting vaultd ($VAULTD) in dev mode"
  # shellcheck disable=SC2086  # VAULTD_ARGS is split on purpose
  "$VAULTD" --dev --data-dir "$WORK/data" --listen 127.0.0.1:0 $VAULTD_ARGS >"$WORK/vaultd.out" 2>"$WORK/vaultd.log" &
  VPID=$!
  for _ in $(seq 100); do grep -q '^listening on' "$WORK/vaultd.out" 2>/dev/null && break; sleep 0.1; done
  grep -q '^listening on' "$WORK/vaultd.out" || { tail -20 "$WORK/vaultd.log" >&2; die "vaultd did not start"; }
  ADDR=$(sed -n 's/^listening on //p' "$WORK/vaultd.out")
  URL="http://$ADDR"
  ROOT=$(cat "$WORK/data/root-api-key")
  VAULTD_VERSION=$(curl -sf "$URL/v1/sys/health" | sed -n 's/.*"version":"\([^"]*\)".*/\1/p')
  call POST /v1/tenants '{"id": "acme"}' >/dev/null
  call PUT /v1/tenants/acme/roles/tokenizer '{"actions": ["tokenize"], "types": ["*"], "max_reveal": "token_only"}' >/dev/null
  call PUT /v1/tenants/acme/roles/support '{"actions": ["detokenize"], "types": ["phone"], "max_reveal": "masked", "purposes": ["support"]}' >/dev/null
  call PUT /v1/tenants/acme/roles/writer '{"actions": ["write"], "types": ["*"], "max_reveal": "token_only"}' >/dev/null
  call PUT /v1/tenants/acme/roles/reader '{"actions": ["read"], "types": ["*"], "max_reveal": "masked", "purposes": ["support"]}' >/dev/null
  TOKENIZER=$(call POST /v1/tenants/acme/principals '{"name": "cmp-tokenizer", "roles": ["tokenizer"]}' | key_of)
  SUPPORT=$(call POST /v1/tenants/acme/principals '{"name": "cmp-support", "roles": ["support"]}' | key_of)
  WRITER=$(call POST /v1/tenants/acme/principals '{"name": "cmp-writer", "roles": ["writer"]}' | key_of)
  READER=$(call POST /v1/tenants/acme/principals '{"name": "cmp-reader", "roles": ["reader"]}' | key_of)
}

cmp_vaultd_read_sets() {  # READ_SET tokens (file $WORK/tokens) and SUBJECTS subjects to read back
  local start n STORED
  # Tokens to read back, issued in batches of up to 1,000.
  : >"$WORK/tokens"
  for ((start = 0; start < READ_SET; start += 1000)); do
    n=$((READ_SET - start < 1000 ? READ_SET - start : 1000))
    awk -v s="$start" -v n="$n" 'BEGIN {
      printf "{\"items\": ["
      for (i = 0; i < n; i++) printf "%s{\"type\": \"phone\", \"value\": \"+86138%08d\"}", (i ? "," : ""), s + i
      printf "]}" }' >"$WORK/batch.json"
    curl -sf -X POST "$URL/v1/tenants/acme/tokenize" -H "Authorization: Bearer $TOKENIZER" \
        -H 'Content-Type: application/json' --data-binary @"$WORK/batch.json" |
      grep -o '"token":"[^"]*"' | cut -d'"' -f4 >>"$WORK/tokens"
  done
  [ "$(wc -l <"$WORK/tokens")" -eq "$READ_SET" ] || die "issued $(wc -l <"$WORK/tokens") tokens, wanted $READ_SET"

  # Subjects r-0 .. r-(SUBJECTS-1) to read back, stored over one curl process.
  awk -v url="$URL" -v key="$WRITER" -v n="$SUBJECTS" 'BEGIN {
    for (i = 0; i < n; i++) {
      printf "url = \"%s/v1/tenants/acme/subjects/r-%d\"\nrequest = \"PUT\"\n", url, i
      printf "header = \"Authorization: Bearer %s\"\nheader = \"Content-Type: application/json\"\n", key
      printf "data = \"{\\\"fields\\\": {\\\"name\\\": {\\\"type\\\": \\\"person_name\\\", \\\"value\\\": \\\"Han Meimei %d\\\"}, ", i
      printf "\\\"mobile\\\": {\\\"type\\\": \\\"phone\\\", \\\"value\\\": \\\"+86135%08d\\\"}, ", i
      printf "\\\"email\\\": {\\\"type\\\": \\\"email\\\", \\\"value\\\": \\\"reader%d@example.com\\\"}}}\"\n", i
      printf "output = \"/dev/null\"\nwrite-out = \"%%{http_code}\\\\n\"\nsilent\n"
      if (i < n - 1) print "next"
    } }' >"$WORK/subjects.curl"
  STORED=$(curl -K "$WORK/subjects.curl" | grep -c '^200$' || true)
  [ "$STORED" -eq "$SUBJECTS" ] || die "stored $STORED subjects, wanted $SUBJECTS"
  rm -f "$WORK/subjects.curl" "$WORK/batch.json"
  echo "vaultd $VAULTD_VERSION at $URL (pid $VPID); $READ_SET tokens and $SUBJECTS subjects stored beforehand"
}
vaultd_rss_sampler() {  # OUT: highest VmRSS (KiB) of vaultd, sampled every 0.5 s
  local out=$1 max=0 k v rest
  while :; do
    while read -r k v rest; do
      if [ "$k" = VmRSS: ]; then [ "$v" -gt "$max" ] && max=$v && echo "$max" >"$out"; break; fi
    done 2>/dev/null <"/proc/$VPID/status" || true
    sleep 0.5
  done
}
run_wrk_cell() {  # JOB CONC LUA ITEMS VAR=VALUE...
  local job=$1 c=$2 lua=$3 items=$4 rc=0 t0 t1 line calls dur p50 p99 bad sock hwm reset=1
  shift 4
  local out="$WORK/wrk-$job-$c"
  # vaultd makes itself not dumpable (its /proc files then belong to root):
  # without the right to reset VmHWM, sample VmRSS during the cell instead.
  if ! { echo 5 >"/proc/$VPID/clear_refs"; } 2>/dev/null; then
    reset=0
    HWM_NOTE="highest VmRSS sampled every 0.5 s (VmHWM could not be reset: clear_refs refused)"
    echo 0 >"$out.mem"
    vaultd_rss_sampler "$out.mem" &
    SAMPLER=$!
  fi
  t0=$(own_ticks "$VPID")
  env "$@" CMP_BENCH_DIR="$BENCH_DIR" wrk -t"$(threads_for "$c")" -c"$c" -d"${DURATION}s" \
      --timeout 10s -s "$BENCH_DIR/$lua" "$URL" >"$out.out" 2>"$out.err" || rc=$?
  t1=$(own_ticks "$VPID")
  if [ "$reset" -eq 1 ]; then
    hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$VPID/status")
  else
    kill "$SAMPLER"
    wait "$SAMPLER" 2>/dev/null || true
    SAMPLER=""
    hwm=$(cat "$out.mem")
  fi
  line=$(grep '^CMP ' "$out.out" || true)
  if [ "$rc" -ne 0 ] || [ -z "$line" ]; then
    echo "  wrk failed (rc $rc) for $job c=$c:" >&2; cat "$out.out" "$out.err" >&2
    record vaultd "$job" "$c" 0 0 0 0 1 0 "$hwm" "$items"; return
  fi
  calls=$(sed -E 's/.* calls=([0-9]+).*/\1/' <<<"$line")
  dur=$(sed -E 's/.* duration_us=([0-9]+).*/\1/' <<<"$line")
  p50=$(sed -E 's/.* p50_us=([0-9]+).*/\1/' <<<"$line")
  p99=$(sed -E 's/.* p99_us=([0-9]+).*/\1/' <<<"$line")
  bad=$(sed -E 's/.* bad_status=([0-9]+).*/\1/' <<<"$line")
  sock=$(sed -E 's/.* sock_errors=([0-9]+).*/\1/' <<<"$line")
  if [ $((bad + sock)) -gt 0 ]; then
    echo "  $job c=$c: $bad answers not 200, $sock socket errors; first ones:" >&2
    head -3 "$out.err" >&2
  fi
  record vaultd "$job" "$c" "$calls" "$(awk -v n="$calls" -v d="$dur" 'BEGIN {printf "%.3f", n / (d / 1e6)}')" \
      "$p50" "$p99" $((bad + sock)) $((t1 - t0)) "$hwm" "$items"
  progress
}


cmp_stop_vaultd() {
  kill "$VPID"
  wait "$VPID" || true
  VPID=""
}

cmp_start_pg() {  # the throwaway cluster, database bench with the schema of bench/pg_schema.sql
  echo "== starting a throwaway PostgreSQL cluster in $PGWORK"
  as_pg "$PG_BIN/initdb" -D "$PGDATA_DIR" -U postgres -A trust -E UTF8 --no-locale --no-sync >"$WORK/initdb.log" 2>&1 ||
    { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
  # shellcheck disable=SC2016  # $1 is the inner shell's argument
  as_pg sh -c 'cat >>"$1"' sh "$PGDATA_DIR/postgresql.conf" <<EOF
# compare_pg.sh
listen_addresses = ''
unix_socket_directories = '$PGWORK'
port = $PG_PORT
max_connections = $((MAXC + 10))
fsync = on
synchronous_commit = on
EOF
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PGWORK/server.log" -w -t 60 start >/dev/null ||
    { cat "$PGWORK/server.log" >&2; die "PostgreSQL did not start"; }
  PMPID=$(head -1 "$PGDATA_DIR/postmaster.pid")
  PSQL=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGWORK" -p "$PG_PORT" -U postgres)
  "${PSQL[@]}" -d postgres -c 'CREATE DATABASE bench' >/dev/null
  "${PSQL[@]}" -d bench -f "$BENCH_DIR/pg_schema.sql" >/dev/null
  PG_VERSION=$("${PSQL[@]}" -d bench -At -c 'SHOW server_version')
  PG_SETTINGS=$("${PSQL[@]}" -d bench -At -c "SELECT string_agg(name || '=' || current_setting(name), ' ' ORDER BY name) FROM pg_settings
    WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'wal_sync_method', 'full_page_writes', 'max_connections')")
  PGCRYPTO_VERSION=$("${PSQL[@]}" -d bench -At -c "SELECT extversion FROM pg_extension WHERE extname = 'pgcrypto'")
  KEY=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
  echo "PostgreSQL $PG_VERSION, pgcrypto $PGCRYPTO_VERSION, postmaster pid $PMPID; $PG_SETTINGS"
}
pg_kids() {  # children of the postmaster -> KIDS (array)
  local f more
  KIDS=()
  for f in /proc/"$PMPID"/task/*/children; do
    more=()
    read -r -a more 2>/dev/null <"$f" || true
    KIDS+=("${more[@]}")
  done
}
pg_ticks() {  # CPU ticks of the cluster so far, exited processes included
  # A child reaped while we read moves its time into the postmaster's cutime:
  # read again until the children and the postmaster's cutime stay the same.
  local p total reaped kids _
  for _ in $(seq 50); do
    pg_kids
    kids="${KIDS[*]}"
    stat_fields "$PMPID"
    total=$((F[11] + F[12] + F[13] + F[14]))
    reaped=$((F[13] + F[14]))
    for p in "${KIDS[@]}"; do
      if stat_fields "$p"; then total=$((total + F[11] + F[12] + F[13] + F[14])); fi
    done
    stat_fields "$PMPID"
    pg_kids
    [ "${KIDS[*]}" = "$kids" ] && [ $((F[13] + F[14])) -eq "$reaped" ] && break
    sleep 0.02
  done
  echo "$total"
}
pg_busy() {  # number of children that are bench backends, exiting, or not yet reaped
  local p title n=0
  pg_kids
  for p in "${KIDS[@]}"; do
    title=""
    read -r -d '' title 2>/dev/null <"/proc/$p/cmdline" || true
    stat_fields "$p" || continue
    case "${F[0]}:$title" in Z:* | *:) n=$((n + 1)) ;; *:*" bench "*) n=$((n + 1)) ;; esac
  done
  echo "$n"
}
pg_mem_sampler() {  # OUT: highest sum of Pss (KiB) over the cluster's processes
  local out=$1 max=0 sum p k v rest
  while :; do
    sum=0
    pg_kids
    for p in "$PMPID" "${KIDS[@]}"; do
      while read -r k v rest; do
        if [ "$k" = Pss: ]; then sum=$((sum + v)); break; fi
      done 2>/dev/null <"/proc/$p/smaps_rollup" || true
    done
    if [ "$sum" -gt "$max" ]; then max=$sum; echo "$max" >"$out"; fi
    sleep 0.5
  done
}

run_pgbench_cell() {  # SYSTEM OPTS JOB CONC SQL ITEMS (OPTS "" = pgcrypto defaults)
  local sys=$1 opts=$2 job=$3 c=$4 sql=$5 items=$6 rc=0 t0 t1 mem calls tps failed aborted n p50 p99
  local out="$WORK/pgbench-$sys-$job-$c"
  rm -f "$WORK"/pglog*
  "${PSQL[@]}" -d bench -c CHECKPOINT >/dev/null
  echo 0 >"$out.mem"
  pg_mem_sampler "$out.mem" &
  SAMPLER=$!
  t0=$(pg_ticks)
  "$PG_BIN/pgbench" -n -M prepared -h "$PGWORK" -p "$PG_PORT" -U postgres -c "$c" -j "$(threads_for "$c")" \
      -T "$DURATION" -f "$BENCH_DIR/$sql" -D key="$KEY" -D with_opts="$([ -n "$opts" ] && echo 1 || echo 0)" \
      -D opts="${opts:-none}" -D readset="$READ_SET" \
      -l --log-prefix="$WORK/pglog" bench >"$out.out" 2>"$out.err" || rc=$?
  for _ in $(seq 200); do [ "$(pg_busy)" -eq 0 ] && break; sleep 0.05; done
  t1=$(pg_ticks)
  kill "$SAMPLER"
  wait "$SAMPLER" 2>/dev/null || true
  SAMPLER=""
  mem=$(cat "$out.mem")
  calls=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$out.out")
  tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$out.out")
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out.out")
  aborted=$(grep -c 'aborted' "$out.err" || true)
  calls=${calls:-0} tps=${tps:-0} failed=${failed:-0}
  local errors=$((failed + aborted))
  if [ "$rc" -ne 0 ] || [ "$errors" -gt 0 ]; then
    [ "$errors" -gt 0 ] || errors=1
    echo "  pgbench $sys $job c=$c: rc $rc, $failed failed transactions, $aborted aborted clients:" >&2
    head -5 "$out.err" >&2
  fi
  # Per-transaction log lines: client_id transaction_no time_us script_no epoch epoch_us.
  cat "$WORK"/pglog* 2>/dev/null | awk '$3 ~ /^[0-9]+$/ {print $3}' | sort -n >"$out.lat" || true
  n=$(wc -l <"$out.lat")
  if [ "$n" -gt 0 ]; then
    p50=$(sed -n "$(((n * 50 + 99) / 100))p" "$out.lat")
    p99=$(sed -n "$(((n * 99 + 99) / 100))p" "$out.lat")
  else
    p50=0 p99=0
  fi
  rm -f "$WORK"/pglog* "$out.lat"
  record "$sys" "$job" "$c" "$calls" "$tps" "$p50" "$p99" "$errors" $((t1 - t0)) "$mem" "$items"
  progress
}


cmp_pg_prepare() {  # MODE (pgd: pgcrypto defaults, pgs: s2k-mode=1) -> OPTS, LABEL; stores the read set
  if [ "$1" = pgd ]; then OPTS=""; LABEL="pgcrypto defaults"; else OPTS="s2k-mode=1"; LABEL="options 's2k-mode=1'"; fi
  "${PSQL[@]}" -d bench -v key="$KEY" -v with_opts="$([ -n "$OPTS" ] && echo 1 || echo 0)" \
      -v opts="$OPTS" -v readset="$READ_SET" -f "$BENCH_DIR/pg_prepare.sql" >/dev/null
}
