#!/usr/bin/python3
"""Write the --report tests' model: tests/integration/report/hostile_names.onnx.

    /usr/bin/python3 tests/integration/report/make_model.py

A small network (Conv 3->4 3x3 no padding, BatchNormalization, Relu, Flatten, Gemm 64->5)
whose node and value names carry HTML markup, quotes and entities, as an untrusted model
may: the report must show them as text. Conv and Gemm need 4*4*4*27 + 64*5 = 2048 MACs;
-O2 folds the BatchNormalization into the Conv and fuses the Relu. Deterministic; the
file is committed, so the tests need neither this script nor Python.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))

CONV = '<script>alert("conv")</script>'
BN = "bn & 'fold'"
RELU = "relu&amp;"
FLAT = "flat<>"
GEMM = 'fc"quote"'
RELU_OUT = "relu_out</title><b>x"  # the arena tensor: named in the picture's tooltip


def main():
    rng = np.random.default_rng(20261128)
    f32 = np.float32
    inits = [
        numpy_helper.from_array(rng.standard_normal((4, 3, 3, 3)).astype(f32), "w<conv>"),
        numpy_helper.from_array(rng.standard_normal(4).astype(f32), "b_conv"),
        numpy_helper.from_array(rng.uniform(0.5, 1.5, 4).astype(f32), "bn_scale"),
        numpy_helper.from_array(rng.standard_normal(4).astype(f32) * 0.1, "bn_bias"),
        numpy_helper.from_array(rng.standard_normal(4).astype(f32) * 0.1, "bn_mean"),
        numpy_helper.from_array(rng.uniform(0.5, 1.5, 4).astype(f32), "bn_var"),
        numpy_helper.from_array(rng.standard_normal((5, 64)).astype(f32), "w_fc&"),
        numpy_helper.from_array(rng.standard_normal(5).astype(f32), "b_fc"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w<conv>", "b_conv"], ["conv_out"], name=CONV,
                         kernel_shape=[3, 3]),
        helper.make_node("BatchNormalization",
                         ["conv_out", "bn_scale", "bn_bias", "bn_mean", "bn_var"], ["bn_out"],
                         name=BN),
        helper.make_node("Relu", ["bn_out"], [RELU_OUT], name=RELU),
        helper.make_node("Flatten", [RELU_OUT], ["flat_out"], name=FLAT),
        helper.make_node("Gemm", ["flat_out", "w_fc&", "b_fc"], ["y"], name=GEMM, transB=1),
    ]
    graph = helper.make_graph(
        nodes, "hostile_names",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 6, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="lwcc-tests")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, "hostile_names.onnx"))


if __name__ == "__main__":
    main()
