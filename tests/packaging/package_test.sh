#!/usr/bin/env bash
# Builds the Debian package with CPack (into a temporary folder), unpacks it
# with dpkg-deb and checks its contents, modes and control files; runs the
# unpacked vaultd on the packaged config; checks the unit with
# `systemd-analyze verify` (ExecStart pointed at the unpacked binary) and
# `systemd-analyze security --offline` (exposure at most MAX_EXPOSURE); and
# installs it with dpkg -i, upgrades, removes and purges it in a private
# mount namespace whose /usr, /etc and /var are throwaway overlays (skipped,
# with a note, when the namespace cannot be made, e.g. without root).
# Usage: package_test.sh BUILD_DIR VERSION
set -euo pipefail
BUILD=$(realpath "$1")
VERSION="$2"
MAX_EXPOSURE=2.5
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vaultd-pkg-XXXXXX")
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# 1. Build the package.
cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$WORK/out" >"$WORK/cpack.log" 2>&1 ||
  { cat "$WORK/cpack.log"; fail "cpack -G DEB"; }
DEB="$WORK/out/vaultd_${VERSION}_amd64.deb"
[ -f "$DEB" ] || { ls "$WORK/out"; fail "no vaultd_${VERSION}_amd64.deb"; }
echo "built $(basename "$DEB") ($(stat -c %s "$DEB") bytes)"

# 2. Control fields and the file list (owners are root).
dpkg-deb -f "$DEB" Package | grep -qx vaultd || fail "Package field"
dpkg-deb -f "$DEB" Version | grep -qx "$VERSION" || fail "Version field"
for lib in libsodium librocksdb libspdlog libprotobuf; do
  dpkg-deb -f "$DEB" Depends | grep -q "$lib" || fail "Depends lacks $lib"
done
dpkg-deb -f "$DEB" Depends | grep -q adduser || fail "Depends lacks adduser"
dpkg-deb -c "$DEB" >"$WORK/list"
if awk '{print $2}' "$WORK/list" | grep -qv '^root/root$'; then fail "a file not owned by root"; fi

# 3. Contents and modes.
ROOT="$WORK/root"
dpkg-deb -x "$DEB" "$ROOT"
dpkg-deb -e "$DEB" "$WORK/control"
mode() { stat -c %a "$1"; }
for f in usr/bin/vaultd usr/bin/vaultctl; do
  [ -f "$ROOT/$f" ] || fail "$f missing"
  [ "$(mode "$ROOT/$f")" = 755 ] || fail "$f mode $(mode "$ROOT/$f")"
done
for f in etc/vaultd/vaultd.conf lib/systemd/system/vaultd.service \
         usr/share/man/man8/vaultd.8.gz usr/share/man/man1/vaultctl.1.gz \
         usr/share/vaultd/grafana/vaultd-dashboard.json \
         usr/share/vaultd/prometheus/vaultd-alerts.yml; do
  [ -f "$ROOT/$f" ] || fail "$f missing"
  [ "$(mode "$ROOT/$f")" = 644 ] || fail "$f mode $(mode "$ROOT/$f")"
done
grep -qx /etc/vaultd/vaultd.conf "$WORK/control/conffiles" || fail "vaultd.conf not a conffile"
for s in postinst prerm postrm; do
  [ "$(mode "$WORK/control/$s")" = 755 ] || fail "$s missing or not executable"
done
"$ROOT/usr/bin/vaultd" --version | grep -q "$VERSION" || fail "vaultd --version"
"$ROOT/usr/bin/vaultctl" --help >/dev/null || fail "vaultctl --help"
for page in man8/vaultd.8.gz man1/vaultctl.1.gz; do
  zcat "$ROOT/usr/share/man/$page" | groff -man -Tutf8 -ww -z 2>"$WORK/groff" || fail "groff $page"
  [ ! -s "$WORK/groff" ] || { cat "$WORK/groff"; fail "groff warnings in $page"; }
done

# 4. The packaged config parses: vaultd starts on it (on a free port), and
# on it with every commented example field switched on (but the ones naming
# files: TLS, PKCS#11, backup folder).
start_on() {
  rm -rf "$WORK/data"; mkdir -m 700 "$WORK/data"
  "$ROOT/usr/bin/vaultd" --config "$1" --data-dir "$WORK/data" \
    --listen 127.0.0.1:0 >"$WORK/vaultd.out" 2>"$WORK/vaultd.err" &
  PID=$!
  for _ in $(seq 100); do grep -q '^listening on' "$WORK/vaultd.out" 2>/dev/null && break; sleep 0.1; done
  grep -q '^listening on' "$WORK/vaultd.out" || { cat "$WORK/vaultd.err"; fail "vaultd on $1"; }
  kill -TERM "$PID"; wait "$PID" || fail "vaultd did not stop cleanly"; PID=""
}
start_on "$ROOT/etc/vaultd/vaultd.conf"
sed -E 's/^# ([a-z_0-9]+: )/\1/' "$ROOT/etc/vaultd/vaultd.conf" |
  grep -Ev '^(tls_|pkcs11_|backup_dir)' >"$WORK/all-fields.conf"
[ "$(grep -c '^[a-z]' "$WORK/all-fields.conf")" -ge 10 ] || fail "too few example fields"
start_on "$WORK/all-fields.conf"
grep -q '^{' "$WORK/vaultd.err" || fail "log_format: \"json\" in the config did not switch the log format"
echo "vaultd starts on the packaged config, and with every example field set"

