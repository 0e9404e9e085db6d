# packages.sh — the Debian 12 packages of the test cloud and the debconf answers they must be
# installed with (sourced by install.sh, not run).

# nova-compute's own .deb pulls a hypervisor; start.sh runs its entry point from python3-nova.
OPENSTACK_PACKAGES=(keystone glance-api placement-api nova-api nova-conductor nova-scheduler
  neutron-server rabbitmq-server mariadb-server mariadb-client python3-openstackclient
  python3-pymysql uwsgi-core uwsgi-plugin-python3 curl)

# dpkg options that keep the packaged config files (our own configs live under $NKD_OS_STATE).
OPENSTACK_DPKG_OPTIONS=(-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

# The packages must not set up databases, queues or endpoints on their own; the answers are
# stored before apt-get runs. (Services are kept from starting by a policy-rc.d that answers 101.)
openstack_debconf_preseed() {
  local question service
  for question in keystone/configure_db keystone/create-admin-tenant keystone/register-endpoint; do
    echo "keystone $question boolean false"
  done | debconf-set-selections
  for service in glance placement nova neutron; do
    for question in configure_db configure_rabbit configure_ksat configure_nova \
                    configure_placement configure_neutron; do
      echo "$service-common $service/$question boolean false"
    done
  done | debconf-set-selections
}
