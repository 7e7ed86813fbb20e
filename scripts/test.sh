#!/usr/bin/env bash
# Installs what is missing, checks formatting, builds everything into
# ./build, runs clang-tidy and the size check, runs every test, runs the HTTP
# integration suite once more on PostgreSQL, then builds the libFuzzer targets
# (clang) into ./build-fuzz and runs each briefly over its seed corpus.
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
# Issue #15: the HTTP integration suite again with every vaultd on PostgreSQL
# (tests/testing/test_storage.h). One test process, so one throwaway cluster
# (initdb into a temporary folder, Unix socket, stopped at exit) serves it all;
# ctest would start one per test case. Left out: the slow-client linger tests
# (sockets only) and the tests that pass --postgres themselves (run above).
# Its log is shown only on failure.
pg_log=build/Testing/vaultd_http_tests-postgres.log
mkdir -p build/Testing
if ! VAULT_TEST_STORAGE=postgres timeout 600 build/tests/vaultd_http_tests \
  --gtest_filter='-LingerTest.*:VaultdPostgresTest.*' >"$pg_log" 2>&1; then
  cat "$pg_log"
  echo "vaultd_http_tests with VAULT_TEST_STORAGE=postgres failed (log above: $pg_log)" >&2
  exit 1
fi
grep -E '^\[  (PASSED|SKIPPED) +\] [0-9]+ test' "$pg_log"
bash scripts/fuzz.sh "${VAULT_FUZZ_SECONDS:-10}"
