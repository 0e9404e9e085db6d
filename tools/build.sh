#!/usr/bin/env bash
# Configures and builds nkd into build/ (and, with --sanitize, the ASan+UBSan unit tests into
# build-asan/). ccache is used when present; CCACHE_BASEDIR makes clones at other paths share it.
#   tools/build.sh [--sanitize | --sanitize-only] [--no-bench] [--nkd-only]
# --sanitize-only builds just the sanitizer tree (tools/test.sh builds it while tests run).
# --no-bench leaves the benchmarks out of build/ (tools/test.sh: no test uses them); without it
# they are built, so bench/run and bench/gen-repo find them after any earlier --no-bench build.
# --nkd-only builds just the nkd binary in build/ (the quick start: no tests, no benchmarks).
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR="$PWD"
# Precompiled headers (cmake/NkdPch.cmake) are cached by ccache only with these relaxations.
export CCACHE_SLOPPINESS="pch_defines,time_macros,include_file_mtime,include_file_ctime"
jobs=$(nproc)
sanitize=0 main=1 bench=ON targets=()
for argument in "$@"; do
  case $argument in
    --nkd-only) targets=(--target nkd) ;;
    --sanitize) sanitize=1 ;;
    --sanitize-only) sanitize=1 main=0 ;;
    --no-bench) bench=OFF ;;
    *) echo "build.sh: unknown option $argument; use --sanitize, --sanitize-only, --no-bench or --nkd-only" >&2
       exit 2 ;;
  esac
done

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

if ((main)); then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNKD_BUILD_BENCH=$bench \
    > build.log 2>&1 || { cat build.log; exit 1; }
  compile build build/build-output.log "${targets[@]}"
fi

if ((sanitize)); then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DNKD_SANITIZE=ON -DNKD_BUILD_BENCH=OFF \
    > build-asan.log 2>&1 || { cat build-asan.log; exit 1; }
  # Only what the sanitizer run executes: the unit test executables (not the nkd binary).
  mapfile -t unit_targets < <(cmake --build build-asan --target help |
    sed -n 's/^\.\.\. \(unit_[A-Za-z0-9_]*\).*/\1/p')
  ((${#unit_targets[@]} > 0)) || { echo "build.sh: no unit_* targets in build-asan" >&2; exit 1; }
  compile build-asan build-asan/build-output.log --target "${unit_targets[@]}"
fi
rm -f build.log build-asan.log
