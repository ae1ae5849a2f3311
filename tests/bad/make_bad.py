#!/usr/bin/python3
"""Bad inputs for lwcc, made at test time (nothing binary is committed).

Each case is a function that writes its files under an empty folder ROOT and
returns a Case: the lwcc runs to make (arguments relative to ROOT, which is
also the working directory) and what each must show. run_bad.py runs them.
Layout: ROOT/model/ holds the model (its folder bounds external data),
ROOT/outside/ files outside that folder, ROOT/out/ the -o folder.

    make_bad.py --list          names of the cases, one a line
    make_bad.py NAME ROOT       writes case NAME under ROOT, prints its runs
"""
import dataclasses
import os
import pathlib
import random
import sys

MODEL = "model/model.onnx"
OUT = ["-o", "out/model.c"]
MAX_PREFIXES = 300


@dataclasses.dataclass
class Run:
    args: list                 # lwcc arguments after the binary
    what: str = ""             # shown on failure
    exit: int = 1              # the exit status lwcc must give
    unsupported: bool = False  # the diagnostic must say "unsupported"
    writes: tuple = ()         # files lwcc may write (relative to ROOT)


@dataclasses.dataclass
class Case:
    runs: list


# ---------------------------------------------------------------------------
# Protobuf wire format by hand, for what onnx.helper cannot build.

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_varint(num, value):
    return varint(num << 3) + varint(value)


def field_bytes(num, payload):
    return varint((num << 3) | 2) + varint(len(payload)) + payload


# ---------------------------------------------------------------------------
# Models built with onnx.helper (imported lazily so --list needs no onnx).

def onnx_modules():
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper
    return np, onnx, helper, numpy_helper


def make_model(nodes, inputs, outputs, inits=(), opsets=(("", 13),)):
    _, _, helper, _ = onnx_modules()
    g = helper.make_graph(nodes, "bad", inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets],
                          producer_name="lwcc-tests")
    m.ir_version = 8
    return m


def small_cnn():
    """Conv + Relu + Flatten + Gemm on a 1x1x8x8 input: a real, valid model."""
    np, onnx, helper, numpy_helper = onnx_modules()
    rng = np.random.default_rng(1)
    T = onnx.TensorProto
    inits = [numpy_helper.from_array(rng.standard_normal((2, 1, 3, 3)).astype(np.float32), "conv_w"),
             numpy_helper.from_array(rng.standard_normal(2).astype(np.float32), "conv_b"),
             numpy_helper.from_array(rng.standard_normal((72, 4)).astype(np.float32), "fc_w"),
             numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), "fc_b")]
    nodes = [helper.make_node("Conv", ["x", "conv_w", "conv_b"], ["c"], name="conv",
                              kernel_shape=[3, 3]),
             helper.make_node("Relu", ["c"], ["r"], name="relu"),
             helper.make_node("Flatten", ["r"], ["f"], name="flatten", axis=1),
             helper.make_node("Gemm", ["f", "fc_w", "fc_b"], ["y"], name="fc")]
    return make_model(nodes, [helper.make_tensor_value_info("x", T.FLOAT, [1, 1, 8, 8])],
                      [helper.make_tensor_value_info("y", T.FLOAT, [1, 4])], inits)


def write(root, rel, data):
    p = pathlib.Path(root) / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p


def save(root, model, rel=MODEL):
    write(root, rel, model.SerializeToString())


def bad_run(what="", extra=(), model=MODEL, unsupported=False):
    return Run([model, "-O2", *extra, *OUT], what, unsupported=unsupported)


def unary(op="Relu", shape=(4,), inits=(), extra_nodes=(), in_name="x", opsets=(("", 13),)):
    _, onnx, helper, _ = onnx_modules()
    T = onnx.TensorProto
    nodes = [helper.make_node(op, [in_name], ["y"], name="n0"), *extra_nodes]
    return make_model(nodes, [helper.make_tensor_value_info("x", T.FLOAT, list(shape))],
                      [helper.make_tensor_value_info("y", T.FLOAT, list(shape))], inits, opsets)


# ---------------------------------------------------------------------------
# The cases.

def case_empty(root):
    write(root, MODEL, b"")
    return Case([bad_run("empty file")])


