#!/usr/bin/env bash
# Builds everything with AddressSanitizer + UndefinedBehaviorSanitizer (gcc,
# -DVAULT_SANITIZE=ON) into ./build-asan and runs the whole test suite there.
# Slower than the normal build (about 2x to build, 2-3x to run).
# Usage: bash scripts/sanitize.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVAULT_SANITIZE=ON \
  -DVAULT_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build-asan -j2
cd build-asan
# halt_on_error: any report fails the test that produced it.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
ctest --output-on-failure -j2 --timeout 600
