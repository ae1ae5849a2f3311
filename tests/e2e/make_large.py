#!/usr/bin/python3
"""Writes test cases too large to commit (their weights pass tests/models' 50 KB) into
OUTDIR, in the ONNX test layout, with references computed here in float64:

  unet_64: a U-Net decoder over a 64x64 map of 32 to 128 channels (Conv, MaxPool,
  ConvTranspose, Concat, Resize, Sigmoid). GCC 12 at -O2 deleted the call to its
  Col2Im kernel in lwcc's generated C for armv8 (its interprocedural mod/ref and
  pure-const analyses together); the generated kernels are opaque to them since.

  tests/e2e/make_large.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
from make_models import ref_conv, ref_convtranspose, ref_maxpool, to_proto  # noqa: E402


def unet_64(rng):
    c0, c1, c2, s = 32, 64, 128, 64
    nodes, inits, vals = [], [], {}

    def const(name, a):
        a = np.asarray(a, np.float32)
        inits.append(numpy_helper.from_array(a, name))
        vals[name] = a.astype(np.float64)
        return name

    def conv(x, ci, co, name):
        w = const(name + "_w", rng.normal(0, (2 / (ci * 9)) ** 0.5, (co, ci, 3, 3)))
        b = const(name + "_b", rng.normal(0, 0.1, co))
        nodes.append(helper.make_node("Conv", [x, w, b], [name], pads=[1, 1, 1, 1]))
        nodes.append(helper.make_node("Relu", [name], [name + "_r"]))
        vals[name + "_r"] = np.maximum(ref_conv(vals[x], vals[w], vals[b], pads=(1, 1, 1, 1)), 0)
        return name + "_r"

    def pool(x, name):
        nodes.append(helper.make_node("MaxPool", [x], [name], kernel_shape=[2, 2], strides=[2, 2]))
        vals[name] = ref_maxpool(vals[x], (2, 2), (2, 2), (0, 0, 0, 0))
        return name

    def concat(a, b, name):
        nodes.append(helper.make_node("Concat", [a, b], [name], axis=1))
        vals[name] = np.concatenate([vals[a], vals[b]], axis=1)
        return name

    x = rng.uniform(-1, 1, (1, 3, s, s)).astype(np.float32)
    vals["x"] = x.astype(np.float64)
    s1 = conv("x", 3, c0, "enc1")
    s2 = conv(pool(s1, "pool1"), c0, c1, "enc2")
    m = conv(pool(s2, "pool2"), c1, c2, "mid")
    wt = const("up_w", rng.normal(0, 0.05, (c2, c1, 2, 2)))
    bt = const("up_b", rng.normal(0, 0.1, c1))
    nodes.append(helper.make_node("ConvTranspose", [m, wt, bt], ["up"], kernel_shape=[2, 2],
                                  strides=[2, 2]))
    vals["up"] = ref_convtranspose(vals[m], vals[wt], vals[bt], (2, 2), (0, 0, 0, 0))
    d = conv(concat("up", s2, "cat2"), 2 * c1, c1, "dec2")
    scales = const("scales", [1, 1, 2, 2])
    nodes.append(helper.make_node("Resize", [d, "", scales], ["resized"], mode="nearest"))
    vals["resized"] = vals[d].repeat(2, axis=2).repeat(2, axis=3)
    d = conv(concat("resized", s1, "cat1"), c1 + c0, c0, "dec1")
    wo = const("out_w", rng.normal(0, 0.2, (1, c0, 1, 1)))
    nodes.append(helper.make_node("Conv", [d, wo], ["logit"]))
    nodes.append(helper.make_node("Sigmoid", ["logit"], ["y"]))
    y = 1 / (1 + np.exp(-ref_conv(vals[d], vals[wo])))
    graph = helper.make_graph(
        nodes, "unet_64", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(y.shape))], inits)
    model = helper.make_model(graph, ir_version=8, producer_name="lwcc-tests",
                              opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    return model, x, y.astype(np.float32)


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__.strip())
    for name, make in (("unet_64", unet_64),):
        model, x, y = make(np.random.default_rng(64))
        data = os.path.join(argv[1], name, "test_data_set_0")
        os.makedirs(data, exist_ok=True)
        onnx.save(model, os.path.join(argv[1], name, "model.onnx"))
        with open(os.path.join(data, "input_0.pb"), "wb") as f:
            f.write(to_proto(x, "x").SerializeToString())
        with open(os.path.join(data, "output_0.pb"), "wb") as f:
            f.write(to_proto(y, "y").SerializeToString())
    print(f"make_large: wrote unet_64 to {argv[1]}")


if __name__ == "__main__":
    main(sys.argv)
