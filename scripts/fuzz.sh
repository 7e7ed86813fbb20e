#!/usr/bin/env bash
# Builds the libFuzzer targets with clang 14 (ASan + UBSan) into ./build-fuzz
# and runs each one for a short time over its seed corpus in
# tests/fuzz/corpus/<target>/ (new inputs go to a scratch copy, not the repo).
# A crash stops the run with the reproducer's path; copy it into the corpus
# folder as a regression input once fixed.
# Usage: bash scripts/fuzz.sh [seconds per target, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${1:-10}"
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-14 -DVAULT_FUZZ=ON >/dev/null
cmake --build build-fuzz -j2 --target fuzz_data_types fuzz_receipt fuzz_audit_export fuzz_api_request \
  fuzz_codec_diff
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/vaultd-fuzz-XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
for target in fuzz_data_types fuzz_receipt fuzz_audit_export fuzz_api_request fuzz_codec_diff; do
  mkdir -p "$SCRATCH/$target" "$SCRATCH/$target-crashes"
  cp -r "tests/fuzz/corpus/$target/." "$SCRATCH/$target/"
  echo "== $target: ${SECONDS_PER_TARGET}s"
  if ! "build-fuzz/tests/fuzz/$target" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 \
      -rss_limit_mb=2048 -artifact_prefix="$SCRATCH/$target-crashes/" -print_final_stats=1 \
      "$SCRATCH/$target" 2>"$SCRATCH/$target.log"; then
    tail -40 "$SCRATCH/$target.log"
    mkdir -p fuzz-crashes
    cp -r "$SCRATCH/$target-crashes/." fuzz-crashes/
    echo "fuzz: $target failed; reproducer(s) copied to ./fuzz-crashes/" >&2
    exit 1
  fi
  grep -E "^stat::number_of_executed_units|^stat::new_units_added" "$SCRATCH/$target.log" | tr '\n' ' '
  echo
done
echo "fuzz: all targets ran ${SECONDS_PER_TARGET}s without a crash"
