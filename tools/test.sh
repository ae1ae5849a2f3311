#!/usr/bin/env bash
# The README's second command: installs what is missing, builds lwcc and its tests
# into build-test/ with ASan+UBSan and -Werror, and runs the whole ctest suite.
# Exits with ctest's status.
set -euo pipefail

cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)

step() { printf '==> %s\n' "$*"; }

step "checking Debian packages (tools/setup-deps.sh)"
tools/setup-deps.sh

step "configuring build-test/ (LWCC_SANITIZE=ON, LWCC_WERROR=ON)"
cmake -S . -B build-test -DLWCC_SANITIZE=ON -DLWCC_WERROR=ON

step "building"
cmake --build build-test -j "$JOBS"

step "running ctest"
status=0
ctest --test-dir build-test --output-on-failure -j "$JOBS" || status=$?
exit "$status"
