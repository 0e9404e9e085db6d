#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds (plus an ASan+UBSan build of the unit
# tests), and runs every test inside a loopback-only network namespace. Prints ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh --test
tools/build.sh --sanitize
echo "== Debian package (outside the network namespace: apt-get and dpkg need the host)"
tools/package-check.sh build
echo "== unit tests under AddressSanitizer and UndefinedBehaviorSanitizer"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  tools/in-netns.sh ctest --test-dir build-asan -L unit --output-on-failure -j"$(nproc)" \
  --timeout 300
echo "== all tests"
tools/in-netns.sh ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 600
