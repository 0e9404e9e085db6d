"""ML2 mechanism driver for nkd's test cloud: binds every port without an L2 agent.

The test cloud runs no OVS/linuxbridge/OVN agent, so ML2 alone would fail every binding and nova
would put the server into ERROR. This driver accepts the first segment offered (vif_type "other")
and reports the port ACTIVE; nova's fake driver never plugs anything.
Loaded through the entry point neutron.ml2.mechanism_drivers:nkd_noop that install.sh writes.
"""
from neutron_lib import constants
from neutron_lib.api.definitions import portbindings
from neutron_lib.plugins.ml2 import api


class NoopMechanismDriver(api.MechanismDriver):
    def initialize(self):
        pass

    def bind_port(self, context):
        segments = context.segments_to_bind
        if segments:
            context.set_binding(segments[0][api.ID], portbindings.VIF_TYPE_OTHER, {},
                                status=constants.PORT_STATUS_ACTIVE)
