#!/usr/bin/env bash
# Crash-consistency test of vaultd: runs a tokenize and subject-write load
# against a dev-mode vaultd, kills it with SIGKILL at a random moment, restarts
# it on the same data folder (dev mode unseals itself again), and checks that
#   (a) every acknowledged write reads back exactly: each token whose tokenize
#       call answered 200 detokenizes to its value; each subject write that
#       answered 200 is still there, or a later write of the same subject is;
#   (b) nothing unacknowledged is half-visible: a subject write sets fields
#       `a` and `b` together, so the two must always carry the same write
#       number (an unacknowledged write may have landed, but only whole);
#   (c) the audit chain verifies (GET /v1/sys/audit/verify) and does not
#       shrink, and holds at least one entry per acknowledged write.
# Repeated for ROUNDS rounds. Prints one summary line
#   crash-consistency: rounds=R acknowledged=N (tokens=T, subject_writes=S) lost=L torn=X audit=ok
# and exits non-zero when anything is lost or torn, the audit chain fails,
# or the server answers an unexpected HTTP status.
#
# SIGKILL ends the process only: what vaultd handed to the kernel survives in
# the page cache, so this tests process crashes, not power loss.
#
# With --postgres the script starts its own throwaway PostgreSQL 15 cluster
# (initdb into the work folder, run as the OS user postgres when started as
# root, a Unix socket in that folder, stopped at the end) and two dev-mode
# nodes on it sharing one data folder (node-a first; node-b unseals from its
# key file). Workers alternate between the nodes. Each round SIGKILLs one node
# (node-a in odd rounds, node-b in even ones) at a random moment under load,
# checks every acknowledged write and the audit chain through the OTHER node,
# restarts the killed node and checks everything again through it. The summary
# line then ends with `nodes=2 storage=postgres`.
#
# Usage: crash_consistency.sh VAULTD [--rounds N] [--workers N] [--seed N] [--keep] [--postgres]
# Environment (the options win): ROUNDS (default 30), WORKERS (1-9, default 4),
#   SEED (random seed, default from the clock), KILL_MIN_MS / KILL_MAX_MS (time
#   of load before the kill, default 200-1500 ms), TOKENS_PER_CALL (default 4),
#   SUBJECTS_PER_WORKER (default 8), KEEP_WORK=1 (keep the work folder),
#   PG_BIN (PostgreSQL server binaries for --postgres, default
#   /usr/lib/postgresql/15/bin), WARM_UP=0 (--postgres: no tokenize call
#   before the load, so both nodes may create the tenant's data key at once;
#   the later one is then refused with a 503, counted as an error).
# The work folder (mktemp under TMPDIR) is removed on success and kept on
# failure. Needs bash, curl, awk, sed, grep. Exits 77 (skipped) when
# --postgres is given and the PostgreSQL tools or the OS user are missing.
set -euo pipefail

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; exit 2; }

VAULTD=""
ROUNDS="${ROUNDS:-30}"
WORKERS="${WORKERS:-4}"
SEED="${SEED:-$(( $(date +%s) % 32768 ))}"
KILL_MIN_MS="${KILL_MIN_MS:-200}"
KILL_MAX_MS="${KILL_MAX_MS:-1500}"
TOKENS_PER_CALL="${TOKENS_PER_CALL:-4}"
SUBJECTS_PER_WORKER="${SUBJECTS_PER_WORKER:-8}"
KEEP_WORK="${KEEP_WORK:-0}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_MODE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --workers) WORKERS="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --keep) KEEP_WORK=1; shift ;;
    --postgres) PG_MODE=1; shift ;;
    -h|--help) usage ;;
    -*) echo "unknown option $1" >&2; usage ;;
    *) [ -z "$VAULTD" ] || usage; VAULTD="$1"; shift ;;
  esac
