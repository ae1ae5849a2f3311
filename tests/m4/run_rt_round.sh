#!/usr/bin/env bash
# Builds tests/m4/rt_round.c as Cortex-M4F firmware (the flags lwcc's users build
# generated code with) and runs it under QEMU's mps2-an386: exit 0 when every rounding
# matches the portable one. Needs gcc-arm-none-eabi, libnewlib-arm-none-eabi and
# qemu-system-arm (tools/setup-deps.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -O2 -Wall -Wextra -Werror)
arm-none-eabi-gcc "${flags[@]}" --specs=rdimon.specs -T "$root/samples/cortex-m4/mps2-an386.ld" \
    -I "$root" "$root/samples/cortex-m4/startup.c" "$root/tests/m4/rt_round.c" "$root/runtime-min/rt_math.c" \
    -o "$work/rt_round.elf"
out=$(timeout 300 qemu-system-arm -M mps2-an386 -nographic -monitor none \
      -semihosting-config enable=on,target=native -kernel "$work/rt_round.elf")
echo "$out"
echo "$out" | grep -q "^rounding: 0 mismatches"
