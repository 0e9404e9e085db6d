# configs.sh — write_configs writes each service's configuration under $ETC (sourced after lib.sh).
# Every listener is 127.0.0.1; every service keeps its data in MariaDB on 127.0.0.1:3306.

RABBIT_URL="rabbit://guest:guest@127.0.0.1:5672/"

# The [keystone_authtoken] section that lets service $1 validate incoming tokens.
token_section() {
  printf '[keystone_authtoken]\nwww_authenticate_uri = %s\nauth_url = %s\nauth_type = password\n' "$KEYSTONE" "$KEYSTONE"
  printf 'project_domain_name = Default\nuser_domain_name = Default\nproject_name = service\n'
  printf 'username = %s\npassword = %s\n' "$1" "$PASSWORD"
}
# Credentials service $1 uses to call another service (nova -> placement/neutron, neutron -> nova).
client_section() {
  printf 'auth_type = password\nauth_url = %s\nproject_domain_name = Default\n' "$KEYSTONE"
  printf 'user_domain_name = Default\nproject_name = service\nusername = %s\n' "$1"
  printf 'password = %s\nregion_name = RegionOne\n' "$PASSWORD"
}

write_mariadb_config() {
  cat >"$ETC/my.cnf" <<CONF
[client]
socket = $PIDS/mysqld.sock
[mysqld]
user = mysql
datadir = $DATA/mysql
socket = $PIDS/mysqld.sock
pid-file = $PIDS/mysqld.pid
bind-address = 127.0.0.1
port = 3306
skip-name-resolve
log-error = $LOGS/mariadb.log
max_connections = 1000
innodb_buffer_pool_size = 256M
innodb_flush_log_at_trx_commit = 2
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
CONF
}

write_keystone_glance_placement() {
  cat >"$ETC/keystone/keystone.conf" <<CONF
[DEFAULT]
log_file = $LOGS/keystone.log
[database]
connection = $(db_url keystone keystone)
[token]
provider = fernet
[fernet_tokens]
key_repository = $DATA/keystone/fernet-keys
[fernet_receipts]
key_repository = $DATA/keystone/fernet-keys
[credential]
key_repository = $DATA/keystone/credential-keys
CONF
  cat >"$ETC/glance/glance-api.conf" <<CONF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = 9292
workers = 0
log_file = $LOGS/glance-api.log
node_staging_uri = file://$DATA/glance/staging
[database]
connection = $(db_url glance glance)
[glance_store]
stores = file
default_store = file
filesystem_store_datadir = $DATA/glance/images
[paste_deploy]
flavor = keystone
config_file = /etc/glance/glance-api-paste.ini
[oslo_concurrency]
lock_path = $DATA/glance/lock
$(token_section glance)
CONF
  cat >"$ETC/placement/placement.conf" <<CONF
[DEFAULT]
log_file = $LOGS/placement.log
[placement_database]
connection = $(db_url placement placement)
[api]
auth_strategy = keystone
$(token_section placement)
CONF
}

write_nova_config() {
  # Quotas default to unlimited; the seed gives one project a small instances quota on purpose.
  cat >"$ETC/nova/nova.conf" <<CONF
[DEFAULT]
host = $SERVICE_HOST
my_ip = 127.0.0.1
state_path = $DATA/nova
instances_path = $DATA/nova/instances
transport_url = $RABBIT_URL
compute_driver = fake.FakeDriver
report_interval = 2
service_down_time = 30
graceful_shutdown_timeout = 5
[api]
auth_strategy = keystone
[wsgi]
api_paste_config = $ETC/nova/api-paste.ini
[api_database]
connection = $(db_url nova nova_api)
[database]
connection = $(db_url nova nova)
[conductor]
workers = 1
[scheduler]
workers = 1
[quota]
instances = -1
cores = -1
ram = -1
metadata_items = -1
key_pairs = -1
server_groups = -1
server_group_members = -1
[vnc]
enabled = false
[oslo_concurrency]
lock_path = $DATA/nova/lock
[glance]
region_name = RegionOne
[placement]
$(client_section nova)
[neutron]
$(client_section nova)
$(token_section nova)
CONF
  # nova-compute refuses to run with database settings in sight, so it reads a copy without them.
  awk '/^\[/ {skip = ($0 == "[database]" || $0 == "[api_database]")} !skip' \
    "$ETC/nova/nova.conf" >"$ETC/nova/nova-compute.conf"
  cp /etc/nova/api-paste.ini "$ETC/nova/api-paste.ini"
}

write_neutron_config() {
  # No L2 agents exist: DHCP notifications are off, and the nkd_noop mechanism driver binds ports.
  # Port-change notifications to nova stay on so floating IPs reach a server's addresses at once.
  cat >"$ETC/neutron/neutron.conf" <<CONF
[DEFAULT]
host = $SERVICE_HOST
bind_host = 127.0.0.1
bind_port = 9696
core_plugin = ml2
service_plugins = router
auth_strategy = keystone
api_paste_config = /etc/neutron/api-paste.ini
transport_url = $RABBIT_URL
api_workers = 0
rpc_workers = 0
rpc_state_report_workers = 0
log_file = $LOGS/neutron-server.log
dhcp_agent_notification = false
notify_nova_on_port_status_changes = true
notify_nova_on_port_data_changes = true
allow_overlapping_ips = true
[quotas]
quota_network = -1
quota_subnet = -1
quota_port = -1
quota_router = -1
quota_floatingip = -1
quota_security_group = -1
quota_security_group_rule = -1
[database]
connection = $(db_url neutron neutron)
[oslo_concurrency]
lock_path = $DATA/neutron/lock
[nova]
$(client_section neutron)
$(token_section neutron)
CONF
  cat >"$ETC/neutron/ml2_conf.ini" <<CONF
[ml2]
type_drivers = flat,vlan,vxlan
tenant_network_types = vxlan
mechanism_drivers = nkd_noop
extension_drivers = port_security
[ml2_type_flat]
flat_networks = *
[ml2_type_vlan]
network_vlan_ranges = physnet1:100:199
[ml2_type_vxlan]
vni_ranges = 1:10000
CONF
}

write_configs() {
  mkdir -p "$ETC"/{keystone,glance,placement,nova,neutron}
  write_mariadb_config
  write_keystone_glance_placement
  write_nova_config
  write_neutron_config
}