done
[ -n "$VAULTD" ] || usage
[ -x "$VAULTD" ] || { echo "not an executable: $VAULTD" >&2; exit 2; }
for n in "$ROUNDS" "$WORKERS" "$SEED" "$KILL_MIN_MS" "$KILL_MAX_MS" "$TOKENS_PER_CALL" "$SUBJECTS_PER_WORKER"; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "not a number: $n" >&2; exit 2; }
done
if ! { [ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 200 ] && [ "$TOKENS_PER_CALL" -le 4 ] && [ "$WORKERS" -ge 1 ] && [ "$WORKERS" -le 9 ] && [ "$TOKENS_PER_CALL" -ge 1 ] \
        && [ "$SUBJECTS_PER_WORKER" -ge 1 ] && [ "$KILL_MAX_MS" -ge "$KILL_MIN_MS" ]; }; then
  echo "bad settings (ROUNDS 1-200, TOKENS_PER_CALL 1-4, WORKERS 1-9, TOKENS_PER_CALL and SUBJECTS_PER_WORKER >= 1, KILL_MAX_MS >= KILL_MIN_MS)" >&2
  exit 2
fi
command -v curl >/dev/null || { echo "curl is required" >&2; exit 2; }
if [ "$PG_MODE" = 1 ]; then
  for tool in initdb pg_ctl psql; do
    [ -x "$PG_BIN/$tool" ] || { echo "no $tool in $PG_BIN (install postgresql-15 or set PG_BIN)" >&2; exit 77; }
  done
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "running as root needs the OS user postgres (initdb refuses root)" >&2; exit 77
  fi
fi
RANDOM="$SEED"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vaultd-crash-XXXXXX")
chmod 700 "$WORK"
DATA="$WORK/data"
# Node i (0 or 1): its process, URL, log and extra flags. One node on RocksDB;
# two on PostgreSQL.
NODES=1
NODE_NAMES=(node-a node-b)
VPIDS=()
URLS=()
LOGS=("$WORK/vaultd.log")
PG_CONNINFO=""
PG_DIR="$WORK/pg"
PG_UP=0
for ((w = 1; w <= WORKERS; w++)); do
  touch "$WORK/w$w.tokens.ack" "$WORK/w$w.subjects.ack" "$WORK/w$w.subjects.attempted" "$WORK/w$w.errors"
done
WPIDS=()
FAILED=1

