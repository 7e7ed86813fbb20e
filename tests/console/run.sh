#!/usr/bin/env bash
# Runs the console's browser test (console_test.mjs) against the vaultd
# binary given as $1; extra arguments are passed on (--screenshots DIR).
# Installs the pinned npm modules first when they are missing (npm ci).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -d "$here/node_modules/puppeteer-core" ]; then
  (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund >&2)
fi
exec node "$here/console_test.mjs" "$@"
