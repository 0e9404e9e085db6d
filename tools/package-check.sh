#!/usr/bin/env bash
# Builds the Debian package from a configured build directory and proves it works on this
# machine: installs it with apt-get (nothing is downloaded: its Depends are already installed),
# runs the installed binary, checks every packaged file is where systemd and man look for it,
# verifies the installed unit, then removes the package again (dpkg -r, then --purge so no
# trace is left in dpkg's database; the nkd user and /var/lib/nkd stay by design). Needs root.
#   tools/package-check.sh [build-dir]     (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")

fail() { echo "package-check: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || fail "needs root to install and remove the package; run it with sudo"
[[ -f "$build/CPackConfig.cmake" ]] || fail "$build is not a configured build directory; run tools/build.sh first"
if [[ $(dpkg-query -W -f='${db:Status-Status}' nkd 2>/dev/null || true) == installed ]]; then
  fail "a package nkd is already installed; remove it first with dpkg -r nkd"
fi

# A Debian package lives under /usr; a build directory configured earlier may cache /usr/local.
cmake -DCMAKE_INSTALL_PREFIX=/usr "$build" > /dev/null
cmake --build "$build" --target nkd nkd_man -j"$(nproc)" > /dev/null
rm -f "$build"/nkd_*.deb
(cd "$build" && cpack -G DEB > cpack.log 2>&1) || { cat "$build/cpack.log"; fail "cpack failed"; }
deb=$(ls "$build"/nkd_*.deb)
echo "package-check: built $(basename "$deb") ($(du -h "$deb" | cut -f1))"
echo "package-check: Depends: $(dpkg-deb --field "$deb" Depends)"

trap 'dpkg --purge nkd > /dev/null 2>&1 || true' EXIT
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$deb" \
  > "$build/package-install.log" 2>&1 || { cat "$build/package-install.log"; fail "apt-get install failed"; }

/usr/bin/nkd version | head -n 1
for file in /usr/bin/nkd /usr/lib/systemd/system/nkd-syncd.service /usr/lib/sysusers.d/nkd.conf \
            /usr/lib/tmpfiles.d/nkd.conf /usr/share/man/man1/nkd.1.gz \
            /usr/share/doc/nkd/examples/syncd.yaml /usr/share/doc/nkd/examples/clouds.yaml \
            /usr/share/doc/nkd/examples/alerts/nkd.rules.yaml; do
  [[ -f "$file" ]] || fail "the package did not install $file"
done
zcat /usr/share/man/man1/nkd.1.gz | grep -q '^\.TH NKD' || fail "nkd.1.gz is not a man page"
zcat /usr/share/man/man1/nkd.1.gz | grep -q 'syncd' || fail "the man page does not describe nkd syncd"
getent passwd nkd > /dev/null || fail "postinst did not create the nkd user"
[[ $(stat -c '%U %a' /var/lib/nkd) == "nkd 700" ]] || fail "/var/lib/nkd is not nkd's, mode 0700"
if command -v systemd-analyze > /dev/null; then
  # The installed binary and man page exist now, so this is verify without exceptions.
  verify=$(systemd-analyze verify /usr/lib/systemd/system/nkd-syncd.service 2>&1 || echo "nkd-syncd: exit $?")
  if grep nkd-syncd <<<"$verify"; then fail "systemd-analyze verify complains about the installed unit"; fi
fi

dpkg -r nkd > /dev/null
dpkg --purge nkd > /dev/null
trap - EXIT
[[ ! -e /usr/bin/nkd ]] || fail "dpkg -r left /usr/bin/nkd behind"
echo "package-check: installed, checked and removed $(basename "$deb")"
