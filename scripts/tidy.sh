#!/usr/bin/env bash
# Runs clang-tidy-14 with the checks in .clang-tidy (each one explained
# there) over the project's own library and binary sources, using the
# compile commands of ./build (configure it first: scripts/test.sh does).
# Tests, benchmarks and generated code are left out. Any finding fails.
# Usage: bash scripts/tidy.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
if [ ! -f "$build/compile_commands.json" ]; then
  echo "tidy: $build/compile_commands.json is missing (configure with cmake first)" >&2
  exit 2
fi
# Generated headers must exist before clang-tidy parses the sources.
cmake --build "$build" --target vault_records api_messages >/dev/null
mapfile -t files < <(git ls-files 'base/*.cc' 'crypto/*.cc' 'vault/*.cc' 'api/*.cc' \
                                  'client/*.cc' 'ops/*.cc')
# -quiet drops the "N warnings generated" noise; WarningsAsErrors makes any
# finding an error, so run-clang-tidy exits non-zero.
run-clang-tidy-14 -p "$build" -quiet -j "$(nproc)" "${files[@]/#/$PWD/}" \
  > "$build/tidy.log" 2>&1 || { grep -E 'error:|warning:' "$build/tidy.log" | sort -u >&2;
                                  echo "tidy: findings above (full log: $build/tidy.log)" >&2;
                                  exit 1; }
echo "tidy: ${#files[@]} files clean"
