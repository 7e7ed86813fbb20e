#!/usr/bin/env bash
# HTTP load test of vaultd: durable single-item tokenize and audited
# single-token detokenize over keep-alive connections, driven by wrk (Lua
# scripts beside this file) on the same machine. Prints wrk's figures.
# Usage: bash bench/http_load.sh [seconds] [connections]
# Requires a build (cmake --build build --target vaultd) and wrk, curl.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
CONNS="${2:-64}"
VAULTD=./build/api/vaultd
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vaultd-load-XXXXXX")
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
chmod 700 "$WORK"

"$VAULTD" --dev --data-dir "$WORK/data" --listen 127.0.0.1:0 >"$WORK/out" 2>"$WORK/log" &
PID=$!
for _ in $(seq 100); do grep -q '^listening on' "$WORK/out" 2>/dev/null && break; sleep 0.1; done
ADDR=$(sed -n 's/^listening on //p' "$WORK/out")
URL="http://$ADDR"
ROOT=$(cat "$WORK/data/root-api-key")
call() { curl -sf -X "$1" "$URL$2" -H "Authorization: Bearer $ROOT" -H 'Content-Type: application/json' -d "${3:-}"; }
key_of() { sed -E 's/.*"api_key":"([^"]+)".*/\1/'; }

call POST /v1/tenants '{"id": "acme"}' >/dev/null
call PUT /v1/tenants/acme/roles/tokenizer '{"actions": ["tokenize"], "types": ["*"], "max_reveal": "token_only"}' >/dev/null
call PUT /v1/tenants/acme/roles/support '{"actions": ["detokenize"], "types": ["phone"], "max_reveal": "masked", "purposes": ["support"]}' >/dev/null
TOKENIZER=$(call POST /v1/tenants/acme/principals '{"name": "load-tokenizer", "roles": ["tokenizer"]}' | key_of)
SUPPORT=$(call POST /v1/tenants/acme/principals '{"name": "load-support", "roles": ["support"]}' | key_of)

# 10,000 tokens to read back, issued in batches of 1,000.
: >"$WORK/tokens"
for b in $(seq 0 9); do
  BODY='{"items": ['
  for i in $(seq 0 999); do
    [ "$i" -gt 0 ] && BODY+=','
    BODY+=$(printf '{"type": "phone", "value": "+86138%08d"}' $((b * 1000 + i)))
  done
  BODY+=']}'
  curl -sf -X POST "$URL/v1/tenants/acme/tokenize" -H "Authorization: Bearer $TOKENIZER" \
      -H 'Content-Type: application/json' -d "$BODY" | grep -o '"token":"[^"]*"' | cut -d'"' -f4 >>"$WORK/tokens"
done
echo "vaultd at $URL; $(wc -l <"$WORK/tokens") tokens issued for the read test"

echo "== tokenize: ${CONNS} connections, ${DURATION}s"
VAULT_KEY="$TOKENIZER" wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s bench/http_tokenize.lua "$URL"
echo "== detokenize (audited): ${CONNS} connections, ${DURATION}s"
VAULT_KEY="$SUPPORT" VAULT_TOKENS="$WORK/tokens" wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency \
    -s bench/http_detokenize.lua "$URL"
