#!/bin/bash
# install.sh — one-time setup of the OpenStack control plane nkd's contract tests run against:
# Debian 12 packages (only the missing ones), configs, MariaDB datadir and databases, schema
# migrations, Keystone keys and bootstrap. Idempotent: a finished setup leaves a stamp naming the
# fixture files and package versions it was made from, and a re-run with the same ones skips it.
# Needs root; apt needs the network, so the package step runs outside the tests' network
# namespace; start.sh runs inside it. Leaves no service running.
#   install.sh            packages (when missing), then the setup
#   install.sh --packages-only   the missing packages only (needs the network)
#   install.sh --no-apt   the setup only; fails when a package is missing (no apt-get or dpkg
#                         runs, so it may run beside other apt work, e.g. tools/package-check.sh;
#                         no network either: tools/test.sh runs it in a network namespace)
#   install.sh --force    redo the setup even when the stamp says it is current
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$FIXTURE_DIR/configs.sh"
source "$FIXTURE_DIR/packages.sh"
[[ $(id -u) == 0 ]] || fail "install.sh needs root (apt-get, the mysql user's datadir)"
started_ms=$(now_ms)
allow_apt=1 force=0 packages_only=0
for argument in "$@"; do
  case $argument in
    --no-apt) allow_apt=0 ;;
    --packages-only) packages_only=1 ;;
    --force) force=1 ;;
    *) fail "unknown option $argument; use --packages-only, --no-apt or --force" ;;
  esac
done
STAMP=$NKD_OS_STATE/installed

