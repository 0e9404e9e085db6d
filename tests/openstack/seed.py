#!/usr/bin/python3
"""seed.py identity|resources — idempotent seed data for nkd's test cloud (run by start.sh).

identity:  projects admin, demo, nkd-quota, service; users demo and quota (member), the service
           users; the service catalog. Needs only Keystone.
resources: flavors m1.tiny (fits) and m1.huge (bigger than the fake hypervisor: "No valid host"),
           image cirros (64 KiB of zeros, raw), networks private/public with subnets, and a small
           instances quota on project nkd-quota, and router nkd-router (private -> public);
           private-subnet allocates from 10.0.0.2-199 only (tests fix addresses above).
           Needs Nova, Glance and Neutron.
Every object is found by name first and made only when missing. Password: 'secret'.
"""
import sys

from keystoneauth1 import session
from keystoneauth1.identity import v3

KEYSTONE = "http://127.0.0.1:5000/v3"
NOVA = "http://127.0.0.1:8774/v2.1"
GLANCE = "http://127.0.0.1:9292"
NEUTRON = "http://127.0.0.1:9696"
PASSWORD = "secret"
QUOTA_INSTANCES = 2
SERVICES = [("nova", "compute", NOVA), ("glance", "image", GLANCE),
            ("neutron", "network", NEUTRON), ("placement", "placement", "http://127.0.0.1:8778")]

admin = session.Session(auth=v3.Password(
    auth_url=KEYSTONE, username="admin", password=PASSWORD, project_name="admin",
    user_domain_id="default", project_domain_id="default"))


def listing(url, key, **query):
    return admin.get(url, params=query).json()[key]


def ensure(url, key, query, body):
    """The first object `query` finds at url, or a new one made from body."""
    found = listing(url, key, **query)
    if found:
        return found[0]
    singular = key[:-1]
    return admin.post(url, json={singular: body}).json()[singular]


def seed_identity():
    def project(name):
        return ensure(f"{KEYSTONE}/projects", "projects", {"name": name},
                      {"name": name, "domain_id": "default"})["id"]

    def role(name):
        return ensure(f"{KEYSTONE}/roles", "roles", {"name": name}, {"name": name})["id"]

    def user(name, project_id):
        return ensure(f"{KEYSTONE}/users", "users", {"name": name},
                      {"name": name, "password": PASSWORD, "domain_id": "default",
                       "default_project_id": project_id, "enabled": True})["id"]

    def grant(project_id, user_id, role_id):
        admin.put(f"{KEYSTONE}/projects/{project_id}/users/{user_id}/roles/{role_id}")

    demo, quota, service = project("demo"), project("nkd-quota"), project("service")
    admin_role, member, reader, service_role = (role(r) for r in ("admin", "member", "reader", "service"))
    admin_user = listing(f"{KEYSTONE}/users", "users", name="admin")[0]["id"]
    for name, project_id in (("demo", demo), ("quota", quota)):
        user_id = user(name, project_id)
        grant(project_id, user_id, member)
        grant(project_id, user_id, reader)
        grant(project_id, admin_user, admin_role)
    for name in ("glance", "placement", "nova", "neutron"):
        user_id = user(name, service)
        grant(service, user_id, admin_role)
        grant(service, user_id, service_role)
    for name, kind, url in SERVICES:
        service_id = ensure(f"{KEYSTONE}/services", "services", {"type": kind},
                            {"name": name, "type": kind, "enabled": True})["id"]
        present = {e["interface"] for e in listing(f"{KEYSTONE}/endpoints", "endpoints", service_id=service_id)}
        for interface in ("public", "internal", "admin"):
            if interface not in present:
                admin.post(f"{KEYSTONE}/endpoints", json={"endpoint": {
                    "service_id": service_id, "interface": interface, "url": url,
                    "region_id": "RegionOne"}})
    print("identity seeded")


