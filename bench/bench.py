#!/usr/bin/python3
"""lwcc against onnxruntime, side by side in one run, one thread each.

For each case folder (model.onnx + test_data_set_0/input_N.pb, the ONNX test
layout) or .onnx file: compile with lwcc -O2 --target=native, build the C with
cc -O3 -march=native and bench_model.c, time the median of many runs; time
onnxruntime (npm onnxruntime-node, CPU, one thread, all graph optimizations)
on the same inputs; print latency, GFLOP/s (2 * multiply-accumulates of Conv,
ConvTranspose, Gemm and MatMul / time) and the ratio.

  bench/bench.py [--lwcc build/lwcc] [--min-seconds 1] CASE...

onnxruntime is installed on first use into bench/.ort (npm, --ignore-scripts).
"""
import argparse
import json
import math
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper, shape_inference

HERE = pathlib.Path(__file__).resolve().parent
ORT_VERSION = "1.30.0"
NP_NAMES = {np.float32: "float32", np.float64: "float64", np.int8: "int8", np.uint8: "uint8",
            np.int16: "int16", np.uint16: "uint16", np.int32: "int32", np.uint32: "uint32",
            np.int64: "int64", np.uint64: "uint64", np.bool_: "bool"}


def ensure_ort(prefix):
    if not (prefix / "node_modules" / "onnxruntime-node").is_dir():
        print(f"bench: installing onnxruntime-node {ORT_VERSION} into {prefix}", file=sys.stderr)
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(prefix), "--ignore-scripts", "--no-audit",
                        "--no-fund", "--loglevel=error", f"onnxruntime-node@{ORT_VERSION}"],
                       check=True, stdout=subprocess.DEVNULL)
    script = prefix / "ort_bench.mjs"  # ESM resolves packages beside the script
    shutil.copyfile(HERE / "ort_bench.mjs", script)
    return script


def macs(model_path):
    """Multiply-accumulates of Conv/ConvTranspose/Gemm/MatMul/RNN/GRU/LSTM from ONNX
    shape inference; None when shapes are unknown."""
    try:
        m = shape_inference.infer_shapes(onnx.load(str(model_path)))
    except Exception:
        return None
    shapes = {}
    for v in list(m.graph.value_info) + list(m.graph.input) + list(m.graph.output):
        dims = [d.dim_value for d in v.type.tensor_type.shape.dim]
        shapes[v.name] = dims
    for t in m.graph.initializer:
        shapes[t.name] = list(t.dims)
    total = 0
    for n in m.graph.node:
        try:
            if n.op_type in ("Conv", "ConvTranspose"):
                w = shapes[n.input[1]]
                y = shapes[n.output[0]] if n.op_type == "Conv" else shapes[n.input[0]]
                total += math.prod(y) * math.prod(w[1:]) if n.op_type == "Conv" else \
                    math.prod(y) * math.prod(w[1:]) * w[0] // max(y[1], 1)
            elif n.op_type in ("Gemm", "MatMul"):
                a, y = shapes[n.input[0]], shapes[n.output[0]]
                k = a[-1] if not any(x.name == "transA" and x.i for x in n.attribute) else a[0]
                total += math.prod(y) * k
            elif n.op_type in ("RNN", "GRU", "LSTM"):
                # per step and batch row, each direction's gates from x (W: [D, G*H, I])
                # and from the hidden state (R: [D, G*H, H])
                x, w, r = shapes[n.input[0]], shapes[n.input[1]], shapes[n.input[2]]
                steps = x[1] * x[0]  # T * B in either layout
                total += steps * (math.prod(w) + math.prod(r))
        except (KeyError, IndexError):
            return None
    return total or None


def case_files(path):
    p = pathlib.Path(path)
    if p.is_file():
        return p, None
    model = p / "model.onnx"
    if not model.is_file():
        sys.exit(f"bench: {p}: no model.onnx")
    sets = sorted(p.glob("test_data_set_*"))
    return model, (sets[0] if sets else None)


