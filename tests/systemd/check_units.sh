#!/usr/bin/env bash
# Checks the generated systemd unit, sysusers.d and tmpfiles.d files with systemd's own tools:
#   check_units.sh <generated nkd-syncd.service> <systemd source dir> <built nkd binary>
# `systemd-analyze verify` on the unit (ExecStart pointed at the built binary, since the
# installed one may not exist here), a hardening score no worse than the limit below from
# `systemd-analyze security --offline=true`, and sysusers/tmpfiles applied to a scratch root.
set -euo pipefail
unit=$1 source_dir=$2 binary=$3
# The shipped unit scores 1.1; anything above this means a hardening option was lost.
max_exposure=1.5

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
sed "s|^ExecStart=[^ ]*/nkd |ExecStart=$binary |" "$unit" > "$scratch/nkd-syncd.service"
grep -q "^ExecStart=$binary syncd" "$scratch/nkd-syncd.service"

# --man=no: the man page is installed with the package, not in the build tree.
output=$(systemd-analyze verify --man=no "$scratch/nkd-syncd.service" 2>&1) || {
  echo "systemd-analyze verify failed on $unit:"; echo "$output"; exit 1; }
# verify also reports other units it loads from the host; only ours must be clean.
if grep -q "nkd-syncd" <<<"$output"; then
  echo "systemd-analyze verify complains about $unit:"; echo "$output"; exit 1
fi

security=$(systemd-analyze security --offline=true "$scratch/nkd-syncd.service" 2>&1 || true)
exposure=$(sed -n 's/.*Overall exposure level for nkd-syncd.service: \([0-9.]*\).*/\1/p' <<<"$security")
if [[ -z "$exposure" ]]; then
  echo "systemd-analyze security gave no score:"; echo "$security"; exit 1
fi
echo "systemd-analyze security exposure: $exposure (limit $max_exposure)"
if ! awk -v score="$exposure" -v limit="$max_exposure" 'BEGIN { exit !(score <= limit) }'; then
  echo "$security"; exit 1
fi

mkdir -p "$scratch/root/etc"
cp /etc/passwd /etc/group "$scratch/root/etc/"
systemd-sysusers --root="$scratch/root" "$source_dir/nkd.sysusers"
grep -q '^nkd:x:[0-9]*:[0-9]*:.*:/var/lib/nkd:/usr/sbin/nologin$' "$scratch/root/etc/passwd"
systemd-tmpfiles --root="$scratch/root" --create "$source_dir/nkd.tmpfiles"
[[ $(stat -c '%a' "$scratch/root/var/lib/nkd") == 700 ]]
[[ $(stat -c '%a %U' "$scratch/root/etc/nkd") == "750 root" ]]
echo "unit, sysusers and tmpfiles files are valid"
