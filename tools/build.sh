#!/usr/bin/env bash
# Configures and builds nkd into build/ (and, with --sanitize, the ASan+UBSan unit tests into
# build-asan/). ccache is used when present; CCACHE_BASEDIR makes clones at other paths share it.
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR="$PWD"
jobs=$(nproc)

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo > build.log 2>&1 || { cat build.log; exit 1; }
cmake --build build -j"$jobs" 2>&1 | tail -n 3

if [[ "${1:-}" == "--sanitize" ]]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DNKD_SANITIZE=ON -DNKD_BUILD_BENCH=OFF \
    > build-asan.log 2>&1 || { cat build-asan.log; exit 1; }
  cmake --build build-asan -j"$jobs" 2>&1 | tail -n 3
fi
rm -f build.log build-asan.log
