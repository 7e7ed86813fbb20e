#!/usr/bin/env bash
# Installs what is missing, checks formatting, builds everything into
# ./build, runs clang-tidy and the size check, runs every test, then builds
# the libFuzzer targets (clang) into ./build-fuzz and runs each briefly over
# its seed corpus.
# Usage: bash scripts/test.sh        (CI runs exactly this through .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
bash scripts/check_format.sh
python3 scripts/check_sizes.py
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2
bash scripts/tidy.sh build
(cd build && ctest --output-on-failure -j2 --timeout 300)
bash scripts/fuzz.sh "${VAULT_FUZZ_SECONDS:-10}"
