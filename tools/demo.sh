#!/usr/bin/env bash
# The README's first command: installs what is missing, builds lwcc into build/,
# compiles the sample digits classifier to C, builds it into a small program and
# runs it on the 360 held-out test images (predictions, accuracy, arena, flash, latency).
set -euo pipefail

cd "$(dirname "$0")/.."
CC=${CC:-cc}
OUT=build/demo
LOG=$(mktemp "${TMPDIR:-/tmp}/lwcc-demo.XXXXXX")
trap 'rm -f "$LOG"' EXIT

step() { printf '==> %s\n' "$*"; }
fail() { printf 'demo: %s\n' "$*" >&2; exit 1; }

# Runs a command with its output in $LOG; shows the output only if it fails.
quiet() {
    if ! "$@" >"$LOG" 2>&1; then
        cat "$LOG" >&2
        fail "failed: $*"
    fi
}

step "checking Debian packages (tools/setup-deps.sh)"
tools/setup-deps.sh || fail "could not install the packages lwcc needs"

step "configuring build/ (Release)"
quiet cmake -S . -B build -DCMAKE_BUILD_TYPE=Release

step "building lwcc"
quiet cmake --build build -j "$(nproc)"

step "compiling samples/digits/model.onnx: lwcc -O2 --target=native -o $OUT/digits.c"
mkdir -p "$OUT"
build/lwcc samples/digits/model.onnx -O2 --target=native -o "$OUT/digits.c" ||
    fail "lwcc failed on samples/digits/model.onnx"
if [ ! -f "$OUT/digits.c" ] || [ ! -f "$OUT/digits.h" ]; then
    fail "lwcc did not write $OUT/digits.c and $OUT/digits.h"
fi

step "building the generated C with $CC -O2 -march=native"
quiet "$CC" -O2 -march=native -c "$OUT/digits.c" -o "$OUT/digits.o"
quiet "$CC" -O2 -march=native -DMODEL_HEADER='"digits.h"' -DMODEL_PREFIX=digits \
    -DMODEL_PREFIX_UC=DIGITS -I"$OUT" samples/digits/main.c "$OUT/digits.o" -o "$OUT/digits"

step "running on samples/digits/eval.bin (360 held-out 8x8 digit images)"
"$OUT/digits" samples/digits/eval.bin 10 || fail "the generated model failed to run"

# Flash: code plus constant data (weights in .rodata count in size's "text").
flash=$(size "$OUT/digits.o" | awk 'NR == 2 { print $1 + $2 }')
[ -n "$flash" ] || fail "size gave no figures for $OUT/digits.o"
printf 'flash bytes: %s (text+data of %s)\n' "$flash" "$OUT/digits.o"
step "done: generated code in $OUT/digits.c and $OUT/digits.h"
