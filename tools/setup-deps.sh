#!/usr/bin/env bash
# Installs the Debian packages lwcc needs to build, test and run its demo.
# Idempotent: checks each package and apt-get installs only the missing ones;
# prints nothing when everything is present. Needs root or sudo to install.
set -euo pipefail

PACKAGES=(
    cmake gcc libc6-dev make pkg-config binutils
    protobuf-c-compiler libprotobuf-c-dev   # ONNX decoding (protoc-c at build time)
    libcmocka-dev                           # unit tests
    llvm-dev clang libclang-rt-14-dev       # LLVM backend; clang: fuzzer, e2e.clang
    libonnx-testdata                        # ONNX node tests run by the e2e suite
    python3-onnx python3-numpy              # test model generators, measuring tools
    gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm  # Cortex-M4 firmware, run under QEMU
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user      # armv8, run under qemu-aarch64
    chromium                                # opens the --report page in tests (headless)
)

missing=()
for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    if [ "$status" != "installed" ]; then
        missing+=("$p")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

echo "setup-deps: installing missing packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "setup-deps: need root or sudo to install: ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
echo "setup-deps: done"
