#!/usr/bin/env bash
# Compiles a digits model for --target=cortex-m4, links it into firmware for
# QEMU's mps2-an386 (Cortex-M4F, newlib semihosting) and runs it there.
#   samples/cortex-m4/run.sh [LWCC] [MODEL.onnx] [MIN_ACCURACY] [c|llvm] [LWCC_FLAGS...]
# (the fourth: lwcc's backend; llvm writes model.o itself; the rest go to lwcc,
# e.g. --quantize=int8 --calibration=samples/digits/calibration)
# Needs Debian's gcc-arm-none-eabi, libnewlib-arm-none-eabi and qemu-system-arm.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
lwcc=${1:-$root/build/lwcc}
model=${2:-$root/samples/digits/model.onnx}
min=${3:-350}
backend=${4:-c}
extra=("${@:5}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -O2 -Wall -Wextra)
if [ "$backend" = llvm ]; then
    "$lwcc" "$model" -O2 --target=cortex-m4 --emit=obj -o "$work/model.o" "${extra[@]}"
else
    "$lwcc" "$model" -O2 --target=cortex-m4 -o "$work/model.c" "${extra[@]}"
    arm-none-eabi-gcc "${flags[@]}" -c "$work/model.c" -o "$work/model.o"
fi
arm-none-eabi-gcc "${flags[@]}" --specs=rdimon.specs -T "$root/samples/cortex-m4/mps2-an386.ld" \
    -I "$work" "$root/samples/cortex-m4/startup.c" "$root/samples/cortex-m4/main.c" \
    "$work/model.o" -o "$work/firmware.elf"
arm-none-eabi-size "$work/model.o" "$work/firmware.elf"
cd "$root"
out=$(timeout 300 qemu-system-arm -M mps2-an386 -nographic -monitor none \
      -semihosting-config enable=on,target=native -kernel "$work/firmware.elf")
echo "$out"
hits=$(echo "$out" | sed -n 's/^accuracy: \([0-9]*\)\/.*/\1/p')
if [ -z "$hits" ] || [ "$hits" -lt "$min" ]; then
    echo "cortex-m4: accuracy ${hits:-?} below $min" >&2
    exit 1
fi
