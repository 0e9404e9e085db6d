#!/usr/bin/env bash
# Installs the Debian 12 packages nkd needs that are not installed yet. Idempotent: when
# everything is present it runs no apt-get at all.
#   tools/install-deps.sh          build and run dependencies
#   tools/install-deps.sh --test   also what the test suite's real servers need
#   tools/install-deps.sh --test-without-vm   the same less libvirtd and QEMU (tools/test.sh
#                                             installs those in the background, beside the build)
#   tools/install-deps.sh --vm-test           only libvirtd and QEMU, for the libvirt tests
set -euo pipefail

build_packages=(
  build-essential cmake pkg-config ccache git ca-certificates openssl
  libgit2-dev libyaml-cpp-dev nlohmann-json3-dev libcurl4-openssl-dev libssl-dev
  prometheus-cpp-dev libcli11-dev libspdlog-dev libcpp-httplib-dev libsqlite3-dev
  libsystemd-dev help2man dpkg-dev lld libgpgme-dev gpg libvirt-dev
)
test_packages=(
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  ignition sqlite3 iproute2 util-linux curl
  openssh-client openssh-server lighttpd gpg-agent gpgconf
  prometheus systemd etcd-server etcd-client
  clang-14 libclang-rt-14-dev
)
# The libvirt contract tests' own libvirtd with its QEMU driver (x86 only, no KVM needed: TCG).
# About 21 MB to download on a fresh machine, mostly qemu-system-x86.
vm_test_packages=(
  libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils
)

case "${1:-}" in
  "") wanted=("${build_packages[@]}") ;;
  --test) wanted=("${build_packages[@]}" "${test_packages[@]}" "${vm_test_packages[@]}") ;;
  --test-without-vm) wanted=("${build_packages[@]}" "${test_packages[@]}") ;;
  --vm-test) wanted=("${vm_test_packages[@]}") ;;
  *) echo "install-deps: unknown option $1; use --test, --test-without-vm or --vm-test" >&2; exit 2 ;;
esac

missing=()
for package in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#wanted[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: these packages are missing and installing them needs root: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Package scripts must not start services (sshd, lighttpd, libvirtd) on the host: tests start
# their own.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  created_policy=1
fi
cleanup() { if ((created_policy)); then rm -f "$policy"; fi; }
trap cleanup EXIT
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
