#!/usr/bin/env bash
# The OpenStack contract tests of tools/test.sh (ctest label `openstack`), inside their own
# loopback-only network namespace (tools/in-netns.sh), with the OpenStack test cloud: the cloud
# must bind the 127.0.0.1 the tests dial, so it starts here, and the trap stops it whatever
# happens. The tests run with NKD_REQUIRE_OPENSTACK=1: a cloud that breaks mid-run fails them
# instead of skipping them, and one that never came up fails the run.
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
  echo "netns-tests.sh: tests/openstack/start.sh failed; the tests still run (and skip), then" \
       "this run fails"
fi

phase "the OpenStack contract tests in $tree, against the cloud"
ctest --test-dir "$tree" -L openstack --output-on-failure -j"$(nproc)" --timeout 600
((cloud_up)) || fail "the OpenStack test cloud did not start; see $logs/openstack-start.out and $NKD_OS_STATE/log"
phase "tests done"
