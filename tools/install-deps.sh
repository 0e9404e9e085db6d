#!/usr/bin/env bash
# Installs the Debian 12 packages nkd needs that are not installed yet. Idempotent: when
# everything is present it runs no apt-get at all.
#   tools/install-deps.sh          build and run dependencies
#   tools/install-deps.sh --test   also what the test suite's real servers need
#   tools/install-deps.sh --test-build   the build's, and what configuring and building the
#                                        tests needs (test frameworks, tools CMake looks for)
#   tools/install-deps.sh --test-run     only what running the tests needs (their servers,
#                                        clang for the fuzz targets, libvirtd and QEMU):
#                                        tools/test.sh installs these in the background, beside
#                                        the build
set -euo pipefail

build_packages=(
  build-essential cmake pkg-config ccache git ca-certificates openssl
  libgit2-dev libyaml-cpp-dev nlohmann-json3-dev libcurl4-openssl-dev libssl-dev
  prometheus-cpp-dev libcli11-dev libspdlog-dev libcpp-httplib-dev libsqlite3-dev
  libsystemd-dev help2man dpkg-dev lld libgpgme-dev gpg libvirt-dev
)
# Configuring the tests looks for promtool (prometheus) and systemd-analyze (systemd);
# tools/in-netns.sh needs iproute2 and util-linux from the start.
test_build_packages=(
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  prometheus systemd iproute2 util-linux
)
# Only running the tests needs these; the libvirt contract tests' own libvirtd with its QEMU
# driver (x86 only, no KVM needed: TCG) is about 21 MB of it, mostly qemu-system-x86, and clang
# (the fuzz targets) and etcd most of the rest.
test_run_packages=(
  ignition sqlite3 curl
  openssh-client openssh-server lighttpd gpg-agent gpgconf
  etcd-server etcd-client
  clang-14 libclang-rt-14-dev
  libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils
)

case "${1:-}" in
  "") wanted=("${build_packages[@]}") ;;
  --test) wanted=("${build_packages[@]}" "${test_build_packages[@]}" "${test_run_packages[@]}") ;;
  --test-build) wanted=("${build_packages[@]}" "${test_build_packages[@]}") ;;
  --test-run) wanted=("${test_run_packages[@]}") ;;
  *) echo "install-deps: unknown option $1; use --test, --test-build or --test-run" >&2; exit 2 ;;
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
