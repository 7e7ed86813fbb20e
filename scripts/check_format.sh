#!/usr/bin/env bash
# Fails when a project source file is not formatted as .clang-format says.
# Usage: bash scripts/check_format.sh        (CI runs it from scripts/test.sh)
#        bash scripts/check_format.sh --fix  (rewrites the files in place)
# Generated code is not in git, so `git ls-files` leaves it out.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cc' '*.h')
if [ "${1:-}" = "--fix" ]; then
  clang-format-14 -i "${files[@]}"
  exit 0
fi
if ! clang-format-14 --dry-run -Werror "${files[@]}"; then
  echo "check_format: run 'bash scripts/check_format.sh --fix'" >&2
  exit 1
fi
echo "check_format: ${#files[@]} files formatted"
