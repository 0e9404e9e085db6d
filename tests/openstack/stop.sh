#!/bin/bash
# stop.sh — end exactly the process groups start.sh recorded under $NKD_OS_STATE/run (never by
# name). Idempotent: a service that is not running is skipped.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
started_ms=$(now_ms)
# nova-compute before the conductor: the other way round its shutdown waits on RPC.
stop_service nova-compute
for name in nova-scheduler nova-conductor neutron-server glance-api nova-api placement keystone; do
  stop_service "$name" &
done
wait
for name in rabbitmq epmd mariadb; do stop_service "$name"; done
for file in "$PIDS"/*.pid; do
  [[ -e $file ]] || continue
  name=$(basename "$file" .pid)
  [[ $name == mysqld ]] && continue   # MariaDB's own pid file, not one of ours
  stop_service "$name"
done
note "stopped in $(( ($(now_ms) - started_ms) / 1000 )) s"
