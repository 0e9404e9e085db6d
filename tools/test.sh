#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds (plus an ASan+UBSan build of the unit
# tests), and runs every test inside a loopback-only network namespace, the OpenStack contract
# tests against a real cloud that this script installs, sets up, starts and stops (also when a
# step fails). Prints ctest's summary. Idempotent.
#
# The cloud's state lives in $NKD_OS_STATE (default /var/tmp/nkd-ci-openstack: apart from the
# /var/tmp/nkd-test-openstack that tests/openstack/*.sh use when run by hand, so a cloud someone
# started by hand is never touched). Its slow steps overlap the CPU-bound ones: its packages and
# setup run while the main tree builds; its start and the whole ctest run (OpenStack tests first)
# while the sanitizer tree builds and its unit tests and the package check run. Phase logs:
# .nkd/test/.
set -euo pipefail
cd "$(dirname "$0")/.."
export NKD_OS_STATE="${NKD_OS_STATE:-/var/tmp/nkd-ci-openstack}"
logs="$PWD/.nkd/test"
mkdir -p "$logs"
started=$(date +%s)
phase() { echo "== [$(( $(date +%s) - started )) s] $*"; }
fail() { echo "test.sh: $*" >&2; exit 1; }

phase "packages for the build and the tests"
tools/install-deps.sh --test

# A run that crashed may have left its cloud running (in a network namespace that is gone): its
# recorded process groups are ended before anything reuses the state directory.
tests/openstack/stop.sh > "$logs/openstack-stop-stale.out" 2>&1 ||
  fail "could not stop the cloud left under $NKD_OS_STATE; see $logs/openstack-stop-stale.out"

# The cloud's packages (about 6 minutes of apt on a fresh machine, mostly download and unpack)
# and its setup (2 minutes: migrations, Keystone bootstrap) run while the C++ builds. The setup
# needs no network and no apt; in its own namespace its MariaDB cannot collide with one on the
# host's 127.0.0.1:3306. Nothing else touches apt or dpkg until this job is waited for.
phase "OpenStack cloud packages and setup in the background (log: $logs/openstack-install.out)"
setsid bash -c 'tests/openstack/install.sh --packages-only &&
  tools/in-netns.sh tests/openstack/install.sh --no-apt' > "$logs/openstack-install.out" 2>&1 &
setup_pid=$!
cleanup() {
  if kill -0 "$setup_pid" 2>/dev/null; then kill -TERM -- "-$setup_pid" 2>/dev/null || true; fi
  if [[ -n ${tests_pid:-} ]] && kill -0 "$tests_pid" 2>/dev/null; then
    kill -TERM -- "-$tests_pid" 2>/dev/null || true
  fi
  # Covers a namespace shell that was killed before its own trap could stop the cloud.
  tests/openstack/stop.sh >> "$logs/openstack-stop.out" 2>&1 || true
}
trap cleanup EXIT

phase "build (RelWithDebInfo)"
tools/build.sh --no-bench

phase "waiting for the OpenStack cloud setup"
wait "$setup_pid" || { tail -n 40 "$logs/openstack-install.out" >&2
  fail "the OpenStack cloud's install failed; full log: $logs/openstack-install.out"; }

# The cloud's start and its contract tests wait on the cloud more than they compute, so they run
# (with every other test, in a loopback-only network namespace) while the sanitizer tree builds.
phase "all tests in the background, in a loopback-only network namespace (log: $logs/tests.out)"
setsid tools/in-netns.sh tools/netns-tests.sh "$logs" > "$logs/tests.out" 2>&1 &
tests_pid=$!

status=0
phase "build (ASan+UBSan unit tests)"
tools/build.sh --sanitize-only
phase "unit tests under AddressSanitizer and UndefinedBehaviorSanitizer, in their own namespace"
# systemd_check_units needs the nkd binary, which the sanitizer tree does not build; it runs in
# the full ctest.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  tools/in-netns.sh ctest --test-dir build-asan -L unit -E '^systemd_check_units$' \
  --output-on-failure -j"$(nproc)" --timeout 300 || status=1

# build/ is not rebuilt by this (its prefix is /usr from the start), so the tests are unaffected.
phase "Debian package (outside the network namespace: apt-get and dpkg need the host)"
tools/package-check.sh build || status=1

phase "waiting for the tests"
# A line a minute, so that a CI watchdog does not take the quiet wait for a hang.
ticks=0
while kill -0 "$tests_pid" 2>/dev/null; do
  sleep 2
  if (( ++ticks % 30 == 0 )); then
    echo "   $(grep -cE '^ *[0-9]+/[0-9]+ Test' "$logs/tests.out" || true) tests finished"
  fi
done
wait "$tests_pid" || status=1
cat "$logs/tests.out"
phase "done (exit $status)"
exit "$status"
