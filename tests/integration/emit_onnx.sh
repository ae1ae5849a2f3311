#!/usr/bin/env bash
# --emit=onnx: the digits sample quantized by lwcc (--quantize=int8) written as a QDQ
# ONNX file, which must pass ONNX's checker (with shape inference), hold its Conv and
# Gemm weights as int8 initializers through DequantizeLinear and its activations through
# QuantizeLinear-DequantizeLinear, and, compiled again by lwcc and run on the 360
# held-out images, classify at least MIN of them right (the quantized model's 359
# less one). Without --quantize, --emit=onnx is an error.
#   tests/integration/emit_onnx.sh LWCC PYTHON [MIN]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
lwcc=$1
py=$2
min=${3:-358}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if "$lwcc" "$root/samples/digits/model.onnx" --emit=onnx -o "$work/x.onnx" 2>"$work/err"; then
    echo "emit_onnx: --emit=onnx without --quantize succeeded" >&2
    exit 1
fi
grep -q "use it with --quantize=int8" "$work/err"
"$lwcc" "$root/samples/digits/model.onnx" --quantize=int8 \
    --calibration="$root/samples/digits/calibration" --emit=onnx -o "$work/q.onnx"
"$py" - "$work/q.onnx" <<'PY'
import sys
import onnx
m = onnx.load(sys.argv[1])
onnx.checker.check_model(m, full_check=True)
g = m.graph
inits = {t.name: t for t in g.initializer}
made = {o: n for n in g.node for o in n.output}
ops = [n.op_type for n in g.node]
linear = [n for n in g.node if n.op_type in ("Conv", "Gemm")]
assert len(linear) == 5, ops
for n in linear:
    for i in (0, 1):
        d = made.get(n.input[i])
        assert d is not None and d.op_type == "DequantizeLinear", (n.name, i, ops)
        src = d.input[0]
        if i == 1:
            assert inits[src].data_type == onnx.TensorProto.INT8, (n.name, inits[src].data_type)
        else:
            assert made[src].op_type == "QuantizeLinear", (n.name, ops)
print("emit_onnx: checker ok,", len(g.node), "nodes,", len(linear), "quantized")
PY
"$lwcc" "$work/q.onnx" -O2 -o "$work/q.c"
cc -O2 -I"$work" -DMODEL_HEADER='"q.h"' -DMODEL_PREFIX=q -DMODEL_PREFIX_UC=Q \
    "$root/samples/digits/main.c" "$work/q.c" -o "$work/q" -lm
out=$("$work/q" "$root/samples/digits/eval.bin")
echo "$out" | tail -3
hits=$(echo "$out" | sed -n 's/^accuracy: [0-9.]* (\([0-9]*\)\/.*/\1/p')
if [ -z "$hits" ] || [ "$hits" -lt "$min" ]; then
    echo "emit_onnx: accuracy ${hits:-?} below $min" >&2
    exit 1
fi