install_packages() {
  local missing=() package
  for package in "${OPENSTACK_PACKAGES[@]}"; do
    [[ $(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null) == installed ]] || missing+=("$package")
  done
  if ((${#missing[@]} == 0)); then note "packages present"; return 0; fi
  ((allow_apt)) || fail "packages missing: ${missing[*]}; install them with tools/install-deps.sh --test or run install.sh without --no-apt"
  openstack_debconf_preseed
  # A policy-rc.d that answers 101 keeps every postinst from starting its service.
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [[ ! -e $policy ]]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; made_policy=1; fi
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${OPENSTACK_DPKG_OPTIONS[@]}" "${missing[@]}" || {
      ((made_policy)) && rm -f "$policy"; fail "apt-get install failed"; }
  ((made_policy)) && rm -f "$policy"
  note "packages installed in $(( ($(now_ms) - started_ms) / 1000 )) s"
}

# What a finished setup depends on: the fixture files that write or seed it, and the installed
# versions of the packages whose migrations it ran.
setup_fingerprint() {
  cat "$FIXTURE_DIR"/{install.sh,configs.sh,lib.sh,nkd_noop_mech.py} | sha256sum | cut -d' ' -f1
  dpkg-query -W -f='${Package} ${Version}\n' "${OPENSTACK_PACKAGES[@]}" 2>/dev/null
}

prepare_state_dir() {
  mkdir -p "$ETC" "$LOGS" "$PIDS" "$DATA"/{keystone,glance/images,glance/staging,glance/lock} \
    "$DATA"/{nova/instances,nova/lock,neutron/lock,python,rabbitmq}
  chmod 755 "$NKD_OS_STATE" "$DATA" "$PIDS" "$LOGS"
  write_configs
  # ML2 finds mechanism drivers only by entry point; start.sh adds $DATA/python to neutron's path.
  cp "$FIXTURE_DIR/nkd_noop_mech.py" "$DATA/python/"
  local info="$DATA/python/nkd_noop_mech-1.0.dist-info"
  mkdir -p "$info"
  printf 'Metadata-Version: 2.1\nName: nkd-noop-mech\nVersion: 1.0\n' >"$info/METADATA"
  printf '[neutron.ml2.mechanism_drivers]\nnkd_noop = nkd_noop_mech:NoopMechanismDriver\n' >"$info/entry_points.txt"
}

create_databases() {
  if [[ ! -d $DATA/mysql/mysql ]]; then
    mkdir -p "$DATA/mysql"; chown mysql:mysql "$DATA/mysql"
    mariadb-install-db --defaults-file="$ETC/my.cnf" --skip-test-db >"$LOGS/mariadb-install.log" 2>&1
  fi
  chown mysql:mysql "$PIDS" "$LOGS"; touch "$LOGS/mariadb.log"; chown mysql:mysql "$LOGS/mariadb.log"
  run_service mariadb /usr/sbin/mariadbd --defaults-file="$ETC/my.cnf"
  await 60 mariadb database_up
  local pair user database
  for pair in keystone:keystone glance:glance placement:placement nova:nova_api nova:nova nova:nova_cell0 neutron:neutron; do
    user=${pair%%:*} database=${pair#*:}
    $SQL -e "CREATE DATABASE IF NOT EXISTS $database;
      CREATE USER IF NOT EXISTS '$user'@'127.0.0.1' IDENTIFIED BY '$PASSWORD';
      CREATE USER IF NOT EXISTS '$user'@'localhost' IDENTIFIED BY '$PASSWORD';
      GRANT ALL PRIVILEGES ON $database.* TO '$user'@'127.0.0.1';
      GRANT ALL PRIVILEGES ON $database.* TO '$user'@'localhost';"
  done
}

migrate_schemas() {
  local keystone_conf=(--config-file "$ETC/keystone/keystone.conf") nova_conf=(--config-file "$ETC/nova/nova.conf")
  keystone-manage "${keystone_conf[@]}" db_sync
  [[ -f $DATA/keystone/fernet-keys/0 ]] || keystone-manage "${keystone_conf[@]}" fernet_setup --keystone-user root --keystone-group root
  [[ -f $DATA/keystone/credential-keys/0 ]] || keystone-manage "${keystone_conf[@]}" credential_setup --keystone-user root --keystone-group root
  keystone-manage "${keystone_conf[@]}" bootstrap --bootstrap-password "$PASSWORD" \
    --bootstrap-username admin --bootstrap-project-name admin --bootstrap-role-name admin \
    --bootstrap-region-id RegionOne --bootstrap-admin-url "$KEYSTONE/v3/" \
    --bootstrap-internal-url "$KEYSTONE/v3/" --bootstrap-public-url "$KEYSTONE/v3/"
  glance-manage --config-file "$ETC/glance/glance-api.conf" db_sync >/dev/null
  placement-manage --config-file "$ETC/placement/placement.conf" db sync
  nova-manage "${nova_conf[@]}" api_db sync
  nova-manage "${nova_conf[@]}" cell_v2 list_cells 2>/dev/null | grep -q ' cell0 ' ||
    nova-manage "${nova_conf[@]}" cell_v2 map_cell0 --database_connection "$(db_url nova nova_cell0)"
  nova-manage "${nova_conf[@]}" cell_v2 list_cells 2>/dev/null | grep -q ' cell1 ' ||
    nova-manage "${nova_conf[@]}" cell_v2 create_cell --name cell1
  nova-manage "${nova_conf[@]}" db sync
  neutron-db-manage --config-file "$ETC/neutron/neutron.conf" --config-file "$ETC/neutron/ml2_conf.ini" \
    upgrade heads >"$LOGS/neutron-db-manage.log" 2>&1 || fail "neutron-db-manage failed: see $LOGS/neutron-db-manage.log"
}

install_packages
((packages_only)) && exit 0
if ((!force)) && [[ -f $STAMP && $(cat "$STAMP") == "$(setup_fingerprint)" ]]; then
  note "setup of $NKD_OS_STATE is current (stamp $STAMP); nothing to do (--force redoes it)"
  exit 0
fi
rm -f "$STAMP"
setup_ms=$(now_ms)
prepare_state_dir
# When the cloud already runs (re-install over a live one) the database is left running.
database_was_up=0; database_up >/dev/null 2>&1 && database_was_up=1
create_databases
migrate_schemas
((database_was_up)) || stop_service mariadb
setup_fingerprint >"$STAMP"
note "setup done in $(( ($(now_ms) - setup_ms) / 1000 )) s, total $(( ($(now_ms) - started_ms) / 1000 )) s (state: $NKD_OS_STATE)"
