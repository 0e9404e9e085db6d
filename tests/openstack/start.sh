#!/bin/bash
# start.sh — start the test cloud (after install.sh) as background processes bound to 127.0.0.1,
# in the caller's network namespace: MariaDB, RabbitMQ, Keystone, Placement, Nova, Glance,
# Neutron. Each runs in its own process group whose id is kept in $NKD_OS_STATE/run/<name>.pid
# (stop.sh ends exactly those). Seeds the data the contract tests use (seed.py), and exits 0 once
# every API answers and nova-compute is mapped. Re-running it starts only what is not running.
# Needs root (MariaDB runs as the mysql user). Logs: $NKD_OS_STATE/log.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[[ -f $ETC/nova/nova-compute.conf ]] || fail "no configuration under $NKD_OS_STATE: run install.sh first"
started_ms=$(now_ms)
elapsed() { printf '%d.%03d' $(( ($(now_ms) - started_ms) / 1000 )) $(( ($(now_ms) - started_ms) % 1000 )); }
ip link set lo up 2>/dev/null || true   # a fresh `unshare -n` namespace starts with loopback down

# uwsgi's --http-socket closes every connection after one response without saying so; the header
# makes python clients (and nova/neutron calling keystone) open a new connection each time.
start_wsgi() { # NAME CONFIG-ENV PORT SCRIPT
  run_service "$1" env "$2" uwsgi --plugin python3 --master --die-on-term --need-app --enable-threads \
    --lazy-apps --no-orphans --http-socket "127.0.0.1:$3" --wsgi-file "$4" --processes 2 --threads 1 \
    --buffer-size 65535 --listen 100 --worker-reload-mercy 5 --add-header 'Connection: close'
}
rabbit_up() { (: </dev/tcp/127.0.0.1/5672) 2>/dev/null; }
sql() { $SQL -N -B -e "$1"; }
# The nova service BINARY sent a heartbeat at or after $2 (report_interval is 2 s).
heartbeat_since() {
  [[ $(sql "SELECT COUNT(*) FROM nova.services WHERE \`binary\` = '$1' AND host = '$SERVICE_HOST'
            AND deleted = 0 AND updated_at >= '$2'") -gt 0 ]]
}

start_backing_services() {
  run_service mariadb /usr/sbin/mariadbd --defaults-file="$ETC/my.cnf"
  # Our own epmd on loopback: one that Erlang spawns by itself would outlive stop.sh.
  run_service epmd epmd -address 127.0.0.1 -port 4369
  [[ -f $DATA/rabbitmq/enabled_plugins ]] || echo '[].' >"$DATA/rabbitmq/enabled_plugins"
  run_service rabbitmq env HOME="$DATA/rabbitmq" RABBITMQ_NODENAME=rabbit@localhost \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=5672 ERL_EPMD_ADDRESS=127.0.0.1 \
    RABBITMQ_MNESIA_BASE="$DATA/rabbitmq/mnesia" RABBITMQ_LOG_BASE="$LOGS" \
    RABBITMQ_LOGS="$LOGS/rabbitmq.log" RABBITMQ_ENABLED_PLUGINS_FILE="$DATA/rabbitmq/enabled_plugins" \
    RABBITMQ_CONFIG_FILE="$ETC/rabbitmq" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}' \
    /usr/lib/rabbitmq/bin/rabbitmq-server
  await 60 mariadb database_up
}

start_apis() {
  start_wsgi keystone OS_KEYSTONE_CONFIG_DIR="$ETC/keystone" 5000 /usr/bin/keystone-wsgi-public
  await 60 "keystone :5000" answers "$KEYSTONE/v3"
  # Service users must exist before the other services authenticate.
  $PYTHON "$FIXTURE_DIR/seed.py" identity >"$LOGS/seed-identity.out" 2>&1 ||
    fail "seed.py identity failed: $(tail -3 "$LOGS/seed-identity.out")"
  note "identity seeded at $(elapsed) s"
  start_wsgi placement OS_PLACEMENT_CONFIG_DIR="$ETC/placement" 8778 /usr/bin/placement-api
  start_wsgi nova-api OS_NOVA_CONFIG_DIR="$ETC/nova" 8774 /usr/bin/nova-api-wsgi
  run_service glance-api glance-api --config-file "$ETC/glance/glance-api.conf"
  run_service neutron-server env PYTHONPATH="$DATA/python" neutron-server \
    --config-file "$ETC/neutron/neutron.conf" --config-file "$ETC/neutron/ml2_conf.ini"
  await 60 "rabbitmq :5672" rabbit_up
  await 60 "placement :8778" answers http://127.0.0.1:8778/
}

# nova-compute pings the conductor once at start; if no conductor consumes it, compute sits out a
# fixed 10 s RPC timeout. So compute starts after the conductor's first heartbeat.
start_nova_services() {
  local nova_conf=(--config-file "$ETC/nova/nova.conf") since compute_since
  since=$(date -u '+%F %T')
  run_service nova-conductor nova-conductor "${nova_conf[@]}" --log-file "$LOGS/nova-conductor.log"
  run_service nova-scheduler nova-scheduler "${nova_conf[@]}" --log-file "$LOGS/nova-scheduler.log"
  await 90 "nova-conductor heartbeat" heartbeat_since nova-conductor "$since"
  compute_since=$(date -u '+%F %T')
  # The nova-compute .deb would pull a hypervisor; its entry point comes from python3-nova.
  run_service nova-compute $PYTHON -c 'import sys; from nova.cmd.compute import main; sys.argv[0] = "nova-compute"; sys.exit(main())' \
    --config-file "$ETC/nova/nova-compute.conf" --log-file "$LOGS/nova-compute.log"
  await 90 "nova-api :8774" answers http://127.0.0.1:8774/
  await 90 "glance :9292" answers http://127.0.0.1:9292/
  await 90 "neutron :9696" answers http://127.0.0.1:9696/
  $PYTHON "$FIXTURE_DIR/seed.py" resources >"$LOGS/seed-resources.out" 2>&1 & local seed_pid=$!
  await 90 "nova-compute heartbeat" heartbeat_since nova-compute "$compute_since"
  # The compute host needs a cell mapping once; it persists across restarts.
  if [[ $(sql "SELECT COUNT(*) FROM nova_api.host_mappings WHERE host = '$SERVICE_HOST'") == 0 ]]; then
    nova-manage "${nova_conf[@]}" cell_v2 discover_hosts >/dev/null 2>&1
  fi
  note "compute ready at $(elapsed) s"
  wait "$seed_pid" || fail "seed.py resources failed: $(tail -3 "$LOGS/seed-resources.out")"
  note "resources seeded at $(elapsed) s"
}

start_backing_services
start_apis
start_nova_services
note "cloud ready in $(elapsed) s (state: $NKD_OS_STATE)"
