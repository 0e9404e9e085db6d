#!/usr/bin/env bash
# Writes the fuzz targets' seed corpora, fuzz/corpus/<target>/seed-*, from tests/data/, the
# example repository and answers shaped like the real services' (each target's input format is
# in the header comment of fuzz/<target>_fuzzer.cc). Idempotent: the seed-* files are written
# anew; crash-* files (inputs that once crashed a target, each with a regression test) and any
# other file are kept. Commit the result.
#   fuzz/make-corpus.sh
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=fuzz/corpus

# seed TARGET NAME: the seed's content from stdin.
seed() {
  mkdir -p "$corpus/$1"
  cat > "$corpus/$1/seed-$2"
}

for target in cluster_loader webhook openstack_answers kube_answers ignition_endpoint plan_diff; do
  mkdir -p "$corpus/$target"
  rm -f "$corpus/$target"/seed-*
done

# cluster_loader: every definition the tests load, broken ones included.
for file in tests/data/invalid/*.yaml; do
  seed cluster_loader "invalid-$(basename "$file" .yaml)" < "$file"
done
for file in tests/data/plan/base/clusters/*/cluster.yaml examples-repo/clusters/*/cluster.yaml; do
  seed cluster_loader "$(basename "$(dirname "$(dirname "$(dirname "$file")")")")-$(basename "$(dirname "$file")")" < "$file"
done

# webhook: one push of each forge, signed ("@sign"), and unsigned or stale ones.
push='{"ref":"refs/heads/main","before":"0000000000000000000000000000000000000000","after":"4f2c8a1d9e0b7c6a5f4e3d2c1b0a998877665544","repository":{"full_name":"ops/clusters","clone_url":"https://git.example.org/ops/clusters.git"},"pusher":{"name":"ops"}}'
tag_push='{"ref":"refs/tags/v1.2.0","after":"4f2c8a1d9e0b7c6a5f4e3d2c1b0a998877665544"}'
printf 'github\nX-GitHub-Event: push\nX-GitHub-Delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958\nX-Hub-Signature-256: @sign\nContent-Type: application/json\n\n%s' "$push" | seed webhook github-push
printf 'github\nX-GitHub-Event: push\nX-Hub-Signature-256: sha256=00\n\n%s' "$push" | seed webhook github-bad-signature
printf 'gitea\nX-Gitea-Event: push\nX-Gitea-Delivery: 9a1b2c3d-0000-4000-8000-000000000001\nX-Gitea-Signature: @sign\n\n%s' "$push" | seed webhook gitea-push
printf 'gitlab\nX-Gitlab-Event: Push Hook\nX-Gitlab-Event-UUID: 13792a34-cac6-4fda-95a8-c58e00a3954e\nX-Gitlab-Token: @sign\n\n%s' "$push" | seed webhook gitlab-push
printf 'generic\nX-Nkd-Timestamp: 1764000000\nX-Nkd-Delivery: deploy-42\nX-Nkd-Signature: @sign\n\n' | seed webhook generic-trigger
printf 'generic\nX-Nkd-Timestamp: 1764000000\nX-Nkd-Delivery: tag_7\nX-Nkd-Signature: @sign\n\n%s' "$tag_push" | seed webhook generic-tag
printf 'generic\nX-Nkd-Timestamp: 1000\nX-Nkd-Delivery: old\nX-Nkd-Signature: @sign\n\n{}' | seed webhook generic-stale

# openstack_answers: answers shaped like Keystone's, Nova's, Neutron's and Glance's.
token='{"token":{"methods":["password"],"expires_at":"2026-11-25T10:00:00.000000Z","issued_at":"2026-11-25T09:00:00.000000Z","project":{"id":"8a3c1e","name":"k8s","domain":{"id":"default","name":"Default"}},"user":{"id":"5f1e","name":"nkd"},"catalog":[{"type":"compute","name":"nova","endpoints":[{"interface":"public","region_id":"RegionOne","region":"RegionOne","url":"http://127.0.0.1:9/compute/v2.1"},{"interface":"internal","region_id":"RegionOne","url":"http://127.0.0.1:9/compute-internal/v2.1/"}]},{"type":"network","endpoints":[{"interface":"public","region_id":"RegionOne","url":"http://127.0.0.1:9/network"}]},{"type":"image","endpoints":[{"interface":"public","region_id":"RegionOne","url":"http://127.0.0.1:9/image"}]}]}}'
printf 'keystone.token 201\n%s' "$token" | seed openstack_answers keystone-token
printf 'keystone.endpoint 201\n%s' "$token" | seed openstack_answers keystone-endpoint
printf 'keystone.token 201\n{"token":{"expires_at":"2026-13-45T99:00:00Z"}}' | seed openstack_answers keystone-bad-time
server='{"id":"0a7b6c5d-1111-4222-8333-944455556666","name":"demo-cp-0","status":"ACTIVE","metadata":{"nkd.io/cluster":"demo","nkd.io/node":"demo-cp-0","nkd.io/digest":"sha256:ab12"},"addresses":{"private":[{"version":4,"addr":"10.0.0.11","OS-EXT-IPS:type":"fixed"},{"version":4,"addr":"203.0.113.7","OS-EXT-IPS:type":"floating"}]},"fault":{"code":500,"message":"No valid host was found."}}'
printf 'nova.servers.list 200\n{"servers":[%s,{"id":"b","name":"demo-worker-0","status":"DELETED","metadata":{}}],"servers_links":[]}' "$server" | seed openstack_answers nova-servers
printf 'nova.servers.get 200\n{"server":%s}' "$server" | seed openstack_answers nova-server
printf 'nova.servers.create 202\n{"server":{"id":"0a7b6c5d-1111-4222-8333-944455556666","links":[],"adminPass":"x","security_groups":[{"name":"default"}]}}' | seed openstack_answers nova-create
printf 'nova.servers.create 403\n{"forbidden":{"code":403,"message":"Quota exceeded for instances: Requested 1, but already used 10 of 10 instances"}}' | seed openstack_answers nova-quota
printf 'nova.flavors.resolve 404\n{"itemNotFound":{"code":404,"message":"Flavor m1.large could not be found."}}' | seed openstack_answers nova-flavor-missing
printf 'nova.flavors.resolve 200\n{"flavors":[{"id":"3","name":"m1.large","links":[]},{"id":"4","name":"m1.xlarge"}]}' | seed openstack_answers nova-flavors
port='{"id":"6b8f","name":"demo-cp-0","network_id":"net-1","device_id":"0a7b","description":"nkd","tags":["nkd-cluster-demo"],"fixed_ips":[{"subnet_id":"s1","ip_address":"10.0.0.11"}],"allowed_address_pairs":[{"ip_address":"10.0.0.5","mac_address":"fa:16:3e:00:00:01"}],"status":"ACTIVE"}'
printf 'neutron.ports.list 200\n{"ports":[%s]}' "$port" | seed openstack_answers neutron-ports
printf 'neutron.ports.create 201\n{"port":%s}' "$port" | seed openstack_answers neutron-port-create
printf 'neutron.ports.create 409\n{"NeutronError":{"type":"IpAddressAlreadyAllocated","message":"IP address 10.0.0.11 already allocated in subnet s1","detail":""}}' | seed openstack_answers neutron-conflict
printf 'neutron.networks.resolve 200\n{"networks":[{"id":"net-1","name":"private","subnets":["s1"]}]}' | seed openstack_answers neutron-networks
printf 'neutron.floatingips.list 200\n{"floatingips":[{"id":"fip-1","floating_ip_address":"203.0.113.7","port_id":"6b8f","fixed_ip_address":"10.0.0.5","description":"demo vip","tags":["nkd-cluster-demo"]}]}' | seed openstack_answers neutron-floatingips
printf 'glance.images.resolve 200\n{"images":[{"id":"c1d2e3f4-0000-4000-8000-000000000001","name":"nestos-22.03","status":"active","architecture":"x86_64"}],"first":"/v2/images"}' | seed openstack_answers glance-images
printf 'glance.images.resolve 200\n{"images":[{"id":"a"},{"id":"b"}]}' | seed openstack_answers glance-ambiguous
printf 'glance.images.architecture 200\n{"id":"c1d2","name":"nestos-22.03","hw_architecture":"aarch64","os_distro":"nestos"}' | seed openstack_answers glance-image

# kube_answers: answers shaped like the API server's.
node() { # NAME ROLE-LABEL READY KUBELET
  printf '{"apiVersion":"v1","kind":"Node","metadata":{"name":"%s","labels":{"kubernetes.io/hostname":"%s"%s}},"spec":{"unschedulable":false,"taints":[]},"status":{"conditions":[{"type":"MemoryPressure","status":"False"},{"type":"Ready","status":"%s","reason":"KubeletReady"}],"nodeInfo":{"kubeletVersion":"%s","osImage":"NestOS For Container 22.03-LTS-SP3.20240110","containerRuntimeVersion":"iSulad://2.1.5"}}}' \
    "$1" "$1" "$2" "$3" "$4"
}
nodes="{\"apiVersion\":\"v1\",\"kind\":\"NodeList\",\"metadata\":{\"resourceVersion\":\"4242\"},\"items\":[$(node demo-cp-0 ',"node-role.kubernetes.io/control-plane":""' True v1.29.1),$(node demo-worker-0 ',"upgrade.housekeeper.io/upgrading":""' False v1.28.6),$(node demo-worker-1 ',"upgrade.housekeeper.io/upgradeCompleted":""' True v1.29.1)]}"
printf 'nodes.list 200\n%s' "$nodes" | seed kube_answers nodes
printf 'rollout.observe 200\n%s' "$nodes" | seed kube_answers rollout
update='{"apiVersion":"housekeeper.io/v1alpha1","kind":"Update","metadata":{"name":"demo","namespace":"housekeeper-system","resourceVersion":"7","managedFields":[]},"spec":{"osVersion":"22.03-LTS-SP3.20240110","kubeVersion":"v1.29.1","osImageURL":"registry.example.org/nestos/nestos:22.03-LTS-SP3","evictPodForce":false,"maxUnavailable":2}}'
printf 'objects.get 200\n%s' "$update" | seed kube_answers update
printf 'objects.apply 200\n%s' "$update" | seed kube_answers apply
printf 'drift.detect 200\n%s' "$update" | seed kube_answers drift
printf 'drift.detect 404\n{"kind":"Status","apiVersion":"v1","status":"Failure","message":"updates.housekeeper.io \\"demo\\" not found","reason":"NotFound","code":404}' | seed kube_answers drift-missing
printf 'crds.established 200\n{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"updates.housekeeper.io"},"status":{"conditions":[{"type":"NamesAccepted","status":"True"},{"type":"Established","status":"True"}]}}' | seed kube_answers crd
printf 'pods.list 200\n{"kind":"PodList","apiVersion":"v1","items":[{"metadata":{"name":"kube-flannel-ds-x","namespace":"kube-flannel","ownerReferences":[{"kind":"DaemonSet","name":"kube-flannel-ds"}]}},{"metadata":{"name":"kube-apiserver-demo-cp-0","namespace":"kube-system","annotations":{"kubernetes.io/config.mirror":"abc"}}},{"metadata":{"name":"web-1","namespace":"default"}}]}' | seed kube_answers pods
printf 'nodes.cordon 403\n{"kind":"Status","apiVersion":"v1","status":"Failure","message":"nodes \\"demo-worker-0\\" is forbidden: User \\"nkd\\" cannot patch resource \\"nodes\\"","reason":"Forbidden","code":403}' | seed kube_answers cordon-forbidden
printf 'readyz 200\nok' | seed kube_answers readyz

# ignition_endpoint: fetches with the right, a wrong and no token; boot scripts by MAC and name.
printf '/ignition/lab/lab-cp-0\nBearer token-lab-cp-0\n' | seed ignition_endpoint bearer
printf '/ignition/lab/lab-worker-0\n\ntoken-lab-worker-0' | seed ignition_endpoint query-token
printf '/ignition/lab/lab-worker-0\nBearer token-lab-cp-0\n' | seed ignition_endpoint wrong-token
printf '/ignition/lab/lab-cp-9\nBasic dXNlcjpwYXNz\ntoken-lab-cp-9' | seed ignition_endpoint unknown-node
printf '/boot/52:54:00:00:00:01\n\n' | seed ignition_endpoint boot-mac
printf '/boot/52-54-00-00-00-02\n\n' | seed ignition_endpoint boot-mac-dashes
printf '/boot/lab/lab-worker-0\n\n' | seed ignition_endpoint boot-name

# plan_diff: two revisions of the same text, separated by "\n=====\n".
pair() { # NAME BEFORE-FILE AFTER-FILE
  { cat "$2"; printf '\n=====\n'; cat "$3"; } | seed plan_diff "$1"
}
pair golden-scale tests/data/plan/golden/scale-up.txt tests/data/plan/golden/scale-down.txt
pair golden-version tests/data/plan/golden/new-cluster.md tests/data/plan/golden/version-bump.md
pair cluster-definition tests/data/plan/base/clusters/alpha/cluster.yaml examples-repo/clusters/edge-lab/cluster.yaml
ignition() { # MOTD UNIT-STATE SSH-KEY
  printf '{"ignition":{"version":"3.4.0"},"passwd":{"users":[{"name":"nest","passwordHash":"$6$rounds=4096$salt$hash","sshAuthorizedKeys":["%s"]}]},"storage":{"files":[{"path":"/etc/motd","mode":420,"overwrite":true,"contents":{"source":"data:,%s"}},{"path":"/etc/kubernetes/pki/ca.key","mode":384,"contents":{"source":"data:,-----BEGIN%%20PRIVATE%%20KEY-----%%0AAAAA%%0A-----END%%20PRIVATE%%20KEY-----%%0A"}},{"path":"/etc/nkd/token","contents":{"source":"data:,s3cr3t-token"}}]},"systemd":{"units":[{"name":"node-exporter.service","enabled":%s,"contents":"[Unit]\\nDescription=exporter\\n[Service]\\nExecStart=/usr/bin/node_exporter\\n"},{"name":"kubelet.service","enabled":true}]}}' \
    "$3" "$1" "$2"
}
{ ignition 'welcome' true 'ssh-ed25519 AAAAC3Nza dev@example.org'; printf '\n=====\n'
  ignition 'welcome%0Aagain' false 'ssh-ed25519 AAAAC3Nzb ops@example.org'; } | seed plan_diff ignition-changed
{ ignition 'welcome' true 'ssh-ed25519 AAAAC3Nza dev@example.org'; } | seed plan_diff ignition-same

echo "make-corpus.sh: $(find "$corpus" -name 'seed-*' | wc -l) seeds under $corpus/"
