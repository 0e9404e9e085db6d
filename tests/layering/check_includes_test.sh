#!/usr/bin/env bash
# tools/check-includes.sh on the fixture tree tests/data/include-layering/: it must fail (exit
# 1) and report exactly the includes marked `bad` there, each as file:line, and none marked `good`.
#   check_includes_test.sh <tools/check-includes.sh> <fixture tree>
set -euo pipefail
checker=$1 fixture=$2

status=0
output=$("$checker" --root "$fixture" 2>&1) || status=$?
echo "$output"
if ((status != 1)); then
  echo "FAIL: check-includes.sh exited $status on the fixture; expected 1"; exit 1
fi

expected=(
  'common/clock.h:4: #include "syncd/config.h": common/ may include only from: common'
  'render/render.cc:4: #include "syncd/daemon.h": render/'
  'plan/node_plan.cc:4: #include <sqlite3.h>: plan/ must not use <sqlite3'
  'plan/node_plan.cc:6: #include "plan/review/plan.h": plan/'
  'providers/openstack/openstack_provider.h:4: #include "syncd/state/state_store.h": providers/'
  'providers/openstack/openstack_provider.h:6: #include "state/sqlite_state_store.h": providers/'
  'providers/openstack/openstack_provider.h:8: #include "state/state_store.h": providers/'
  'reconcile/reconciler.h:5: #include "source/libgit2_source.h": reconcile/'
  'reconcile/reconciler.h:6: #include <git2.h>: reconcile/ must not use <git2'
)
for line in "${expected[@]}"; do
  grep -qF -- "$line" <<<"$output" || { echo "FAIL: not reported: $line"; exit 1; }
done
reported=$(grep -c '^[a-z/_]*\.\(h\|cc\):[0-9]*: #include' <<<"$output" || true)
if ((reported != ${#expected[@]})); then
  echo "FAIL: $reported includes reported, expected ${#expected[@]} (a good include was rejected)"
  exit 1
fi
echo "PASS: the ${#expected[@]} planted includes are rejected, the others accepted"
