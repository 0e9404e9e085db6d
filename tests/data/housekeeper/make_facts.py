#!/usr/bin/env python3
"""Writes nkd.facts: the fields of NKD's housekeeper manifests and host unit, one per line.

Usage: make_facts.py NKD_CHECKOUT [COMMIT] > tests/data/housekeeper/nkd.facts
(COMMIT: the checkout's commit when it is not a Git work tree, e.g. an unpacked archive.)

Each line is `<object> <path> <value>`: the object is a short name (crd, namespace, role,
role-binding, operator, controller, daemon-unit), the path names the field with `|` between map
keys and list indexes, and the value is JSON (so a string stays a string). Descriptions are left
out: only the fields and their values matter to the comparison. The host unit becomes its
directive lines in order, comments and blank lines left out.
"""
import json
import subprocess
import sys

import yaml

SOURCES = {
    "crd": "data/data/housekeeper/1housekeeper.io_updates.yaml",
    "namespace": "data/data/housekeeper/2namespace.yaml",
    "role": "data/data/housekeeper/3role.yaml",
    "role-binding": "data/data/housekeeper/4role_binding.yaml",
    "operator": "data/data/housekeeper/5deployment.yaml.template",
    "controller": "data/data/housekeeper/6daemonset.yaml.template",
}
UNIT = "housekeeper/daemon/files/housekeeper-daemon.service"


def flatten(node, at, out):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description":
                continue
            flatten(value, f"{at}|{key}", out)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            flatten(value, f"{at}|{index}", out)
    else:
        out.append((at, node))


def main():
    checkout = sys.argv[1]
    commit = sys.argv[2] if len(sys.argv) > 2 else subprocess.run(
        ["git", "-C", checkout, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    if not commit:
        sys.exit("make_facts.py: name the commit: the checkout is not a Git work tree")
    print(f"# NKD (openeuler-mirror/nestos-kubernetes-deployer) at {commit}: made by make_facts.py")
    for name, path in SOURCES.items():
        with open(f"{checkout}/{path}") as source:
            text = source.read()
        # The templates' image placeholders are not YAML; keep them as plain strings.
        text = text.replace("{{.OperatorImageUrl}}", "OPERATOR_IMAGE")
        text = text.replace("{{.ControllerImageUrl}}", "CONTROLLER_IMAGE")
        fields = []
        flatten(yaml.safe_load(text), "", fields)
        for field, value in fields:
            print(f"{name} {field} {json.dumps(value)}")
    with open(f"{checkout}/{UNIT}") as unit:
        lines = [line.rstrip("\n") for line in unit if line.strip() and not line.startswith("#")]
    for index, line in enumerate(lines):
        print(f"daemon-unit |{index} {json.dumps(line)}")


if __name__ == "__main__":
    main()
