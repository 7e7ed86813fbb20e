#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing and benchmarking
# vaultd needs. Skips the apt run entirely when everything is already present.
# Must run as root (or with sudo available) on a fresh Debian 12 machine.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libsodium-dev librocksdb-dev libboost1.81-dev
  libprotobuf-dev protobuf-compiler libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev libabsl-dev
  libcli11-dev libspdlog-dev libfmt-dev libgfshare-dev
  openssl curl wrk
  softhsm2 libp11-kit-dev
  chromium nodejs
  prometheus dpkg-dev systemd groff-base man-db adduser python3-yaml
  clang-14 libclang-rt-14-dev clang-format-14 clang-tidy-14
  # release 2: the request path, the fast codec, allocator, PostgreSQL, plots
  libboost-context1.81-dev libsimdjson-dev libmimalloc-dev libjemalloc-dev
  libpqxx-dev postgresql-15 gnuplot-nox
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# npm: Debian's package, unless a node installation already brings it.
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi

# The console's browser tests (tests/console) use puppeteer-core from npm,
# pinned by its package-lock.json, with Debian's chromium; installed into
# tests/console/node_modules (git-ignored). Building vaultd needs neither.
install_console_test_modules() {
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/tests/console"
  if [ ! -d "$dir/node_modules/puppeteer-core" ]; then
    echo "install-deps: npm ci in tests/console"
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund)
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  install_console_test_modules
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
install_console_test_modules
