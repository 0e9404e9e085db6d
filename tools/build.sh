#!/usr/bin/env bash
# Configures and builds nkd into build/ (RelWithDebInfo), and with --sanitize the ASan+UBSan
# tree build-asan/ (every test, and an nkd the integration tests start) and the
# ThreadSanitizer tree build-tsan/ (the tests that drive the daemon's threads, and its nkd).
# Both sanitizer trees are Debug builds (-O0; CMakeLists.txt says why). ccache is used when present;
# CCACHE_BASEDIR makes clones at other paths share it. Every tree links with lld when Debian's
# `lld` is installed (tools/install-deps.sh installs it): it links the test executables in a
# fraction of the time GNU ld takes.
#   tools/build.sh [--sanitize | --asan-only | --tsan-only] [--only REGEX] [--no-bench] [--nkd-only]
# --asan-only and --tsan-only build just that sanitizer tree (tools/test.sh builds them while
# tests run); --sanitize-only is both.
# --only REGEX builds, in each tree built, only the targets whose names match (and what they
# need), e.g. `tools/build.sh --asan-only --only '^unit_tests$'`.
# --no-bench leaves the benchmarks out of build/ (tools/test.sh: no test uses them); without it
# they are built, so bench/run and bench/gen-repo find them after any earlier --no-bench build.
# --nkd-only builds just the nkd binary in build/ (the quick start, and the Debian package that
# tools/package-check.sh makes; no tests, no benchmarks).
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR="$PWD"
# Precompiled headers (cmake/NkdPch.cmake) are cached by ccache only with these relaxations.
export CCACHE_SLOPPINESS="pch_defines,time_macros,include_file_mtime,include_file_ctime"
jobs=$(nproc)
main=1 asan=0 tsan=0 bench=ON nkd_only=0 only=
while (($# > 0)); do
  case $1 in
    --nkd-only) nkd_only=1 ;;
    --sanitize) asan=1 tsan=1 ;;
    --sanitize-only) asan=1 tsan=1 main=0 ;;
    --asan-only) asan=1 main=0 ;;
    --tsan-only) tsan=1 main=0 ;;
    --only) only=${2:?build.sh: --only needs a regular expression}; shift ;;
    --no-bench) bench=OFF ;;
    *) echo "build.sh: unknown option $1; use --sanitize, --sanitize-only, --asan-only," \
            "--tsan-only, --only REGEX, --no-bench or --nkd-only" >&2
       exit 2 ;;
  esac
  shift
done

linker=()
if command -v ld.lld > /dev/null; then linker=(-DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld); fi

# The full output goes to a log; on failure its errors are shown, not just make's last lines.
# While it builds, a line every 20 s says how far it is (a cold build takes many minutes).
compile() { # DIR LOG [cmake --build arguments...]
  local dir=$1 log=$2; shift 2
  echo "build.sh: building $dir (log: $log)"
  cmake --build "$dir" -j"$jobs" "$@" > "$log" 2>&1 &
  local builder=$! ticks=0
  while kill -0 "$builder" 2>/dev/null; do
    sleep 1
    if (( ++ticks % 20 == 0 )); then
      echo "build.sh: ${ticks} s, $(grep -oE '^\[ *[0-9]+%\]' "$log" | tail -n 1 || true) $(tail -n 1 "$log" | cut -c1-100)"
    fi
  done
  if wait "$builder"; then tail -n 2 "$log"; return 0; fi
  grep -E -A8 'error|Error [0-9]' "$log" | head -n 80 >&2
  echo "build.sh: building $dir failed; the whole output is in $log" >&2
  exit 1
}

# configure DIR LOG CMAKE-ARGUMENTS...
configure() {
  local dir=$1 log=$2; shift 2
  cmake -S . -B "$dir" "${linker[@]}" "$@" > "$log" 2>&1 || { cat "$log"; exit 1; }
}

# build_tree DIR: every target, or those matching --only.
build_tree() {
  local dir=$1 targets=()
  if [[ -n $only ]]; then
    mapfile -t targets < <(cmake --build "$dir" --target help | sed -n 's/^\.\.\. \([A-Za-z0-9_]*\).*/\1/p' |
      grep -E -- "$only" || true)
    ((${#targets[@]} > 0)) || { echo "build.sh: no target in $dir matches $only" >&2; exit 1; }
    targets=(--target "${targets[@]}")
  fi
  compile "$dir" "$dir/build-output.log" "${targets[@]}"
}

if ((main)); then
  # For nkd alone the tree is configured without tests and benchmarks: the Debian package's cpack
  # builds every target of the tree before it installs.
  if ((nkd_only)); then
    configure build build.log -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNKD_BUILD_TESTS=OFF -DNKD_BUILD_BENCH=OFF
    compile build build/build-output.log --target nkd
  else
    configure build build.log -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNKD_BUILD_TESTS=ON -DNKD_BUILD_BENCH=$bench
    build_tree build
  fi
fi
if ((asan)); then
  configure build-asan build-asan.log -DCMAKE_BUILD_TYPE=Debug -DNKD_SANITIZE=address -DNKD_BUILD_BENCH=OFF \
    -DNKD_UNIT_TEST_SHARDS=4
  build_tree build-asan
fi
if ((tsan)); then
  configure build-tsan build-tsan.log -DCMAKE_BUILD_TYPE=Debug -DNKD_SANITIZE=thread -DNKD_BUILD_BENCH=OFF \
    -DNKD_UNIT_TEST_SHARDS=4
  build_tree build-tsan
fi
rm -f build.log build-asan.log build-tsan.log
