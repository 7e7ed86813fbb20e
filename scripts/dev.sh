#!/usr/bin/env bash
# Installs what is missing, builds vaultd and starts it in development mode on
# a local data folder (RocksDB in ./vault-data, self-unsealed from a key file
# kept in that folder). For local use only: never for real personal data.
# Usage: bash scripts/dev.sh [extra vaultd flags]
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target vaultd
exec ./build/api/vaultd --dev --data-dir ./vault-data "$@"
