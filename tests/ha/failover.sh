#!/usr/bin/env bash
# Failover test of the database under two vaultd nodes: a PostgreSQL 15
# primary with one synchronous streaming standby (Debian's tools: initdb,
# pg_basebackup -R, pg_ctl), two dev-mode vaultd nodes on a multi-host
# CONNINFO (both clusters, target_session_attrs=read-write), a tokenize load
# against both nodes that records every acknowledged token and its value.
# After LOAD_BEFORE seconds the primary is killed (pg_ctl stop -m immediate)
# and the standby promoted (pg_ctl promote) while the load goes on for
# LOAD_AFTER seconds more; the nodes must find the new primary by themselves.
# Then it checks that
#   (a) every acknowledged token detokenizes to its value through both nodes;
#   (b) the audit chain verifies (GET /v1/sys/audit/verify) through both;
#   (c) after the failover each node had a successful write again (node-a
#       serves the odd workers, node-b the even ones);
# and prints one summary line
#   failover: acknowledged=N (after the kill: A) lost=L audit=ok refused_503=R
#     no_answer=X other_errors=E kill_to_first_write_ms=T (node-a Ta, node-b Tb)
#     promote_ms=P node_name_lock=held|free
# where refused_503 counts calls answered 503 after the kill, no_answer calls
# that got no whole answer, kill_to_first_write_ms is the time from the kill
# (pg_ctl stop -m immediate issued) until the first tokenize call sent after
# the old primary was down (pg_ctl stop returned) answered 200, and
# promote_ms the time pg_ctl promote -w took; node_name_lock says whether a
# third process named node-a is still refused after the failover (reported,
# not failed on: the lock does not follow a failover today). Exits non-zero when anything is lost, the audit
# chain fails, no write succeeded after the failover, or a call answered
# something other than 200 or 503.
#
# Usage: failover.sh VAULTD [--workers N] [--before S] [--after S] [--keep]
# Environment (the options win): WORKERS (1-9, default 4), LOAD_BEFORE
#   (default 5 s), LOAD_AFTER (default 15 s), PG_BIN (default
#   /usr/lib/postgresql/15/bin), KEEP_WORK=1 (keep the work folder).
# Run as root it runs the PostgreSQL tools as the OS user postgres (runuser).
# The work folder (mktemp under TMPDIR) is removed on success and kept on
# failure. Needs bash, curl, awk, sed, grep, date with %N. Exits 77 (skipped)
# when the PostgreSQL tools or the OS user postgres (as root) are missing.
set -euo pipefail

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; exit 2; }

VAULTD=""
WORKERS="${WORKERS:-4}"
LOAD_BEFORE="${LOAD_BEFORE:-5}"
LOAD_AFTER="${LOAD_AFTER:-15}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
KEEP_WORK="${KEEP_WORK:-0}"
while [ $# -gt 0 ]; do
  case "$1" in
    --workers) WORKERS="$2"; shift 2 ;;
    --before) LOAD_BEFORE="$2"; shift 2 ;;
    --after) LOAD_AFTER="$2"; shift 2 ;;
    --keep) KEEP_WORK=1; shift ;;
    -h|--help) usage ;;
    -*) echo "unknown option $1" >&2; usage ;;
    *) [ -z "$VAULTD" ] || usage; VAULTD="$1"; shift ;;
  esac
done
[ -n "$VAULTD" ] || usage
[ -x "$VAULTD" ] || { echo "not an executable: $VAULTD" >&2; exit 2; }
for n in "$WORKERS" "$LOAD_BEFORE" "$LOAD_AFTER"; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "not a number: $n" >&2; exit 2; }
done
if ! { [ "$WORKERS" -ge 1 ] && [ "$WORKERS" -le 9 ] && [ "$LOAD_BEFORE" -ge 1 ] && [ "$LOAD_AFTER" -ge 3 ]; }; then
  echo "bad settings (WORKERS 1-9, LOAD_BEFORE >= 1, LOAD_AFTER >= 3)" >&2
  exit 2
fi
command -v curl >/dev/null || { echo "curl is required" >&2; exit 2; }
for tool in initdb pg_ctl pg_basebackup psql; do
  [ -x "$PG_BIN/$tool" ] || { echo "no $tool in $PG_BIN (install postgresql-15 or set PG_BIN)" >&2; exit 77; }
