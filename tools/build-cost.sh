#!/usr/bin/env bash
# Measures what a tree of tools/build.sh costs to build cold, as CI builds it (no ccache): every
# compile and link runs under /usr/bin/time, and the CPU seconds (user+sys, which hardly move
# when other builds share the machine, unlike the wall time) are summed per part of the tree.
# The figures of docs/performance.md's CI budget come from this.
#   tools/build-cost.sh plain|nkd|asan|tsan [-- extra cmake configure arguments]
# plain: build/ as tools/build.sh --no-bench; nkd: just nkd (what tools/test.sh builds there);
# asan, tsan: the sanitizer trees. Builds in build-cost-KIND/ (removed first), -j$(nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:?usage: tools/build-cost.sh plain|nkd|asan|tsan [-- cmake arguments]}; shift
[[ ${1:-} == -- ]] && shift
case $kind in
  plain|nkd) config=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan) config=(-DCMAKE_BUILD_TYPE=Debug -DNKD_SANITIZE=address) ;;
  tsan) config=(-DCMAKE_BUILD_TYPE=Debug -DNKD_SANITIZE=thread) ;;
  *) echo "build-cost.sh: unknown tree $kind; use plain, nkd, asan or tsan" >&2; exit 2 ;;
esac
if command -v ld.lld > /dev/null; then config+=(-DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld); fi
dir="$PWD/build-cost-$kind"
times="$dir/command-times"
rm -rf "$dir" && mkdir -p "$dir"
# Each compile (through ccache's prefix hook, with the cache off) and each link appends
# "user sys output" to $times.
timer="$dir/timed"
printf '#!/bin/sh\nout=; prev=\nfor a in "$@"; do [ "$prev" = -o ] && out=$a; prev=$a; done\nexec /usr/bin/time -a -o %q -f "%%U %%S $out" "$@"\n' \
  "$times" > "$timer"
chmod +x "$timer"
cmake -S . -B "$dir" "${config[@]}" -DNKD_BUILD_BENCH=OFF -DCMAKE_CXX_LINKER_LAUNCHER="$timer" "$@" \
  > "$dir/configure.log"
targets=(); [[ $kind == nkd ]] && targets=(--target nkd)
started=$(date +%s)
CCACHE_DISABLE=1 CCACHE_PREFIX="$timer" cmake --build "$dir" -j"$(nproc)" "${targets[@]}" > "$dir/build.log" 2>&1 ||
  { tail -n 30 "$dir/build.log"; exit 1; }
echo "build-cost.sh: $kind built in $(( $(date +%s) - started )) s wall; CPU seconds (user+sys):"
awk '{ cpu = $1 + $2; part = "libraries and nkd"
       if ($3 ~ /\/tests\//) { part = "test support"
         if (match($3, /(unit|integration|hostile)_[a-z0-9_]+/)) part = substr($3, RSTART, RLENGTH)
         sub(/_.*/, "", part); if ($3 ~ /integration_openstack_/) part = "openstack" ; part = part " tests" }
       kind = ($3 ~ /\.(o|gch)$/) ? "compile" : "link"
       sum[part " " kind] += cpu; total += cpu }
     END { for (key in sum) printf "  %-32s %8.1f\n", key, sum[key]; printf "  %-32s %8.1f\n", "total", total }' \
  "$times" | sort
