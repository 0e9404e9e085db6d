#!/usr/bin/env bash
# Quick start: installs what is missing, builds nkd, and runs `nkd syncd` in the foreground on the
# bundled examples-repo with the embedded defaults: SQLite state, the bare-metal provider serving
# Ignition, metrics on, HTTPS with the CA nkd makes on its first start (.nkd/quickstart/tls/ca.crt).
# Everything it makes lives under .nkd/quickstart/. Ctrl-C stops it.
#
# The definitions are committed into a local Git repository (.nkd/quickstart/clusters.git's work
# tree), because nkd reads commits, never loose files. clusterAccess is none and egress is
# loopback only: the addresses in the example definitions are never dialled.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh --no-bench --nkd-only
nkd="$PWD/build/cli/nkd"
home="$PWD/.nkd/quickstart"
repo="$home/definitions"
mkdir -p "$repo"
chmod 700 "$home"

"$nkd" validate --repo examples-repo

# The definitions are seeded from examples-repo once; after that they are the user's: a re-run
# keeps every edit and commit (a re-seed would discard them, and could even go back a Kubernetes
# version, which the daemon rejects).
# (The .git test comes first: $repo lies inside this checkout, whose HEAD git would find.)
if [[ ! -d "$repo/.git" ]] || ! git -C "$repo" rev-parse -q --verify HEAD >/dev/null 2>&1; then
  cp -R examples-repo/. "$repo/"
  git -C "$repo" init -q -b main
  git -C "$repo" add -A
  git -C "$repo" -c user.name="nkd quick start" -c user.email=quickstart@localhost \
    commit -q -m "Example clusters from examples-repo"
  echo "quickstart: definitions seeded from examples-repo into $repo"
else
  echo "quickstart: keeping your definitions in $repo (delete that folder to start again from examples-repo)"
fi

if [[ ! -s "$home/webhook-secret" ]]; then
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$home/webhook-secret"
  chmod 600 "$home/webhook-secret"
fi
# The state key seals the clusters' private keys and tokens in the state file (README "Secrets at
# rest"); a copy of state.db without it holds none of them.
if [[ ! -s "$home/state.key" ]]; then
  (umask 077 && openssl rand -base64 32 > "$home/state.key")
fi
cat > "$home/syncd.yaml" <<YAML
repository:
  url: $repo
  ref: refs/heads/main
  pollInterval: 10s
webhooks: {secretFile: $home/webhook-secret}
state: {sqlite: $home/state.db, encryption: {keyFile: $home/state.key}}
listen: 127.0.0.1:9480
clusterAccess: none
egress: {allow: [127.0.0.0/8, "::1/128"]}
YAML

ca="$home/tls/ca.crt"
cat <<TEXT
nkd syncd is starting on https://127.0.0.1:9480 (Ctrl-C stops it); it makes its CA in $ca.
In another shell:
  $nkd status --ca-file $ca         # every cluster: phase, applied commit, last error
  $nkd history edge-lab --ca-file $ca   # applied versions, newest first
  curl -s --cacert $ca https://127.0.0.1:9480/metrics | grep ^nkd_
  edit $repo/clusters/edge-lab/cluster.yaml, commit there: the daemon applies it within 10 s
prod-east is an OpenStack cluster: without a clouds: file it stays Failed and says why.
TEXT
exec "$nkd" syncd --config "$home/syncd.yaml" --log-format text