done
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
  echo "running as root needs the OS user postgres (initdb refuses root)" >&2; exit 77
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vaultd-failover-XXXXXX")
chmod 700 "$WORK"
DATA="$WORK/data"
PG1="$WORK/pg1"  # the primary: data in pg1/data, socket in pg1
PG2="$WORK/pg2"  # the standby
PORT1=5432
PORT2=5433
NODE_NAMES=(node-a node-b)
VPIDS=()
URLS=()
WPIDS=()
FAILED=1

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

now_ms() { date +%s%3N; }

cleanup() {
  local pid dir
  for pid in "${WPIDS[@]}" "${VPIDS[@]}"; do [ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for dir in "$PG1" "$PG2"; do
    if [ -e "$dir/data/postmaster.pid" ]; then
      as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >>"$WORK/commands.log" 2>&1 || true
    fi
  done
  if [ "$FAILED" = 0 ] && [ "$KEEP_WORK" != 1 ]; then
    rm -rf "$WORK"
  else
    echo "work folder kept: $WORK (vaultd-node-*.log, pg1/server.log, pg2/server.log, commands.log)" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "$*" >&2; exit 1; }

psql_at() {  # psql_at SOCKDIR PORT SQL: prints the result unaligned
  "$PG_BIN/psql" -X -qAt -v ON_ERROR_STOP=1 -h "$1" -p "$2" -U postgres -d postgres -c "$3"
}

# The primary: replication settings. The synchronous standby is named only
# once it runs (start_standby): until then every commit would wait for it.
start_primary() {
  mkdir -m 700 "$PG1" "$PG2"
  if [ "$(id -u)" = 0 ]; then chmod 711 "$WORK"; chown postgres: "$PG1" "$PG2"; fi
  as_pg "$PG_BIN/initdb" -D "$PG1/data" -U postgres -A trust -E UTF8 --no-locale \
      >>"$WORK/commands.log" 2>&1 || die "initdb failed: $WORK/commands.log"
  cat >>"$PG1/data/postgresql.conf" <<CONF
# tests/ha/failover.sh: the primary
listen_addresses = ''
unix_socket_directories = '$PG1'
port = $PORT1
max_connections = 50
fsync = on
wal_level = replica
max_wal_senders = 5
hot_standby = on
synchronous_commit = on
CONF
  as_pg "$PG_BIN/pg_ctl" -D "$PG1/data" -l "$PG1/server.log" -w -t 60 start \
      >>"$WORK/commands.log" 2>&1 || die "the primary did not start: $PG1/server.log"
  psql_at "$PG1" "$PORT1" 'CREATE DATABASE vault' >>"$WORK/commands.log" 2>&1 || die "CREATE DATABASE failed"
}

# The standby: a base backup with -R (standby.signal and primary_conninfo),
# its own socket and port, and no synchronous standby of its own once
# promoted (there is none left to wait for).
start_standby() {
  as_pg "$PG_BIN/pg_basebackup" -d "host=$PG1 port=$PORT1 user=postgres application_name=standby1" \
      -D "$PG2/data" -R -X stream -c fast >>"$WORK/commands.log" 2>&1 || die "pg_basebackup failed: $WORK/commands.log"
  cat >>"$PG2/data/postgresql.conf" <<CONF
# tests/ha/failover.sh: the standby
unix_socket_directories = '$PG2'
port = $PORT2
cluster_name = 'standby1'
synchronous_standby_names = ''
CONF
  as_pg "$PG_BIN/pg_ctl" -D "$PG2/data" -l "$PG2/server.log" -w -t 60 start \
      >>"$WORK/commands.log" 2>&1 || die "the standby did not start: $PG2/server.log"
  echo "synchronous_standby_names = 'standby1'" >>"$PG1/data/postgresql.conf"
  as_pg "$PG_BIN/pg_ctl" -D "$PG1/data" reload >>"$WORK/commands.log" 2>&1 || die "pg_ctl reload failed"
  local i state=""
  for i in $(seq 100); do
    state=$(psql_at "$PG1" "$PORT1" "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'" 2>/dev/null || true)
    [ "$state" = sync ] && return 0
    sleep 0.1
  done
  die "the standby is not a synchronous standby (sync_state '$state')"
}

# start_vaultd I: node I on the multi-host CONNINFO; sets VPIDS[I], URLS[I].
start_vaultd() {
  local n="$1" out="$WORK/out$1" log="$WORK/vaultd-${NODE_NAMES[$1]}.log" i addr
  : >"$out"
  "$VAULTD" --dev --data-dir "$DATA" --postgres "$CONNINFO" --node-id "${NODE_NAMES[n]}" \
      --listen 127.0.0.1:0 >"$out" 2>>"$log" &
  VPIDS[n]=$!
  for i in $(seq 300); do
    grep -q '^listening on' "$out" 2>/dev/null && break
    kill -0 "${VPIDS[n]}" 2>/dev/null || { tail -20 "$log" >&2; die "vaultd exited at start"; }
    sleep 0.1
  done
  addr=$(sed -n 's/^listening on //p' "$out")
  [ -n "$addr" ] || die "vaultd did not start listening in 30 s"
  URLS[n]="http://$addr"
  for i in $(seq 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "${URLS[n]}/v1/sys/health" || true)" = 200 ] && return 0
    sleep 0.1
  done
  die "vaultd ${NODE_NAMES[n]} did not become healthy in 10 s"
}

# call URL METHOD PATH KEY BODY [curl args]: body to $WORK/resp, prints the status.
call() {
  local url="$1" method="$2" path="$3" key="$4" body="$5"
  shift 5
  curl -s -o "$WORK/resp" -w '%{http_code}' --max-time 30 -X "$method" "$url$path" \
      -H "Authorization: Bearer $key" -H 'Content-Type: application/json' "$@" -d "$body" || echo 000
}

must() {  # must STATUS METHOD PATH KEY BODY (through node-a)
  local want="$1" code
  shift
  code=$(call "${URLS[0]}" "$@")
  [ "$code" = "$want" ] || die "setup: $1 $2 answered $code, expected $want: $(cat "$WORK/resp")"
}

# One load worker: one phone number per tokenize call until the stop file
# appears. Logs every call as "START_MS END_MS STATUS" and every 200 answer's
# token and value (after the answer arrived whole).
worker() {
  local w="$1" url="$2" i=0 v code t0 t1 tok
  local resp="$WORK/w$w.resp" ack="$WORK/w$w.ack" calls="$WORK/w$w.calls" errors="$WORK/w$w.errors"
  while [ ! -e "$WORK/stop" ]; do
    v=$(printf '+8613%d%08d' "$w" "$i")
    t0=$(now_ms)
    code=$(curl -s -o "$resp" -w '%{http_code}' --max-time 10 -X POST "$url/v1/tenants/acme/tokenize" \
        -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
        -d "{\"items\": [{\"type\": \"phone\", \"value\": \"$v\"}]}") || code=000
    t1=$(now_ms)
    echo "$t0 $t1 $code" >>"$calls"
    if [ "$code" = 200 ]; then
      tok=$(grep -o '"token":"[^"]*"' "$resp" | cut -d'"' -f4 || true)
      if [ -n "$tok" ]; then echo "$tok $v" >>"$ack"; else echo "tokenize 200 without a token" >>"$errors"; fi
    elif [ "$code" != 503 ] && [ "$code" != 000 ]; then
      echo "tokenize answered $code: $(head -c 300 "$resp")" >>"$errors"
    fi
    i=$(( i + 1 ))
  done
}

# check_node I: detokenizes every acknowledged token through node I (1000 per
# call) and verifies the audit chain there. LOST becomes the larger of its
# value and this node's count (a token missing through both counts once); sets
# AUDIT on failure.
check_node() {
  local url="${URLS[$1]}" chunk code body
  : >"$WORK/got"
  rm -f "$WORK"/chunk.*
  split -l 1000 "$WORK/expected" "$WORK/chunk."
  for chunk in "$WORK"/chunk.*; do
    [ -e "$chunk" ] || continue
    body="{\"reveal\": \"plain\", \"tokens\": [$(cut -d' ' -f1 "$chunk" | sed 's/.*/"&"/' | paste -sd, -)]}"
    code=$(call "$url" POST /v1/tenants/acme/detokenize "$KEY" "$body" -H 'X-Purpose: support')
    [ "$code" = 200 ] || { echo "${NODE_NAMES[$1]}: detokenize answered $code" >>"$WORK/failures"; continue; }
    grep -o '"token":"[^"]*"[^}]*}' "$WORK/resp" \
      | sed -E 's/^"token":"([^"]*)".*"value":"([^"]*)".*/\1 \2/; t; s/^"token":"([^"]*)".*"code":"([^"]*)".*/\1 ERROR:\2/' \
      >>"$WORK/got"
  done
  rm -f "$WORK"/chunk.*
  awk -v node="${NODE_NAMES[$1]}" 'NR == FNR { got[$1] = $2; next }
       !($1 in got) { print node ": token " $1 ": expected " $2 ", got no answer"; next }
       got[$1] != $2 { print node ": token " $1 ": expected " $2 ", got " got[$1] }' \
      "$WORK/got" "$WORK/expected" >"$WORK/bad"
  local lost_here
  lost_here=$(wc -l <"$WORK/bad")
  [ "$lost_here" -le "$LOST" ] || LOST=$lost_here
  cat "$WORK/bad" >>"$WORK/failures"
  code=$(call "$url" GET /v1/sys/audit/verify "$ROOT" "")
  if [ "$code" != 200 ] || ! grep -q '"ok":true' "$WORK/resp"; then
    AUDIT=failed
    echo "${NODE_NAMES[$1]}: audit verify answered $code: $(head -c 300 "$WORK/resp")" >>"$WORK/failures"
  fi
}

start_primary
start_standby
CONNINFO="host=$PG1,$PG2 port=$PORT1,$PORT2 user=postgres dbname=vault target_session_attrs=read-write connect_timeout=2"
start_vaultd 0
start_vaultd 1  # unseals from node-a's dev key file
ROOT=$(cat "$DATA/root-api-key")
must 201 POST /v1/tenants "$ROOT" '{"id": "acme"}'
must 200 PUT /v1/tenants/acme/roles/ha "$ROOT" \
  '{"actions": ["tokenize", "detokenize"], "types": ["phone"], "max_reveal": "plain", "purposes": ["support"]}'
must 201 POST /v1/tenants/acme/principals "$ROOT" '{"name": "ha-load", "roles": ["ha"]}'
KEY=$(sed -E 's/.*"api_key":"([^"]+)".*/\1/' "$WORK/resp")
[[ "$KEY" =~ ^vaultd_ ]] || die "no API key in: $(cat "$WORK/resp")"
# One tokenize call before the load creates the tenant's data key. Two nodes
# creating it at once: the later write is refused with a 503 (nothing lost),
# which is not what this test measures.
code=$(call "${URLS[0]}" POST /v1/tenants/acme/tokenize "$KEY" '{"items": [{"type": "phone", "value": "+8613000000000"}]}')
[ "$code" = 200 ] || die "warm-up tokenize answered $code: $(cat "$WORK/resp")"
echo "failover: vaultd $VAULTD, workers=$WORKERS before=${LOAD_BEFORE}s after=${LOAD_AFTER}s, work folder $WORK"

for ((w = 1; w <= WORKERS; w++)); do
  touch "$WORK/w$w.ack" "$WORK/w$w.calls" "$WORK/w$w.errors"
  worker "$w" "${URLS[(w - 1) % 2]}" &
  WPIDS+=($!)
done
sleep "$LOAD_BEFORE"
KILL_MS=$(now_ms)
as_pg "$PG_BIN/pg_ctl" -D "$PG1/data" -m immediate -w stop >>"$WORK/commands.log" 2>&1 || die "pg_ctl stop failed"
DOWN_MS=$(now_ms)  # the old primary is gone: a write sent from now on went to the new one
PROMOTE_START=$DOWN_MS
as_pg "$PG_BIN/pg_ctl" -D "$PG2/data" -w -t 60 promote >>"$WORK/commands.log" 2>&1 || die "pg_ctl promote failed"
PROMOTE_MS=$(( $(now_ms) - PROMOTE_START ))
echo "failover: primary killed; standby promoted in ${PROMOTE_MS} ms"
sleep "$LOAD_AFTER"
touch "$WORK/stop"
for pid in "${WPIDS[@]}"; do
  for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
done
WPIDS=()

LOST=0
AUDIT=ok
: >"$WORK/failures"
cat "$WORK"/w*.ack | LC_ALL=C sort -u >"$WORK/expected"
check_node 0
check_node 1
ACKED=$(wc -l <"$WORK/expected")

# Is node-a's name still taken on the new primary? Its session advisory lock
# lived on the old one. A third process named node-a must be refused (exit 1)
# while node-a runs; reported, not failed on (see docs/operations.md § 32).
NAME_LOCK=free
"$VAULTD" --dev --data-dir "$DATA" --postgres "$CONNINFO" --node-id node-a --listen 127.0.0.1:0 \
    >"$WORK/out.twin" 2>>"$WORK/vaultd-twin.log" &
TWIN=$!
VPIDS+=("$TWIN")
for _ in $(seq 100); do
  grep -q '^listening on' "$WORK/out.twin" 2>/dev/null && break
  if ! kill -0 "$TWIN" 2>/dev/null; then
    grep -q 'uses this database' "$WORK/vaultd-twin.log" && NAME_LOCK=held
    break
  fi
  sleep 0.1
done
kill -KILL "$TWIN" 2>/dev/null || true
wait "$TWIN" 2>/dev/null || true
cat "$WORK"/w*.calls >"$WORK/calls"
read -r REFUSED NO_ANSWER OTHER FIRST_OK ACKED_AFTER < <(awk -v k="$KILL_MS" -v d="$DOWN_MS" '
  $2 >= k && $3 == 503 { r++ }
  $2 >= k && $3 == "000" { x++ }
  $3 != 200 && $3 != 503 && $3 != "000" { o++ }
  $1 >= k && $3 == 200 { a++ }
  $1 >= d && $3 == 200 && (first == "" || $2 < first) { first = $2 }
  END { print r + 0, x + 0, o + 0, (first == "" ? -1 : first - k), a + 0 }' "$WORK/calls")
# The same per node (-1: no worker on it, or no success after the kill).
PER_NODE=()
for n in 0 1; do
  : >"$WORK/calls.$n"
  for ((w = n + 1; w <= WORKERS; w += 2)); do cat "$WORK/w$w.calls" >>"$WORK/calls.$n"; done
  PER_NODE+=("$(awk -v k="$KILL_MS" -v d="$DOWN_MS" '$1 >= d && $3 == 200 && (f == "" || $2 < f) { f = $2 }
                   END { print (f == "" ? -1 : f - k) }' "$WORK/calls.$n")")
done
ERRORS=$(cat "$WORK"/w*.errors | wc -l)
if [ -s "$WORK/failures" ]; then echo "failures (first 20):"; head -20 "$WORK/failures"; fi
if [ "$ERRORS" -gt 0 ]; then echo "unexpected answers (first 10):"; cat "$WORK"/w*.errors | head -10; fi
echo "failover: acknowledged=$ACKED (after the kill: $ACKED_AFTER) lost=$LOST audit=$AUDIT refused_503=$REFUSED" \
     "no_answer=$NO_ANSWER other_errors=$OTHER kill_to_first_write_ms=$FIRST_OK" \
     "(node-a ${PER_NODE[0]}, node-b ${PER_NODE[1]}) promote_ms=$PROMOTE_MS node_name_lock=$NAME_LOCK"
if [ "$LOST" -eq 0 ] && [ "$AUDIT" = ok ] && [ "$OTHER" -eq 0 ] && [ "$ERRORS" -eq 0 ] \
   && [ "$FIRST_OK" -ge 0 ] && [ "$ACKED" -gt 0 ] \
   && { [ "${PER_NODE[0]}" -ge 0 ] || [ "$WORKERS" -lt 1 ]; } && { [ "${PER_NODE[1]}" -ge 0 ] || [ "$WORKERS" -lt 2 ]; }; then
  FAILED=0
  exit 0
fi
exit 1