# 5. The unit: ExecStart as packaged, then verify against the unpacked binary.
UNIT="$ROOT/lib/systemd/system/vaultd.service"
grep -qx 'ExecStart=/usr/bin/vaultd --config /etc/vaultd/vaultd.conf --data-dir /var/lib/vaultd' "$UNIT" ||
  fail "ExecStart"
if grep -q -- '--dev' "$UNIT"; then fail "the unit uses --dev"; fi
mkdir "$WORK/units"
sed "s#^ExecStart=/usr/bin/vaultd #ExecStart=$ROOT/usr/bin/vaultd #" "$UNIT" >"$WORK/units/vaultd.service"
MANPATH="$ROOT/usr/share/man:" SYSTEMD_LOG_LEVEL=notice \
  systemd-analyze verify "$WORK/units/vaultd.service" >"$WORK/verify" 2>&1 ||
  { cat "$WORK/verify"; fail "systemd-analyze verify"; }
[ ! -s "$WORK/verify" ] || { cat "$WORK/verify"; fail "systemd-analyze verify printed warnings"; }
echo "systemd-analyze verify: clean"
systemd-analyze security --offline=true --no-pager "$WORK/units/vaultd.service" >"$WORK/security" 2>&1 ||
  { cat "$WORK/security"; fail "systemd-analyze security"; }
SCORE=$(sed -n 's/.*Overall exposure level for vaultd.service: \([0-9.]*\).*/\1/p' "$WORK/security")
[ -n "$SCORE" ] || { cat "$WORK/security"; fail "no exposure score"; }
echo "systemd-analyze security: exposure $SCORE (at most $MAX_EXPOSURE)"
awk -v s="$SCORE" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s <= m) }' || { cat "$WORK/security"; fail "exposure"; }

# 6. Install for real, with dpkg, into a throwaway root: a private mount
# namespace whose /usr, /etc and /var are overlays of the machine's (so dpkg
# checks the dependencies against the real database, runs the real
# maintainer scripts, and nothing reaches the machine). Then an upgrade over
# a changed conffile, a remove and a purge.
if ! unshare -m true 2>/dev/null; then
  echo "NOTE: no private mount namespace here (needs root): dpkg -i skipped"
  grep -q 'adduser --system' "$WORK/control/postinst" || fail "postinst does not create the user"
  echo "package test: passed (postinst checked by content only)"
  exit 0
fi
mkdir -p "$WORK"/ovl/{upper,work}/{usr,etc,var}
DEB="$DEB" OVL="$WORK/ovl" unshare -m bash -euo pipefail -c '
  fail() { echo "FAIL: $*"; exit 1; }
  mount --make-rprivate /
  for d in usr etc var; do
    mount -t overlay overlay -o "lowerdir=/$d,upperdir=$OVL/upper/$d,workdir=$OVL/work/$d" "/$d"
  done
  ! getent passwd vaultd >/dev/null || fail "a vaultd user exists before the install"
  rm -f /var/lib/man-db/auto-update  # no man-db rebuild on each dpkg run (in the overlay only)
  dpkg -i "$DEB" >/dev/null || fail "dpkg -i"
  dpkg-query -W -f="\${Status}\n" vaultd | grep -qx "install ok installed" || fail "not installed"
  dpkg-query -W -f="\${Conffiles}\n" vaultd | grep -q "^ /etc/vaultd/vaultd.conf " ||
    fail "vaultd.conf not registered as a conffile"
  getent passwd vaultd | grep -q ":/var/lib/vaultd:/usr/sbin/nologin$" || fail "the vaultd user"
  uid=$(id -u vaultd); [ "$uid" -lt 1000 ] || fail "not a system user ($uid)"
  [ "$(stat -c "%a %U %G" /var/lib/vaultd)" = "700 vaultd vaultd" ] ||
    fail "/var/lib/vaultd is $(stat -c "%a %U %G" /var/lib/vaultd)"
  [ -x /usr/bin/vaultd ] && [ -x /usr/bin/vaultctl ] || fail "binaries not installed"
  [ "$(man -w vaultd)" = /usr/share/man/man8/vaultd.8.gz ] || fail "man vaultd"
  [ "$(man -w vaultctl)" = /usr/share/man/man1/vaultctl.1.gz ] || fail "man vaultctl"
  # Upgrade (the same version again goes through the same steps) over a
  # locally changed conffile: the change stays, the user and folder too.
  echo "# local change" >>/etc/vaultd/vaultd.conf
  dpkg -i --force-confold "$DEB" >/dev/null || fail "dpkg -i over an installed vaultd"
  grep -qx "# local change" /etc/vaultd/vaultd.conf || fail "the upgrade replaced the changed conffile"
  [ "$(id -u vaultd)" = "$uid" ] || fail "the upgrade changed the uid"
  dpkg --remove vaultd >/dev/null || fail "dpkg --remove"
  [ -d /var/lib/vaultd ] && [ -f /etc/vaultd/vaultd.conf ] || fail "remove deleted data or config"
  dpkg --purge vaultd >/dev/null || fail "dpkg --purge"
  [ ! -e /var/lib/vaultd ] || fail "purge kept the data folder"
  [ ! -e /etc/vaultd ] || fail "purge kept /etc/vaultd"
  ! getent passwd vaultd >/dev/null || fail "purge kept the vaultd user"
' || fail "dpkg install in a throwaway root"
if getent passwd vaultd >/dev/null || [ -e /usr/bin/vaultd ]; then
  fail "the install leaked out of the throwaway root"
fi
echo "dpkg -i, upgrade over a changed conffile, remove and purge: checked in a throwaway root"
echo "package test: passed"
