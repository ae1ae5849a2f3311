#!/usr/bin/env bash
# lwcc built without LLVM (-DLWCC_WITH_LLVM=OFF, as on a machine without llvm-dev):
# it still builds and compiles a model with the C backend, `--version` says which
# backends it has, and --emit=llvm|bc|obj each stop with exit 1 and a message that
# says how to get the LLVM backend, writing nothing.
#   tests/integration/no_llvm.sh CMAKE [JOBS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cmake=$1
jobs=${2:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$cmake" -S "$root" -B "$work/b" -DCMAKE_BUILD_TYPE=Release -DLWCC_WITH_LLVM=OFF >"$work/log" 2>&1 ||
    { cat "$work/log" >&2; exit 1; }
"$cmake" --build "$work/b" --target lwcc -j "$jobs" >>"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
lwcc=$work/b/lwcc
"$lwcc" --version | grep -q "backends: c (built without LLVM)"
model=$root/samples/digits/model.onnx
mkdir -p "$work/out"
"$lwcc" "$model" -O2 -o "$work/out/model.c"
test -s "$work/out/model.c" && test -s "$work/out/model.h"
for kind in llvm:ll bc:bc obj:o; do
    ext=${kind#*:}
    kind=${kind%%:*}
    status=0
    "$lwcc" "$model" --emit=$kind -o "$work/out/m.$ext" 2>"$work/err" || status=$?
    if [ "$status" -ne 1 ]; then
        echo "no_llvm: --emit=$kind exited $status, not 1" >&2
        exit 1
    fi
    grep -q "built without the LLVM backend" "$work/err"
    grep -q "llvm-dev clang" "$work/err"
    if [ -e "$work/out/m.$ext" ] || [ -e "$work/out/m.h" ]; then
        echo "no_llvm: --emit=$kind wrote an output" >&2
        exit 1
    fi
done
echo "no_llvm: ok"
