#!/usr/bin/env bash
# Starts the real vaultd (dev mode, HTTPS with a throwaway certificate and
# mTLS with a throwaway client CA, --log-format json, a finite locked-memory
# limit as in the unit), sends some traffic, scrapes GET /metrics, and checks
#  - that every vaultd_* metric named in the alert rules and the Grafana
#    dashboard appears in the scrape;
#  - that the certificate expiry gauges are the certificates' notAfter, the
#    disk gauges are those of the data folder's filesystem and the key cache
#    has its default cap;
#  - that every line vaultd wrote on stderr is one JSON object with time,
#    level and msg, and that access lines carry method, route, status,
#    duration_ms, principal and request_id (the id sent is the id logged).
# Usage: observability_test.sh VAULTD SOURCE_DIR
set -euo pipefail
VAULTD=$(realpath "$1")
SRC=$(realpath "$2")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vaultd-obs-XXXXXX")
chmod 700 "$WORK"
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cd "$WORK"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem \
  -out cert.pem -days 30 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
# The client CA (self-signed, so it also serves as the client certificate).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ckey.pem \
  -out ccert.pem -days 20 -subj /CN=obs-client 2>/dev/null
not_after() { date -u -d "$(openssl x509 -enddate -noout -in "$1" | cut -d= -f2)" +%s; }
CERT_NOT_AFTER=$(not_after cert.pem)
CA_NOT_AFTER=$(not_after ccert.pem)
# The limit the packaged unit sets (LimitMEMLOCK=16M) where it can be set;
# in any case a finite one, so vaultd_locked_memory_limit_bytes is exposed.
(ulimit -l 16384 2>/dev/null || ulimit -S -l "$(ulimit -H -l | sed 's/unlimited/16384/')"
 exec "$VAULTD" --dev --data-dir ./data --listen 127.0.0.1:0 \
  --tls-cert cert.pem --tls-key key.pem --tls-client-ca ccert.pem --log-format json) >out 2>log &
PID=$!
for _ in $(seq 100); do grep -q '^listening on' out 2>/dev/null && break; sleep 0.1; done
PORT=$(sed -n 's/^listening on 127.0.0.1://p' out)
[ -n "$PORT" ] || { cat log; fail "vaultd did not start"; }
V="https://127.0.0.1:$PORT"
C=(curl -s --cacert cert.pem --cert ccert.pem --key ckey.pem)
ROOT_KEY=$(cat data/root-api-key)

"${C[@]}" "$V/v1/sys/health" >/dev/null
"${C[@]}" -H "X-Request-Id: obs-test-1" -X POST "$V/v1/tenants" \
  -H "Authorization: Bearer $ROOT_KEY" -d '{"id": "acme"}' >/dev/null
"${C[@]}" "$V/v1/tenants/acme" -H "Authorization: Bearer wrong" >/dev/null   # 401
"${C[@]}" "$V/v1/nowhere" -H "Authorization: Bearer $ROOT_KEY" >/dev/null    # 404
sleep 1.2  # one scheduler pass (its gauges appear after the first)
"${C[@]}" "$V/metrics" >scrape
grep -q '^vaultd_http_requests_total{' scrape || { cat scrape; fail "no request metrics"; }
curl -s --cacert cert.pem "$V/metrics" >/dev/null && fail "served /metrics without a client certificate"
DF=($(stat -f -c '%S %b %a' data))  # fragment size, blocks, blocks free for users
kill -TERM "$PID"; wait "$PID" || true; PID=""

python3 - "$SRC" scrape log "$CERT_NOT_AFTER" "$CA_NOT_AFTER" "${DF[@]}" <<'PY'
import json, re, sys
src, scrape, log = sys.argv[1:4]
cert_not_after, ca_not_after, frag, blocks, avail = map(int, sys.argv[4:9])
import yaml
names = set()
values = {}
for line in open(scrape):
    if line.startswith("#") or not line.strip():
        continue
    names.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
    m = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)", line.strip())
    if m:
        values[m.group(1)] = float(m.group(2))
def expect(name, ok, what):
    if name not in values or not ok(values[name]):
        sys.exit(f"FAIL: {name} = {values.get(name)}, expected {what}")
expect("vaultd_tls_certificate_expiry_timestamp_seconds", lambda v: v == cert_not_after,
       f"the certificate's notAfter {cert_not_after}")
expect("vaultd_tls_client_ca_expiry_timestamp_seconds", lambda v: v == ca_not_after,
       f"the client CA's notAfter {ca_not_after}")
expect("vaultd_storage_total_bytes", lambda v: v == frag * blocks, f"{frag * blocks} (stat -f)")
expect("vaultd_storage_free_bytes", lambda v: abs(v - frag * avail) < (256 << 20),
       f"about {frag * avail} (stat -f)")
expect("vaultd_key_cache_capacity", lambda v: v == 100000, "100000 (the default cap)")
expect("vaultd_key_cache_entries", lambda v: v == 0, "0 (no subject yet)")
print("expiry, disk and key-cache gauges agree with openssl, stat -f and the defaults")
exprs = []
rules = yaml.safe_load(open(f"{src}/packaging/prometheus/vaultd-alerts.yml"))
for group in rules["groups"]:
    exprs += [r["expr"] for r in group["rules"]]
dash = json.load(open(f"{src}/packaging/grafana/vaultd-dashboard.json"))
for panel in dash["panels"]:
    exprs += [t["expr"] for t in panel["targets"]]
exprs += [v["definition"] for v in dash["templating"]["list"] if "definition" in v]
used = set()
for e in exprs:
    used |= set(re.findall(r"\bvaultd_[a-z0-9_]*[a-z0-9]", e))
missing = sorted(used - names)
if missing:
    sys.exit(f"FAIL: named in rules/dashboard, absent from /metrics: {missing}")
print(f"{len(used)} metric names used by the rules and the dashboard, all in the scrape")

access = 0
lines = open(log, encoding="utf-8").read().splitlines()
if not lines:
    sys.exit("FAIL: vaultd logged nothing")
for n, line in enumerate(lines, 1):
    try:
        obj = json.loads(line)
    except ValueError as e:
        sys.exit(f"FAIL: log line {n} is not JSON ({e}): {line!r}")
    if not isinstance(obj, dict) or not {"time", "level", "msg"} <= obj.keys():
        sys.exit(f"FAIL: log line {n} lacks time/level/msg: {line!r}")
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", obj["time"]):
        sys.exit(f"FAIL: log line {n} time {obj['time']!r}")
    if "route" in obj:
        access += 1
        for k, t in (("method", str), ("status", int), ("duration_ms", (int, float)),
                     ("principal", str), ("request_id", str)):
            if not isinstance(obj.get(k), t):
                sys.exit(f"FAIL: access line {n} field {k}: {line!r}")
        if obj["request_id"] == "obs-test-1" and (obj["status"] != 201 or obj["principal"] == "-"
                                                  or obj["route"] != "/v1/tenants"):
            sys.exit(f"FAIL: the tenant creation logged as {line!r}")
if not any('"request_id":"obs-test-1"' in l for l in lines):
    sys.exit("FAIL: the request id sent is not in the log")
if access < 5:
    sys.exit(f"FAIL: only {access} access lines")
print(f"{len(lines)} log lines, all JSON; {access} access lines with their fields")
PY
echo "observability test: passed"
