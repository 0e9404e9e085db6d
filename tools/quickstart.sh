#!/usr/bin/env bash
# Quick start: installs what is missing, builds nkd, and runs it on the bundled examples-repo
# with the embedded defaults (checks the definitions, renders every cluster).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh
nkd=build/cli/nkd
"$nkd" validate --repo examples-repo
