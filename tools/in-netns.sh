#!/usr/bin/env bash
# Runs a command in a fresh network namespace that has only loopback, so that a test which
# slips and dials an outside address fails at once instead of sending traffic.
set -euo pipefail
if unshare -n true 2>/dev/null; then
  exec unshare -n bash -c 'ip link set lo up && exec "$@"' in-netns "$@"
fi
echo "in-netns: cannot create a network namespace here (needs root or user namespaces);" \
     "running with the host network: egress.allow still limits nkd to loopback" >&2
exec "$@"
