#!/usr/bin/env bash
# The ctest run of one tree for tools/test.sh, inside its own loopback-only network namespace
# (tools/in-netns.sh), with the OpenStack test cloud: the cloud must bind the 127.0.0.1 the tests
# dial, so it starts here, and the trap stops it whatever happens. The OpenStack contract tests
# (label `openstack`) run with NKD_REQUIRE_OPENSTACK=1: a cloud that breaks mid-run fails them
# instead of skipping them, and one that never came up fails the run (after the other tests ran,
# for their results).
#   tools/netns-tests.sh LOG-DIR [BUILD-DIR]   (default build-asan; NKD_OS_STATE: the state
#                                               directory install.sh set up)
set -euo pipefail
cd "$(dirname "$0")/.."
logs=${1:?usage: tools/netns-tests.sh LOG-DIR [BUILD-DIR]}
tree=${2:-build-asan}
: "${NKD_OS_STATE:?NKD_OS_STATE must name the cloud tests/openstack/install.sh set up}"
started=$(date +%s)
phase() { echo "== [netns +$(( $(date +%s) - started )) s] $*"; }
fail() { echo "netns-tests.sh: $*" >&2; exit 1; }
trap 'tests/openstack/stop.sh >> "$logs/openstack-stop.out" 2>&1 || true' EXIT

phase "OpenStack cloud start (log: $logs/openstack-start.out)"
cloud_up=1
if tests/openstack/start.sh > "$logs/openstack-start.out" 2>&1; then
  grep 'cloud ready' "$logs/openstack-start.out" || true
  export NKD_REQUIRE_OPENSTACK=1
else
  cloud_up=0
  tail -n 40 "$logs/openstack-start.out"
  echo "netns-tests.sh: tests/openstack/start.sh failed; the other tests still run (the OpenStack" \
       "ones skip), then this run fails"
fi

# Two lanes side by side: the OpenStack contract tests wait on the cloud (servers building,
# polls) far more than they compute, so they run two at a time beside the other tests, which
# keep -j$(nproc) to themselves, instead of taking the other tests' slots while idle
# (docs/performance.md, CI budget). The OpenStack lane's output is printed after the other's.
phase "every test of $tree: the OpenStack contract tests (log: $logs/openstack-tests.out) beside the others"
status=0
ctest --test-dir "$tree" -L openstack --output-on-failure -j2 --timeout 600 \
  > "$logs/openstack-tests.out" 2>&1 &
openstack_lane=$!
ctest --test-dir "$tree" -LE openstack --output-on-failure -j"$(nproc)" --timeout 600 || status=1
wait "$openstack_lane" || status=1
phase "the OpenStack lane's output"
cat "$logs/openstack-tests.out"
((cloud_up)) || fail "the OpenStack test cloud did not start; see $logs/openstack-start.out and $NKD_OS_STATE/log"
phase "tests done"
exit "$status"
