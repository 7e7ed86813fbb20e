#!/usr/bin/env bash
# Regenerates the console screenshots in docs/console/ (PNG), taken by the
# browser test while it runs. Usage: bash scripts/console_screenshots.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
bash tests/console/run.sh "$build/api/vaultd" --screenshots docs/console
