#!/usr/bin/env bash
# Runs the README's "Try it" commands, as written, against a real dev-mode
# vaultd (on a free port instead of 8200, so a busy port cannot fail CI),
# and checks their answers. Usage: readme_examples_test.sh VAULTD README
set -euo pipefail
VAULTD="$1"
README="$2"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vaultd-readme-XXXXXX")
chmod 700 "$WORK"
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
cd "$WORK"
"$VAULTD" --dev --data-dir ./vault-data --listen 127.0.0.1:0 >out 2>log &
PID=$!
for _ in $(seq 100); do grep -q '^listening on' out 2>/dev/null && break; sleep 0.1; done
PORT=$(sed -n 's/^listening on 127.0.0.1://p' out)
[ -n "$PORT" ] || { echo "vaultd did not start"; cat log; exit 1; }
# The block after "## Try it", between its first ```sh and ```.
awk '/^## Try it/{f=1} f&&/^```sh$/{g=1;next} g&&/^```$/{exit} g' "$README" \
  | sed "s/127.0.0.1:8200/127.0.0.1:$PORT/" >examples.sh
[ -s examples.sh ] || { echo "no examples found in the README"; exit 1; }
bash -e examples.sh >result 2>&1 || { echo "the examples failed:"; cat result; exit 1; }
grep -q '"value":"+86 138\*\*\*\*8000","reveal":"masked"' result || { echo "no masked phone:"; cat result; exit 1; }
grep -q '"action":"detokenize","subject":"u-123"' result || { echo "no audit entry:"; cat result; exit 1; }
grep -q '{"ok":true' result || { echo "audit does not verify:"; cat result; exit 1; }
echo "README examples: 1 passed, 0 failed"
