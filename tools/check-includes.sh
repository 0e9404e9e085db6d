#!/usr/bin/env bash
# Checks that each stage folder includes only from the folders before it in the pipeline
# (DESIGN.md §1 and §10): source → model → render → plan → reconcile → state, with the
# providers carrying out the plan. A project include ("folder/...") that points up the pipeline,
# or a library header a pure stage must not see, fails the check with file:line and the rule.
#   tools/check-includes.sh [--root DIR]
# --root checks another tree laid out like this one (the test's fixture under tests/data/).
# Exit status: 0 clean, 1 a rule is broken, 2 bad usage. tests/ and bench/ are not checked.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
while (($# > 0)); do
  case $1 in
    --root) root=${2:?check-includes.sh: --root needs a directory}; shift ;;
    *) echo "check-includes.sh: unknown option $1; use --root DIR" >&2; exit 2 ;;
  esac
  shift
done
[[ -d $root ]] || { echo "check-includes.sh: $root is not a directory" >&2; exit 2; }

# Which project folders each folder may include from. An entry is a folder (every header under
# it, except those of a more specific folder below) or one header. The folder a file belongs
# to, and the folder an include points into, is the longest matching name in this table.
declare -A allowed=(
  [common]="common"
  [metrics]="metrics common"
  [model]="model common"
  # A commit's tree is a model TreeReader (source/git_tree_reader.h).
  [source]="source model common"
  [render]="render model common"
  # The pure node planner; plan/review (what only `nkd plan` needs) builds on it, not under it.
  [plan]="plan render model common"
  [plan/review]="plan/review plan render model common"
  # The stored cluster PKI is brought up to date by render/pki.
  [state]="state render model common"
  # OpenStack and libvirt record their intents through the store's interface, never its
  # implementation.
  [providers]="providers plan render model metrics common state/intent_log.h state/node_store.h"
  # A commit's identity only (a plain struct), not the libgit2 source.
  [reconcile]="reconcile providers state source/commit_info.h plan render model metrics common"
  # The daemon's and the binary's wiring: every stage.
  [syncd]="syncd reconcile providers state source plan plan/review render model metrics common"
  [cli]="cli syncd reconcile providers state source plan plan/review render model metrics common"
  # The libFuzzer targets call the entry points of any stage below the binary's wiring.
  [fuzz]="fuzz syncd reconcile providers state source plan plan/review render model metrics common"
)

# Library headers the pure and the lower stages must not see (<header prefix>): no Git, HTTP,
# SQLite or network client below the stages that own them.
declare -A forbidden=(
  [model]="git2 curl/ sqlite3 httplib"
  [render]="git2 curl/ sqlite3 httplib"
  [plan]="git2 curl/ sqlite3 httplib"
  [plan/review]="git2 curl/ sqlite3 httplib"
  [reconcile]="git2 sqlite3 httplib"
  [providers]="git2 sqlite3 httplib"
  [state]="git2 curl/ httplib"
  [source]="sqlite3 httplib"
)

# Sets REPLY to the longest folder of the table that `path` lies in ("" when none).
folder_of() {
  local path=$1 folder
  REPLY=""
  for folder in "${!allowed[@]}"; do
    if [[ $path == "$folder"/* && ${#folder} -gt ${#REPLY} ]]; then REPLY=$folder; fi
  done
}

failures=0
report() { # FILE LINE INCLUDE MESSAGE
  echo "$1:$2: #include $3: $4"
  failures=$((failures + 1))
}

cd "$root"
folders=()
for folder in "${!allowed[@]}"; do [[ $folder == */* || ! -d $folder ]] || folders+=("$folder"); done
((${#folders[@]} > 0)) || { echo "check-includes.sh: no stage folder under $root" >&2; exit 2; }

while IFS= read -r hit; do
  file=${hit%%:*} rest=${hit#*:}
  line=${rest%%:*} text=${rest#*:}
  folder_of "$file"
  from=$REPLY
  [[ -n $from ]] || continue
  if [[ $text =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
    target=${BASH_REMATCH[1]}
    folder_of "$target"
    into=$REPLY
    [[ -n $into ]] || continue  # not a stage folder's header (e.g. the generated build_commit.h)
    ok=0
    for entry in ${allowed[$from]}; do
      if [[ $entry == "$into" || $entry == "$target" ]]; then ok=1; break; fi
    done
    if ((ok == 0)); then
      report "$file" "$line" "\"$target\"" \
        "$from/ may include only from: ${allowed[$from]} (the pipeline rule in tools/check-includes.sh)"
    fi
  elif [[ $text =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\<([^\>]+)\> ]]; then
    target=${BASH_REMATCH[1]}
    for header in ${forbidden[$from]:-}; do
      if [[ $target == "$header"* ]]; then
        report "$file" "$line" "<$target>" \
          "$from/ must not use <$header...> (tools/check-includes.sh; that library belongs to a later stage)"
      fi
    done
  fi
done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include' --include='*.h' --include='*.cc' \
           "${folders[@]}" | sort -t: -k1,1 -k2,2n)

if ((failures > 0)); then
  echo "check-includes.sh: $failures include(s) break the layering of DESIGN.md §10" >&2
  exit 1
fi
echo "check-includes.sh: every include follows the pipeline (${#folders[@]} folders)"