def inputs_for(model, set_dir, work):
    m = onnx.load(str(model), load_external_data=False)
    inits = {t.name for t in m.graph.initializer}
    specs = []
    for k, vi in enumerate(i for i in m.graph.input if i.name not in inits):
        f = set_dir / f"input_{k}.pb" if set_dir else None
        if f and f.is_file():
            t = onnx.TensorProto()
            t.ParseFromString(f.read_bytes())
            arr = numpy_helper.to_array(t)
        else:
            dims = [d.dim_value or 1 for d in vi.type.tensor_type.shape.dim]
            dt = onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[vi.type.tensor_type.elem_type]
            arr = np.random.default_rng(k).standard_normal(dims).astype(dt)
        raw = work / f"in{k}.bin"
        raw.write_bytes(np.ascontiguousarray(arr).tobytes())
        specs.append({"name": vi.name, "dtype": NP_NAMES[arr.dtype.type],
                      "shape": list(arr.shape), "file": str(raw)})
    return specs


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{cmd[0]}: {(r.stderr or r.stdout).strip().splitlines()[-1:]}")
    return r.stdout


def fmt_ms(ms):
    return f"{ms * 1e3:.1f} us" if ms < 1 else f"{ms:.2f} ms"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cases", nargs="+", help="case folders or .onnx files")
    ap.add_argument("--lwcc", default=str(HERE.parent / "build" / "lwcc"))
    ap.add_argument("--cc", default="cc")
    ap.add_argument("--min-seconds", type=float, default=1.0)
    ap.add_argument("--min-iters", type=int, default=20)
    ap.add_argument("--no-ort", action="store_true", help="time lwcc only")
    args = ap.parse_args()
    script = None if args.no_ort else ensure_ort(HERE / ".ort")
    rows, ratios = [], []
    with tempfile.TemporaryDirectory(prefix="lwcc-bench-") as tmp:
        for i, case in enumerate(args.cases):
            name = pathlib.Path(case).name
            work = pathlib.Path(tmp) / f"{i}"
            work.mkdir()
            try:
                model, set_dir = case_files(case)
                specs = inputs_for(model, set_dir, work)
                run([args.lwcc, str(model), "-O2", "--target=native", "-o", str(work / "model.c")])
                exe = work / "bench"
                run([args.cc, "-O3", "-march=native", "-include", str(work / "model.h"),
                     str(HERE / "bench_model.c"), str(work / "model.c"), "-o", str(exe), "-lm"])
                out = run([str(exe), str(args.min_iters), str(args.min_seconds)] +
                          [s["file"] for s in specs]).split()
                lw = float(dict(zip(out[0::2], out[1::2]))["median_ns"]) / 1e6
                ort = None
                if script:
                    spec = work / "spec.json"
                    spec.write_text(json.dumps({"model": str(model), "inputs": specs,
                                                "min_iters": args.min_iters,
                                                "min_seconds": args.min_seconds}))
                    ort = json.loads(run(["node", str(script), str(spec)]))["median_ms"]
                mac = macs(model)
                gf = 2 * mac / (lw * 1e-3) / 1e9 if mac else None
                ratio = lw / ort if ort else None
                if ratio:
                    ratios.append(ratio)
                rows.append([name, fmt_ms(lw), fmt_ms(ort) if ort else "-",
                             f"{ratio:.3f}" if ratio else "-", f"{gf:.2f}" if gf else "-", ""])
            except Exception as e:  # report and go on with the other cases
                rows.append([name, "-", "-", "-", "-", str(e)[:100]])
            print(f"bench: {name} done", file=sys.stderr)
    head = ["case", "lwcc", "onnxruntime", "lwcc/ort", "GFLOP/s", "note"]
    w = [max(len(str(r[c])) for r in rows + [head]) for c in range(len(head))]
    for r in [head] + rows:
        print("  ".join(str(v).ljust(w[c]) for c, v in enumerate(r)).rstrip())
    if ratios:
        g = math.exp(sum(map(math.log, ratios)) / len(ratios))
        print(f"\nlwcc/onnxruntime latency, geometric mean over {len(ratios)} cases: {g:.3f} "
              "(below 1: lwcc faster)")


if __name__ == "__main__":
    main()
