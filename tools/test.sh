#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, and runs every test once under
# AddressSanitizer and UndefinedBehaviorSanitizer (build-asan/: the tests and the nkd they
# start), then the tests that drive the daemon's threads again under ThreadSanitizer
# (build-tsan/), each run in a loopback-only network namespace; the OpenStack contract tests run
# against a real cloud that this script installs, sets up, starts and stops (also when a step
# fails). build/ holds only the release nkd that the Debian package check installs: no test
# needs it. Prints ctest's summaries. Idempotent.
#
# The cloud's state lives in $NKD_OS_STATE (default /var/tmp/nkd-ci-openstack: apart from the
# /var/tmp/nkd-test-openstack that tests/openstack/*.sh use when run by hand, so a cloud someone
# started by hand is never touched). Slow steps that wait more than they compute overlap the
# builds: the cloud's packages and setup run while build-asan/ builds; the cloud's start and the
# whole build-asan/ run (the OpenStack tests in a lane of their own) while build-tsan/ and the
# release nkd build and the ThreadSanitizer tests, the package check and the fuzz targets
# (tools/fuzz.sh) run. Phase logs: .nkd/test/. Budget per phase: docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export NKD_OS_STATE="${NKD_OS_STATE:-/var/tmp/nkd-ci-openstack}"
logs="$PWD/.nkd/test"
mkdir -p "$logs"
started=$(date +%s)
phase() { echo "== [$(( $(date +%s) - started )) s] $*"; }
fail() { echo "test.sh: $*" >&2; exit 1; }

# The include layering (DESIGN.md §10) first: a second, and it fails before any build.
phase "include layering"
tools/check-includes.sh || fail "an include points up the pipeline (above); see DESIGN.md §10"

phase "packages for the build (what only the tests' runs need follows in the background)"
tools/install-deps.sh --test-build

# A run that crashed may have left its cloud running (in a network namespace that is gone): its
# recorded process groups are ended before anything reuses the state directory.
tests/openstack/stop.sh > "$logs/openstack-stop-stale.out" 2>&1 ||
  fail "could not stop the cloud left under $NKD_OS_STATE; see $logs/openstack-stop-stale.out"

# The cloud's packages (about 6 minutes of apt on a fresh machine, mostly download and unpack),
# with what only running the tests needs before them (tools/install-deps.sh --test-run: etcd,
# sshd, clang for the fuzz targets, libvirtd and QEMU; no build step uses them), and the cloud's
# setup (2 minutes: migrations, Keystone bootstrap) run while the C++ builds. The setup
# needs no network and no apt; in its own namespace its MariaDB cannot collide with one on the
# host's 127.0.0.1:3306. Nothing else touches apt or dpkg until this job is waited for.
phase "OpenStack cloud packages and setup in the background (log: $logs/openstack-install.out)"
setsid bash -c 'tools/install-deps.sh --test-run && tests/openstack/install.sh --packages-only &&
  tools/in-netns.sh tests/openstack/install.sh --no-apt' > "$logs/openstack-install.out" 2>&1 &
setup_pid=$!
cleanup() {
  if kill -0 "$setup_pid" 2>/dev/null; then kill -TERM -- "-$setup_pid" 2>/dev/null || true; fi
  if [[ -n ${asan_tests_pid:-} ]] && kill -0 "$asan_tests_pid" 2>/dev/null; then
    kill -TERM -- "-$asan_tests_pid" 2>/dev/null || true
  fi
  # Covers a namespace shell that was killed before its own trap could stop the cloud.
  tests/openstack/stop.sh >> "$logs/openstack-stop.out" 2>&1 || true
}
trap cleanup EXIT

# Every sanitizer report, of a test or of any nkd a test started (a daemon's report would
# otherwise only reach its log in a scratch directory), lands in $reports as NAME.PID; the run
# fails if any is there at the end. Leaks are checked; the first error ends the process.
reports="$logs/sanitizer-reports"
rm -rf "$reports" && mkdir -p "$reports"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$reports/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:log_path=$reports/tsan:suppressions=$PWD/tools/tsan.supp"

phase "build: build-asan/ (ASan+UBSan: every test, and the nkd they start)"
tools/build.sh --asan-only

phase "waiting for the OpenStack cloud setup"
wait "$setup_pid" || { tail -n 40 "$logs/openstack-install.out" >&2
  fail "the OpenStack cloud's install failed; full log: $logs/openstack-install.out"; }

# The cloud's start and its contract tests wait on the cloud more than they compute, so the whole
# build-asan/ run goes on in the background (in a loopback-only network namespace of its own)
# while the other trees build and run.
phase "every test under ASan+UBSan in the background, beside the cloud (log: $logs/asan-tests.out)"
setsid tools/in-netns.sh tools/netns-tests.sh "$logs" build-asan > "$logs/asan-tests.out" 2>&1 &
asan_tests_pid=$!

status=0
phase "build: build-tsan/ (ThreadSanitizer: the tests that drive the daemon's threads)"
tools/build.sh --tsan-only
phase "those tests under ThreadSanitizer, in a loopback-only namespace (log: $logs/tsan-tests.out)"
tools/in-netns.sh ctest --test-dir build-tsan --no-tests=error --output-on-failure -j"$(nproc)" --timeout 600 \
  > "$logs/tsan-tests.out" 2>&1 || status=1
tail -n 4 "$logs/tsan-tests.out"

phase "build: the release nkd (for the Debian package)"
tools/build.sh --no-bench --nkd-only
# build/ is not rebuilt by this (its prefix is /usr from the start).
phase "Debian package (outside the network namespace: apt-get and dpkg need the host)"
tools/package-check.sh build || status=1

# The ASan+UBSan run waits on processes, sockets and the cloud far more than it computes, and
# is the run's critical path: the fuzz targets build and run beside it (docs/performance.md, CI
# budget). 20 s a target, two at a time, from the committed corpora (README.md "Fuzzing").
phase "fuzz targets: build-fuzz/ and 20 s each, two at a time, beside the ASan run (log: $logs/fuzz.out)"
tools/fuzz.sh --seconds 20 --parallel 2 > "$logs/fuzz.out" 2>&1 || status=1
grep -E '^(fuzz\.sh|    )' "$logs/fuzz.out" || tail -n 20 "$logs/fuzz.out"

phase "waiting for the tests under ASan+UBSan"
# A line a minute, so that a CI watchdog does not take the quiet wait for a hang.
ticks=0
while kill -0 "$asan_tests_pid" 2>/dev/null; do
  sleep 2
  if (( ++ticks % 30 == 0 )); then
    echo "   $(grep -cE '^ *[0-9]+/[0-9]+ Test' "$logs/asan-tests.out" || true) tests finished"
  fi
done
wait "$asan_tests_pid" || status=1

for log in asan-tests tsan-tests; do
  echo "---- $log"
  grep -E -A40 '^The following tests FAILED' "$logs/$log.out" || sed -n '/tests passed/,$p' "$logs/$log.out"
done
if compgen -G "$reports/*" > /dev/null; then
  echo "test.sh: sanitizer reports (each also failed its test or the process that wrote it):" >&2
  for report in "$reports"/*; do echo "---- $report" >&2; head -n 60 "$report" >&2; done
  status=1
fi
phase "done (exit $status)"
exit "$status"