def case_prefixes(root):
    """Every strict prefix of a valid model (at most MAX_PREFIXES, evenly
    spaced); the full model must compile and write only -o's pair. The last
    field serialized is opset_import, which is required, so no strict prefix
    is a valid model."""
    data = small_cnn().SerializeToString()
    n = len(data)
    cuts = range(n) if n <= MAX_PREFIXES else sorted({i * n // MAX_PREFIXES for i in range(MAX_PREFIXES)})
    runs = []
    for i in cuts:
        rel = f"model/prefix_{i}.onnx"
        write(root, rel, data[:i])
        runs.append(bad_run(f"prefix of {i} of {n} bytes", model=rel))
    save(root, small_cnn())
    runs.append(Run([MODEL, "-O2", *OUT], f"the full model ({n} bytes) must compile", exit=0,
                    writes=("out/model.c", "out/model.h")))
    return Case(runs)


def case_random_bytes(root):
    runs = []
    for seed in range(8):
        rng = random.Random(seed)
        size = rng.choice([1, 2, 7, 64, 300, 4096, rng.randrange(1, 65536)])
        rel = f"model/random_{seed}.onnx"
        write(root, rel, bytes(rng.randrange(256) for _ in range(size)))
        runs.append(bad_run(f"{size} random bytes (seed {seed})", model=rel))
    return Case(runs)


def case_nested_graphs(root, depth=100000):
    """100000 graphs nested through If.then_branch attributes, as raw bytes."""
    inner = b""  # the innermost GraphProto, empty
    # Each level: GraphProto{node: NodeProto{op_type, attribute: AttributeProto{name, type, g}}}.
    # Nested fields come last, so a level is a header followed by the inner bytes;
    # build the headers inside out, then join them outermost first.
    headers, size = [], 0
    for _ in range(depth):
        attr_head = field_bytes(1, b"then_branch") + field_varint(20, 5)  # type GRAPH
        attr_len = len(attr_head) + len(varint((6 << 3) | 2)) + len(varint(size)) + size
        attr_prefix = attr_head + varint((6 << 3) | 2) + varint(size)
        node_head = field_bytes(4, b"If")
        node_len = len(node_head) + len(varint((5 << 3) | 2)) + len(varint(attr_len)) + attr_len
        node_prefix = node_head + varint((5 << 3) | 2) + varint(attr_len)
        graph_prefix = varint((1 << 3) | 2) + varint(node_len)
        graph_len = len(graph_prefix) + node_len
        headers.append(graph_prefix + node_prefix + attr_prefix)
        size = graph_len
    body = b"".join(reversed(headers)) + inner
    opset = field_bytes(8, field_bytes(1, b"") + field_varint(2, 13))
    model = field_varint(1, 8) + opset + varint((7 << 3) | 2) + varint(size) + body
    write(root, MODEL, model)
    return Case([bad_run(f"{depth} nested graph attributes ({len(model)} bytes)")])


def case_huge_length(root):
    """A graph field whose length prefix claims 2^62 bytes."""
    write(root, MODEL, field_varint(1, 8) + varint((7 << 3) | 2) + varint(1 << 62) + b"\x0a\x00")
    return Case([bad_run("length prefix of 2^62 bytes")])


def raw_tensor(name, dims, raw, dtype=1):
    _, onnx, _, _ = onnx_modules()
    t = onnx.TensorProto()
    t.name, t.data_type = name, dtype
    t.dims.extend(dims)
    t.raw_data = raw
    return t


def add_with_init(init, shape=(4,)):
    _, onnx, helper, _ = onnx_modules()
    T = onnx.TensorProto
    return make_model([helper.make_node("Add", ["x", init.name], ["y"], name="add")],
                      [helper.make_tensor_value_info("x", T.FLOAT, list(shape))],
                      [helper.make_tensor_value_info("y", T.FLOAT, list(shape))], [init])


def case_dims_overflow_initializer(root):
    save(root, add_with_init(raw_tensor("w", [1 << 40, 1 << 40, 16], b"\0" * 4)))
    return Case([bad_run("initializer dims [2^40, 2^40, 16], 4 bytes of raw_data")])


def case_dims_overflow_input(root):
    save(root, unary("Relu", shape=(1 << 40, 1 << 40, 16)))
    return Case([bad_run("input dims [2^40, 2^40, 16]")])


def case_negative_dim(root):
    save(root, add_with_init(raw_tensor("w", [-4], b"\0" * 16)))
    return Case([bad_run("initializer dims [-4]")])


def case_pad_huge(root):
    """Pad of 2^62 rows each side in front of a Conv (pass fold-pad would add them to the
    conv's pads): the sizes overflowed a signed 64-bit sum."""
    np, onnx, helper, numpy_helper = onnx_modules()
    T = onnx.TensorProto
    pads = np.array([0, 0, 1 << 62, 0, 0, 0, 1 << 62, 0], dtype=np.int64)
    inits = [numpy_helper.from_array(pads, "p"),
             numpy_helper.from_array(np.ones((1, 1, 3, 3), dtype=np.float32), "w")]
    nodes = [helper.make_node("Pad", ["x", "p"], ["q"], name="pad", mode="constant"),
             helper.make_node("Conv", ["q", "w"], ["y"], name="conv")]
    save(root, make_model(nodes, [helper.make_tensor_value_info("x", T.FLOAT, [1, 1, 5, 5])],
                          [helper.make_tensor_value_info("y", T.FLOAT, None)], inits))
    return Case([bad_run("Pad of 2^62 rows each side before a Conv")])


def case_raw_data_size(root):
    save(root, add_with_init(raw_tensor("w", [4], b"\0" * 12)))
    return Case([bad_run("float initializer dims [4] with 12 bytes of raw_data")])


def case_cycle(root):
    _, onnx, helper, _ = onnx_modules()
    T = onnx.TensorProto
    nodes = [helper.make_node("Add", ["x", "b"], ["a"], name="n_add"),
             helper.make_node("Relu", ["a"], ["b"], name="n_relu")]
    save(root, make_model(nodes, [helper.make_tensor_value_info("x", T.FLOAT, [4])],
                          [helper.make_tensor_value_info("b", T.FLOAT, [4])]))
    return Case([bad_run("two nodes feeding each other")])


def case_dangling_input(root):
    save(root, unary("Relu", in_name="ghost"))
    return Case([bad_run("a node reads 'ghost', which nothing defines")])


def case_duplicate_output(root):
    _, _, helper, _ = onnx_modules()
    save(root, unary("Relu", extra_nodes=[helper.make_node("Neg", ["x"], ["y"], name="n1")]))
    return Case([bad_run("two nodes define 'y'")])


def case_unsupported_op(root):
    _, onnx, helper, _ = onnx_modules()
    T = onnx.TensorProto
    node = helper.make_node("NonMaxSuppression", ["boxes", "scores"], ["sel"], name="nms")
    save(root, make_model([node], [helper.make_tensor_value_info("boxes", T.FLOAT, [1, 6, 4]),
                                   helper.make_tensor_value_info("scores", T.FLOAT, [1, 1, 6])],
                          [helper.make_tensor_value_info("sel", T.INT64, [3, 3])], opsets=(("", 11),)))
    return Case([bad_run("NonMaxSuppression", unsupported=True)])


def case_unsupported_domain(root):
    _, _, helper, _ = onnx_modules()
    node = helper.make_node("Frobnicate", ["x"], ["y"], name="frob", domain="com.example")
    m = unary("Relu", opsets=(("", 13), ("com.example", 1)))
    del m.graph.node[:]
    m.graph.node.append(node)
    save(root, m)
    return Case([bad_run("custom-domain op com.example Frobnicate", unsupported=True)])


def external_model(location, offset=None):
    _, onnx, _, _ = onnx_modules()
    t = raw_tensor("w", [4], b"")
    t.ClearField("raw_data")
    t.data_location = onnx.TensorProto.EXTERNAL
    entries = [("location", location), ("length", "16")]
    if offset is not None:
        entries.append(("offset", str(offset)))
    for k, v in entries:
        e = t.external_data.add()
        e.key, e.value = k, v
    return add_with_init(t)


WEIGHTS = bytes(range(16))


def case_external_dotdot(root):
    write(root, "outside/w.bin", WEIGHTS)
    save(root, external_model("../outside/w.bin"))
    return Case([bad_run("external data at '../outside/w.bin'")])


def case_external_absolute(root):
    p = write(root, "outside/w.bin", WEIGHTS)
    save(root, external_model(str(p.resolve())))
    return Case([bad_run(f"external data at the absolute path {p.resolve()}")])


def case_external_symlink(root):
    write(root, "outside/w.bin", WEIGHTS)
    save(root, external_model("w.bin"))
    os.symlink("../outside/w.bin", pathlib.Path(root) / "model" / "w.bin")
    return Case([bad_run("external data 'w.bin', a symlink to ../outside/w.bin")])


def case_external_short(root):
    write(root, "model/w.bin", WEIGHTS[:8])
    save(root, external_model("w.bin"))
    return Case([bad_run("external data file of 8 bytes for a 16-byte tensor")])


def case_external_offset(root):
    write(root, "model/w.bin", WEIGHTS)
    save(root, external_model("w.bin", offset=(1 << 63) - 8))
    return Case([bad_run("external data offset 2^63 - 8")])


def case_external_missing(root):
    save(root, external_model("missing.bin"))
    return Case([bad_run("external data file that does not exist")])


def case_output_is_input(root):
    save(root, small_cnn())
    return Case([Run([MODEL, "-O2", "-o", MODEL], "-o names the input model itself")])


def case_header_is_input(root):
    save(root, small_cnn(), "model/net.h")
    return Case([Run(["model/net.h", "-O2", "-o", "model/net.c"],
                     "input model named net.h with -o net.c: the header would overwrite it")])


CASES = {name[len("case_"):]: fn for name, fn in sorted(globals().items())
         if name.startswith("case_") and callable(fn)}


def make(name, root):
    """Writes case name under the empty folder root; returns its Case."""
    root = pathlib.Path(root)
    for sub in ("model", "outside", "out"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    return CASES[name](root)


def main():
    if sys.argv[1:] == ["--list"]:
        print("\n".join(CASES))
        return
    if len(sys.argv) != 3 or sys.argv[1] not in CASES:
        sys.exit("usage: make_bad.py --list | make_bad.py NAME ROOT")
    for r in make(sys.argv[1], sys.argv[2]).runs:
        print(r)


if __name__ == "__main__":
    main()
