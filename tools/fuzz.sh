#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ into build-fuzz/ (clang-14, every library instrumented
# with -fsanitize=fuzzer-no-link,address,undefined) and runs each for a bounded time from its
# committed corpus, fuzz/corpus/<target>/. Inputs a run finds go to .nkd/fuzz/<target>/corpus/,
# never into the committed corpus. Any crash, sanitizer report, leak, timeout or out-of-memory
# fails the run; the input is kept as .nkd/fuzz/<target>/crash-* (or leak-, timeout-, oom-) and
# the line printed says how to reproduce it. One summary line a target: executions, coverage.
#   tools/fuzz.sh [--seconds N] [--parallel P] [--no-build] [TARGET...]
# --seconds N    each target's time (default 60; tools/test.sh runs 20)
# --parallel P   how many targets run at once (default 1; each uses one core)
# --no-build     run the targets already in build-fuzz/
# TARGET         cluster_loader, webhook, openstack_answers, kube_answers, ignition_endpoint,
#                plan_diff (default: all)
# A crash found becomes a fix, a regression test under tests/, and its input joins the corpus as
# fuzz/corpus/<target>/crash-<what> (README.md "Fuzzing").
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
all_targets=(cluster_loader webhook openstack_answers kube_answers ignition_endpoint plan_diff)
seconds=60 parallel=1 build=1 targets=()
while (($# > 0)); do
  case $1 in
    --seconds) seconds=${2:?fuzz.sh: --seconds needs a number}; shift ;;
    --parallel) parallel=${2:?fuzz.sh: --parallel needs a number}; shift ;;
    --no-build) build=0 ;;
    -*) echo "fuzz.sh: unknown option $1; use --seconds N, --parallel P, --no-build" >&2; exit 2 ;;
    *) [[ " ${all_targets[*]} " == *" $1 "* ]] ||
         { echo "fuzz.sh: no target $1; the targets: ${all_targets[*]}" >&2; exit 2; }
       targets+=("$1") ;;
  esac
  shift
done
((${#targets[@]} > 0)) || targets=("${all_targets[@]}")
[[ $seconds =~ ^[1-9][0-9]*$ && $parallel =~ ^[1-9][0-9]*$ ]] ||
  { echo "fuzz.sh: --seconds and --parallel take positive whole numbers" >&2; exit 2; }

tree=build-fuzz
work=.nkd/fuzz
if ((build)); then
  command -v clang++-14 > /dev/null ||
    { echo "fuzz.sh: clang++-14 is missing; run tools/install-deps.sh --test" >&2; exit 1; }
  mkdir -p "$work"
  if [[ ! -f $tree/CMakeCache.txt ]]; then
    linker=()
    if command -v ld.lld > /dev/null; then linker=(-DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld); fi
    CC=clang-14 CXX=clang++-14 cmake -S . -B "$tree" -DNKD_FUZZ=ON "${linker[@]}" \
      > "$work/configure.log" 2>&1 || { cat "$work/configure.log" >&2; exit 1; }
  fi
  echo "fuzz.sh: building $tree (log: $work/build.log)"
  cmake --build "$tree" -j"$(nproc)" --target "${targets[@]/#/fuzz_}" > "$work/build.log" 2>&1 ||
    { grep -E -A8 'error' "$work/build.log" | head -n 60 >&2
      echo "fuzz.sh: building $tree failed; the whole output is in $work/build.log" >&2; exit 1; }
fi

# The first sanitizer finding ends the process and libFuzzer keeps the input; reports go to the
# target's log (not to a log_path a caller such as tools/test.sh may have set).
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

# run_target NAME: runs it, writes its summary line to $work/NAME/summary, exits non-zero on a
# finding.
run_target() {
  local name=$1 dir="$work/$1" binary="$tree/fuzz/fuzz_$1"
  if [[ ! -x $binary ]]; then
    echo "fuzz.sh: $name: FAILED: $binary is missing (drop --no-build)" > "$dir.summary"
    return 1
  fi
  rm -rf "$dir" && mkdir -p "$dir/corpus"
  local dictionary=()
  if [[ -f fuzz/dictionaries/$name.dict ]]; then dictionary=(-dict="fuzz/dictionaries/$name.dict"); fi
  local status=0
  "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$dir/" "${dictionary[@]}" "$dir/corpus" "fuzz/corpus/$name" \
    > "$dir/fuzz.log" 2>&1 || status=$?
  local execs cov features corpus
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz.log" | tail -n 1)
  read -r cov features corpus < <(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$dir/fuzz.log" |
    tail -n 1 | awk '{print $2, $4, $6}') || true
  if ((status == 0)); then
    echo "fuzz.sh: $name: ok, ${execs:-?} executions in ${seconds} s, coverage ${cov:-?} edges," \
      "${features:-?} features, ${corpus:-?} inputs in the corpus" > "$dir.summary"
    return 0
  fi
  local finding
  finding=$(compgen -G "$dir/*-*" | grep -E '/(crash|leak|timeout|oom|slow-unit)-' | head -n 1 || true)
  {
    echo "fuzz.sh: $name: FAILED (exit $status) after ${execs:-?} executions; log: $dir/fuzz.log"
    grep -E -m 1 -A 12 'ERROR: |runtime error' "$dir/fuzz.log" | sed 's/^/    /' || true
    if [[ -n $finding ]]; then
      echo "    the input: $finding; reproduce with: $binary $finding"
    fi
  } > "$dir.summary"
  return 1
}

# At most --parallel targets at a time; each writes its own summary, read once all are done.
for name in "${targets[@]}"; do
  rm -f "$work/$name.summary"
  run_target "$name" &
  while (($(jobs -rp | wc -l) >= parallel)); do wait -n || true; done
done
wait || true
failed=0
for name in "${targets[@]}"; do
  if [[ -f $work/$name.summary ]]; then cat "$work/$name.summary"; else
    echo "fuzz.sh: $name: ended without a summary"; fi
  grep -q "^fuzz.sh: $name: ok," "$work/$name.summary" 2>/dev/null || failed=1
done
if ((failed)); then
  echo "fuzz.sh: a target found a crash (above); fix it, add a regression test, and commit the" \
    "input as fuzz/corpus/<target>/crash-<what> (README.md \"Fuzzing\")" >&2
  exit 1
fi