def seed_flavors():
    present = {f["name"] for f in listing(f"{NOVA}/flavors", "flavors")}
    # m1.huge asks for more than FakeDriver reports, so the scheduler finds no valid host.
    for name, flavor_id, vcpus, ram_mb, disk_gb in (("m1.tiny", "1", 1, 512, 1),
                                                    ("m1.huge", "99", 4096, 100_000_000, 100_000_000)):
        if name not in present:
            admin.post(f"{NOVA}/flavors", json={"flavor": {
                "name": name, "id": flavor_id, "vcpus": vcpus, "ram": ram_mb, "disk": disk_gb}})


def seed_image():
    images = listing(f"{GLANCE}/v2/images", "images", name="cirros")
    if any(i["status"] == "active" for i in images):
        return
    for leftover in images:  # a seed interrupted between create and upload
        admin.delete(f"{GLANCE}/v2/images/{leftover['id']}")
    image = admin.post(f"{GLANCE}/v2/images", json={
        "name": "cirros", "disk_format": "raw", "container_format": "bare",
        "visibility": "public"}).json()
    admin.put(f"{GLANCE}/v2/images/{image['id']}/file", data=b"\0" * 65536,
              headers={"Content-Type": "application/octet-stream"})


def seed_networks(demo):
    # Only private and TEST-NET-3 ranges; the fake driver never plumbs anything.
    public = {"router:external": True, "provider:network_type": "flat",
              "provider:physical_network": "public", "shared": True}
    # Neutron picks addresses at random from a subnet's pools: private's pool stops at .199, so
    # the contract tests can give ports fixed addresses from 10.0.0.200-254 (virtual IPs) that no
    # port made in parallel takes first.
    private_pools = [{"start": "10.0.0.2", "end": "10.0.0.199"}]
    for name, owner, extra, cidr, dhcp, pools in (
            ("private", demo, {"shared": True}, "10.0.0.0/24", True, private_pools),
            ("public", None, public, "203.0.113.0/24", False, None)):
        body = {"name": name, "admin_state_up": True, **extra}
        if owner:
            body["project_id"] = owner
        network = ensure(f"{NEUTRON}/v2.0/networks", "networks", {"name": name}, body)
        subnet = {"name": f"{name}-subnet", "network_id": network["id"], "ip_version": 4,
                  "cidr": cidr, "enable_dhcp": dhcp}
        if owner:
            subnet["project_id"] = owner
        if pools:
            subnet["allocation_pools"] = pools
        made = ensure(f"{NEUTRON}/v2.0/subnets", "subnets", {"name": f"{name}-subnet"}, subnet)
        if pools and made.get("allocation_pools") != pools:  # a subnet seeded before the pools
            admin.put(f"{NEUTRON}/v2.0/subnets/{made['id']}",
                      json={"subnet": {"allocation_pools": pools}})
    # Floating IPs from public need a router from private's subnet to it (nothing is plumbed).
    public_id = listing(f"{NEUTRON}/v2.0/networks", "networks", name="public")[0]["id"]
    router = ensure(f"{NEUTRON}/v2.0/routers", "routers", {"name": "nkd-router"},
                    {"name": "nkd-router", "project_id": demo,
                     "external_gateway_info": {"network_id": public_id}})
    private_subnet = listing(f"{NEUTRON}/v2.0/subnets", "subnets", name="private-subnet")[0]["id"]
    attached = listing(f"{NEUTRON}/v2.0/ports", "ports", device_id=router["id"],
                       device_owner="network:router_interface")
    if not attached:
        admin.put(f"{NEUTRON}/v2.0/routers/{router['id']}/add_router_interface",
                  json={"subnet_id": private_subnet})


def seed_resources():
    demo = listing(f"{KEYSTONE}/projects", "projects", name="demo")[0]["id"]
    quota = listing(f"{KEYSTONE}/projects", "projects", name="nkd-quota")[0]["id"]
    seed_flavors()
    seed_image()
    seed_networks(demo)
    admin.put(f"{NOVA}/os-quota-sets/{quota}", json={"quota_set": {"instances": QUOTA_INSTANCES}})
    print("resources seeded")


if __name__ == "__main__":
    {"identity": seed_identity, "resources": seed_resources}[sys.argv[1]]()