# as_pg CMD...: runs a PostgreSQL tool as the cluster's owner (postgres when
# we are root, since initdb refuses root).
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cleanup() {
  local pid
  for pid in "${WPIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "${VPIDS[@]}"; do [ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$PG_UP" = 1 ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >>"$PG_DIR/commands.log" 2>&1 || true
  fi
  if [ "$FAILED" = 0 ] && [ "$KEEP_WORK" != 1 ]; then
    rm -rf "$WORK"
  else
    echo "work folder kept: $WORK (vaultd log: vaultd.log, or vaultd-node-*.log and pg/server.log)" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_vaultd [I]: starts node I (default 0) on the data folder, waits until
# it listens and is unsealed; sets VPIDS[I], URLS[I] and URL (this node).
start_vaultd() {
  local n="${1:-0}" out="$WORK/out${1:-}" log="${LOGS[${1:-0}]}" pid attempt i
  for attempt in 1 2 3 4 5; do
    : >"$out"
    if [ "$PG_MODE" = 1 ]; then
      "$VAULTD" --dev --data-dir "$DATA" --postgres "$PG_CONNINFO" --node-id "${NODE_NAMES[n]}" \
          --listen 127.0.0.1:0 >"$out" 2>>"$log" &
    else
      "$VAULTD" --dev --data-dir "$DATA" --listen 127.0.0.1:0 >"$out" 2>>"$log" &
    fi
    pid=$!
    VPIDS[n]=$pid
    for i in $(seq 300); do
      grep -q '^listening on' "$out" 2>/dev/null && break
      if ! kill -0 "$pid" 2>/dev/null; then
        VPIDS[n]=""
        # PostgreSQL may not have noticed yet that the killed process's
        # session (holding the node name's lock) is gone: try again.
        if [ "$PG_MODE" = 1 ] && [ "$attempt" -lt 5 ] && grep -q 'uses this database' "$log"; then
          sleep 1; continue 2
        fi
        echo "vaultd exited at start:" >&2; tail -20 "$log" >&2; exit 1
      fi
      sleep 0.1
    done
    break
  done
  ADDR=$(sed -n 's/^listening on //p' "$out")
  [ -n "$ADDR" ] || { echo "vaultd did not start listening in 30 s" >&2; tail -20 "$log" >&2; exit 1; }
  URL="http://$ADDR"
  URLS[n]="$URL"
  for i in $(seq 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL/v1/sys/health" || true)" = 200 ] && return 0
    sleep 0.1
  done
  echo "vaultd did not become healthy (unsealed) in 10 s" >&2
  tail -20 "$log" >&2
  exit 1
}

# crash_vaultd [I]: SIGKILL for node I (default 0).
crash_vaultd() {
  local n="${1:-0}"
  kill -KILL "${VPIDS[n]}" 2>/dev/null || { echo "vaultd had already exited" >&2; tail -20 "${LOGS[n]}" >&2; exit 1; }
  { wait "${VPIDS[n]}"; } 2>/dev/null || true
  VPIDS[n]=""
}

# start_postgres: a throwaway cluster in $PG_DIR (flags as in
# tests/testing/pg_cluster.cc), database vault, and the two nodes' flags.
start_postgres() {
  mkdir -m 700 "$PG_DIR"
  # The cluster's owner must reach its folder: the work folder becomes
  # traversable (not listable) for it.
  if [ "$(id -u)" = 0 ]; then chmod 711 "$WORK"; chown postgres: "$PG_DIR"; fi
  as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --no-locale --no-sync \
      >>"$PG_DIR/commands.log" 2>&1 || { echo "initdb failed: $PG_DIR/commands.log" >&2; exit 1; }
  cat >>"$PG_DIR/data/postgresql.conf" <<CONF
# tests/crash/crash_consistency.sh --postgres
listen_addresses = ''
unix_socket_directories = '$PG_DIR'
port = 5432
max_connections = 50
fsync = on
synchronous_commit = on
CONF
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start \
      >>"$PG_DIR/commands.log" 2>&1 || { echo "PostgreSQL did not start: $PG_DIR/server.log" >&2; exit 1; }
  PG_UP=1
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -p 5432 -U postgres -d postgres \
      -c 'CREATE DATABASE vault' >>"$PG_DIR/commands.log" 2>&1 \
      || { echo "CREATE DATABASE failed: $PG_DIR/commands.log" >&2; exit 1; }
  PG_CONNINFO="host=$PG_DIR port=5432 user=postgres dbname=vault connect_timeout=5"
  NODES=2
  LOGS=("$WORK/vaultd-node-a.log" "$WORK/vaultd-node-b.log")
}

# call METHOD PATH KEY [BODY] [extra curl args...]: writes the body to
# $WORK/resp and prints the HTTP status (000 when no answer arrived whole).
call() {
  local method="$1" path="$2" key="$3" body="${4:-}"
  shift 4 || shift $#
  curl -s -o "$WORK/resp" -w '%{http_code}' --max-time 30 -X "$method" "$URL$path" \
      -H "Authorization: Bearer $key" -H 'Content-Type: application/json' "$@" -d "$body" || echo 000
}

must() {  # must STATUS METHOD PATH KEY [BODY]
  local want="$1" code
  shift
  code=$(call "$@")
  [ "$code" = "$want" ] || { echo "setup: $1 $2 answered $code, expected $want: $(cat "$WORK/resp")" >&2; exit 1; }
}

# One load worker: until the stop file appears, tokenizes TOKENS_PER_CALL new
# phone numbers, then writes fields a and b of one of its subjects. Every 200
# answer is logged as acknowledged (after the answer arrived whole); subject
# writes are logged as attempted before they are sent.
worker() {
  local w="$1" round="$2" url="$3" i=0 j n v code body vals toks lines s
  local resp="$WORK/w$w.resp" tok_ack="$WORK/w$w.tokens.ack" subj_ack="$WORK/w$w.subjects.ack"
  local attempts="$WORK/w$w.subjects.attempted" errors="$WORK/w$w.errors"
  while [ ! -e "$WORK/stop" ]; do
    # round * 100000 keeps n * TOKENS_PER_CALL within 8 digits for up to 249
    # rounds (a phone number has 11 national digits).
    n=$(( round * 100000 + i ))
    # Tokenize: values +8613<w><8 digits>, unique over workers and rounds.
    body='{"items": ['
    vals=()
    for ((j = 0; j < TOKENS_PER_CALL; j++)); do
      v=$(printf '+8613%d%08d' "$w" $(( n * TOKENS_PER_CALL + j )))
      vals+=("$v")
      [ "$j" -gt 0 ] && body+=','
      body+="{\"type\": \"phone\", \"value\": \"$v\"}"
    done
    body+=']}'
    code=$(curl -s -o "$resp" -w '%{http_code}' --max-time 10 -X POST "$url/v1/tenants/acme/tokenize" \
        -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$body") || code=000
    if [ "$code" = 200 ]; then
      mapfile -t toks < <(grep -o '"token":"[^"]*"' "$resp" | cut -d'"' -f4)
      if [ "${#toks[@]}" -eq "$TOKENS_PER_CALL" ]; then
        lines=""
        for ((j = 0; j < TOKENS_PER_CALL; j++)); do lines+="${toks[j]} ${vals[j]}"$'\n'; done
        printf '%s' "$lines" >>"$tok_ack"
      else
        echo "tokenize 200 with ${#toks[@]} tokens for $TOKENS_PER_CALL items: $(cat "$resp")" >>"$errors"
      fi
    elif [ "$code" != 000 ]; then
      echo "tokenize answered $code: $(cat "$resp" 2>/dev/null)" >>"$errors"
    fi
    [ ! -e "$WORK/stop" ] || break
    # Subject write: both fields carry the same write number n.
    s="cc-w$w-s$(( i % SUBJECTS_PER_WORKER ))"
    echo "$s $n" >>"$attempts"
    body="{\"fields\": {\"a\": {\"type\": \"generic\", \"value\": \"w$w-$n-a\"}, \"b\": {\"type\": \"generic\", \"value\": \"w$w-$n-b\"}}}"
    code=$(curl -s -o "$resp" -w '%{http_code}' --max-time 10 -X PUT "$url/v1/tenants/acme/subjects/$s" \
        -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$body") || code=000
    if [ "$code" = 200 ]; then
      if grep -q "\"subject\":\"$s\"" "$resp"; then
        echo "$s $n" >>"$subj_ack"
      else
        echo "subject PUT 200 without the subject: $(cat "$resp")" >>"$errors"
      fi
    elif [ "$code" != 000 ]; then
      echo "subject PUT answered $code: $(cat "$resp" 2>/dev/null)" >>"$errors"
    fi
    i=$(( i + 1 ))
  done
}

# Checks every acknowledged write and the audit chain. Sets R_LOST, R_TORN,
# R_AUDIT, R_ENTRIES and R_LANDED (subjects showing a write that was sent
# but not acknowledged: allowed, counted to show the crash hit mid-write);
# appends details to $WORK/failures.
verify() {
  local code s n m a b got_n last lost_here
  R_LOST=0 R_TORN=0 R_AUDIT=ok R_LANDED=0
  # (a) tokens: batch detokenize, 1000 tokens per call, plain, purpose support.
  cat "$WORK"/w*.tokens.ack | LC_ALL=C sort -u >"$WORK/tokens.expected" || true
  : >"$WORK/tokens.got"
  rm -f "$WORK"/chunk.*
  split -l 1000 "$WORK/tokens.expected" "$WORK/chunk."
  for chunk in "$WORK"/chunk.*; do
    [ -e "$chunk" ] || continue
    body="{\"reveal\": \"plain\", \"tokens\": [$(cut -d' ' -f1 "$chunk" | sed 's/.*/"&"/' | paste -sd, -)]}"
    code=$(call POST /v1/tenants/acme/detokenize "$KEY" "$body" -H 'X-Purpose: support')
    if [ "$code" != 200 ]; then
      echo "detokenize answered $code: $(head -c 300 "$WORK/resp")" >>"$WORK/failures"
      R_LOST=$(( R_LOST + $(wc -l <"$chunk") ))
      continue
    fi
    grep -o '"token":"[^"]*"[^}]*}' "$WORK/resp" \
      | sed -E 's/^"token":"([^"]*)".*"value":"([^"]*)".*/\1 \2/; t; s/^"token":"([^"]*)".*"code":"([^"]*)".*/\1 ERROR:\2/' \
      >>"$WORK/tokens.got"
  done
  rm -f "$WORK"/chunk.*
  awk 'NR == FNR { got[$1] = $2; next }
       !($1 in got) { print "token " $1 ": expected " $2 ", got no answer"; next }
       got[$1] != $2 { print "token " $1 ": expected " $2 ", got " got[$1] }' \
      "$WORK/tokens.got" "$WORK/tokens.expected" >"$WORK/tokens.bad"
  if [ -s "$WORK/tokens.bad" ]; then
    R_LOST=$(( R_LOST + $(wc -l <"$WORK/tokens.bad") ))
    cat "$WORK/tokens.bad" >>"$WORK/failures"
  fi

  # (a) and (b) subjects: every subject ever attempted.
  declare -A attempted=() acked=()
  while read -r s n; do attempted["$s $n"]=1; done < <(cat "$WORK"/w*.subjects.attempted)
  cat "$WORK"/w*.subjects.ack >"$WORK/subjects.acked"
  while read -r s n; do acked["$s"]+=" $n"; done <"$WORK/subjects.acked"
  for s in $(cat "$WORK"/w*.subjects.attempted | cut -d' ' -f1 | LC_ALL=C sort -u); do
    w=${s#cc-w}; w=${w%%-*}
    last=-1
    for m in ${acked[$s]:-}; do [ "$m" -gt "$last" ] && last=$m; done
    code=$(call GET "/v1/tenants/acme/subjects/$s?fields=a,b&reveal=plain" "$KEY" "" -H 'X-Purpose: support')
    if [ "$code" = 404 ]; then
      if [ "$last" -ge 0 ]; then
        lost_here=$(wc -w <<<"${acked[$s]}")
        R_LOST=$(( R_LOST + lost_here ))
        echo "subject $s: $lost_here acknowledged write(s), up to n=$last, but the subject is unknown" >>"$WORK/failures"
      fi
      continue
    fi
    if [ "$code" != 200 ]; then
      echo "subject $s: GET answered $code: $(head -c 300 "$WORK/resp")" >>"$WORK/failures"
      R_LOST=$(( R_LOST + 1 ))
      continue
    fi
    a=$(grep -o '"a":{[^}]*}' "$WORK/resp" | sed -n 's/.*"value":"\([^"]*\)".*/\1/p' || true)
    b=$(grep -o '"b":{[^}]*}' "$WORK/resp" | sed -n 's/.*"value":"\([^"]*\)".*/\1/p' || true)
    got_n=""
    if [[ "$a" =~ ^w$w-([0-9]+)-a$ ]]; then got_n="${BASH_REMATCH[1]}"; fi
    if [ -z "$got_n" ] || [ "$b" != "w$w-$got_n-b" ] || [ -z "${attempted["$s $got_n"]:-}" ]; then
      R_TORN=$(( R_TORN + 1 ))
      echo "subject $s: torn or unknown write: a=\"$a\" b=\"$b\" (last acknowledged n=$last)" >>"$WORK/failures"
      continue
    fi
    if [ "$got_n" -gt "$last" ]; then R_LANDED=$(( R_LANDED + 1 )); fi
    if [ "$got_n" -lt "$last" ]; then
      lost_here=0
      for m in ${acked[$s]}; do [ "$m" -gt "$got_n" ] && lost_here=$(( lost_here + 1 )); done
      R_LOST=$(( R_LOST + lost_here ))
      echo "subject $s: holds n=$got_n, but n=$last was acknowledged ($lost_here acknowledged write(s) lost)" >>"$WORK/failures"
    fi
  done

  # (c) the audit chain.
  code=$(call GET /v1/sys/audit/verify "$ROOT" "")
  R_ENTRIES=$(sed -n 's/.*"entries":\([0-9]*\).*/\1/p' "$WORK/resp")
  if [ "$code" != 200 ] || ! grep -q '"ok":true' "$WORK/resp"; then
    R_AUDIT=failed
    echo "audit verify answered $code: $(cat "$WORK/resp")" >>"$WORK/failures"
  elif [ "${R_ENTRIES:-0}" -lt "$PREV_ENTRIES" ]; then
    R_AUDIT=shrunk
    echo "audit chain has $R_ENTRIES entries, $PREV_ENTRIES before the crash" >>"$WORK/failures"
  elif [ "${R_ENTRIES:-0}" -lt $(( ACKED_CALLS )) ]; then
    R_AUDIT=short
    echo "audit chain has $R_ENTRIES entries for $ACKED_CALLS acknowledged writes" >>"$WORK/failures"
  fi
  return 0
}

# Set up once: tenant acme, a role that may tokenize, detokenize plain, write
# and read plain with the purpose support, and a principal holding it.
if [ "$PG_MODE" = 1 ]; then start_postgres; fi
start_vaultd
ROOT=$(cat "$DATA/root-api-key")
must 201 POST /v1/tenants "$ROOT" '{"id": "acme"}'
must 200 PUT /v1/tenants/acme/roles/crash "$ROOT" \
  '{"actions": ["tokenize", "detokenize", "write", "read"], "types": ["phone", "generic"], "max_reveal": "plain", "purposes": ["support"]}'
must 201 POST /v1/tenants/acme/principals "$ROOT" '{"name": "crash-load", "roles": ["crash"]}'
KEY=$(sed -E 's/.*"api_key":"([^"]+)".*/\1/' "$WORK/resp")
[[ "$KEY" =~ ^vaultd_ ]] || { echo "no API key in: $(cat "$WORK/resp")" >&2; exit 1; }
if [ "$PG_MODE" = 1 ]; then
  start_vaultd 1  # node-b unseals from node-a's key file
  URL="${URLS[0]}"
  # One tokenize call creates the tenant's data key before the load: when two
  # nodes create it at once the later write is refused (503), which this
  # script would count as an error. WARM_UP=0 leaves that race in.
  if [ "${WARM_UP:-1}" != 0 ]; then
    must 200 POST /v1/tenants/acme/tokenize "$KEY" '{"items": [{"type": "phone", "value": "+8613000000000"}]}'
  fi
fi
echo "crash-consistency: vaultd $VAULTD, rounds=$ROUNDS workers=$WORKERS seed=$SEED, work folder $WORK"

PREV_ENTRIES=0
ACKED_CALLS=0
TOTAL_LOST=0
TOTAL_TORN=0
AUDIT=ok
ROUNDS_DONE=0
: >"$WORK/failures"
for ((round = 1; round <= ROUNDS; round++)); do
  if [ "$round" -gt 1 ] && [ "$PG_MODE" = 0 ]; then start_vaultd; fi
  rm -f "$WORK/stop"
  tokens_before=$(cat "$WORK"/w*.tokens.ack  | wc -l)
  subjects_before=$(cat "$WORK"/w*.subjects.ack  | wc -l)
  WPIDS=()
  for ((w = 1; w <= WORKERS; w++)); do
    worker "$w" "$round" "${URLS[(w - 1) % NODES]}" &
    WPIDS+=($!)
  done
  delay_ms=$(( KILL_MIN_MS + (RANDOM * 32768 + RANDOM) % (KILL_MAX_MS - KILL_MIN_MS + 1) ))
  sleep "$(printf '%d.%03d' $(( delay_ms / 1000 )) $(( delay_ms % 1000 )))"
  victim=$(( (round - 1) % NODES ))  # 0 with one node; node-a, node-b, ... with two
  crash_vaultd "$victim"
  # The workers' requests now fail; let them finish their log lines and stop.
  touch "$WORK/stop"
  for pid in "${WPIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  WPIDS=()
  tokens_now=$(cat "$WORK"/w*.tokens.ack  | wc -l)
  subjects_now=$(cat "$WORK"/w*.subjects.ack  | wc -l)
  ACKED_CALLS=$(( tokens_now / TOKENS_PER_CALL + subjects_now ))

  if [ "$PG_MODE" = 1 ]; then
    # Through the node that stayed up, then through the restarted one.
    URL="${URLS[1 - victim]}"
    verify
    first_lost=$R_LOST first_torn=$R_TORN first_audit=$R_AUDIT
    PREV_ENTRIES="${R_ENTRIES:-0}"
    start_vaultd "$victim"
    verify
    # The same write missing through both nodes counts once.
    [ "$first_lost" -le "$R_LOST" ] || R_LOST=$first_lost
    [ "$first_torn" -le "$R_TORN" ] || R_TORN=$first_torn
    [ "$first_audit" = ok ] || R_AUDIT="$first_audit"
    killed="${NODE_NAMES[victim]} "
  else
    start_vaultd
    verify
    crash_vaultd  # also a crash while idle, after the verification's reads
    killed=""
  fi
  ROUNDS_DONE=$round
  TOTAL_LOST=$(( TOTAL_LOST + R_LOST ))
  TOTAL_TORN=$(( TOTAL_TORN + R_TORN ))
  [ "$R_AUDIT" = ok ] || AUDIT="$R_AUDIT"
  PREV_ENTRIES="${R_ENTRIES:-0}"
  echo "round $round/$ROUNDS: killed ${killed}after ${delay_ms} ms; acknowledged +$(( tokens_now - tokens_before )) tokens," \
       "+$(( subjects_now - subjects_before )) subject writes; unacknowledged writes visible (whole): $R_LANDED;" \
       "lost=$R_LOST torn=$R_TORN audit=$R_AUDIT entries=${R_ENTRIES:-?}"
  if [ "$R_LOST" -gt 0 ] || [ "$R_TORN" -gt 0 ] || [ "$R_AUDIT" != ok ]; then break; fi
done

TOKENS=$(cat "$WORK"/w*.tokens.ack  | wc -l)
MODE_SUFFIX=""
if [ "$PG_MODE" = 1 ]; then MODE_SUFFIX=" nodes=2 storage=postgres"; fi
SUBJECT_WRITES=$(cat "$WORK"/w*.subjects.ack  | wc -l)
ERRORS=$(cat "$WORK"/w*.errors  | wc -l)
if [ -s "$WORK/failures" ]; then
  echo "failures (first 20):"
  head -20 "$WORK/failures"
fi
if [ "$ERRORS" -gt 0 ]; then
  echo "unexpected answers during the load (first 10):"
  cat "$WORK"/w*.errors | head -10
fi
echo "crash-consistency: rounds=$ROUNDS_DONE acknowledged=$(( TOKENS + SUBJECT_WRITES ))" \
     "(tokens=$TOKENS, subject_writes=$SUBJECT_WRITES) lost=$TOTAL_LOST torn=$TOTAL_TORN audit=$AUDIT errors=$ERRORS$MODE_SUFFIX"
if [ "$TOTAL_LOST" -eq 0 ] && [ "$TOTAL_TORN" -eq 0 ] && [ "$AUDIT" = ok ] && [ "$ERRORS" -eq 0 ] \
   && [ "$ROUNDS_DONE" -eq "$ROUNDS" ] && [ $(( TOKENS + SUBJECT_WRITES )) -gt 0 ]; then
  FAILED=0
  exit 0
fi
exit 1
