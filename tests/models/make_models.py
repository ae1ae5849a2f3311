#!/usr/bin/python3
"""Write lwcc's small end-to-end test models, with their expected outputs.

    /usr/bin/python3 tests/models/make_models.py [OUTDIR] [CASE...]

Each case becomes OUTDIR/<case>/model.onnx plus test_data_set_0/input_<i>.pb and
output_<i>.pb (ONNX TensorProto files, the layout of ONNX's node tests). OUTDIR
defaults to this script's folder. The expected outputs come from the numpy
references below, computed in float64 from the float32 inputs and weights and
rounded to float32 once at the end. Deterministic: each case seeds its own
generator from its name, so the files are byte-identical run to run and adding
a case changes no other.

The e2e runner compares with rtol 1e-3, atol 1e-7. An output that is a sum of
terms cancelling to nearly zero would fail that check for float32 code that is
right, so cases that accumulate pass the sum of the terms' magnitudes to
Case.output; a case with an output too close to zero for it is drawn again
from the next seed.

The cases named *_float64, *_float16, *_bfloat16 keep their tensors in that
type. float64 references use the float64 data as is. float16 and bfloat16 are
storage types: lwcc (like onnxruntime on x86) computes such nodes in float32
from the stored values and rounds once at the output, so the reference is the
float64 computation on the rounded inputs, rounded once to the output type.
A float16 output may then be one unit in the last place off (within rtol
1e-3); a bfloat16 one may not (its unit is 2^-8), so a bfloat16 output whose
float32 error could round it the other way is drawn again.
"""
import os
import sys
import zlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
IR_VERSION = 8   # what ONNX 1.12 writes
F32, F64, F16 = np.float32, np.float64, np.float16
RTOL, ATOL = 1e-3, 1e-7     # the e2e runner's tolerances
ACC_ERR = 1e-6              # assumed float32 accumulation error, relative to sum |term|
MAX_ATTEMPTS = 100


class IllConditioned(Exception):
    """An output too near zero for its magnitude: redraw the case's data."""


class BF16:
    """A bfloat16 tensor (numpy has no such dtype): float64 values rounded to
    bfloat16 (through float32, to nearest even), kept as their 16 bits."""

    def __init__(self, values):
        u = np.asarray(values, dtype=F32).view(np.uint32).astype(np.uint64)
        self.bits = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
        self.shape = self.bits.shape

    def values(self):
        return (self.bits.astype(np.uint32) << 16).view(F32).astype(np.float64)


def stored(a, dtype):
    """float64 values a as a tensor of dtype (F32, F64, F16 or BF16)."""
    return BF16(a) if dtype is BF16 else np.asarray(a).astype(dtype)


def values_of(t):
    """The float64 values a stored tensor holds."""
    return t.values() if isinstance(t, BF16) else np.asarray(t).astype(np.float64)


def tensor_code(t):
    return TensorProto.BFLOAT16 if isinstance(t, BF16) else onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[t.dtype]


def to_proto(t, name):
    if isinstance(t, BF16):
        return helper.make_tensor(name, TensorProto.BFLOAT16, t.shape, t.bits.tobytes(), raw=True)
    return numpy_helper.from_array(t, name)

# ---------------------------------------------------------------- references
# All take and return float64 arrays; attribute names and defaults follow ONNX.


def ref_conv(x, w, b=None, strides=(1, 1), pads=(0, 0, 0, 0), dilations=(1, 1), group=1):
    """Conv (2-D), pads = [top, left, bottom, right] as in ONNX."""
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    assert c == cg * group and m % group == 0
    mg = m // group
    sh, sw = strides
    dh, dw = dilations
    xp = np.zeros((n, c, h + pads[0] + pads[2], wd + pads[1] + pads[3]))
    xp[:, :, pads[0]:pads[0] + h, pads[1]:pads[1] + wd] = x
    oh = (xp.shape[2] - ((kh - 1) * dh + 1)) // sh + 1
    ow = (xp.shape[3] - ((kw - 1) * dw + 1)) // sw + 1
    y = np.zeros((n, m, oh, ow))
    for oc in range(m):
        g = oc // mg
        for ic in range(cg):
            for i in range(kh):
                for j in range(kw):
                    patch = xp[:, g * cg + ic,
                               i * dh:i * dh + sh * (oh - 1) + 1:sh,
                               j * dw:j * dw + sw * (ow - 1) + 1:sw]
                    y[:, oc] += patch * w[oc, ic, i, j]
        if b is not None:
            y[:, oc] += b[oc]
    return y


def same_upper_pads(size, kernel, stride, dilation=1):
    """auto_pad SAME_UPPER: output ceil(size/stride); the odd pad goes at the end."""
    out = -(-size // stride)
    total = max(0, (out - 1) * stride + (kernel - 1) * dilation + 1 - size)
    return total // 2, total - total // 2


def pool_windows(x, kernel, strides, pads, fill):
    """Yield (oh, ow, window, valid-mask) over a padded 4-D input, ceil_mode 0."""
    n, c, h, w = x.shape
    kh, kw = kernel
    sh, sw = strides
    xp = np.full((n, c, h + pads[0] + pads[2], w + pads[1] + pads[3]), fill)
    xp[:, :, pads[0]:pads[0] + h, pads[1]:pads[1] + w] = x
    valid = np.zeros(xp.shape[2:], dtype=bool)
    valid[pads[0]:pads[0] + h, pads[1]:pads[1] + w] = True
    oh = (xp.shape[2] - kh) // sh + 1
    ow = (xp.shape[3] - kw) // sw + 1
    for i in range(oh):
        for j in range(ow):
            rows = slice(i * sh, i * sh + kh)
            cols = slice(j * sw, j * sw + kw)
            yield i, j, oh, ow, xp[:, :, rows, cols], valid[rows, cols]


def ref_maxpool(x, kernel, strides, pads):
    y = None
    for i, j, oh, ow, win, _ in pool_windows(x, kernel, strides, pads, -np.inf):
        if y is None:
            y = np.zeros(x.shape[:2] + (oh, ow))
        y[:, :, i, j] = win.max(axis=(2, 3))
    return y


def ref_avgpool(x, kernel, strides, pads, count_include_pad):
    y = None
    for i, j, oh, ow, win, valid in pool_windows(x, kernel, strides, pads, 0.0):
        if y is None:
            y = np.zeros(x.shape[:2] + (oh, ow))
        count = win.shape[2] * win.shape[3] if count_include_pad else valid.sum()
        y[:, :, i, j] = win.sum(axis=(2, 3)) / count
    return y


def ref_gemm(a, b, c=None, alpha=1.0, beta=1.0, trans_a=0, trans_b=0):
    a = a.T if trans_a else a
    b = b.T if trans_b else b
    y = alpha * (a @ b)
    return y if c is None else y + beta * c


def ref_batchnorm(x, scale, bias, mean, var, eps):
    sh = (1, -1) + (1,) * (x.ndim - 2)
    return ((x - mean.reshape(sh)) / np.sqrt(var.reshape(sh) + eps) * scale.reshape(sh)
            + bias.reshape(sh))


def ref_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def ref_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def ref_hardsigmoid(x, alpha=0.2, beta=0.5):
    return np.clip(alpha * x + beta, 0.0, 1.0)


def ref_reshape(x, shape):
    """Reshape-13 with allowzero 0: a 0 copies the input's dim, one -1 is inferred."""
    shape = [x.shape[i] if d == 0 else d for i, d in enumerate(shape)]
    return x.reshape(shape)


def ref_flatten(x, axis=1):
    return x.reshape(int(np.prod(x.shape[:axis])), -1)


# ------------------------------------------------------------------ builders


class Case:
    """One test model: its nodes, graph inputs with data, constants, outputs."""

    def __init__(self, name, attempt=0, opset=13):
        self.name = name
        self.opset = opset
        seed = zlib.crc32(name.encode())
        self.rng = np.random.default_rng(seed if attempt == 0 else [seed, attempt])
        self.nodes = []
        self.inputs = []        # (name, array: float32 unless a case asks otherwise)
        self.inits = []         # TensorProto
        self.outputs = []       # (name, expected array)

    def input(self, name, shape, lo=-1.0, hi=1.0, dtype=F32):
        """A graph input with uniform random data of dtype (float32: drawn in float32,
        the half types rounded from it); returns its values as float64."""
        a = self.rng.uniform(lo, hi, size=shape)
        a = a.astype(F32) if dtype is F32 else stored(a if dtype is F64 else a.astype(F32), dtype)
        self.inputs.append((name, a))
        return values_of(a)

    def weight(self, name, shape, lo=-1.0, hi=1.0, raw=True, dtype=F32):
        """A float32 initializer (raw_data, or float_data when raw is False), or one of
        dtype in raw_data."""
        a = self.rng.uniform(lo, hi, size=shape)
        if dtype is F32:
            return self.const(name, a.astype(F32), raw)
        t = stored(a if dtype is F64 else a.astype(F32), dtype)
        self.inits.append(to_proto(t, name))
        return values_of(t)

    def const(self, name, a, raw=True):
        a = np.asarray(a)
        if raw:
            t = numpy_helper.from_array(a, name)
        else:
            code = {np.dtype(F32): TensorProto.FLOAT,
                    np.dtype(np.int64): TensorProto.INT64}[a.dtype]
            t = helper.make_tensor(name, code, a.shape, a.flatten().tolist())
        self.inits.append(t)
        return a.astype(np.float64) if a.dtype == F32 else a

    def node(self, op, ins, outs, name=None, **attrs):
        self.nodes.append(helper.make_node(op, ins, outs, name=name or f"{op.lower()}_{len(self.nodes)}",
                                           **attrs))

    def output(self, name, value, mag=None, dtype=F32):
        """A graph output and its expected value; mag, if given, is the elementwise
        sum of |terms| that make up value (see the module comment)."""
        if dtype is F16 and mag is not None:
            mag = 2 * np.asarray(mag)  # at most one unit off after rounding
        self.check(value, mag)
        if dtype is BF16 and mag is not None:
            err = 2 * ACC_ERR * np.asarray(mag)
            if np.any(BF16(value - err).bits != BF16(value + err).bits):
                raise IllConditioned
        self.outputs.append((name, stored(value, dtype)))

    @staticmethod
    def check(value, mag):
        if mag is not None and np.any(ATOL + RTOL * np.abs(value) < ACC_ERR * mag):
            raise IllConditioned

    def write(self, outdir):
        def info(name, a):
            return helper.make_tensor_value_info(name, tensor_code(a), list(a.shape))

        graph = helper.make_graph(self.nodes, self.name,
                                  [info(n, a) for n, a in self.inputs],
                                  [info(n, a) for n, a in self.outputs],
                                  initializer=self.inits)
        model = helper.make_model(graph, ir_version=IR_VERSION, producer_name="lwcc-tests",
                                  opset_imports=[helper.make_opsetid("", self.opset)])
        onnx.checker.check_model(model, full_check=True)
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
        for o, (n, a) in zip(inferred.graph.output, self.outputs):
            dims = [d.dim_value for d in o.type.tensor_type.shape.dim]
            assert dims == list(a.shape), f"{self.name}: output {n} is {dims}, reference {a.shape}"
        folder = os.path.join(outdir, self.name)
        data = os.path.join(folder, "test_data_set_0")
        os.makedirs(data, exist_ok=True)
        blob = model.SerializeToString()
        assert len(blob) < 50 * 1024, f"{self.name}: model is {len(blob)} bytes"
        with open(os.path.join(folder, "model.onnx"), "wb") as f:
            f.write(blob)
        for kind, items in (("input", self.inputs), ("output", self.outputs)):
            for i, (n, a) in enumerate(items):
                with open(os.path.join(data, f"{kind}_{i}.pb"), "wb") as f:
                    f.write(to_proto(a, n).SerializeToString())


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


# --------------------------------------------------------------------- cases

def conv_case(c, x_shape, w_shape, ref_attrs, bias=True, **attrs):
    """One Conv node from x and constant w (and b); outputs the reference."""
    x = c.input("x", x_shape)
    w = c.weight("w", w_shape, -0.5, 0.5)
    b = c.weight("b", (w_shape[0],), -0.5, 0.5) if bias else None
    c.node("Conv", ["x", "w", "b"] if bias else ["x", "w"], ["y"], **attrs)
    mag = ref_conv(abs(x), abs(w), None if b is None else abs(b), **ref_attrs)
    c.output("y", ref_conv(x, w, b, **ref_attrs), mag)


@case
def conv_pads_strides(c):
    """Asymmetric pads and unequal strides."""
    conv_case(c, (1, 3, 9, 8), (4, 3, 3, 3), dict(strides=(2, 1), pads=(1, 0, 2, 1)),
              kernel_shape=[3, 3], pads=[1, 0, 2, 1], strides=[2, 1])


@case
def conv_dilations(c):
    conv_case(c, (2, 2, 9, 9), (3, 2, 3, 3), dict(dilations=(2, 2), pads=(2, 2, 2, 2)),
              dilations=[2, 2], pads=[2, 2, 2, 2])


@case
def conv_1d_dilated(c):
    """1-D: stride 2, dilation 2, pads 1 and 2, 5 output channels (not a multiple of
    the blocked kernel's channel block), 37 positions (partial vector tiles)."""
    x = c.input("x", (1, 3, 37))
    w = c.weight("w", (5, 3, 4), -0.5, 0.5)
    b = c.weight("b", (5,), -0.5, 0.5)
    c.node("Conv", ["x", "w", "b"], ["y"], strides=[2], pads=[1, 2], dilations=[2])
    ref = dict(strides=(1, 2), pads=(0, 1, 0, 2), dilations=(1, 2))
    y = ref_conv(x[:, :, None, :], w[:, :, None, :], b, **ref)[:, :, 0, :]
    mag = ref_conv(abs(x)[:, :, None, :], abs(w)[:, :, None, :], abs(b), **ref)[:, :, 0, :]
    c.output("y", y, mag)


@case
def conv_tails(c):
    """13 output channels, a 3x1 kernel with stride (2, 1) and row pads, then a
    pointwise conv over 6x13 positions to 10 channels: every partial tile, band and
    channel block of the blocked kernels."""
    x = c.input("x", (1, 3, 11, 13))
    w = c.weight("w", (13, 3, 3, 1), -0.5, 0.5)
    b = c.weight("b", (13,), -0.5, 0.5)
    w2 = c.weight("w2", (10, 13, 1, 1), -0.5, 0.5)
    c.node("Conv", ["x", "w", "b"], ["h"], strides=[2, 1], pads=[1, 0, 1, 0])
    c.node("Conv", ["h", "w2"], ["y"])
    ref = dict(strides=(2, 1), pads=(1, 0, 1, 0))
    h = ref_conv(x, w, b, **ref)
    hm = ref_conv(abs(x), abs(w), abs(b), **ref)
    c.output("y", ref_conv(h, w2), ref_conv(hm, abs(w2)))


@case
def conv_masked(c):
    """A stride-1 3x3 conv whose rows keep their length, as large as its input (no
    room for a padded copy under --arena=tight), with bias and a residual Add (the
    epilogue in place); rows of 5, shorter than a tile."""
    x = c.input("x", (1, 8, 9, 5))
    w = c.weight("w", (8, 8, 3, 3), -0.5, 0.5)
    b = c.weight("b", (8,), -0.5, 0.5)
    c.node("Conv", ["x", "w", "b"], ["h"], pads=[1, 1, 1, 1])
    c.node("Add", ["h", "x"], ["y"])
    c.output("y", ref_conv(x, w, b, pads=(1, 1, 1, 1)) + x,
             ref_conv(abs(x), abs(w), abs(b), pads=(1, 1, 1, 1)) + abs(x))


@case
def conv_masked_wide(c):
    """conv_masked over a map of 5920 positions (a mask table by position would take
    71 KB: tiles along each row instead, a table of one row): 3x3 pads 1 with a
    residual Add; 3x3 pads (1, 2, 1, 0), whose first row's first tile would read before
    x (the first row left to the edges). Positive data: no cancellation in 23680 sums."""
    x = c.input("x", (1, 2, 80, 74), 0.0, 1.0)
    w = c.weight("w", (2, 2, 3, 3), 0.1, 0.5)
    b = c.weight("b", (2,), 0.1, 0.5)
    w2 = c.weight("w2", (2, 2, 3, 3), 0.1, 0.5)
    c.node("Conv", ["x", "w", "b"], ["h"], pads=[1, 1, 1, 1])
    c.node("Add", ["h", "x"], ["y"])
    c.node("Conv", ["x", "w2"], ["y2"], pads=[1, 2, 1, 0])
    c.output("y", ref_conv(x, w, b, pads=(1, 1, 1, 1)) + x,
             ref_conv(abs(x), abs(w), abs(b), pads=(1, 1, 1, 1)) + abs(x))
    c.output("y2", ref_conv(x, w2, pads=(1, 2, 1, 0)), ref_conv(abs(x), abs(w2), pads=(1, 2, 1, 0)))


def ref_conv3d(x, w, b, strides, pads, dilations, group):
    """Conv over [N, C, D, H, W]: each output plane the sum of its kernel's taps."""
    n, cin, d, h, wd = x.shape
    m, cg, kd, kh, kw = w.shape
    xp = np.zeros((n, cin, d + pads[0] + pads[3], h + pads[1] + pads[4], wd + pads[2] + pads[5]))
    xp[:, :, pads[0]:pads[0] + d, pads[1]:pads[1] + h, pads[2]:pads[2] + wd] = x
    od = [(xp.shape[2 + i] - dilations[i] * ((kd, kh, kw)[i] - 1) - 1) // strides[i] + 1
          for i in range(3)]
    y = np.zeros((n, m, od[0], od[1], od[2]))
    mg = m // group
    for a in range(kd):
        for bb in range(kh):
            for cc in range(kw):
                sl = xp[:, :, a * dilations[0]:a * dilations[0] + strides[0] * od[0]:strides[0],
                        bb * dilations[1]:bb * dilations[1] + strides[1] * od[1]:strides[1],
                        cc * dilations[2]:cc * dilations[2] + strides[2] * od[2]:strides[2]]
                for g in range(group):
                    y[:, g * mg:(g + 1) * mg] += np.einsum(
                        "ncdhw,mc->nmdhw", sl[:, g * cg:(g + 1) * cg], w[g * mg:(g + 1) * mg, :, a, bb, cc])
    return y + b.reshape(1, -1, 1, 1, 1)


@case
def conv_3d(c):
    """A 3-D Conv at -O2 as a 2-D one over the depth planes (Pad, Gather, Transpose, Conv,
    Transpose): batch 2, group 2, kernel 3x2x3, strides (2, 1, 1), dilations (1, 2, 1),
    pads (1, 1, 0, 2, 1, 1), bias, then Relu."""
    x = c.input("x", (2, 4, 6, 5, 7))
    w = c.weight("w", (6, 2, 3, 2, 3), -0.5, 0.5)
    b = c.weight("b", (6,), -0.5, 0.5)
    st, pads, dil = (2, 1, 1), (1, 1, 0, 2, 1, 1), (1, 2, 1)
    c.node("Conv", ["x", "w", "b"], ["t"], strides=list(st), pads=list(pads), dilations=list(dil),
           group=2)
    c.node("Relu", ["t"], ["y"])
    relu_output(c, "y", ref_conv3d(x, w, b, st, pads, dil, 2),
                ref_conv3d(abs(x), abs(w), abs(b), st, pads, dil, 2))


def ref_avgpool_blocks(y, k):
    n, c, h, w = y.shape
    return y.reshape(n, c, h // k, k, w // k, k).mean(axis=(3, 5))


@case
def conv_large_maps(c):
    """Convs over a 96x96 map of 16 channels (590 KB, more than half an L2: the channel
    blocks inside the positions), made by a ConvTranspose 8x8 stride 8 from a small input
    and pooled 8x8 for small outputs: a pointwise conv to 8 channels with bias; a 3x3
    pads 1 to 16 channels (with --arena=tight the masked schedule along rows). Positive
    data: no cancellation."""
    x = c.input("x", (1, 4, 12, 12), 0.0, 1.0)
    wt = c.weight("wt", (4, 16, 8, 8), 0.1, 0.5)
    w1 = c.weight("w1", (8, 16, 1, 1), 0.1, 0.5)
    b1 = c.weight("b1", (8,), 0.1, 0.5)
    w2 = c.weight("w2", (16, 16, 3, 3), 0.1, 0.5)
    c.node("ConvTranspose", ["x", "wt"], ["u"], strides=[8, 8])
    c.node("Conv", ["u", "w1", "b1"], ["p"])
    c.node("AveragePool", ["p"], ["y1"], kernel_shape=[8, 8], strides=[8, 8])
    c.node("Conv", ["u", "w2"], ["q"], pads=[1, 1, 1, 1])
    c.node("AveragePool", ["q"], ["y2"], kernel_shape=[8, 8], strides=[8, 8])
    u = ref_convtranspose(x, wt, None, (8, 8), (0, 0, 0, 0))
    c.output("y1", ref_avgpool_blocks(ref_conv(u, w1, b1), 8))
    c.output("y2", ref_avgpool_blocks(ref_conv(u, w2, pads=(1, 1, 1, 1)), 8))


@case
def conv_large_expand(c):
    """A pointwise conv from 16 channels of 96x96 (590 KB, more than half an L2) to more
    output channels, 40 (the channel blocks inside the positions, their stores a plane
    apart), bias and Clip 0..3 (some sums clipped), pooled 8x8 for a small output."""
    x = c.input("x", (1, 4, 12, 12), 0.0, 1.0)
    wt = c.weight("wt", (4, 16, 8, 8), 0.1, 0.5)
    w1 = c.weight("w1", (40, 16, 1, 1), -0.2, 0.5)
    b1 = c.weight("b1", (40,), -0.5, 0.5)
    lo = c.const("lo", np.array(0.0, dtype=F32))
    hi = c.const("hi", np.array(3.0, dtype=F32))
    c.node("ConvTranspose", ["x", "wt"], ["u"], strides=[8, 8])
    c.node("Conv", ["u", "w1", "b1"], ["p"])
    c.node("Clip", ["p", "lo", "hi"], ["q"])
    c.node("AveragePool", ["q"], ["y"], kernel_shape=[8, 8], strides=[8, 8])
    u = ref_convtranspose(x, wt, None, (8, 8), (0, 0, 0, 0))
    c.output("y", ref_avgpool_blocks(np.clip(ref_conv(u, w1, b1), 0.0, 3.0), 8))


@case
def conv_masked_dw(c):
    """The same with a depthwise 3x3 kernel dilated 2 (pads 2)."""
    conv_case(c, (1, 8, 11, 7), (8, 1, 3, 3), dict(pads=(2, 2, 2, 2), dilations=(2, 2), group=8),
              pads=[2, 2, 2, 2], dilations=[2, 2], group=8)


@case
def conv_masked_rows(c):
    """A 3x2 kernel with pads (1, 0, 0, 1): one output row fewer than input rows,
    the column mask on one side only."""
    conv_case(c, (1, 8, 9, 6), (8, 8, 3, 2), dict(pads=(1, 0, 0, 1)), pads=[1, 0, 0, 1])


@case
def conv_masked_dilated(c):
    """The masked schedule's edges in vector pieces: 1-D over 100 positions, 12 channels,
    kernel 3 dilated 8 with pads 8 (tcn's: a piece of 8 a side, one tap outside), dilated
    20 with pads 20 (pieces of 20: a 16-wide tile and one overlapping it) and dilated 4
    with pads (2, 6) (pieces of 2, 4 and 2: vectors of 4 and positions one by one).
    Positive data: no cancellation."""
    x = c.input("x", (1, 12, 100), 0.0, 1.0)
    outs = []
    for i, (d, pl, pr) in enumerate(((8, 8, 8), (20, 20, 20), (4, 2, 6))):
        w = c.weight("w%d" % i, (12, 12, 3), 0.1, 0.5)
        b = c.weight("b%d" % i, (12,), 0.1, 0.5)
        c.node("Conv", ["x", "w%d" % i, "b%d" % i], ["y%d" % i], pads=[pl, pr], dilations=[d])
        ref = dict(pads=(0, pl, 0, pr), dilations=(1, d))
        outs.append(("y%d" % i, ref_conv(x[:, :, None, :], w[:, :, None, :], b, **ref)[:, :, 0, :],
                     ref_conv(abs(x)[:, :, None, :], abs(w)[:, :, None, :], abs(b),
                              **ref)[:, :, 0, :]))
    for name, value, mag in outs:
        c.output(name, value, mag)


@case
def conv_masked_1d(c):
    """1-D, kernel 5 with pads 2 over 40 positions, 12 channels (blocks of 6 on
    AVX-512's 8-row tiles, 4 on narrower ones), Relu."""
    x = c.input("x", (1, 12, 40))
    w = c.weight("w", (12, 12, 5), -0.5, 0.5)
    b = c.weight("b", (12,), -0.5, 0.5)
    c.node("Conv", ["x", "w", "b"], ["h"], pads=[2, 2])
    c.node("Relu", ["h"], ["y"])
    h = ref_conv(x[:, :, None, :], w[:, :, None, :], b, pads=(0, 2, 0, 2))[:, :, 0, :]
    hm = ref_conv(abs(x)[:, :, None, :], abs(w)[:, :, None, :], abs(b), pads=(0, 2, 0, 2))[:, :, 0, :]
    relu_output(c, "y", h, hm)


@case
def conv_swish(c):
    """x * sigmoid(x) after a conv: both read the conv's output, and the pair runs
    in the conv's stores (rows of 11: a scalar remainder after whole vectors);
    a second conv's output is also a graph output, so its pair stays apart."""
    x = c.input("x", (1, 6, 9, 11), 0.0, 1.0)  # h >= 0.5: away from SiLU's zero
    w = c.weight("w", (16, 6, 3, 3), 0.0, 0.5)
    b = c.weight("b", (16,), 0.5, 1.0)
    w2 = c.weight("w2", (4, 16, 1, 1), 0.0, 0.5)
    c.node("Conv", ["x", "w", "b"], ["h"], pads=[1, 1, 1, 1])
    c.node("Sigmoid", ["h"], ["s"])
    c.node("Mul", ["h", "s"], ["y"])
    c.node("Conv", ["y", "w2"], ["h2"])
    c.node("Sigmoid", ["h2"], ["s2"])
    c.node("Mul", ["s2", "h2"], ["y2"])
    h = ref_conv(x, w, b, pads=(1, 1, 1, 1))
    hm = ref_conv(abs(x), abs(w), abs(b), pads=(1, 1, 1, 1))
    y = h * ref_sigmoid(h)
    c.output("y", y, hm)
    h2 = ref_conv(y, w2)
    c.output("h2", h2, ref_conv(hm, abs(w2)))
    c.output("y2", h2 * ref_sigmoid(h2), ref_conv(hm, abs(w2)))


@case
def conv_se_block(c):
    """A squeeze-and-excitation block over a batch of 2: GlobalAveragePool, then two
    1x1 convs over the single pooled position (24 -> 20 with bias and Relu, 20 -> 24
    without bias, HardSigmoid), whose products run along the output channels as a Gemm
    (a vector and a tail of 4 or 8), and the channel scales multiplied into x."""
    x = c.input("x", (2, 24, 5, 5), 0.0, 1.0)
    w1 = c.weight("w1", (20, 24, 1, 1), -0.5, 0.5)
    b1 = c.weight("b1", (20,), 0.2, 0.6)
    w2 = c.weight("w2", (24, 20, 1, 1), -0.5, 0.5)
    c.node("GlobalAveragePool", ["x"], ["g"])
    c.node("Conv", ["g", "w1", "b1"], ["h"])
    c.node("Relu", ["h"], ["r"])
    c.node("Conv", ["r", "w2"], ["e"])
    c.node("HardSigmoid", ["e"], ["s"], alpha=0.25, beta=0.5)
    c.node("Mul", ["x", "s"], ["y"])
    g = x.mean(axis=(2, 3), keepdims=True)
    h = ref_conv(g, w1, b1)
    hm = ref_conv(abs(g), abs(w1), abs(b1))
    r = np.maximum(h, 0.0)
    e = ref_conv(r, w2)
    em = ref_conv(hm, abs(w2))
    c.output("e", e, em)
    c.output("y", x * ref_hardsigmoid(e, 0.25, 0.5), abs(x) * (1.0 + 0.25 * em))


@case
def conv_hardsigmoid_rows(c):
    """A conv's rows of 11 positions (not a whole number of vectors) with a HardSigmoid
    fused: the epilogue runs over the stored rows in y, in place, in vectors whose last
    one overlaps the one before it; that one is taken through the epilogue before the
    others change the elements they share (HardSigmoid applied twice is not
    HardSigmoid)."""
    x = c.input("x", (1, 6, 9, 11), 0.0, 1.0)
    w = c.weight("w", (16, 6, 3, 3), 0.0, 0.05)  # h in about [0.2, 2]: y in [0.6, 1]
    b = c.weight("b", (16,), 0.2, 0.5)
    c.node("Conv", ["x", "w", "b"], ["h"], pads=[1, 1, 1, 1])
    c.node("HardSigmoid", ["h"], ["y"], alpha=0.5, beta=0.5)
    h = ref_conv(x, w, b, pads=(1, 1, 1, 1))
    hm = ref_conv(abs(x), abs(w), abs(b), pads=(1, 1, 1, 1))
    c.output("y", ref_hardsigmoid(h, 0.5, 0.5), 0.5 * hm)


@case
def conv_dw_chan(c):
    """Depthwise convs over small maps in vectors of channels (x transposed into a
    padded scratch, y back): 32 channels of 7x6 in a batch of 2, 3x3 pads 1 with bias
    and a HardSigmoid (fused into the sums in registers: it has a vector form); 24 channels
    (8-lane blocks where a target has 16), 5x5 pads 2 dilations 1, no bias."""
    x = c.input("x", (2, 32, 7, 6), 0.0, 1.0)
    w = c.weight("w", (32, 1, 3, 3), 0.0, 0.2)
    b = c.weight("b", (32,), 0.2, 0.5)
    c.node("Conv", ["x", "w", "b"], ["h"], group=32, pads=[1, 1, 1, 1])
    c.node("HardSigmoid", ["h"], ["y"], alpha=0.5, beta=0.5)
    h = ref_conv(x, w, b, pads=(1, 1, 1, 1), group=32)
    hm = ref_conv(abs(x), abs(w), abs(b), pads=(1, 1, 1, 1), group=32)
    c.output("y", ref_hardsigmoid(h, 0.5, 0.5), 0.5 * hm)
    x2 = c.input("x2", (1, 24, 5, 7), 0.0, 1.0)
    w2 = c.weight("w2", (24, 1, 5, 5), 0.0, 0.5)
    c.node("Conv", ["x2", "w2"], ["z"], group=24, pads=[2, 2, 2, 2])
    d = dict(pads=(2, 2, 2, 2), group=24)
    c.output("z", ref_conv(x2, w2, **d), ref_conv(x2, abs(w2), **d))


@case
def conv_dw_chan_strided(c):
    """Strided depthwise convs over small maps in vectors of channels: 32 channels of
    14x13 in a batch of 2, 3x3 stride 2 pads 1 with bias and Relu (7x7 out); 16
    channels of 11x9, 5x5 stride 2 pads (2, 1, 1, 2) (rows and columns past the input
    that no window reads), no bias; 8 channels of 9x9, 3x3 strides (2, 3) dilations 2.
    A Relu and Transpose of 64 KB beside them raise the most bytes live, so that the
    first conv's scratch fits its budget (its x and y are the graph's)."""
    x4 = c.input("x4", (1, 64, 16, 16), -1.0, 1.0)
    c.node("Relu", ["x4"], ["r4"])
    c.node("Transpose", ["r4"], ["t4"], perm=[0, 2, 3, 1])
    c.output("t4", np.maximum(x4, 0.0).transpose(0, 2, 3, 1))
    x = c.input("x", (2, 32, 14, 13), 0.0, 1.0)
    w = c.weight("w", (32, 1, 3, 3), 0.0, 0.5)
    b = c.weight("b", (32,), -0.2, 0.2)
    c.node("Conv", ["x", "w", "b"], ["h"], group=32, pads=[1, 1, 1, 1], strides=[2, 2])
    c.node("Relu", ["h"], ["y"])
    d = dict(pads=(1, 1, 1, 1), strides=(2, 2), group=32)
    c.output("y", np.maximum(ref_conv(x, w, b, **d), 0.0), ref_conv(abs(x), abs(w), abs(b), **d))
    x2 = c.input("x2", (1, 16, 11, 9), 0.0, 1.0)
    w2 = c.weight("w2", (16, 1, 5, 5), 0.0, 0.5)
    c.node("Conv", ["x2", "w2"], ["z"], group=16, pads=[2, 1, 1, 2], strides=[2, 2])
    d = dict(pads=(2, 1, 1, 2), strides=(2, 2), group=16)
    c.output("z", ref_conv(x2, w2, **d), ref_conv(abs(x2), abs(w2), **d))
    x3 = c.input("x3", (1, 8, 9, 9), 0.0, 1.0)
    w3 = c.weight("w3", (8, 1, 3, 3), 0.0, 0.5)
    c.node("Conv", ["x3", "w3"], ["v"], group=8, strides=[2, 3], dilations=[2, 2])
    d = dict(strides=(2, 3), dilations=(2, 2), group=8)
    c.output("v", ref_conv(x3, w3, **d), ref_conv(abs(x3), abs(w3), **d))


@case
def conv_dw_chan_inplace(c):
    """Depthwise convs over small maps in vectors of channels with less scratch budget
    than they take (the most bytes live are the unfused Add's three maps of 32 channels;
    a block of 16 channels takes 5504 bytes, one map 3840): a pointwise conv 24 -> 32
    channels of 6x5 with Relu; a depthwise 3x3 pads 1 with bias and Relu whose input dies
    there: its y goes in place of x (each block of channels copied to scratch before its
    planes of y are stored); a depthwise 3x3 pads 1 plus a residual Add of its own input,
    which the epilogue reads after the stores: not in place; a pointwise conv to 16."""
    x = c.input("x", (1, 24, 6, 5), 0.0, 1.0)
    w1 = c.weight("w1", (32, 24, 1, 1), 0.0, 0.3)
    w2 = c.weight("w2", (32, 1, 3, 3), 0.0, 0.5)
    b2 = c.weight("b2", (32,), -0.2, 0.2)
    w3 = c.weight("w3", (32, 1, 3, 3), 0.0, 0.5)
    w4 = c.weight("w4", (16, 32, 1, 1), 0.0, 0.3)
    c.node("Conv", ["x", "w1"], ["p1"])
    c.node("Relu", ["p1"], ["h1"])
    c.node("Conv", ["h1", "w2", "b2"], ["d2"], group=32, pads=[1, 1, 1, 1])
    c.node("Relu", ["d2"], ["h2"])
    c.node("Conv", ["h2", "w3"], ["d3"], group=32, pads=[1, 1, 1, 1])
    c.node("Add", ["d3", "h2"], ["h3"])
    c.node("Conv", ["h3", "w4"], ["y"])
    d = dict(pads=(1, 1, 1, 1), group=32)
    h1 = np.maximum(ref_conv(x, w1), 0.0)
    m1 = ref_conv(abs(x), abs(w1))
    h2 = np.maximum(ref_conv(h1, w2, b2, **d), 0.0)
    m2 = ref_conv(m1, abs(w2), abs(b2), **d)
    h3 = ref_conv(h2, w3, **d) + h2
    m3 = ref_conv(m2, abs(w3), **d) + m2
    c.output("y", ref_conv(h3, w4), ref_conv(m3, abs(w4)))


def conv_operands(c, name, shape, wshape, bias):
    """A conv's input "x" + name in [0, 1), weights "w" + name in [0, 0.5) and, with
    bias, "b" + name in [-0.2, 0.2): (x, w, b or None, the Conv's input names)."""
    x = c.input("x" + name, shape, 0.0, 1.0)
    w = c.weight("w" + name, wshape, 0.0, 0.5)
    ins = ["x" + name, "w" + name]
    b = None
    if bias:
        b = c.weight("b" + name, (wshape[0],), -0.2, 0.2)
        ins.append("b" + name)
    return x, w, b, ins


def conv_after(c, name, y, mag, act=None, add=False):
    """After a conv "h" + name (y its value, mag its sum of |terms|): act "relu" or "clip"
    (Clip(0, 6), the initializers "lo" and "hi"), or a residual Add of an input "r" + name,
    into the output "y" + name."""
    out = "y" + name
    if act == "relu":
        c.node("Relu", ["h" + name], [out])
        y = np.maximum(y, 0.0)
    elif act == "clip":
        c.node("Clip", ["h" + name, "lo", "hi"], [out])
        y = np.clip(y, 0.0, 6.0)
    if add:
        r = c.input("r" + name, y.shape, 0.0, 1.0)
        c.node("Add", ["h" + name, "r" + name], [out])
        y, mag = y + r, mag + abs(r)
    c.output(out, y, mag)


@case
def conv_pw_inplace(c):
    """Pointwise convs over 25x5 (as in mlperf_dscnn) with little scratch budget (the most
    bytes live are two maps of 32 channels): the first and last in vectors of channels,
    the middle one with no room for its tile scratch, its sums stored in y itself and its
    Clip(0, 6) (a vector form) applied to them in the registers before the store, 125
    positions (a last tile overlapping the one before it); a Relu and a residual Add."""
    x = c.input("x", (1, 32, 25, 5), -1.0, 1.0)
    w1 = c.weight("w1", (32, 32, 1, 1), -0.3, 0.3)
    b1 = c.weight("b1", (32,), -0.2, 0.2)
    w2 = c.weight("w2", (32, 32, 1, 1), -0.3, 0.3)
    w3 = c.weight("w3", (32, 32, 1, 1), 0.0, 0.3)
    c.inits.append(to_proto(np.array(0.0, dtype=F32), "lo"))
    c.inits.append(to_proto(np.array(6.0, dtype=F32), "hi"))
    c.node("Conv", ["x", "w1", "b1"], ["p1"])
    c.node("Relu", ["p1"], ["h1"])
    c.node("Conv", ["h1", "w2"], ["p2"])
    c.node("Clip", ["p2", "lo", "hi"], ["h2"])
    c.node("Conv", ["h2", "w3"], ["p3"])
    c.node("Add", ["p3", "h2"], ["y"])
    h1 = np.maximum(ref_conv(x, w1, b1), 0.0)
    m1 = ref_conv(abs(x), abs(w1), abs(b1))
    h2 = np.clip(ref_conv(h1, w2), 0.0, 6.0)
    m2 = ref_conv(m1, abs(w2))
    c.output("y", ref_conv(h2, w3) + h2, ref_conv(m2, abs(w3)) + m2)


@case
def conv_dw_rows(c):
    """Depthwise convs whose rows are wider than a vector, a group of output rows at a
    time, each input vector loaded once for the rows it feeds (conv_lower_dwrows).
    Stride 1, x read where it is, the columns past a row's ends masked, the first and
    last rows from padded copies: 16 channels of 9x37 in a batch of 2, 3x3 pads 1 with
    bias and Clip(0, 6) (an odd last row, the last vector overlapping the one before);
    5x5 pads 2 and 7x7 pads 3 (the weights in registers, or not); pads (2, 0, 0, 2) (rows
    above only, columns right only); 3x3 dilated 2; rows of 300 (column blocks); one row
    of 3 input rows (its first and last the same); a residual Add fused (no vector form:
    the epilogue over each plane after it); 1-D over 70 positions, kernel 3 dilated 4,
    pads (8, 0). Strides (copies of the channel's plane in column phases before its
    groups): 3x3 stride 2 pads 1 over 15x40; 5x5 strides (3, 2) pads (2, 1, 1, 2) over
    13x50; a plane over 16 KB (each group's rows copied just before it): 3x3 stride 2
    pads (0, 0, 1, 1) over 40x120. A Relu and Transpose of 64 KB beside them raise the
    most bytes live, so that the copies' scratch fits the budget."""
    x4 = c.input("x4", (1, 64, 16, 16), -1.0, 1.0)
    c.node("Relu", ["x4"], ["r4"])
    c.node("Transpose", ["r4"], ["t4"], perm=[0, 2, 3, 1])
    c.output("t4", np.maximum(x4, 0.0).transpose(0, 2, 3, 1))

    def dw(name, shape, k, relu6=False, bias=False, add=None, **attrs):
        ch = shape[1]
        x, w, b, ins = conv_operands(c, name, shape, (ch, 1) + k, bias)
        out = "y" + name
        c.node("Conv", ins, ["h" + name if relu6 or add else out], group=ch, **attrs)
        one_d = len(shape) == 3
        d = dict(group=ch, pads=tuple(attrs.get("pads", [0] * (2 * len(k)))))
        d["strides"] = tuple(attrs.get("strides", [1] * len(k)))
        d["dilations"] = tuple(attrs.get("dilations", [1] * len(k)))
        if one_d:
            x, w = x[:, :, None, :], w[:, :, None, :]
            p = d["pads"]
            d = dict(group=ch, pads=(0, p[0], 0, p[1]), strides=(1,) + d["strides"],
                     dilations=(1,) + d["dilations"])
        y = ref_conv(x, w, b, **d)
        m = ref_conv(abs(x), abs(w), None if b is None else abs(b), **d)
        if one_d:
            y, m = y[:, :, 0, :], m[:, :, 0, :]
        conv_after(c, name, y, m, "clip" if relu6 else None, add)

    c.inits.append(to_proto(np.array(0.0, dtype=F32), "lo"))
    c.inits.append(to_proto(np.array(6.0, dtype=F32), "hi"))
    dw("a", (2, 16, 9, 37), (3, 3), relu6=True, bias=True, pads=[1, 1, 1, 1])
    dw("b", (1, 8, 6, 20), (5, 5), pads=[2, 2, 2, 2])
    dw("c", (1, 4, 10, 33), (7, 7), bias=True, pads=[3, 3, 3, 3])
    dw("d", (1, 4, 7, 24), (3, 3), pads=[2, 0, 0, 2])
    dw("e", (1, 4, 8, 40), (3, 3), pads=[2, 2, 2, 2], dilations=[2, 2])
    dw("f", (1, 2, 5, 300), (3, 3), bias=True, pads=[1, 1, 1, 1])
    dw("g", (1, 4, 3, 19), (3, 3), pads=[0, 1, 0, 1])
    dw("h", (1, 8, 6, 33), (3, 3), bias=True, add=True, pads=[1, 1, 1, 1])
    dw("i", (1, 6, 70), (3,), pads=[8, 0], dilations=[4])
    dw("j", (1, 8, 15, 40), (3, 3), relu6=True, bias=True, pads=[1, 1, 1, 1], strides=[2, 2])
    dw("k", (1, 4, 13, 50), (5, 5), pads=[2, 1, 1, 2], strides=[3, 2])
    dw("l", (1, 2, 40, 120), (3, 3), bias=True, pads=[0, 0, 1, 1], strides=[2, 2])


@case
def conv_wino(c):
    """3x3 convs of stride 1 through Winograd F(2x2, 3x3) (conv_lower_wino): odd rows and
    columns (the last tiles' second row and column outside y), batch 2 with bias and Relu
    and output channels past the register tile's (a last block of fewer); no padding with
    a residual Add fused; pads (2, 0, 1, 2); a tall map of 5 tiles a row (a loop over
    interior blocks, a last block of fewer rows); 24 input channels (12 at a time through
    the input transform) with Clip(0, 6); 10 rows of tiles over 9 columns (a last block of
    R rows over rows of the block before). A Relu and Transpose of 96 KB beside them raise
    the most bytes live, so that the transforms' scratch fits the budget."""
    x4 = c.input("x4", (1, 64, 24, 16), -1.0, 1.0)
    c.node("Relu", ["x4"], ["r4"])
    c.node("Transpose", ["r4"], ["t4"], perm=[0, 2, 3, 1])
    c.output("t4", np.maximum(x4, 0.0).transpose(0, 2, 3, 1))
    c.inits.append(to_proto(np.array(0.0, dtype=F32), "lo"))
    c.inits.append(to_proto(np.array(6.0, dtype=F32), "hi"))

    def conv(name, shape, m, pads, bias=False, act=None, add=False):
        x, w, b, ins = conv_operands(c, name, shape, (m, shape[1], 3, 3), bias)
        out = "y" + name
        c.node("Conv", ins, ["h" + name if act or add else out], pads=pads)
        p = (pads[0], pads[1], pads[2], pads[3])
        y = ref_conv(x, w, b, pads=p)
        mag = ref_conv(abs(x), abs(w), None if b is None else abs(b), pads=p)
        conv_after(c, name, y, mag, act, add)

    conv("a", (2, 8, 11, 13), 20, [1, 1, 1, 1], bias=True, act="relu")
    conv("b", (1, 8, 12, 20), 8, [0, 0, 0, 0], add=True)
    conv("c", (1, 8, 9, 15), 8, [2, 0, 1, 2])
    conv("d", (1, 8, 41, 10), 8, [1, 1, 1, 1], bias=True)
    conv("e", (1, 24, 10, 10), 8, [1, 1, 1, 1], act="clip")
    conv("f", (1, 8, 20, 17), 8, [1, 1, 1, 1])


@case
def conv_wino_inplace(c):
    """A residual block through Winograd F(2x2, 3x3) with the most bytes live at its
    second conv (its input, the block's input and its output: 8 channels of 31x32 each):
    a stem conv 3 -> 8 with Relu; a 3x3 pads 1 with bias and Relu whose transforms' scratch
    fits the budget; a 3x3 pads 1 plus the block's input (dead after it) and Relu, whose
    scratch fits only with y in place of that input (each block of rows through the
    epilogue from scratch, an odd last row); a pointwise conv to 4 channels."""
    x = c.input("x", (1, 3, 31, 32), 0.0, 1.0)
    w0 = c.weight("w0", (8, 3, 3, 3), 0.0, 0.4)
    w1 = c.weight("w1", (8, 8, 3, 3), 0.0, 0.1)
    b1 = c.weight("b1", (8,), 0.0, 0.2)
    w2 = c.weight("w2", (8, 8, 3, 3), 0.0, 0.1)
    w3 = c.weight("w3", (4, 8, 1, 1), 0.0, 0.3)
    p = [1, 1, 1, 1]
    c.node("Conv", ["x", "w0"], ["c0"], pads=p)
    c.node("Relu", ["c0"], ["a"])
    c.node("Conv", ["a", "w1", "b1"], ["c1"], pads=p)
    c.node("Relu", ["c1"], ["h"])
    c.node("Conv", ["h", "w2"], ["c2"], pads=p)
    c.node("Add", ["c2", "a"], ["s"])
    c.node("Relu", ["s"], ["r"])
    c.node("Conv", ["r", "w3"], ["y"])
    d = dict(pads=(1, 1, 1, 1))
    a = np.maximum(ref_conv(x, w0, **d), 0.0)
    h = np.maximum(ref_conv(a, w1, b1, **d), 0.0)
    r = np.maximum(ref_conv(h, w2, **d) + a, 0.0)
    c.output("y", ref_conv(r, w3), ref_conv(r, w3))


@case
def conv_chan(c):
    """Rows of 7 and 4 positions, 32 and 16 output channels: the tiles of channel
    vectors against a row's positions (stride 1 with bias, stride 2, pointwise)."""
    x = c.input("x", (1, 8, 6, 7), 0.0, 1.0)  # one sign: 1344 outputs, none near 0
    w = c.weight("w", (32, 8, 3, 3), 0.0, 0.5)
    b = c.weight("b", (32,), -0.5, 0.5)
    w2 = c.weight("w2", (16, 8, 3, 3), -0.5, 0.5)
    c.node("Conv", ["x", "w", "b"], ["h"], pads=[1, 1, 1, 1])
    c.node("Conv", ["x", "w2"], ["y"], pads=[1, 1, 1, 1], strides=[2, 2])
    c.output("h", ref_conv(x, w, b, pads=(1, 1, 1, 1)),
             ref_conv(abs(x), abs(w), abs(b), pads=(1, 1, 1, 1)))
    d = dict(pads=(1, 1, 1, 1), strides=(2, 2))
    c.output("y", ref_conv(x, w2, **d), ref_conv(abs(x), abs(w2), **d))
    w3 = c.weight("w3", (16, 8, 1, 1), 0.0, 0.5)
    r = c.input("r", (1, 16, 6, 7), 0.0, 1.0)
    c.node("Conv", ["x", "w3"], ["p"])
    c.node("Add", ["p", "r"], ["z"])  # an epilogue with a tensor operand
    c.output("z", ref_conv(x, w3) + r, ref_conv(abs(x), abs(w3)) + r)


@case
def conv_chan_peel(c):
    """Channel vectors over x where it is, padded (ConvBlk.xpeel): the rows whose every
    tap is inside x as a loop, the edge rows one by one. 16 -> 32 channels of 8x8 in a
    batch of 2, 3x3 pads 1, bias and Relu; 4 -> 16 of 9x7, 5x5 stride 2 pads (2, 1, 1, 2);
    4 -> 16 of 6x6, 3x3 dilations 2 pads 2 (two edge rows each side); 4 -> 16 of 3x3,
    5x5 pads 2 (every row an edge, taps past both sides); a 1-D conv of 8 -> 16 over 7,
    k 3 pads (1, 2); 2 -> 16 of 6x6, 7x7 pads 3 (six edge rows: the band instead); and
    4 -> 16 of 11x13, 3x3 pads 1 (rows of 13: channel vectors up to 16 for 3x3 kernels)."""
    x = c.input("x", (2, 16, 8, 8), 0.0, 1.0)  # one sign: no sums near 0
    w = c.weight("w", (32, 16, 3, 3), 0.0, 0.5)
    b = c.weight("b", (32,), -0.5, 0.5)
    c.node("Conv", ["x", "w", "b"], ["h"], pads=[1, 1, 1, 1])
    c.node("Relu", ["h"], ["y"])
    d = dict(pads=(1, 1, 1, 1))
    c.output("y", np.maximum(ref_conv(x, w, b, **d), 0.0), ref_conv(abs(x), abs(w), abs(b), **d))
    cases = [("a", (1, 4, 9, 7), (16, 4, 5, 5), dict(pads=(2, 1, 1, 2), strides=(2, 2))),
             ("d", (1, 4, 6, 6), (16, 4, 3, 3), dict(pads=(2, 2, 2, 2), dilations=(2, 2))),
             ("e", (1, 4, 3, 3), (16, 4, 5, 5), dict(pads=(2, 2, 2, 2))),
             ("k", (1, 2, 6, 6), (16, 2, 7, 7), dict(pads=(3, 3, 3, 3))),
             ("w", (1, 4, 11, 13), (16, 4, 3, 3), dict(pads=(1, 1, 1, 1)))]
    for nm, xs, ws, d in cases:
        xi = c.input("x" + nm, xs, 0.0, 1.0)
        wi = c.weight("w" + nm, ws, 0.0, 0.5)
        attrs = {k: list(v) for k, v in d.items()}
        c.node("Conv", ["x" + nm, "w" + nm], ["y" + nm], **attrs)
        c.output("y" + nm, ref_conv(xi, wi, **d), ref_conv(abs(xi), abs(wi), **d))
    x1 = c.input("x1", (1, 8, 7), 0.0, 1.0)
    w1 = c.weight("w1", (16, 8, 3), 0.0, 0.5)
    c.node("Conv", ["x1", "w1"], ["y1"], pads=[1, 2])
    d = dict(pads=(0, 1, 0, 2))
    c.output("y1", ref_conv(x1[:, :, None, :], w1[:, :, None, :], **d)[:, :, 0, :],
             ref_conv(abs(x1)[:, :, None, :], abs(w1)[:, :, None, :], **d)[:, :, 0, :])


@case
def conv_chan_blocks(c):
    """Channel vectors over x where it is (ConvBlk.xpeel) in several blocks of output
    channels, each block's edge and inside rows before the next block's: 8 -> 64 of
    6x14, 3x3 pads 1, plus a residual and Relu (rows of 14: one vector of channels a
    block, two would leave too few registers), and 8 -> 48 of 7x7 (two vectors), with
    Sigmoid(x) * x after it (an epilogue with no vector form on some targets); rows of 16
    by one vector of channels (3x3, pads 1, and no pads over x itself), whose products
    go in the order of the x they broadcast (ConvBlk.xrow) where 32 registers are."""
    xr = c.input("xr", (1, 8, 6, 14), 0.0, 1.0)  # one sign: no sums near 0
    wr = c.weight("wr", (64, 8, 3, 3), 0.0, 0.5)
    rr = c.input("rr", (1, 64, 6, 14), 0.0, 1.0)
    c.node("Conv", ["xr", "wr"], ["hr"], pads=[1, 1, 1, 1])
    c.node("Add", ["hr", "rr"], ["sr"])
    c.node("Relu", ["sr"], ["yr"])
    d = dict(pads=(1, 1, 1, 1))
    c.output("yr", np.maximum(ref_conv(xr, wr, **d) + rr, 0.0),
             ref_conv(abs(xr), abs(wr), **d) + rr)
    xs = c.input("xs", (1, 8, 7, 7), 0.0, 1.0)
    ws = c.weight("ws", (48, 8, 3, 3), 0.0, 0.25)
    c.node("Conv", ["xs", "ws"], ["hs"], pads=[1, 1, 1, 1])
    c.node("Sigmoid", ["hs"], ["gs"])
    c.node("Mul", ["hs", "gs"], ["ys"])
    h = ref_conv(xs, ws, **d)
    c.output("ys", h / (1.0 + np.exp(-h)), ref_conv(abs(xs), abs(ws), **d))
    for nm, xs_, pads in (("t", (1, 4, 5, 16), (1, 1, 1, 1)), ("u", (1, 4, 6, 18), (0, 0, 0, 0))):
        xi = c.input("x" + nm, xs_, 0.0, 1.0)
        wi = c.weight("w" + nm, (16, 4, 3, 3), 0.0, 0.5)
        c.node("Conv", ["x" + nm, "w" + nm], ["y" + nm], pads=list(pads))
        c.output("y" + nm, ref_conv(xi, wi, pads=pads), ref_conv(abs(xi), abs(wi), pads=pads))


@case
def conv_band_phases(c):
    """Strided convs whose taps read only some of the band's phases (the others not
    copied), each plus Relu, rows of more than 16 (the band, not channel vectors): 1x1
    stride 2 (a ResNet downsampling conv, one phase of four), 16 -> 32 over 20x20; 3x3
    stride 2 dilation 2 pads 2 (one phase) 4 -> 32 over 9x37; 1x3 stride 2 pads (0, 1)
    (row phase 0, both column phases) 8 -> 32 over 6x40."""
    cases = [("a", (1, 16, 20, 20), (32, 16, 1, 1), dict(strides=(2, 2))),
             ("b", (1, 4, 9, 37), (32, 4, 3, 3), dict(strides=(2, 2), dilations=(2, 2),
                                                      pads=(2, 2, 2, 2))),
             ("c", (1, 8, 6, 40), (32, 8, 1, 3), dict(strides=(2, 2), pads=(0, 1, 0, 1)))]
    for nm, xs, ws, d in cases:
        xi = c.input("x" + nm, xs, 0.0, 1.0)  # one sign: no sums near 0
        wi = c.weight("w" + nm, ws, 0.0, 0.5)
        attrs = {k: list(v) for k, v in d.items()}
        c.node("Conv", ["x" + nm, "w" + nm], ["h" + nm], **attrs)
        c.node("Relu", ["h" + nm], ["y" + nm])
        c.output("y" + nm, np.maximum(ref_conv(xi, wi, **d), 0.0), ref_conv(abs(xi), abs(wi), **d))


@case
def conv_groups(c):
    """group 2: 4 input channels, 6 output channels, no bias."""
    conv_case(c, (1, 4, 6, 6), (6, 2, 3, 3), dict(group=2, pads=(1, 1, 1, 1)), bias=False,
              group=2, pads=[1, 1, 1, 1])


@case
def conv_depthwise(c):
    """Depthwise with channel multiplier 2 (group = input channels), stride 2."""
    conv_case(c, (1, 4, 7, 7), (8, 1, 3, 3), dict(group=4, pads=(1, 1, 1, 1), strides=(2, 2)),
              group=4, pads=[1, 1, 1, 1], strides=[2, 2])


@case
def conv_same_upper(c):
    """auto_pad SAME_UPPER with an even kernel and stride 2: pads 1 before, 2 after."""
    ph = same_upper_pads(7, 4, 2)
    assert ph == (1, 2)
    conv_case(c, (1, 2, 7, 7), (3, 2, 4, 4),
              dict(strides=(2, 2), pads=(ph[0], ph[0], ph[1], ph[1])),
              auto_pad="SAME_UPPER", strides=[2, 2])


@case
def conv_1x1(c):
    conv_case(c, (1, 8, 5, 5), (4, 8, 1, 1), {})


@case
def conv_1x1_small_maps(c):
    """Pointwise convs of 64 channels over small maps, one row of all their positions
    for the channel vectors: 3x3 to 32 channels with bias and Relu, 4x4 to 32 with no
    bias, and 2x5 to 16."""
    x3 = c.input("x3", (1, 64, 3, 3))
    x4 = c.input("x4", (1, 64, 4, 4))
    x2 = c.input("x2", (1, 64, 2, 5))
    w3 = c.weight("w3", (32, 64, 1, 1), -0.5, 0.5)
    b3 = c.weight("b3", (32,), -0.5, 0.5)
    w4 = c.weight("w4", (32, 64, 1, 1), -0.5, 0.5)
    w2 = c.weight("w2", (16, 64, 1, 1), -0.5, 0.5)
    c.node("Conv", ["x3", "w3", "b3"], ["h3"])
    c.node("Relu", ["h3"], ["y3"])
    c.node("Conv", ["x4", "w4"], ["y4"])
    c.node("Conv", ["x2", "w2"], ["y2"])
    relu_output(c, "y3", ref_conv(x3, w3, b3), ref_conv(abs(x3), abs(w3), abs(b3)))
    c.output("y4", ref_conv(x4, w4), ref_conv(abs(x4), abs(w4)))
    c.output("y2", ref_conv(x2, w2), ref_conv(abs(x2), abs(w2)))


@case
def gemm_transb_alpha_beta(c):
    """transB, alpha, beta, and a bias of shape [N] broadcast over rows (float_data)."""
    a = c.input("a", (3, 5))
    b = c.weight("b", (4, 5), raw=False)
    bias = c.weight("c", (4,), raw=False)
    c.node("Gemm", ["a", "b", "c"], ["y"], transB=1, alpha=0.5, beta=2.0)
    c.output("y", ref_gemm(a, b, bias, alpha=0.5, beta=2.0, trans_b=1),
             ref_gemm(abs(a), abs(b), abs(bias), alpha=0.5, beta=2.0, trans_b=1))


@case
def gemm_transa_col_bias(c):
    """transA, a bias of shape [M, 1] broadcast over columns."""
    a = c.input("a", (6, 3))
    b = c.weight("b", (6, 5))
    bias = c.weight("c", (3, 1))
    c.node("Gemm", ["a", "b", "c"], ["y"], transA=1)
    c.output("y", ref_gemm(a, b, bias, trans_a=1), ref_gemm(abs(a), abs(b), abs(bias), trans_a=1))


@case
def gemm_no_bias(c):
    a = c.input("a", (2, 7))
    b = c.weight("b", (7, 3))
    c.node("Gemm", ["a", "b"], ["y"], alpha=1.5)
    c.output("y", ref_gemm(a, b, alpha=1.5), ref_gemm(abs(a), abs(b), alpha=1.5))


@case
def matmul_2d(c):
    a = c.input("a", (3, 4))
    b = c.weight("b", (4, 5))
    c.node("MatMul", ["a", "b"], ["y"])
    c.output("y", a @ b, abs(a) @ abs(b))


@case
def matmul_batched(c):
    """Two graph inputs, batch dims broadcast: [2,1,3,4] x [3,4,5] -> [2,3,3,5]."""
    a = c.input("a", (2, 1, 3, 4))
    b = c.input("b", (3, 4, 5))
    c.node("MatMul", ["a", "b"], ["y"])
    c.output("y", np.matmul(a, b), np.matmul(abs(a), abs(b)))


def relu_output(c, name, value, mag):
    """Output name = Relu(value): value must be well away from zero for its sign to be
    sure; the zeros are then exact."""
    c.check(value, mag)
    c.output(name, np.maximum(value, 0.0), np.where(value > 0, mag, 0.0))


@case
def gemm_vec_m1_relu(c):
    """Batch-1 fully connected: M 1, N 135 (whole tiles, vectors, a short vector and
    scalars at every vector width), constant B transposed, bias [N], then Relu."""
    a = c.input("a", (1, 24))
    b = c.weight("b", (135, 24))
    bias = c.weight("c", (135,))
    c.node("Gemm", ["a", "b", "c"], ["g"], transB=1)
    c.node("Relu", ["g"], ["y"])
    relu_output(c, "y", ref_gemm(a, b, bias, trans_b=1),
                ref_gemm(abs(a), abs(b), abs(bias), trans_b=1))


@case
def gemm_vec_full_c(c):
    """M 5, N 37, alpha 0.5, beta 2, C [M, N] a graph input, then Add of a row."""
    a = c.input("a", (5, 7))
    b = c.weight("b", (7, 37))
    cc = c.input("c", (5, 37))
    r = c.weight("r", (37,))
    c.node("Gemm", ["a", "b", "c"], ["g"], alpha=0.5, beta=2.0)
    c.node("Add", ["g", "r"], ["y"])
    y = ref_gemm(a, b, cc, alpha=0.5, beta=2.0) + r
    c.output("y", y, ref_gemm(abs(a), abs(b), abs(cc), alpha=0.5, beta=2.0) + abs(r))


@case
def gemm_vec_col_c_k1(c):
    """K 1, transA, C [M, 1] with beta 0.5 (alpha 1: the sums start from it), M 9."""
    a = c.input("a", (1, 9))
    b = c.weight("b", (1, 21))
    cc = c.weight("c", (9, 1))
    c.node("Gemm", ["a", "b", "c"], ["y"], transA=1, beta=0.5)
    c.output("y", ref_gemm(a, b, cc, beta=0.5, trans_a=1),
             ref_gemm(abs(a), abs(b), abs(cc), beta=0.5, trans_a=1))


@case
def gemm_vec_scalar_c(c):
    """M 13 (row blocks and a shorter last one), N 50, B a graph input [K, N], C a
    scalar [1, 1], alpha 2, beta -1."""
    a = c.input("a", (13, 11))
    b = c.input("b", (11, 50))
    cc = c.weight("c", (1, 1))
    c.node("Gemm", ["a", "b", "c"], ["y"], alpha=2.0, beta=-1.0)
    c.output("y", ref_gemm(a, b, cc, alpha=2.0, beta=-1.0),
             ref_gemm(abs(a), abs(b), abs(cc), alpha=2.0, beta=1.0))


@case
def gemm_vec_row_c_relu(c):
    """M 16, N 40, C [1, N], transB constant, then Relu; and B computed with transB
    (the plain loops)."""
    a = c.input("a", (16, 19))
    b = c.weight("b", (40, 19))
    cc = c.weight("c", (1, 40))
    c.node("Gemm", ["a", "b", "c"], ["g"], transB=1)
    c.node("Relu", ["g"], ["y"])
    relu_output(c, "y", ref_gemm(a, b, cc, trans_b=1), ref_gemm(abs(a), abs(b), abs(cc), trans_b=1))
    bt = c.input("bt", (12, 19))
    c.node("Gemm", ["a", "bt"], ["z"], transB=1)
    c.output("z", ref_gemm(a, bt, trans_b=1), ref_gemm(abs(a), abs(bt), trans_b=1))


@case
def matmul_vec_bcast(c):
    """Batched MatMul of two inputs with broadcast batch dims, [2,1,5,12] x [3,12,19],
    then Relu."""
    a = c.input("a", (2, 1, 5, 12))
    b = c.input("b", (3, 12, 19))
    c.node("MatMul", ["a", "b"], ["p"])
    c.node("Relu", ["p"], ["y"])
    relu_output(c, "y", np.matmul(a, b), np.matmul(abs(a), abs(b)))


@case
def matmul_vec_weights(c):
    """A [1, 6, 33] by constant weights [33, 70] (a transformer's projection), then
    Add of a bias [70]; and a 1-D A [33] by the same weights."""
    a = c.input("a", (1, 6, 33))
    w = c.weight("w", (33, 70))
    bias = c.weight("bias", (70,))
    c.node("MatMul", ["a", "w"], ["p"])
    c.node("Add", ["p", "bias"], ["y"])
    c.output("y", np.matmul(a, w) + bias, np.matmul(abs(a), abs(w)) + abs(bias))
    v = c.input("v", (33,))
    c.node("MatMul", ["v", "w"], ["z"])
    c.output("z", v @ w, abs(v) @ abs(w))


@case
def add_broadcast(c):
    x = c.input("x", (1, 3, 4, 5))
    y = c.weight("bias", (3, 1, 1))
    c.node("Add", ["x", "bias"], ["z"])
    c.output("z", x + y)


@case
def sub_broadcast(c):
    """Both operands are graph inputs; the second broadcasts along the last axis."""
    x = c.input("x", (2, 3, 4))
    y = c.input("y", (4,))
    c.node("Sub", ["x", "y"], ["z"])
    c.output("z", x - y)


@case
def mul_broadcast(c):
    """Both operands broadcast: [2,1,4] * [3,1] -> [2,3,4]; then times a scalar."""
    x = c.input("x", (2, 1, 4))
    y = c.input("y", (3, 1))
    s = c.const("s", np.array(-1.5, dtype=F32))
    c.node("Mul", ["x", "y"], ["t"])
    c.node("Mul", ["t", "s"], ["z"])
    c.output("z", x * y * s)


@case
def div_broadcast(c):
    """Divide by a per-channel constant bounded away from zero, and a constant by x."""
    x = c.input("x", (1, 3, 2, 2), 0.5, 2.0)
    d = c.weight("d", (1, 3, 1, 1), 0.5, 2.0)
    k = c.const("k", np.array([3.0], dtype=F32))
    c.node("Div", ["x", "d"], ["q"])
    c.node("Div", ["k", "q"], ["z"])
    c.output("z", k / (x / d))


def unary_case(c, op, fn, lo=-4.0, hi=4.0, shape=(2, 3, 4), **attrs):
    x = c.input("x", shape, lo, hi)
    c.node(op, ["x"], ["y"], **attrs)
    c.output("y", fn(x))


@case
def relu(c):
    unary_case(c, "Relu", lambda x: np.maximum(x, 0.0))


@case
def clip_min_max(c):
    """Clip-13: min and max as inputs (initializers)."""
    x = c.input("x", (2, 3, 4), -4.0, 4.0)
    c.const("lo", np.array(-1.0, dtype=F32))
    c.const("hi", np.array(2.5, dtype=F32))
    c.node("Clip", ["x", "lo", "hi"], ["y"])
    c.output("y", np.clip(x, -1.0, 2.5))


@case
def clip_max_only(c):
    """Clip-13 with the min input left out (empty name): a ReLU6-style upper clamp."""
    x = c.input("x", (3, 5), -8.0, 8.0)
    c.const("hi", np.array(6.0, dtype=F32))
    c.node("Clip", ["x", "", "hi"], ["y"])
    c.output("y", np.minimum(x, 6.0))


@case
def round_ties(c):
    """Round-11: halves round to even at every magnitude up to 2^23 and both signs;
    integers, values past 2^23 and infinities unchanged (the instruction on targets
    with one, the bits on the others)."""
    k = np.arange(-40, 40, dtype=np.float64)
    edge = np.array([2.0**22 + 0.5, 2.0**22 + 1.5, 2.0**23 - 0.5, 2.0**23, 2.0**23 + 2,
                     -(2.0**22 + 0.5), 1e30, -1e30, np.inf, -np.inf, 0.49999997, -0.49999997,
                     0.0, 1.0000001, -2.5000002, 1e-40])
    x = np.concatenate([k + 0.5, k, k * 0.37 + 0.1, edge]).astype(F32)
    c.inputs.append(("x", x))
    c.node("Round", ["x"], ["y"])
    c.output("y", np.round(x.astype(np.float64)))  # numpy: half to even


@case
def sigmoid(c):
    unary_case(c, "Sigmoid", ref_sigmoid, -8.0, 8.0)


@case
def tanh(c):
    unary_case(c, "Tanh", np.tanh)


@case
def leakyrelu(c):
    unary_case(c, "LeakyRelu", lambda x: np.where(x >= 0, x, 0.1 * x), alpha=0.1)


@case
def hardsigmoid(c):
    unary_case(c, "HardSigmoid", lambda x: ref_hardsigmoid(x, 0.25, 0.4), alpha=0.25, beta=0.4)


@case
def hardswish(c):
    """HardSwish exists from opset 14."""
    c.opset = 14
    unary_case(c, "HardSwish", lambda x: x * ref_hardsigmoid(x, 1.0 / 6.0, 0.5), -5.0, 5.0)


@case
def softmax_last(c):
    """Softmax-13, default axis -1."""
    unary_case(c, "Softmax", lambda x: ref_softmax(x, -1), shape=(2, 3, 5))


@case
def softmax_axis1(c):
    """Softmax-13 normalizes along one axis only (not the flattened tail as in 11)."""
    unary_case(c, "Softmax", lambda x: ref_softmax(x, 1), shape=(2, 3, 4), axis=1)


@case
def maxpool_pads_strides(c):
    x = c.input("x", (1, 2, 7, 7))
    c.node("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    c.output("y", ref_maxpool(x, (3, 3), (2, 2), (1, 1, 1, 1)))


@case
def maxpool_2x2(c):
    x = c.input("x", (2, 3, 6, 6))
    c.node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2])
    c.output("y", ref_maxpool(x, (2, 2), (2, 2), (0, 0, 0, 0)))


@case
def pool_stride1(c):
    """Pools at stride 1, swept a window cell at a time at -O2 on targets with vectors:
    MaxPool 5x5 pads 2 (a detector's spatial pyramid pool), AveragePool 3x3 pads 1
    count_include_pad 0 (the divisors per position), AveragePool 2x3 no pads (one
    divisor), batch 2."""
    x = c.input("x", (2, 3, 9, 11))
    c.node("MaxPool", ["x"], ["m"], kernel_shape=[5, 5], pads=[2, 2, 2, 2])
    c.node("AveragePool", ["x"], ["a"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
           count_include_pad=0)
    c.node("AveragePool", ["x"], ["b"], kernel_shape=[2, 3])
    c.output("m", ref_maxpool(x, (5, 5), (1, 1), (2, 2, 2, 2)))
    c.output("a", ref_avgpool(x, (3, 3), (1, 1), (1, 1, 1, 1), False),
             ref_avgpool(abs(x), (3, 3), (1, 1), (1, 1, 1, 1), False))
    c.output("b", ref_avgpool(x, (2, 3), (1, 1), (0, 0, 0, 0), True),
             ref_avgpool(abs(x), (2, 3), (1, 1), (0, 0, 0, 0), True))


@case
def avgpool_exclude_pad(c):
    """count_include_pad 0: border windows divide by their in-bounds count."""
    x = c.input("x", (1, 2, 6, 7))
    c.node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2],
           pads=[1, 1, 1, 1], count_include_pad=0)
    c.output("y", ref_avgpool(x, (3, 3), (2, 2), (1, 1, 1, 1), False),
             ref_avgpool(abs(x), (3, 3), (2, 2), (1, 1, 1, 1), False))


@case
def avgpool_include_pad(c):
    """count_include_pad 1 with asymmetric pads: every window divides by 9."""
    x = c.input("x", (1, 2, 5, 5))
    c.node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], strides=[1, 2],
           pads=[0, 1, 1, 0], count_include_pad=1)
    c.output("y", ref_avgpool(x, (3, 3), (1, 2), (0, 1, 1, 0), True),
             ref_avgpool(abs(x), (3, 3), (1, 2), (0, 1, 1, 0), True))


@case
def globalaveragepool(c):
    x = c.input("x", (2, 3, 5, 4))
    c.node("GlobalAveragePool", ["x"], ["y"])
    c.output("y", x.mean(axis=(2, 3), keepdims=True), abs(x).mean(axis=(2, 3), keepdims=True))


@case
def batchnorm(c):
    """BatchNormalization-9 in inference form, epsilon 1e-3."""
    x = c.input("x", (2, 3, 4, 4))
    scale = c.weight("scale", (3,), 0.5, 1.5)
    bias = c.weight("bias", (3,))
    mean = c.weight("mean", (3,), -0.5, 0.5)
    var = c.weight("var", (3,), 0.2, 2.0)
    c.node("BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["y"], epsilon=1e-3)
    c.output("y", ref_batchnorm(x, scale, bias, mean, var, 1e-3),
             ref_batchnorm(abs(x), scale, abs(bias), -abs(mean), var, 1e-3))


@case
def flatten(c):
    unary_case(c, "Flatten", lambda x: ref_flatten(x, 2), shape=(2, 3, 4, 5), axis=2)


@case
def reshape_zero_minus1(c):
    """A constant shape [0, -1, 2]: 0 copies the input's dim 0, -1 is inferred."""
    x = c.input("x", (2, 3, 4))
    c.const("shape", np.array([0, -1, 2], dtype=np.int64))
    c.node("Reshape", ["x", "shape"], ["y"])
    c.output("y", ref_reshape(x, [0, -1, 2]))


@case
def transpose(c):
    """NCHW -> NHWC, then a 4-D permutation that moves every axis."""
    x = c.input("x", (1, 2, 3, 4))
    c.node("Transpose", ["x"], ["t"], perm=[0, 2, 3, 1])
    c.node("Transpose", ["t"], ["y"], perm=[3, 0, 2, 1])
    c.output("y", x.transpose(0, 2, 3, 1).transpose(3, 0, 2, 1))


@case
def concat(c):
    """Three inputs along channels (negative axis), one of them a constant."""
    a = c.input("a", (1, 2, 3, 2))
    b = c.input("b", (1, 1, 3, 2))
    k = c.weight("k", (1, 3, 3, 2))
    c.node("Concat", ["a", "k", "b"], ["y"], axis=-3)
    c.output("y", np.concatenate([a, k, b], axis=1))


@case
def pad_constant(c):
    """Pad-13, mode constant, pads and the value as inputs; unequal begin/end."""
    x = c.input("x", (1, 2, 3, 4))
    pads = [0, 0, 1, 2, 0, 1, 2, 0]
    c.const("pads", np.array(pads, dtype=np.int64))
    c.const("value", np.array(0.5, dtype=F32))
    c.node("Pad", ["x", "pads", "value"], ["y"], mode="constant")
    width = [(pads[i], pads[i + 4]) for i in range(4)]
    c.output("y", np.pad(x, width, mode="constant", constant_values=0.5))


@case
def pad_fold(c):
    """Pad in front of window ops (pass fold-pad): folded into the op's pads where it
    pads the spatial dims with the value the op reads its pads as, and the padded tensor
    has no other reader: a Conv 3x3 with pads of its own (1, 0, 1, 2 more) and Relu; 4
    rows above, 5 below and 1 column each side of a 10x4 kernel of stride 2 (as
    mlperf_dscnn pads its first conv); an AveragePool counting its pads; a MaxPool
    behind a Pad of nothing (a copy). Left as they are: an AveragePool not counting its
    pads, a Pad of 0.5, pads as wide as the kernel, a padded tensor that is also an
    output."""
    def padded(name, shape, pads, value=0.0):
        x = c.input("x" + name, shape, 0.0, 1.0)
        c.const("p" + name, np.array(pads, dtype=np.int64))
        ins = ["x" + name, "p" + name]
        if value:
            c.const("v" + name, np.array(value, dtype=F32))
            ins.append("v" + name)
        c.node("Pad", ins, ["q" + name], name="pad_" + name, mode="constant")
        r = len(shape)
        return np.pad(x, [(pads[i], pads[i + r]) for i in range(r)], constant_values=value)

    def conv(name, q, wshape, act=None, **attrs):
        w = c.weight("w" + name, wshape, 0.0, 0.5)
        b = c.weight("b" + name, (wshape[0],), -0.2, 0.2)
        c.node("Conv", ["q" + name, "w" + name, "b" + name], ["h" + name if act else "y" + name],
               **attrs)
        d = dict(pads=tuple(attrs.get("pads", (0, 0, 0, 0))),
                 strides=tuple(attrs.get("strides", (1, 1))))
        y = ref_conv(q, w, b, **d)
        conv_after(c, name, y, ref_conv(abs(q), abs(w), abs(b), **d), act)

    q = padded("a", (1, 3, 9, 11), [0, 0, 1, 0, 0, 0, 1, 2])
    conv("a", q, (8, 3, 3, 3), "relu", pads=[0, 1, 1, 0])
    q = padded("b", (1, 1, 49, 10), [0, 0, 4, 1, 0, 0, 5, 1])
    conv("b", q, (16, 1, 10, 4), strides=[2, 2])
    q = padded("c", (1, 4, 8, 9), [0, 0, 1, 2, 0, 0, 2, 1])
    c.node("AveragePool", ["qc"], ["yc"], kernel_shape=[3, 3], strides=[2, 2], count_include_pad=1)
    c.output("yc", ref_avgpool(q, (3, 3), (2, 2), (0, 0, 0, 0), 1))
    q = padded("d", (1, 4, 8, 9), [0, 0, 0, 0, 0, 0, 0, 0])
    c.node("MaxPool", ["qd"], ["yd"], kernel_shape=[2, 2], strides=[2, 2])
    c.output("yd", ref_maxpool(q, (2, 2), (2, 2), (0, 0, 0, 0)))
    q = padded("e", (1, 4, 8, 9), [0, 0, 1, 1, 0, 0, 1, 1])
    c.node("AveragePool", ["qe"], ["ye"], kernel_shape=[3, 3], count_include_pad=0)
    c.output("ye", ref_avgpool(q, (3, 3), (1, 1), (0, 0, 0, 0), 0))
    q = padded("f", (1, 3, 7, 8), [0, 0, 1, 1, 0, 0, 1, 1], 0.5)
    conv("f", q, (4, 3, 3, 3))
    q = padded("g", (1, 3, 7, 8), [0, 0, 3, 0, 0, 0, 0, 0])
    conv("g", q, (4, 3, 3, 3))
    q = padded("h", (1, 3, 7, 8), [0, 0, 1, 1, 0, 0, 1, 1])
    conv("h", q, (4, 3, 3, 3))
    c.output("qh", q)


@case
def transpose_fold(c):
    """Transposes that meet (pass fold-transpose): two that cancel, a Relu reading the
    input then (a); NCHW to NHWC then a swap of H and W, one Transpose (b); three in a row
    of rank 3, one (c); two that cancel into a graph output, one copy (d); a first
    Transpose that is also an output, both kept (e)."""
    xa = c.input("xa", (2, 3, 4, 5))
    c.node("Transpose", ["xa"], ["ta"], name="ta1", perm=[0, 2, 1, 3])
    c.node("Transpose", ["ta"], ["ua"], name="ta2", perm=[0, 2, 1, 3])
    c.node("Relu", ["ua"], ["ya"])
    c.output("ya", np.maximum(xa, 0.0))
    xb = c.input("xb", (2, 3, 4, 5))
    c.node("Transpose", ["xb"], ["tb"], name="tb1", perm=[0, 2, 3, 1])
    c.node("Transpose", ["tb"], ["yb"], name="tb2", perm=[0, 2, 1, 3])
    c.output("yb", xb.transpose(0, 2, 3, 1).transpose(0, 2, 1, 3))
    xc = c.input("xc", (3, 4, 5))
    c.node("Transpose", ["xc"], ["tc"], name="tc1", perm=[1, 0, 2])
    c.node("Transpose", ["tc"], ["uc"], name="tc2", perm=[1, 0, 2])
    c.node("Transpose", ["uc"], ["yc"], name="tc3", perm=[2, 1, 0])
    c.output("yc", xc.transpose(2, 1, 0))
    xd = c.input("xd", (6, 7))
    c.node("Transpose", ["xd"], ["td"], name="td1", perm=[1, 0])
    c.node("Transpose", ["td"], ["yd"], name="td2", perm=[1, 0])
    c.output("yd", xd)
    xe = c.input("xe", (6, 7))
    c.node("Transpose", ["xe"], ["te"], name="te1", perm=[1, 0])
    c.node("Transpose", ["te"], ["ye"], name="te2", perm=[1, 0])
    c.output("te", xe.T)
    c.output("ye", xe)


@case
def identity_dropout(c):
    """Identity -> Dropout (inference: identity, mask unused) -> Relu -> Identity."""
    x = c.input("x", (2, 5))
    c.node("Identity", ["x"], ["a"])
    c.node("Dropout", ["a"], ["b", "mask"])
    c.node("Relu", ["b"], ["r"])
    c.node("Identity", ["r"], ["y"])
    c.output("y", np.maximum(x, 0.0))


@case
def constant_node(c):
    """A Constant node (typed float_data) feeding an Add and a Mul."""
    x = c.input("x", (2, 3))
    k = c.rng.uniform(-1, 1, size=(3,)).astype(F32)
    t = helper.make_tensor("k", TensorProto.FLOAT, [3], k.tolist())
    c.node("Constant", [], ["k"], value=t)
    c.node("Constant", [], ["two"], value_float=2.0)
    c.node("Add", ["x", "k"], ["s"])
    c.node("Mul", ["s", "two"], ["y"])
    c.output("y", (x + k.astype(np.float64)) * 2.0)


@case
def shape_chain_reshape(c):
    """x.view(x.size(0), -1) as torch.onnx exports it (Shape -> Gather -> Unsqueeze
    -> Concat -> Reshape), then a MatMul; the shape arithmetic must fold away."""
    x = c.input("input.1", (2, 3, 2, 2))
    c.node("Shape", ["input.1"], ["onnx::Gather_1"], name="Shape_0")
    c.node("Constant", [], ["onnx::Gather_2"], name="Constant_1",
           value=numpy_helper.from_array(np.array(0, dtype=np.int64)))
    c.node("Gather", ["onnx::Gather_1", "onnx::Gather_2"], ["onnx::Unsqueeze_3"], name="Gather_2",
           axis=0)
    c.node("Constant", [], ["onnx::Unsqueeze_4"], name="Constant_3",
           value=numpy_helper.from_array(np.array([0], dtype=np.int64)))
    c.node("Unsqueeze", ["onnx::Unsqueeze_3", "onnx::Unsqueeze_4"], ["onnx::Concat_5"],
           name="Unsqueeze_4")
    c.node("Constant", [], ["onnx::Concat_6"], name="Constant_5",
           value=numpy_helper.from_array(np.array([-1], dtype=np.int64)))
    c.node("Concat", ["onnx::Concat_5", "onnx::Concat_6"], ["onnx::Reshape_7"], name="Concat_6",
           axis=0)
    c.node("Reshape", ["input.1", "onnx::Reshape_7"], ["onnx::MatMul_8"], name="Reshape_7")
    w = c.weight("fc.weight", (12, 4))
    c.node("MatMul", ["onnx::MatMul_8", "fc.weight"], ["output"], name="MatMul_8")
    c.output("output", x.reshape(2, -1) @ w, abs(x).reshape(2, -1) @ abs(w))


@case
def multi_io(c):
    """Two inputs, two outputs, one output also feeding the other."""
    a = c.input("a", (2, 4))
    b = c.input("b", (2, 4))
    c.node("Add", ["a", "b"], ["sum"])
    c.node("Sigmoid", ["sum"], ["gate"])
    c.node("Mul", ["gate", "a"], ["prod"])
    c.output("prod", ref_sigmoid(a + b) * a)
    c.output("sum", a + b)


@case
def small_cnn(c):
    """conv-bn-relu-maxpool-flatten-gemm on an 8x8 image, PyTorch-style names."""
    x = c.input("input.1", (1, 1, 8, 8), 0.0, 1.0)
    w = c.weight("conv.weight", (4, 1, 3, 3), -0.5, 0.5)
    b = c.weight("conv.bias", (4,), -0.1, 0.1)
    scale = c.weight("bn.weight", (4,), 0.5, 1.5)
    beta = c.weight("bn.bias", (4,), -0.2, 0.2)
    mean = c.weight("bn.running_mean", (4,), -0.2, 0.2)
    var = c.weight("bn.running_var", (4,), 0.5, 1.5)
    fw = c.weight("fc.weight", (10, 64), -0.3, 0.3)
    fb = c.weight("fc.bias", (10,), -0.1, 0.1)
    c.node("Conv", ["input.1", "conv.weight", "conv.bias"], ["/conv/Conv_output_0"],
           name="/conv/Conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    c.node("BatchNormalization", ["/conv/Conv_output_0", "bn.weight", "bn.bias",
                                  "bn.running_mean", "bn.running_var"],
           ["/bn/BatchNormalization_output_0"], name="/bn/BatchNormalization", epsilon=1e-5)
    c.node("Relu", ["/bn/BatchNormalization_output_0"], ["/relu/Relu_output_0"],
           name="/relu/Relu")
    c.node("MaxPool", ["/relu/Relu_output_0"], ["/pool/MaxPool_output_0"], name="/pool/MaxPool",
           kernel_shape=[2, 2], strides=[2, 2])
    c.node("Flatten", ["/pool/MaxPool_output_0"], ["/Flatten_output_0"], name="/Flatten", axis=1)
    c.node("Gemm", ["/Flatten_output_0", "fc.weight", "fc.bias"], ["logits"], name="/fc/Gemm",
           alpha=1.0, beta=1.0, transB=1)
    h = ref_conv(x, w, b, pads=(1, 1, 1, 1))
    c.check(h, ref_conv(abs(x), abs(w), abs(b), pads=(1, 1, 1, 1)))
    hmag = ref_batchnorm(abs(h), scale, abs(beta), -abs(mean), var, 1e-5)
    h = ref_batchnorm(h, scale, beta, mean, var, 1e-5)
    c.check(h, hmag)
    h = ref_flatten(ref_maxpool(np.maximum(h, 0.0), (2, 2), (2, 2), (0, 0, 0, 0)), 1)
    c.output("logits", ref_gemm(h, fw, fb, trans_b=1), ref_gemm(h, abs(fw), abs(fb), trans_b=1))


@case
def qdq_weights(c):
    """Int8 weights through DequantizeLinear of constants (onnxruntime's QDQ layout): a
    Conv with per-channel int8 weights, a Gemm (transB) with per-row int8 weights and a
    MatMul with uint8 weights per column (axis 1) and per tensor. Large enough that lwcc
    dequantizes them where the consumers load them instead of folding them to float."""
    c.opset = 13
    x = c.input("x", (1, 16, 6, 6))

    def qweight(name, shape, axis, dtype=np.int8):
        info = np.iinfo(dtype)
        q = c.rng.integers(info.min, info.max + 1, size=shape).astype(dtype)
        n = shape[axis] if axis is not None else 1
        scale = c.rng.uniform(0.001, 0.01, size=n).astype(F32)
        zp = c.rng.integers(-3 if dtype == np.int8 else 120, 4 if dtype == np.int8 else 136,
                            size=n).astype(dtype)
        if axis is None:
            scale, zp = scale.reshape(()), zp.reshape(())
        c.const(name + "_q", q)
        c.const(name + "_s", scale)
        c.const(name + "_zp", zp)
        c.node("DequantizeLinear", [name + "_q", name + "_s", name + "_zp"], [name],
               **({} if axis is None else {"axis": axis}))
        bshape = [1] * len(shape)
        if axis is not None:
            bshape[axis] = n
        return (q.astype(np.float64) - zp.astype(np.float64).reshape(bshape)) * \
            scale.astype(np.float64).reshape(bshape)

    w = qweight("w", (32, 16, 3, 3), 0)
    b = c.weight("b", (32,), -0.1, 0.1)
    c.node("Conv", ["x", "w", "b"], ["h"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    h = ref_conv(x, w, b, pads=(1, 1, 1, 1))
    hmag = ref_conv(abs(x), abs(w), abs(b), pads=(1, 1, 1, 1))
    c.node("Relu", ["h"], ["r"])  # its errors reach the outputs, checked against fmag
    # activations fake-quantized to uint8 (step 0.02): fused into the Conv's stores
    c.const("a_s", np.array(0.02, F32))
    c.const("a_zp", np.array(0, np.uint8))
    c.node("QuantizeLinear", ["r", "a_s", "a_zp"], ["rq"])
    c.node("DequantizeLinear", ["rq", "a_s", "a_zp"], ["rd"])
    c.node("Flatten", ["rd"], ["f"], axis=1)
    rq = np.clip(np.round(np.maximum(h, 0.0) / np.float64(F32(0.02))), 0, 255)
    f, fmag = ref_flatten(rq * np.float64(F32(0.02))), ref_flatten(hmag)
    g = qweight("g", (10, 1152), 0)
    gb = c.weight("gb", (10,), -0.1, 0.1)
    c.node("Gemm", ["f", "g", "gb"], ["y"], transB=1)
    c.output("y", ref_gemm(f, g, gb, trans_b=1), ref_gemm(fmag, abs(g), abs(gb), trans_b=1))
    m = qweight("m", (1152, 6), 1, np.uint8)
    c.node("MatMul", ["f", "m"], ["z"])
    c.output("z", f @ m, fmag @ abs(m))
    t = qweight("t", (1152, 5), None, np.uint8)
    c.node("MatMul", ["f", "t"], ["u"])
    c.output("u", f @ t, fmag @ abs(t))


@case
def qdq_activations(c):
    """Int8 activation tensors: every QuantizeLinear whose DequantizeLinear is read
    by plain loads ends its producer's epilogue (the arena holds the int8 tensor) and
    the DequantizeLinear is computed where each consumer loads: a Conv reading a
    quantized graph input (guard-free taps at -O2, one guarded nest at -Os), a signed
    int8 tensor with a nonzero zero point going through DequantizeLinear -> Relu ->
    QuantizeLinear (a DequantizeLinear starting a fused chain), MaxPool, a residual
    Add of two dequantized tensors, GlobalAveragePool, Gemm, and a MatMul of two
    quantized inputs. Every value is a small integer times a power of two, so the
    float32 arithmetic is exact and the reference needs no tolerance."""
    c.opset = 13

    def grid(name, shape, lo, hi, step):
        a = (c.rng.integers(lo, hi + 1, size=shape) * step).astype(F32)
        c.inputs.append((name, a))
        return a.astype(np.float64)

    def qparams(name, scale, zp, dtype):
        c.const(name + "_s", np.array(scale, F32))
        c.const(name + "_zp", np.array(zp, dtype))

    def qdq(x, name, scale, zp, dtype, src):
        """QuantizeLinear then DequantizeLinear of src (values x); returns the result."""
        qparams(name, scale, zp, dtype)
        c.node("QuantizeLinear", [src, name + "_s", name + "_zp"], [name + "_q"])
        c.node("DequantizeLinear", [name + "_q", name + "_s", name + "_zp"], [name])
        info = np.iinfo(dtype)
        q = np.clip(np.round(x / scale) + zp, info.min, info.max)
        return (q - zp) * scale

    def iweight(name, shape, lo, hi, step):
        return c.const(name, (c.rng.integers(lo, hi + 1, size=shape) * step).astype(F32))

    x = grid("x", (1, 4, 8, 8), 0, 15, 0.125)
    xd = qdq(x, "xd", 0.125, 0, np.uint8, "x")
    w1 = iweight("w1", (8, 4, 3, 3), -3, 3, 0.0625)
    b1 = iweight("b1", (8,), -8, 8, 0.0078125)
    c.node("Conv", ["xd", "w1", "b1"], ["h1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    h1 = ref_conv(xd, w1, b1, pads=(1, 1, 1, 1))
    # int8 with a zero point: dequantized, then Relu and quantized again as uint8
    h1d = qdq(h1, "h1d", 0.25, 10, np.int8, "h1")
    c.node("Relu", ["h1d"], ["r1"])
    r1d = qdq(np.maximum(h1d, 0.0), "r1d", 0.5, 0, np.uint8, "r1")
    c.node("MaxPool", ["r1d"], ["p"], kernel_shape=[2, 2], strides=[2, 2])
    p = ref_maxpool(r1d, (2, 2), (2, 2), (0, 0, 0, 0))
    pd = qdq(p, "pd", 0.5, 0, np.uint8, "p")
    w2 = iweight("w2", (8, 8, 1, 1), -2, 2, 0.25)
    c.node("Conv", ["pd", "w2"], ["h2"], kernel_shape=[1, 1])
    h2d = qdq(ref_conv(pd, w2), "h2d", 0.5, 0, np.int8, "h2")
    c.node("Add", ["h2d", "pd"], ["s"])  # a residual Add of two dequantized tensors
    sd = qdq(h2d + pd, "sd", 0.25, 128, np.uint8, "s")
    c.node("GlobalAveragePool", ["sd"], ["g"])
    c.node("Flatten", ["g"], ["gf"], axis=1)
    g = ref_flatten(sd.mean(axis=(2, 3), keepdims=True), 1)
    fw = iweight("fw", (3, 8), -4, 4, 0.125)
    c.node("Gemm", ["gf", "fw"], ["y"], transB=1)
    c.output("y", ref_gemm(g, fw, trans_b=1))
    a = grid("a", (4, 6), -8, 8, 0.125)
    b = grid("b", (6, 5), -8, 8, 0.125)
    ad = qdq(a, "ad", 0.125, 0, np.int8, "a")
    bd = qdq(b, "bd", 0.125, 0, np.int8, "b")
    c.node("MatMul", ["ad", "bd"], ["m"])
    md = qdq(ad @ bd, "md", 0.25, 3, np.uint8, "m")
    c.output("md", md)


@case
def qdq_conv_bands(c):
    """A quantized Conv (uint8 x dequantized where it is loaded, its sums quantized as
    int8 where they are stored) over enough rows that the blocked schedule (vector
    targets, --arena=fast) takes bands of rows and a last, shorter band, each band's
    copy dequantizing x inside the row guard of the padding. Exact as qdq_activations."""
    c.opset = 13
    x = (c.rng.integers(0, 16, size=(1, 6, 31, 7)) * 0.125).astype(F32)
    c.inputs.append(("x", x))
    for name, scale, zp, dt in (("xq", 0.125, 0, np.uint8), ("yq", 0.25, -3, np.int8)):
        c.const(name + "_s", np.array(scale, F32))
        c.const(name + "_zp", np.array(zp, dt))
    c.node("QuantizeLinear", ["x", "xq_s", "xq_zp"], ["xq"])
    c.node("DequantizeLinear", ["xq", "xq_s", "xq_zp"], ["xd"])
    w = c.const("w", (c.rng.integers(-3, 4, size=(16, 6, 3, 3)) * 0.0625).astype(F32))
    b = c.const("b", (c.rng.integers(-8, 9, size=(16,)) * 0.0078125).astype(F32))
    c.node("Conv", ["xd", "w", "b"], ["h"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    h = ref_conv(x.astype(np.float64), w, b, pads=(1, 1, 1, 1))
    c.node("QuantizeLinear", ["h", "yq_s", "yq_zp"], ["hq"])
    c.node("DequantizeLinear", ["hq", "yq_s", "yq_zp"], ["y"])
    q = np.clip(np.round(h / 0.25) - 3, -128, 127)
    c.output("y", (q + 3) * 0.25)
    # a float tensor live elsewhere raises the arena's peak: the Conv gets some room for
    # scratch under the default cap, not enough for all rows at once
    z = (c.rng.integers(-8, 9, size=(1, 2000)) * 0.125).astype(F32)
    c.inputs.append(("z", z))
    c.node("Relu", ["z"], ["zr"])
    v = c.const("v", (c.rng.integers(-4, 5, size=(2000, 2)) * 0.125).astype(F32))
    c.node("MatMul", ["zr", "v"], ["zm"])
    c.output("zm", np.maximum(z.astype(np.float64), 0.0) @ v)


@case
def qdq_conv_s8(c):
    """Convs over int8 activations with nonzero zero points (-5, then 7): a strided
    3x3 and a 3x3 reading the first's int8 result. On vector targets the band holds
    the integers, padded with the zero point, and the tiles convert them as they load
    (the scale in the packed weights, the zero point in the bias). Exact as
    qdq_activations: scales are powers of two and the values small integers."""
    c.opset = 13
    x = (c.rng.integers(-12, 13, size=(1, 5, 19, 23)) * 0.25).astype(F32)
    c.inputs.append(("x", x))
    for name, scale, zp in (("xq", 0.25, -5), ("hq", 0.5, 7), ("yq", 0.5, -2)):
        c.const(name + "_s", np.array(scale, F32))
        c.const(name + "_zp", np.array(zp, np.int8))
    c.node("QuantizeLinear", ["x", "xq_s", "xq_zp"], ["xq"])
    c.node("DequantizeLinear", ["xq", "xq_s", "xq_zp"], ["xd"])
    w1 = c.const("w1", (c.rng.integers(-3, 4, size=(16, 5, 3, 3)) * 0.125).astype(F32))
    b1 = c.const("b1", (c.rng.integers(-8, 9, size=(16,)) * 0.25).astype(F32))
    c.node("Conv", ["xd", "w1", "b1"], ["h"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
           strides=[2, 2])
    h = ref_conv(x.astype(np.float64), w1, b1, pads=(1, 1, 1, 1), strides=(2, 2))
    c.node("QuantizeLinear", ["h", "hq_s", "hq_zp"], ["hq"])
    c.node("DequantizeLinear", ["hq", "hq_s", "hq_zp"], ["hd"])
    hd = (np.clip(np.round(h / 0.5) + 7, -128, 127) - 7) * 0.5
    w2 = c.const("w2", (c.rng.integers(-2, 3, size=(8, 16, 3, 3)) * 0.125).astype(F32))
    c.node("Conv", ["hd", "w2"], ["g"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    g = ref_conv(hd, w2, None, pads=(1, 1, 1, 1))
    c.node("QuantizeLinear", ["g", "yq_s", "yq_zp"], ["gq"])
    c.node("DequantizeLinear", ["gq", "yq_s", "yq_zp"], ["y"])
    c.output("y", (np.clip(np.round(g / 0.5) - 2, -128, 127) + 2) * 0.5)


@case
def int_conv_matmul(c):
    """ConvInteger (padded, strided, a weight zero point) and MatMulInteger (per-column
    weight zero points) with constant weights and zero points given at run time, as
    DynamicQuantizeLinear gives them. At -O2 on vector targets (pass expand) each runs as
    the float op on x minus its zero point with the weights minus theirs, cast to int32:
    exact, since every sum stays far below 2^24; the outputs are the integer ops'."""
    c.opset = 13
    u8, i8 = np.uint8, np.int8
    x = c.rng.integers(0, 256, size=(1, 3, 9, 11)).astype(u8)
    c.inputs.append(("x", x))
    xz = np.array(131, u8)
    c.inputs.append(("xz", xz))
    w = c.rng.integers(-128, 128, size=(8, 3, 3, 3)).astype(i8)
    c.inits.append(to_proto(w, "w"))
    c.const("wz", np.array(-3, i8))
    c.node("ConvInteger", ["x", "w", "xz", "wz"], ["y"], pads=[1, 1, 1, 1], strides=[2, 2])
    y = ref_conv(x.astype(np.float64) - 131.0, w.astype(np.float64) + 3.0, None,
                 pads=(1, 1, 1, 1), strides=(2, 2))
    c.output("y", y, dtype=np.int32)
    a = c.rng.integers(0, 256, size=(4, 24)).astype(u8)
    c.inputs.append(("a", a))
    b = c.rng.integers(-128, 128, size=(24, 5)).astype(i8)
    c.inits.append(to_proto(b, "b"))
    bz = np.array([0, 5, -7, 127, -128], i8)
    c.inits.append(to_proto(bz, "bz"))
    c.const("az", np.array(200, u8))
    c.node("MatMulInteger", ["a", "b", "az", "bz"], ["m"])
    m = (a.astype(np.int64) - 200) @ (b.astype(np.int64) - bz.astype(np.int64))
    c.output("m", m, dtype=np.int32)


def requant(acc, scale, zp, dt):
    """The integer requantization: acc * scale rounded to even, plus zp, saturated."""
    info = np.iinfo(dt)
    return np.clip(np.round(acc * scale) + zp, info.min, info.max)


@case
def qdq_conv_dot(c):
    """QDQ Convs whose int8 weights (per output channel, then per tensor) are dequantized
    at compile time: on targets with int8 dot products (x86-64-vnni, armv8) the blocked
    schedule takes the weights' integers back and sums x's integers four channels at a
    time, the band's channels padded to a multiple of 4 (6) with the zero point; a
    uint8 x, then an int8 one (offset by 128 into VNNI's uint8; uint8 less 128 into
    sdot's int8), stride 1 and 2 with padding; then rows of 7 as channel vectors (16
    lanes, or NEON's 4). Exact as qop_conv_matmul."""
    c.opset = 13
    u8, i8 = np.uint8, np.int8

    def scalar(name, v, dt):
        c.const(name, np.array(v, dt))

    def qconv(name, xd, xq, xs, xz, m, ws, ys, yz, ydt, stride):
        cin = xq.shape[1]
        w = c.rng.integers(-127, 128, size=(m, cin, 3, 3)).astype(i8)
        w[0, 0, 0, 0] = -128
        c.inits.append(to_proto(w, name + "_wq"))
        c.const(name + "_ws", np.array(ws, F32))
        c.node("DequantizeLinear", [name + "_wq", name + "_ws"], [name + "_w"],
               **({"axis": 0} if np.ndim(ws) else {}))
        b = c.const(name + "_b", (c.rng.integers(-64, 65, size=(m,)) * 0.25).astype(F32))
        c.node("Conv", [xd, name + "_w", name + "_b"], [name + "_h"], kernel_shape=[3, 3],
               pads=[1, 1, 1, 1], strides=[stride, stride])
        wf = w.astype(np.float64) * np.reshape(ws, (-1, 1, 1, 1))
        h = ref_conv((xq.astype(np.float64) - xz) * xs, wf, b.astype(np.float64),
                     pads=(1, 1, 1, 1), strides=(stride, stride))
        scalar(name + "_ys", ys, F32)
        scalar(name + "_yz", yz, ydt)
        c.node("QuantizeLinear", [name + "_h", name + "_ys", name + "_yz"], [name + "_q"])
        c.node("DequantizeLinear", [name + "_q", name + "_ys", name + "_yz"], [name + "_d"])
        return requant(h, 1.0 / ys, yz, ydt)

    xq = c.rng.integers(0, 256, size=(1, 6, 21, 13)).astype(u8)
    c.inputs.append(("xq", xq))
    scalar("xs", 0.5, F32)
    scalar("xz", 7, u8)
    c.node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"])
    ws1 = np.array([2.0 ** -(4 + i % 3) for i in range(16)], F32)
    h1 = qconv("c1", "xd", xq, 0.5, 7, 16, ws1, 64.0, -3, i8, 1)
    h2 = qconv("c2", "c1_d", h1, 64.0, -3, 8, np.float32(2.0 ** -6), 128.0, 5, u8, 2)
    c.output("c2_d", (h2 - 5) * 128.0)
    # rows of 7: channel vectors (16 channels; 4-lane ones on armv8)
    ws3 = np.array([2.0 ** -(5 + i % 2) for i in range(16)], F32)
    h3 = qconv("c3", "c2_d", h2, 128.0, 5, 16, ws3, 256.0, -9, i8, 1)
    c.output("c3_d", (h3 + 9) * 256.0)


@case
def qdq_conv_kdot_dw(c):
    """A keyword-spotting front end in QDQ form: a uint8 x of one channel by a 4x3 kernel
    at stride 2 into 16 channels, rows of 5 (on targets with int8 dot products: channel
    vectors whose four bytes are four taps of a kernel row, not four channels of which
    three would be zero), quantized to int8; a depthwise 3x3 over it (x and y integers:
    the masked schedule, reading x in place, its sums in a plane of the tile scratch),
    quantized again (y stored as int8, read by a Mul): in int32 and fixed point, and
    with a bias that is not a whole number of x_scale * w_scale, in float; then an AveragePool whose window is the
    whole plane (the integers summed in vectors), to float; and one over a float tensor. Scales are powers of two:
    exact but for the pools' divisions."""
    c.opset = 13
    u8, i8 = np.uint8, np.int8

    def scalar(name, v, dt):
        c.const(name, np.array(v, dt))

    def qconv(name, xd, xf, m, cin, kernel, ws, ys, yz, group=1, bstep=0.25, **attrs):
        w = c.rng.integers(-127, 128, size=(m, cin) + tuple(kernel)).astype(i8)
        w.flat[0] = -128
        c.inits.append(to_proto(w, name + "_wq"))
        c.const(name + "_ws", np.array(ws, F32))
        c.node("DequantizeLinear", [name + "_wq", name + "_ws"], [name + "_w"], axis=0)
        b = c.const(name + "_b", (c.rng.integers(-64, 65, size=(m,)) * bstep).astype(F32))
        c.node("Conv", [xd, name + "_w", name + "_b"], [name + "_h"], kernel_shape=list(kernel),
               group=group, **attrs)
        wf = w.astype(np.float64) * np.reshape(np.array(ws, np.float64), (-1, 1, 1, 1))
        h = ref_conv(xf, wf, b.astype(np.float64), pads=tuple(attrs["pads"]),
                     strides=tuple(attrs["strides"]), group=group)
        scalar(name + "_ys", ys, F32)
        scalar(name + "_yz", yz, i8)
        c.node("QuantizeLinear", [name + "_h", name + "_ys", name + "_yz"], [name + "_q"])
        c.node("DequantizeLinear", [name + "_q", name + "_ys", name + "_yz"], [name + "_d"])
        return (requant(h, 1.0 / ys, yz, i8) - yz) * ys

    xq = c.rng.integers(0, 256, size=(1, 1, 29, 12)).astype(u8)
    c.inputs.append(("xq", xq))
    scalar("xs", 0.5, F32)
    scalar("xz", 7, u8)
    c.node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"])
    xf = (xq.astype(np.float64) - 7) * 0.5
    ws1 = [2.0 ** -(3 + i % 3) for i in range(32)]
    h1 = qconv("c1", "xd", xf, 32, 1, (10, 4), ws1, 16.0, -3, pads=[4, 1, 5, 1],
               strides=[2, 2])
    ws2 = [2.0 ** -(5 + i % 2) for i in range(32)]
    h2 = qconv("c2", "c1_d", h1, 32, 1, (3, 3), ws2, 64.0, 4, group=32, bstep=0.5,
               pads=[1, 1, 1, 1], strides=[1, 1])
    c.node("Mul", ["c2_d", "xs"], ["c2_m"])
    c.output("c2_m", h2 * 0.5)
    c.node("AveragePool", ["c2_d"], ["p2"], kernel_shape=[15, 6])
    c.output("p2", h2.mean(axis=(2, 3), keepdims=True))
    # the bias not a whole number of x_scale * w_scale: requantized in float
    h3 = qconv("c3", "c1_d", h1, 32, 1, (3, 3), ws2, 64.0, -2, group=32, pads=[1, 1, 1, 1],
               strides=[1, 1])
    c.node("Mul", ["c3_d", "xs"], ["c3_m"])
    c.output("c3_m", h3 * 0.5)
    c.node("Relu", ["xd"], ["xr"])
    c.node("Mul", ["xr", "xs"], ["xm"])
    c.node("AveragePool", ["xm"], ["px"], kernel_shape=[29, 12])
    c.output("px", (np.maximum(xf, 0) * 0.5).mean(axis=(2, 3), keepdims=True))


@case
def qdq_conv_pairs(c):
    """The integer convolution of the scalar targets (ops/conv_pairs.c), every form: a
    3x5 kernel (odd width: its last tap pairs with a zero weight) at strides (2, 1),
    dilation (2, 1) and uneven pads, per-channel weight scales a few powers of two apart
    (one shift for all), an int32-exact bias and a Relu before the QuantizeLinear (lower
    clamp at the zero point); a depthwise 3x3 at stride 2 with per-tensor scales (the
    multiplier a literal) and a bias that is not int32-exact (requantized in float); a
    1x1 over 6 channels (channel pairs) with scales 2^12 apart (a shift per channel);
    a 1x1 at stride 2 over x's 5 channels (odd: the last pair's second channel zero) to
    float; two groups of 3 channels with a 2x2 kernel; and a 1-D conv of width 4 over an
    int8 input. Scales are powers of two: exact in every form."""
    c.opset = 13
    u8, i8 = np.uint8, np.int8

    def scalar(name, v, dt):
        c.const(name, np.array(v, dt))

    def qconv(name, xd, xf, m, cin, kernel, ws, bias, ys=None, yz=0, ydt=i8, relu=False,
              deq=True, **attrs):
        w = c.rng.integers(-127, 128, size=(m, cin) + tuple(kernel)).astype(i8)
        w.flat[0] = -128
        c.inits.append(to_proto(w, name + "_wq"))
        c.const(name + "_ws", np.array(ws, F32))
        c.node("DequantizeLinear", [name + "_wq", name + "_ws"], [name + "_w"],
               **({"axis": 0} if np.ndim(ws) else {}))
        b = c.const(name + "_b", np.array(bias, F32))
        c.node("Conv", [xd, name + "_w", name + "_b"], [name + "_h"],
               kernel_shape=list(kernel), **attrs)
        shape_w = (-1,) + (1,) * (1 + len(kernel))
        wf = w.astype(np.float64) * np.reshape(np.array(ws, np.float64), shape_w)
        if len(kernel) == 1:
            h = ref_conv(xf[:, :, None, :], wf[:, :, None, :], b.astype(np.float64),
                         pads=(0, attrs["pads"][0], 0, attrs["pads"][1]))[:, :, 0, :]
        else:
            h = ref_conv(xf, wf, b.astype(np.float64),
                         strides=tuple(attrs.get("strides", (1, 1))),
                         pads=tuple(attrs.get("pads", (0, 0, 0, 0))),
                         dilations=tuple(attrs.get("dilations", (1, 1))),
                         group=attrs.get("group", 1))
        out = name + "_h"
        if relu:
            c.node("Relu", [out], [name + "_r"])
            out = name + "_r"
            h = np.maximum(h, 0)
        if ys is None:
            return out, h
        scalar(name + "_ys", ys, F32)
        scalar(name + "_yz", yz, ydt)
        c.node("QuantizeLinear", [out, name + "_ys", name + "_yz"], [name + "_q"])
        q = requant(h, 1.0 / ys, yz, ydt)
        if not deq:  # the quantized tensor is the output: QuantizeLinear ends the epilogue
            return name + "_q", q.astype(ydt)  # (unused)
        c.node("DequantizeLinear", [name + "_q", name + "_ys", name + "_yz"], [name + "_d"])
        return name + "_d", (q - yz) * ys

    xq = c.rng.integers(0, 256, size=(1, 5, 13, 11)).astype(u8)
    c.inputs.append(("xq", xq))
    scalar("xs", 0.25, F32)
    scalar("xz", 3, u8)
    c.node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"])
    xf = (xq.astype(np.float64) - 3) * 0.25
    ws1 = np.array([2.0 ** -(5 + i % 3) for i in range(6)], F32)
    b1 = np.array([k * 0.25 * w for k, w in zip(c.rng.integers(-900, 900, size=6), ws1)], F32)
    d1, f1 = qconv("c1", "xd", xf, 6, 5, (3, 5), ws1, b1, 16.0, -3, i8, relu=True,
                   strides=[2, 1], dilations=[2, 1], pads=[1, 2, 2, 1])
    b2 = np.array([0.3, -1.7, 2.2, 0.0, 5.5, -0.9], F32)
    d2, f2 = qconv("c2", d1, f1, 6, 1, (3, 3), np.float32(2.0 ** -6), b2, 8.0, 4, u8,
                   strides=[2, 2], pads=[1, 1, 1, 1], group=6)
    ws3 = np.array([2.0 ** -(2 + 2 * i) for i in range(7)], F32)
    d3, f3 = qconv("c3", d2, f2, 7, 6, (1, 1), ws3, np.zeros(7, F32), 4.0, 0, i8)
    o7, f7 = qconv("c7", d3, f3, 3, 7, (1, 1), np.float32(2.0 ** -6), np.zeros(3, F32))
    c.output(o7, f7)
    o4, f4 = qconv("c4", "xd", xf, 4, 5, (1, 1), np.float32(2.0 ** -7), np.zeros(4, F32),
                   strides=[2, 2])
    c.output(o4, f4)
    d5, f5 = qconv("c5", d1, f1, 4, 3, (2, 2), np.float32(2.0 ** -5), np.zeros(4, F32), 2.0,
                   -1, i8, group=2)
    o8, f8 = qconv("c8", d5, f5, 2, 4, (1, 1), np.float32(2.0 ** -6), np.zeros(2, F32))
    c.output(o8, f8)
    x1 = c.rng.integers(-128, 128, size=(1, 3, 20)).astype(i8)
    c.inputs.append(("x1", x1))
    scalar("x1s", 0.5, F32)
    scalar("x1z", -2, i8)
    c.node("DequantizeLinear", ["x1", "x1s", "x1z"], ["x1d"])
    d6, f6 = qconv("c6", "x1d", (x1.astype(np.float64) + 2) * 0.5, 5, 3, (4,),
                   np.float32(2.0 ** -7), np.zeros(5, F32), 4.0, 1, u8, pads=[1, 2])
    o9, f9 = qconv("c9", d6, f6, 2, 5, (2,), np.float32(2.0 ** -6), np.zeros(2, F32), pads=[0, 0])
    c.output(o9, f9)


@case
def qdq_matmul_act(c):
    """Products of two quantized activations, both dequantized where loaded (attention's
    scores by V): int8 [2, 6, 12] with a zero point by uint8 [2, 12, 20] per batch, and by
    uint8 [12, 20] for every batch, then Relu. At -O2 on targets with vectors, with room
    for scratch (--arena=fast), B is dequantized once per batch into it and read as
    vectors by the blocked form. Exact: small integers times powers of two."""
    c.opset = 13
    aq = c.rng.integers(-128, 128, size=(2, 6, 12)).astype(np.int8)
    bq = c.rng.integers(0, 256, size=(2, 12, 20)).astype(np.uint8)
    cq = c.rng.integers(0, 256, size=(12, 20)).astype(np.uint8)
    for name, q in (("aq", aq), ("bq", bq), ("cq", cq)):
        c.inputs.append((name, q))
    c.const("as", np.array(0.25, F32))
    c.const("az", np.array(-3, np.int8))
    c.const("bs", np.array(0.125, F32))
    c.const("bz", np.array(128, np.uint8))
    c.node("DequantizeLinear", ["aq", "as", "az"], ["a"])
    c.node("DequantizeLinear", ["bq", "bs", "bz"], ["b"])
    c.node("DequantizeLinear", ["cq", "bs", "bz"], ["cc"])
    c.node("MatMul", ["a", "b"], ["y"])
    c.node("MatMul", ["a", "cc"], ["h"])
    c.node("Relu", ["h"], ["z"])
    a = (aq.astype(np.float64) + 3) * 0.25
    c.output("y", np.matmul(a, (bq.astype(np.float64) - 128) * 0.125))
    c.output("z", np.maximum(np.matmul(a, (cq.astype(np.float64) - 128) * 0.125), 0.0))


@case
def qdq_matmul_rows(c):
    """Quantized products: a uint8 [5, 3, 22] dequantized where loaded by int8 weights
    [22, 40] dequantized per column (a sequence-first transformer's projection: B the
    same for every batch, whose rows are then one matrix of 15), quantized as int8
    where stored (through the blocked product's tile scratch); that by int8 weights
    [40, 32] per tensor, to float; and Gemm of an int8 [6, 20] by int8 weights [16, 20]
    per row (transB) plus C. On x86-64-vnni each sums integers four k at a time (k
    padded from 22 and 20 to 24 with the zero point; 8 and 16 lanes; uint8 and int8
    activations). Exact as qop_conv_matmul."""
    c.opset = 13

    def weights(name, shape, scales, axis):
        q = c.rng.integers(-127, 128, size=shape).astype(np.int8)
        q.flat[0] = -128
        c.inits.append(to_proto(q, name + "_q"))
        c.const(name + "_s", np.array(scales, F32))
        c.node("DequantizeLinear", [name + "_q", name + "_s"], [name],
               **({"axis": axis} if np.ndim(scales) else {}))
        shape_s = [1] * len(shape)
        if np.ndim(scales):
            shape_s[axis] = -1
        return q.astype(np.float64) * np.reshape(np.array(scales, np.float64), shape_s)

    xq = c.rng.integers(0, 256, size=(5, 3, 22)).astype(np.uint8)
    c.inputs.append(("xq", xq))
    c.const("xs", np.array(0.25, F32))
    c.const("xz", np.array(131, np.uint8))
    c.node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"])
    w1 = weights("w1", (22, 40), [2.0 ** -(3 + i % 4) for i in range(40)], 1)
    c.node("MatMul", ["xd", "w1"], ["h"])
    c.const("ys", np.array(2.0, F32))
    c.const("yz", np.array(-7, np.int8))
    c.node("QuantizeLinear", ["h", "ys", "yz"], ["hq"])
    c.node("DequantizeLinear", ["hq", "ys", "yz"], ["y"])
    h = np.matmul((xq.astype(np.float64) - 131) * 0.25, w1)
    hq = requant(h, 0.5, -7, np.int8)
    c.output("y", (hq + 7) * 2.0)
    w2 = weights("w2", (40, 32), np.float32(2.0 ** -5), 1)
    c.node("MatMul", ["y", "w2"], ["z"])
    c.output("z", np.matmul((hq + 7) * 2.0, w2))
    aq = c.rng.integers(-128, 128, size=(6, 20)).astype(np.int8)
    c.inputs.append(("aq", aq))
    c.const("as", np.array(0.5, F32))
    c.const("az", np.array(-3, np.int8))
    c.node("DequantizeLinear", ["aq", "as", "az"], ["ad"])
    w3 = weights("w3", (16, 20), [2.0 ** -(2 + i % 3) for i in range(16)], 0)
    bias = c.const("bias", (c.rng.integers(-32, 33, size=(16,)) * 0.25).astype(F32))
    c.node("Gemm", ["ad", "w3", "bias"], ["g"], transB=1)
    c.output("g", ((aq.astype(np.float64) + 3) * 0.5) @ w3.T + bias)


@case
def qop_conv_tight(c):
    """QLinearConvs at the arena's peak, integers in and out with no room for scratch
    (vector targets, default arena): a 12-wide map (the masked schedule: x read where
    it is, the edge positions summed one at a time), a stride-2 conv and one to int8 x
    on a 6-wide map (channel vectors, each tap's row guarded), all with nonzero zero
    points; the sums leave the registers lane by lane through the requantization.
    Exact as qop_conv_matmul."""
    c.opset = 13
    u8, i8 = np.uint8, np.int8

    def scalar(name, v, dt):
        c.const(name, np.array(v, dt))

    def qconv(name, x, xname, xs, xz, m, ys, yz, ydt, stride):
        cin = x.shape[1]
        w = c.rng.integers(-5, 6, size=(m, cin, 3, 3)).astype(i8)
        c.inits.append(to_proto(w, name + "_w"))
        scalar(name + "_ws", 0.25, F32)
        scalar(name + "_wz", 0, i8)
        b = c.rng.integers(-64, 65, size=(m,)).astype(np.int32)
        c.inits.append(to_proto(b, name + "_b"))
        scalar(name + "_ys", ys, F32)
        scalar(name + "_yz", yz, ydt)
        c.node("QLinearConv", [xname, xname + "_s", xname + "_z", name + "_w", name + "_ws",
                               name + "_wz", name + "_ys", name + "_yz", name + "_b"], [name],
               kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[stride, stride])
        acc = ref_conv(x.astype(np.float64) - xz, w.astype(np.float64), pads=(1, 1, 1, 1),
                       strides=(stride, stride)) + b.reshape(1, -1, 1, 1)
        y = requant(acc, xs * 0.25 / ys, yz, ydt)
        scalar(name + "_s", ys, F32)
        scalar(name + "_z", yz, ydt)
        return y

    x = (c.rng.integers(0, 40, size=(1, 6, 12, 12)) * 0.5).astype(F32)
    c.inputs.append(("x", x))
    scalar("xq_s", 0.5, F32)
    scalar("xq_z", 9, u8)
    c.node("QuantizeLinear", ["x", "xq_s", "xq_z"], ["xq"])
    xq = np.clip(np.round(x / 0.5) + 9, 0, 255)
    h1 = qconv("h1", xq, "xq", 0.5, 9, 16, 4.0, 3, u8, 1)
    h2 = qconv("h2", h1, "h1", 4.0, 3, 16, 8.0, -4, i8, 2)
    h3 = qconv("h3", h2, "h2", 8.0, -4, 8, 16.0, 5, i8, 1)
    c.node("DequantizeLinear", ["h3", "h3_s", "h3_z"], ["y"])
    c.output("y", (h3 - 5) * 16.0)


@case
def qop_conv_matmul(c):
    """onnxruntime's QOperator form: QLinearConv with an int32 bias and per-channel
    weight scales, MaxPool on the uint8 result, QLinearConv again, QLinearMatMul. At -O2
    on vector targets (pass expand) each becomes DequantizeLinear, the float op and
    QuantizeLinear, the last stored as integers for MaxPool; elsewhere the integer
    kernels run. Scales are powers of two and the values small integers, so float32
    sums are exact and every rounding (ties to even) is the integer one."""
    c.opset = 13
    u8, i8 = np.uint8, np.int8

    def scalar(name, v, dt):
        c.const(name, np.array(v, dt))

    x = c.rng.integers(0, 32, size=(1, 3, 12, 10)).astype(u8)
    c.inputs.append(("x", x))
    scalar("xs", 0.25, F32)
    scalar("xz", 4, u8)
    w1 = c.rng.integers(-6, 7, size=(8, 3, 3, 3)).astype(i8)
    c.inits.append(to_proto(w1, "w1"))
    ws1 = np.array([0.5, 0.25, 0.125, 0.5, 0.25, 0.125, 0.5, 0.25], F32)
    c.const("ws1", ws1)
    scalar("wz1", 0, i8)
    b1 = c.rng.integers(-64, 65, size=(8,)).astype(np.int32)
    c.inits.append(to_proto(b1, "b1"))
    scalar("ys1", 2.0, F32)
    scalar("yz1", 128, u8)
    c.node("QLinearConv", ["x", "xs", "xz", "w1", "ws1", "wz1", "ys1", "yz1", "b1"], ["h1"],
           kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    acc = ref_conv(x.astype(np.float64) - 4, w1.astype(np.float64), pads=(1, 1, 1, 1))
    acc = acc + b1.reshape(1, -1, 1, 1)
    h1 = requant(acc, (0.25 * ws1.astype(np.float64) / 2.0).reshape(1, -1, 1, 1), 128, u8)
    c.node("MaxPool", ["h1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2])
    p1 = ref_maxpool(h1, (2, 2), (2, 2), (0, 0, 0, 0))
    w2 = c.rng.integers(-4, 5, size=(4, 8, 1, 1)).astype(i8)
    c.inits.append(to_proto(w2, "w2"))
    scalar("ws2", 0.25, F32)
    scalar("wz2", 1, i8)
    scalar("ys2", 4.0, F32)
    scalar("yz2", -3, i8)
    c.node("QLinearConv", ["p1", "ys1", "yz1", "w2", "ws2", "wz2", "ys2", "yz2"], ["h2"])
    acc2 = ref_conv(p1 - 128, w2.astype(np.float64) - 1)
    h2 = requant(acc2, 2.0 * 0.25 / 4.0, -3, i8)
    c.output("h2", h2, dtype=i8)
    a = c.rng.integers(-20, 21, size=(4, 6)).astype(i8)
    c.inputs.append(("a", a))
    b = c.rng.integers(-8, 9, size=(6, 5)).astype(i8)
    c.inits.append(to_proto(b, "b"))
    bs = np.array([0.5, 0.25, 0.125, 0.0625, 0.5], F32)
    for name, v, dt in (("as", 0.5, F32), ("az", 2, i8), ("bz", 0, i8), ("ms", 1.0, F32),
                        ("mz", 100, u8)):
        scalar(name, v, dt)
    c.const("bs", bs)
    c.node("QLinearMatMul", ["a", "as", "az", "b", "bs", "bz", "ms", "mz"], ["m"])
    m = requant((a.astype(np.float64) - 2) @ b, 0.5 * bs.astype(np.float64) / 1.0, 100, u8)
    c.output("m", m, dtype=u8)


def ref_gridsample(x, grid, mode, pad, align):
    """GridSample-16 as PyTorch's grid_sample (onnxruntime follows it), in float64."""
    N, C, H, W = x.shape
    _, Ho, Wo, _ = grid.shape
    A = -0.75

    def unnorm(g, size):
        return (g + 1) / 2 * (size - 1) if align else ((g + 1) * size - 1) / 2

    def reflect(p, lo2, hi2):
        if lo2 == hi2:
            return 0.0
        mn, span = lo2 / 2, (hi2 - lo2) / 2
        d = abs(p - mn)
        flips = np.floor(d / span)
        extra = d - flips * span
        return extra + mn if flips % 2 == 0 else span - extra + mn

    def padded(p, size):
        if pad == "border":
            return min(max(p, 0.0), size - 1)
        if pad == "reflection":
            r = reflect(p, 0, 2 * (size - 1)) if align else reflect(p, -1, 2 * size - 1)
            return min(max(r, 0.0), size - 1)
        return p

    def tap(n, c, px, py):
        if 0 <= px <= W - 1 and 0 <= py <= H - 1:
            return x[n, c, int(py), int(px)]
        return 0.0

    def cubic(t):
        d = [t + 1, t, 1 - t, 2 - t]
        out = []
        for k, v in enumerate(d):
            if k in (1, 2):
                out.append(((A + 2) * v - (A + 3)) * v * v + 1)
            else:
                out.append(((A * v - 5 * A) * v + 8 * A) * v - 4 * A)
        return out

    y = np.zeros((N, C, Ho, Wo))
    for n in range(N):
        for h in range(Ho):
            for w in range(Wo):
                px, py = unnorm(grid[n, h, w, 0], W), unnorm(grid[n, h, w, 1], H)
                if mode != "bicubic":
                    px, py = padded(px, W), padded(py, H)
                for ch in range(C):
                    if mode == "nearest":
                        v = tap(n, ch, np.round(px), np.round(py))
                    elif mode == "bilinear":
                        x0, y0 = np.floor(px), np.floor(py)
                        v = ((x0 + 1 - px) * (y0 + 1 - py) * tap(n, ch, x0, y0)
                             + (px - x0) * (y0 + 1 - py) * tap(n, ch, x0 + 1, y0)
                             + (x0 + 1 - px) * (py - y0) * tap(n, ch, x0, y0 + 1)
                             + (px - x0) * (py - y0) * tap(n, ch, x0 + 1, y0 + 1))
                    else:
                        x0, y0 = np.floor(px), np.floor(py)
                        wx, wy = cubic(px - x0), cubic(py - y0)
                        v = sum(wy[j] * sum(wx[i] * tap(n, ch, padded(x0 + i - 1, W),
                                                        padded(y0 + j - 1, H))
                                            for i in range(4))
                                for j in range(4))
                    y[n, ch, h, w] = v
    return y


@case
def gridsample_modes(c):
    """GridSample-16 in the three modes, each with another padding: bicubic with
    reflection (align_corners 0), nearest with border (align_corners 1), bilinear with
    zeros; grid positions reach outside [-1, 1] so every padding is exercised. The
    reference follows PyTorch's grid_sample and was checked against onnxruntime 1.30
    for all 18 mode x padding x align_corners combinations."""
    c.opset = 16
    x = c.input("x", (2, 3, 5, 4))
    g = c.input("grid", (2, 3, 6, 2), -1.4, 1.4)
    for name, mode, pad, align in (("y_cubic", "bicubic", "reflection", 0),
                                   ("y_nearest", "nearest", "border", 1),
                                   ("y_linear", "bilinear", "zeros", 0)):
        c.node("GridSample", ["x", "grid"], [name], mode=mode, padding_mode=pad,
               align_corners=align)
        y = ref_gridsample(x, g, mode, pad, align)
        c.output(name, y, ref_gridsample(abs(x), g, mode, pad, align) * 3)


@case
def gemm_batchnorm(c):
    """Gemm (transB) then BatchNormalization over its columns: folded into the weights."""
    a = c.input("a", (3, 8))
    w = c.weight("w", (6, 8), -0.5, 0.5)
    b = c.weight("b", (6,), -0.1, 0.1)
    scale = c.weight("s", (6,), 0.5, 1.5)
    beta = c.weight("beta", (6,), -0.2, 0.2)
    mean = c.weight("mean", (6,), -0.2, 0.2)
    var = c.weight("var", (6,), 0.5, 1.5)
    c.node("Gemm", ["a", "w", "b"], ["g"], transB=1)
    c.node("BatchNormalization", ["g", "s", "beta", "mean", "var"], ["y"], epsilon=1e-5)
    g, gmag = ref_gemm(a, w, b, trans_b=1), ref_gemm(abs(a), abs(w), abs(b), trans_b=1)
    c.output("y", ref_batchnorm(g, scale, beta, mean, var, 1e-5),
             ref_batchnorm(gmag, scale, abs(beta), -abs(mean), var, 1e-5))


@case
def fused_operands(c):
    """Epilogues that read tensors (pass fuse): a Conv's bias-free output plus a per-row
    [1,1,H,1] tensor (an index the loop nest can't make affine) and a residual computed
    before it, then Relu; a MatMul plus a bias vector, then SiLU as x * sigmoid(x), then
    GELU's erf chain; all in their producer's loop."""
    x = c.input("x", (1, 3, 6, 6))
    w = c.weight("w", (3, 3, 3, 3), -0.5, 0.5)
    row = c.weight("row", (1, 1, 6, 1), -0.5, 0.5)
    c.node("Relu", ["x"], ["res"])
    c.node("Conv", ["x", "w"], ["h"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    c.node("Mul", ["h", "row"], ["hr"])
    c.node("Add", ["hr", "res"], ["hs"])
    c.node("Relu", ["hs"], ["y"])
    res = np.maximum(x, 0.0)
    h = ref_conv(x, w, pads=(1, 1, 1, 1))
    c.check(h * row + res, ref_conv(abs(x), abs(w), pads=(1, 1, 1, 1)) * abs(row) + res)
    c.output("y", np.maximum(h * row + res, 0.0))
    a = c.input("a", (2, 3, 4), 0.0, 1.0)  # pb >= 0.5: away from GELU's and SiLU's zero
    m = c.weight("m", (4, 5), 0.0, 0.5)
    b = c.weight("bias", (5,), 0.5, 1.0)
    c.const("sqrt2", np.array(np.sqrt(2.0), F32))
    c.const("one", np.array(1.0, F32))
    c.const("half", np.array(0.5, F32))
    c.node("MatMul", ["a", "m"], ["p"])
    c.node("Add", ["bias", "p"], ["pb"])
    c.node("Sigmoid", ["pb"], ["sg"])
    c.node("Mul", ["pb", "sg"], ["silu"])
    c.node("Div", ["silu", "sqrt2"], ["d"])
    c.node("Erf", ["d"], ["e"])
    c.node("Add", ["e", "one"], ["e1"])
    c.node("Mul", ["silu", "e1"], ["g"])
    c.node("Mul", ["g", "half"], ["z"])
    pb = a @ m + b
    silu = pb * ref_sigmoid(pb)
    from math import erf
    gelu = silu * (1.0 + np.vectorize(erf)(silu / np.float64(F32(np.sqrt(2.0))))) * 0.5
    c.output("z", gelu, pb * 2)

def pruned_weight(c, name, shape, dead_rows=(), dead_cols=(), density=1.0, lo=-0.5, hi=0.5):
    """A float32 weight [rows, cols, ...] with whole rows (output channels) and columns
    (input channels) zero and a random fraction `density` of the rest kept."""
    a = c.rng.uniform(lo, hi, size=shape).astype(F32)
    a[list(dead_rows)] = 0
    a[:, list(dead_cols)] = 0
    a[c.rng.uniform(size=shape) > density] = 0
    return c.const(name, a)


@case
def pruned_cnn(c):
    """A pruned CNN exported dense: c1's channels 1, 4, 6 have zero filters and biases
    (removed through Relu), c2's channel 2 too (removed through Clip 0..6 and MaxPool),
    and fc's inputs from c2's channel 5 are zero (removed because unused); c2 and fc keep
    25% of their weights (sparse where that pays)."""
    c.opset = 13
    x = c.input("x", (1, 2, 8, 8))
    w1 = pruned_weight(c, "c1.w", (8, 2, 3, 3), dead_rows=(1, 4, 6))
    b1 = c.weight("c1.b", (8,), -0.1, 0.1)
    b1[[1, 4, 6]] = 0
    c.inits[-1] = numpy_helper.from_array(b1.astype(F32), "c1.b")
    w2 = pruned_weight(c, "c2.w", (6, 8, 3, 3), dead_rows=(2,), density=0.25)
    b2 = c.weight("c2.b", (6,), 0.0, 0.2)
    b2[2] = 0
    c.inits[-1] = numpy_helper.from_array(b2.astype(F32), "c2.b")
    fw = pruned_weight(c, "fc.w", (5, 96), dead_cols=range(80, 96), density=0.25)
    fb = c.weight("fc.b", (5,), -0.1, 0.1)
    c.const("lo", np.array(0, F32))
    c.const("hi", np.array(6, F32))
    c.node("Conv", ["x", "c1.w", "c1.b"], ["h1"], name="c1", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    c.node("Relu", ["h1"], ["r1"])
    c.node("Conv", ["r1", "c2.w", "c2.b"], ["h2"], name="c2", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    c.node("Clip", ["h2", "lo", "hi"], ["r2"])
    c.node("MaxPool", ["r2"], ["p2"], kernel_shape=[2, 2], strides=[2, 2])
    c.node("Flatten", ["p2"], ["f"], axis=1)
    c.node("Gemm", ["f", "fc.w", "fc.b"], ["y"], name="fc", transB=1)
    h1 = ref_conv(x, w1, b1, pads=(1, 1, 1, 1))
    c.check(h1, ref_conv(abs(x), abs(w1), abs(b1), pads=(1, 1, 1, 1)))
    r1 = np.maximum(h1, 0.0)
    h2 = ref_conv(r1, w2, b2, pads=(1, 1, 1, 1))
    c.check(h2, ref_conv(r1, abs(w2), abs(b2), pads=(1, 1, 1, 1)))
    f = ref_flatten(ref_maxpool(np.clip(h2, 0.0, 6.0), (2, 2), (2, 2), (0, 0, 0, 0)), 1)
    c.output("y", ref_gemm(f, fw, fb, trans_b=1), ref_gemm(f, abs(fw), abs(fb), trans_b=1))


@case
def patch_cnn(c):
    """A MobileNet-like front on a 48x48 image that -Os runs tile by tile (passes/patch.c):
    conv 3x3 stride 2 + Clip 0..6, AveragePool 3x3 pads 1 (count_include_pad 0), depthwise
    3x3 + Relu, pointwise, a residual Add (its input also feeds the depthwise conv: a tile
    reads a Slice of it), a per-channel Mul, a conv with dilations 2 and asymmetric pads +
    Relu, MaxPool 3x3 stride 2 pads 1; then a pointwise conv + Relu, GlobalAveragePool,
    Flatten, Gemm."""
    c.opset = 13
    x = c.input("x", (1, 3, 48, 48))
    w1 = c.weight("c1.w", (8, 3, 3, 3), -0.5, 0.5)
    b1 = c.weight("c1.b", (8,), -0.1, 0.1)
    # positive weights where the input is >= 0 (after Clip and Relu): the magnitude bound
    # below then stays within the e2e tolerance
    wd = c.weight("dw.w", (8, 1, 3, 3), -0.1, 0.5)
    bd = c.weight("dw.b", (8,), -0.1, 0.1)
    wp = c.weight("pw.w", (8, 8, 1, 1), 0.0, 0.5)
    bp = c.weight("pw.b", (8,), -0.1, 0.1)
    sc = c.weight("scale", (8, 1, 1), 0.5, 1.5)
    w3 = c.weight("c3.w", (32, 8, 3, 3), -0.5, 0.5)
    b3 = c.weight("c3.b", (32,), -0.1, 0.1)
    w4 = c.weight("c4.w", (32, 32, 1, 1), -0.1, 0.5)
    b4 = c.weight("c4.b", (32,), -0.1, 0.1)
    fw = c.weight("fc.w", (10, 32), 0.1, 0.5)  # its input is >= 0: no cancellation here
    fb = c.weight("fc.b", (10,), 0.0, 0.1)
    c.const("lo", np.array(0, F32))
    c.const("hi", np.array(6, F32))
    c.node("Conv", ["x", "c1.w", "c1.b"], ["h1"], name="c1", kernel_shape=[3, 3],
           strides=[2, 2], pads=[1, 1, 1, 1])
    c.node("Clip", ["h1", "lo", "hi"], ["r1"])
    c.node("AveragePool", ["r1"], ["a1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
           count_include_pad=0)
    c.node("Conv", ["a1", "dw.w", "dw.b"], ["hd"], name="dw", kernel_shape=[3, 3], group=8,
           pads=[1, 1, 1, 1])
    c.node("Relu", ["hd"], ["rd"])
    c.node("Conv", ["rd", "pw.w", "pw.b"], ["hp"], name="pw", kernel_shape=[1, 1])
    c.node("Add", ["hp", "a1"], ["s1"])
    c.node("Mul", ["s1", "scale"], ["m1"])
    c.node("Conv", ["m1", "c3.w", "c3.b"], ["h3"], name="c3", kernel_shape=[3, 3],
           dilations=[2, 2], pads=[2, 1, 2, 3])
    c.node("Relu", ["h3"], ["r3"])
    c.node("MaxPool", ["r3"], ["p3"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    c.node("Conv", ["p3", "c4.w", "c4.b"], ["h4"], name="c4", kernel_shape=[1, 1])
    c.node("Relu", ["h4"], ["r4"])
    c.node("GlobalAveragePool", ["r4"], ["g"])
    c.node("Flatten", ["g"], ["f"], axis=1)
    c.node("Gemm", ["f", "fc.w", "fc.b"], ["y"], name="fc", transB=1)

    # the layers' rounding errors are bounded through the magnitudes: |terms| carried
    # through every layer with |weights| (Clip, Relu, pools and means do not grow them)
    def layers(x, w1, b1, wd, bd, wp, bp, sc, w3, b3, w4, b4, act):
        r1 = act(ref_conv(x, w1, b1, strides=(2, 2), pads=(1, 1, 1, 1)), 6.0)
        a1 = ref_avgpool(r1, (3, 3), (1, 1), (1, 1, 1, 1), 0)
        rd = act(ref_conv(a1, wd, bd, pads=(1, 1, 1, 1), group=8), None)
        m1 = (ref_conv(rd, wp, bp) + a1) * sc
        r3 = act(ref_conv(m1, w3, b3, dilations=(2, 2), pads=(2, 1, 2, 3)), None)
        p3 = ref_maxpool(r3, (3, 3), (2, 2), (1, 1, 1, 1))
        return act(ref_conv(p3, w4, b4), None).mean(axis=(2, 3))

    weights = (w1, b1, wd, bd, wp, bp, sc, w3, b3, w4, b4)
    f = layers(x, *weights, lambda v, hi: np.clip(v, 0.0, hi))
    fmag = layers(abs(x), *(abs(a) for a in weights), lambda v, hi: v)
    c.output("y", ref_gemm(f, fw, fb, trans_b=1), ref_gemm(fmag, fw, fb, trans_b=1))


@case
def pruned_sigmoid(c):
    """Gemm rows 0 and 3 are zero, but Sigmoid makes them 0.5: they must stay."""
    x = c.input("x", (2, 8))
    w1 = pruned_weight(c, "w1", (6, 8), dead_rows=(0, 3))
    w2 = c.weight("w2", (4, 6), -0.5, 0.5)
    c.node("Gemm", ["x", "w1"], ["h"], transB=1)
    c.node("Sigmoid", ["h"], ["s"])
    c.node("Gemm", ["s", "w2"], ["y"], transB=1)
    s = ref_sigmoid(ref_gemm(x, w1, trans_b=1))
    c.output("y", ref_gemm(s, w2, trans_b=1), ref_gemm(s, abs(w2), trans_b=1))


# ------------------------------------------ float64 and half-type (storage) cases

def ref_layernorm(x, scale, bias, axis, eps):
    """LayerNormalization-17; also returns Mean and InvStdDev (normalized dims kept as 1)."""
    axes = tuple(range(axis, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    inv = 1.0 / np.sqrt(((x - mean) ** 2).mean(axis=axes, keepdims=True) + eps)
    return (x - mean) * inv * scale + bias, mean, inv


def ref_instancenorm(x, scale, bias, eps):
    axes = tuple(range(2, x.ndim))
    sh = (1, -1) + (1,) * (x.ndim - 2)
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * scale.reshape(sh) + bias.reshape(sh)


def ref_convtranspose(x, w, b, strides, pads, out_pad=(0, 0)):
    """ConvTranspose (2-D, group 1, dilations 1): scatter each input cell's window."""
    n, c, h, wd = x.shape
    _, m, kh, kw = w.shape
    sh, sw = strides
    full = np.zeros((n, m, (h - 1) * sh + kh + out_pad[0], (wd - 1) * sw + kw + out_pad[1]))
    for i in range(h):
        for j in range(wd):
            full[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += \
                np.einsum("nc,cmij->nmij", x[:, :, i, j], w)
    y = full[:, :, pads[0]:full.shape[2] - pads[2], pads[1]:full.shape[3] - pads[3]]
    return y if b is None else y + b.reshape(1, -1, 1, 1)


def ref_lstm(x, w, r, b, h0, c0):
    """LSTM-14 forward, layout 0, default activations; gates i, o, f, c. Returns Y, Y_h,
    Y_c and the sum of |terms| of each hidden value (for Case.output)."""
    sig = ref_sigmoid
    T, H = x.shape[0], r.shape[2]
    w, r, b = w[0], r[0], b[0, :4 * H] + b[0, 4 * H:]
    h, c, ys = h0[0], c0[0], []
    for t in range(T):
        g = x[t] @ w.T + h @ r.T + b
        i, o, f, cc = (g[:, k * H:(k + 1) * H] for k in range(4))
        c = sig(f) * c + sig(i) * np.tanh(cc)
        h = sig(o) * np.tanh(c)
        ys.append(h)
    return np.stack(ys)[:, None], h[None], c[None]


def ref_gru(x, w, r, b, h0, lbr=False):
    """GRU-14 forward, layout 0, default activations; gates z, r, h. linear_before_reset
    (lbr, PyTorch's form): the reset gate scales the hidden part's product, not h."""
    sig = ref_sigmoid
    T, H = x.shape[0], r.shape[2]
    w, r, wb, rb = w[0], r[0], b[0, :3 * H], b[0, 3 * H:]
    h, ys = h0[0], []
    for t in range(T):
        gx = x[t] @ w.T + wb
        z = sig(gx[:, :H] + h @ r[:H].T + rb[:H])
        rr = sig(gx[:, H:2 * H] + h @ r[H:2 * H].T + rb[H:2 * H])
        if lbr:
            hh = np.tanh(gx[:, 2 * H:] + rr * (h @ r[2 * H:].T + rb[2 * H:]))
        else:
            hh = np.tanh(gx[:, 2 * H:] + (rr * h) @ r[2 * H:].T + rb[2 * H:])
        h = (1 - z) * hh + z * h
        ys.append(h)
    return np.stack(ys)[:, None], h[None]


@case
def conv_float64(c):
    """Conv (pads, strides, bias) then Relu, all float64: the Relu runs in the Conv's
    stores, in double."""
    x = c.input("x", (1, 3, 9, 8), dtype=F64)
    w = c.weight("w", (4, 3, 3, 3), -0.5, 0.5, dtype=F64)
    b = c.weight("b", (4,), -0.5, 0.5, dtype=F64)
    attrs = dict(strides=(2, 1), pads=(1, 0, 2, 1))
    c.node("Conv", ["x", "w", "b"], ["h"], kernel_shape=[3, 3], pads=[1, 0, 2, 1],
           strides=[2, 1])
    c.node("Relu", ["h"], ["y"])
    h = ref_conv(x, w, b, **attrs)
    c.check(h, ref_conv(abs(x), abs(w), abs(b), **attrs))
    c.output("y", np.maximum(h, 0.0), dtype=F64)


@case
def conv_float16(c):
    """Conv with float16 X, W and B (pads, dilations, two groups): sums in float32,
    rounded once."""
    attrs = dict(pads=(1, 1, 1, 1), group=2)
    x = c.input("x", (1, 4, 6, 7), dtype=F16)
    w = c.weight("w", (6, 2, 3, 3), -0.5, 0.5, dtype=F16)
    b = c.weight("b", (6,), -0.5, 0.5, dtype=F16)
    c.node("Conv", ["x", "w", "b"], ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=2)
    c.output("y", ref_conv(x, w, b, **attrs), ref_conv(abs(x), abs(w), abs(b), **attrs),
             dtype=F16)


@case
def convtranspose_float64(c):
    """ConvTranspose, stride 2, pads 1, bias, float64."""
    x = c.input("x", (1, 2, 3, 4), dtype=F64)
    w = c.weight("w", (2, 3, 3, 3), -0.5, 0.5, dtype=F64)
    b = c.weight("b", (3,), -0.5, 0.5, dtype=F64)
    c.node("ConvTranspose", ["x", "w", "b"], ["y"], strides=[2, 2], pads=[1, 1, 1, 1])
    c.output("y", ref_convtranspose(x, w, b, (2, 2), (1, 1, 1, 1)),
             ref_convtranspose(abs(x), abs(w), abs(b), (2, 2), (1, 1, 1, 1)), dtype=F64)


@case
def convtranspose_cols(c):
    """ConvTranspose as a matrix product and Col2Im (float32, -O2): 3x3 stride 2, pads 1,
    output_padding 1, bias and a Relu fused at Col2Im's stores, batch 2; then 2x2
    stride 3, no bias (phases that no tap reaches are 0); and 2x2 stride 9 with bias (81
    phases: Col2Im scatters, then runs the bias over the image)."""
    x = c.input("x", (2, 3, 3, 4))
    w1 = c.weight("w1", (3, 4, 3, 3), -0.5, 0.5)
    b1 = c.weight("b1", (4,), -0.5, 0.5)
    w2 = c.weight("w2", (4, 3, 2, 2), 0.1, 0.5)  # positive: no cancellation after the Relu
    c.node("ConvTranspose", ["x", "w1", "b1"], ["t"], strides=[2, 2], pads=[1, 1, 1, 1],
           output_padding=[1, 1])
    c.node("Relu", ["t"], ["r"])
    c.node("ConvTranspose", ["r", "w2"], ["y"], strides=[3, 3])
    t = ref_convtranspose(x, w1, b1, (2, 2), (1, 1, 1, 1), (1, 1))
    tm = ref_convtranspose(abs(x), abs(w1), abs(b1), (2, 2), (1, 1, 1, 1), (1, 1))
    c.check(t, tm)  # the Relu's signs are sure, its zeros exact
    r, rm = np.maximum(t, 0.0), np.where(t > 0, tm, 0.0)
    c.output("y", ref_convtranspose(r, w2, None, (3, 3), (0, 0, 0, 0)),
             2 * ref_convtranspose(rm, abs(w2), None, (3, 3), (0, 0, 0, 0)))
    w3 = c.weight("w3", (3, 2, 2, 2), -0.5, 0.5)
    b3 = c.weight("b3", (2,), -0.5, 0.5)
    c.node("ConvTranspose", ["x", "w3", "b3"], ["y9"], strides=[9, 9])
    c.output("y9", ref_convtranspose(x, w3, b3, (9, 9), (0, 0, 0, 0)),
             ref_convtranspose(abs(x), abs(w3), abs(b3), (9, 9), (0, 0, 0, 0)))


@case
def gemm_float64(c):
    """Gemm, transB (the constant B transposed at compile time), alpha 0.5, beta 2."""
    a = c.input("a", (3, 5), dtype=F64)
    b = c.weight("b", (4, 5), dtype=F64)
    bias = c.weight("c", (4,), dtype=F64)
    c.node("Gemm", ["a", "b", "c"], ["y"], transB=1, alpha=0.5, beta=2.0)
    c.output("y", ref_gemm(a, b, bias, alpha=0.5, beta=2.0, trans_b=1),
             ref_gemm(abs(a), abs(b), abs(bias), alpha=0.5, beta=2.0, trans_b=1), dtype=F64)


@case
def gemm_bfloat16(c):
    """Gemm in bfloat16, transB (the constant B transposed at compile time, still
    bfloat16) and a bias [N]."""
    a = c.input("a", (2, 6), dtype=BF16)
    b = c.weight("b", (3, 6), dtype=BF16)
    bias = c.weight("c", (3,), dtype=BF16)
    c.node("Gemm", ["a", "b", "c"], ["y"], transB=1)
    c.output("y", ref_gemm(a, b, bias, trans_b=1), ref_gemm(abs(a), abs(b), abs(bias), trans_b=1),
             dtype=BF16)


@case
def matmul_float16(c):
    """MatMul of a float16 [2,3,8] input and a constant [8,5]."""
    a = c.input("a", (2, 3, 8), dtype=F16)
    b = c.weight("b", (8, 5), dtype=F16)
    c.node("MatMul", ["a", "b"], ["y"])
    c.output("y", a @ b, abs(a) @ abs(b), dtype=F16)


@case
def vector_reductions(c):
    """Rows long enough for the vector reductions (-O2 on a target with vectors): a
    Softmax over 37 (its maximum's last vector overlapping, its sum with a tail), a
    LayerNormalization-17 over 67 with Mean and InvStdDev, and a GlobalAveragePool of
    19x23 planes (four accumulators, the vectors past their last group, a tail)."""
    c.opset = 17
    x = c.input("x", (3, 37), -6.0, 6.0)
    c.node("Softmax", ["x"], ["y"])
    c.output("y", ref_softmax(x, -1))
    z = c.input("z", (2, 67), -3.0, 5.0)
    scale = c.weight("scale", (67,), 0.5, 1.5)
    bias = c.weight("bias", (67,))
    c.node("LayerNormalization", ["z", "scale", "bias"], ["n", "mean", "inv"], axis=-1,
           epsilon=1e-5)
    n, mean, inv = ref_layernorm(z, scale, bias, 1, 1e-5)
    c.output("n", n, abs((z - mean) * inv * scale) + abs(bias))
    c.output("mean", mean, abs(z).mean(axis=1, keepdims=True))
    c.output("inv", inv)
    p = c.input("p", (1, 5, 19, 23))
    c.node("GlobalAveragePool", ["p"], ["g"])
    c.output("g", p.mean(axis=(2, 3), keepdims=True), abs(p).mean(axis=(2, 3), keepdims=True))


@case
def layernorm_float16(c):
    """LayerNormalization-17 over the last two dims in float16, with the Mean and
    InvStdDev outputs in float32 (stash_type 1)."""
    c.opset = 17
    x = c.input("x", (2, 3, 4, 5), dtype=F16)
    scale = c.weight("scale", (4, 5), 0.5, 1.5, dtype=F16)
    bias = c.weight("bias", (4, 5), dtype=F16)
    c.node("LayerNormalization", ["x", "scale", "bias"], ["y", "mean", "inv"], axis=-2,
           epsilon=1e-3)
    y, mean, inv = ref_layernorm(x, scale, bias, 2, 1e-3)
    mag = abs((x - mean) * inv * scale) + abs(bias)
    c.output("y", y, mag, dtype=F16)
    c.output("mean", mean)
    c.output("inv", inv)


@case
def instancenorm_float16(c):
    x = c.input("x", (2, 3, 4, 5), dtype=F16)
    scale = c.weight("scale", (3,), 0.5, 1.5, dtype=F16)
    bias = c.weight("bias", (3,), dtype=F16)
    c.node("InstanceNormalization", ["x", "scale", "bias"], ["y"], epsilon=1e-3)
    y = ref_instancenorm(x, scale, bias, 1e-3)
    mag = abs(ref_instancenorm(x, scale, 0 * bias, 1e-3)) + abs(bias).reshape(1, -1, 1, 1)
    c.output("y", y, mag, dtype=F16)


@case
def batchnorm_float64(c):
    """BatchNormalization-15, every input float64."""
    c.opset = 15
    x = c.input("x", (2, 3, 4, 4), dtype=F64)
    scale = c.weight("scale", (3,), 0.5, 1.5, dtype=F64)
    bias = c.weight("bias", (3,), dtype=F64)
    mean = c.weight("mean", (3,), -0.5, 0.5, dtype=F64)
    var = c.weight("var", (3,), 0.2, 2.0, dtype=F64)
    c.node("BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["y"], epsilon=1e-3)
    c.output("y", ref_batchnorm(x, scale, bias, mean, var, 1e-3),
             ref_batchnorm(abs(x), scale, abs(bias), -abs(mean), var, 1e-3), dtype=F64)


@case
def batchnorm_mixed(c):
    """BatchNormalization-15 with three types: X float16 (T), scale and bias float32
    (T1), mean and var float64 (T2): computed in float64, Y rounded to float16."""
    c.opset = 15
    x = c.input("x", (2, 3, 4, 4), dtype=F16)
    scale = c.weight("scale", (3,), 0.5, 1.5)
    bias = c.weight("bias", (3,))
    mean = c.weight("mean", (3,), -0.5, 0.5, dtype=F64)
    var = c.weight("var", (3,), 0.2, 2.0, dtype=F64)
    c.node("BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["y"], epsilon=1e-3)
    c.output("y", ref_batchnorm(x, scale, bias, mean, var, 1e-3),
             ref_batchnorm(abs(x), scale, abs(bias), -abs(mean), var, 1e-3), dtype=F16)


@case
def maxpool_float16(c):
    """MaxPool 3x3, stride 2, pads 1 in float16, with the Indices output."""
    x = c.input("x", (1, 2, 7, 7), dtype=F16)
    c.node("MaxPool", ["x"], ["y", "i"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    y = ref_maxpool(x, (3, 3), (2, 2), (1, 1, 1, 1))
    idx = np.zeros(y.shape, dtype=np.int64)
    flat = x.reshape(-1)
    for k, v in np.ndenumerate(y):  # the first position holding the maximum
        n, ch, i, j = k
        best = None
        for di in range(3):
            for dj in range(3):
                r, q = 2 * i + di - 1, 2 * j + dj - 1
                if 0 <= r < 7 and 0 <= q < 7 and x[n, ch, r, q] == v and best is None:
                    best = ((n * 2 + ch) * 7 + r) * 7 + q
        idx[k] = best
        assert flat[best] == v
    c.output("y", y, dtype=F16)
    c.output("i", idx, dtype=np.int64)


@case
def avgpool_float16(c):
    """AveragePool 3x3, stride 2, pads 1, count_include_pad 0 in float16: the divisor
    table is float32."""
    x = c.input("x", (1, 2, 6, 7), dtype=F16)
    c.node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2],
           pads=[1, 1, 1, 1], count_include_pad=0)
    c.output("y", ref_avgpool(x, (3, 3), (2, 2), (1, 1, 1, 1), False),
             ref_avgpool(abs(x), (3, 3), (2, 2), (1, 1, 1, 1), False), dtype=F16)


@case
def pool_float64(c):
    """AveragePool with pads (a float64 divisor table), GlobalMaxPool and LpPool p=3,
    all float64."""
    x = c.input("x", (1, 2, 6, 7), dtype=F64)
    c.node("AveragePool", ["x"], ["a"], kernel_shape=[3, 3], strides=[2, 2],
           pads=[1, 1, 1, 1], count_include_pad=0)
    c.node("GlobalMaxPool", ["x"], ["m"])
    c.node("LpPool", ["x"], ["p"], kernel_shape=[2, 2], strides=[2, 2], p=3)
    c.output("a", ref_avgpool(x, (3, 3), (2, 2), (1, 1, 1, 1), False),
             ref_avgpool(abs(x), (3, 3), (2, 2), (1, 1, 1, 1), False), dtype=F64)
    c.output("m", x.max(axis=(2, 3), keepdims=True), dtype=F64)
    p = None
    for i, j, oh, ow, win, _ in pool_windows(x, (2, 2), (2, 2), (0, 0, 0, 0), 0.0):
        if p is None:
            p = np.zeros(x.shape[:2] + (oh, ow))
        p[:, :, i, j] = (abs(win) ** 3).sum(axis=(2, 3)) ** (1.0 / 3.0)
    c.output("p", p, dtype=F64)


def rnn_inputs(c, G, T, B, I, H, lim=0.5, dtype=F32):
    """Input x (T, B, I) and weights W, R, B of a one-direction layer of G gates, drawn in
    that order, uniform in (-lim, lim)."""
    x = c.input("x", (T, B, I), dtype=dtype)
    w = c.weight("w", (1, G * H, I), -lim, lim, dtype=dtype)
    r = c.weight("r", (1, G * H, H), -lim, lim, dtype=dtype)
    b = c.weight("b", (1, 2 * G * H), -lim, lim, dtype=dtype)
    return x, w, r, b


def lstm_case(c, T, B, I, H, dtype=F32):
    """LSTM-14 forward with bias and initial states, all three outputs."""
    c.opset = 14
    x, w, r, b = rnn_inputs(c, 4, T, B, I, H, dtype=dtype)
    h0 = c.input("h0", (1, B, H), dtype=dtype)
    c0 = c.input("c0", (1, B, H), dtype=dtype)
    c.node("LSTM", ["x", "w", "r", "b", "", "h0", "c0"], ["y", "y_h", "y_c"], hidden_size=H)
    y, yh, yc = ref_lstm(x, w, r, b, h0, c0)
    ones = np.ones_like(y)
    c.output("y", y, ones, dtype=dtype)
    c.output("y_h", yh, ones[-1], dtype=dtype)
    c.output("y_c", yc, 4 * ones[-1], dtype=dtype)


def gru_case(c, T, B, I, H, dtype=F32):
    """GRU-14 forward (linear_before_reset 0) with bias and initial state."""
    c.opset = 14
    x, w, r, b = rnn_inputs(c, 3, T, B, I, H, dtype=dtype)
    h0 = c.input("h0", (1, B, H), dtype=dtype)
    c.node("GRU", ["x", "w", "r", "b", "", "h0"], ["y", "y_h"], hidden_size=H)
    y, yh = ref_gru(x, w, r, b, h0)
    ones = np.ones_like(y)
    c.output("y", y, ones, dtype=dtype)
    c.output("y_h", yh, ones[-1], dtype=dtype)


@case
def lstm_float64(c):
    """LSTM-14 forward in float64 with bias and initial states, all three outputs."""
    lstm_case(c, 3, 2, 3, 4, dtype=F64)


@case
def gru_float16(c):
    """GRU-14 forward in float16 (linear_before_reset 0) with bias and initial state."""
    gru_case(c, 3, 2, 3, 4, dtype=F16)


@case
def lstm_gates_vec(c):
    """LSTM-14 in float32 with 20 hidden units: 80 gates, whole vectors of every
    width (the gate products in vector registers), bias and initial states."""
    lstm_case(c, 4, 2, 5, 20)


@case
def lstm_gates_wide(c):
    """LSTM-14 in float32 with 42 hidden units: 168 gates, in more than one block of
    vector registers on targets with 16 registers of 8 lanes (16 + 5) or 32 of 4 (32 +
    10), a tail of 8 past the whole 16-lane vectors."""
    lstm_case(c, 3, 1, 6, 42)


@case
def gru_gates_vec(c):
    """GRU-14 in float32 with 20 hidden units: 60 gates, whole vectors then a tail
    of 12 on 16-lane targets."""
    gru_case(c, 4, 2, 5, 20)


@case
def lstm_stack(c):
    """Three LSTM-14 layers of 16 hidden units over 33 steps, one batch: the input
    projections hoisted in chunks of steps (33 = 4 x 7 + 5, or 6 x 5 + 3), with a chunk
    past the last whole ones. The first layer reads a MatMul's output and the second the
    first's Y, each dead there: both Ys go in place of their inputs (a chain, one
    storage); the third's input (the second's Y) is added to its output, so stays
    where it is."""
    c.opset = 14
    T, I, H = 33, 16, 16
    x = c.input("x", (T, 1, I))
    m0 = c.weight("m0", (I, I), -0.5, 0.5)
    c.node("MatMul", ["x", "m0"], ["xm"])
    c.const("ax", np.array([1], dtype=np.int64))
    z = np.zeros((1, 1, H))
    y = x @ m0
    for k, name in enumerate("abc"):
        w = c.weight("w" + name, (1, 4 * H, I if k == 0 else H), -0.5, 0.5)
        r = c.weight("r" + name, (1, 4 * H, H), -0.5, 0.5)
        b = c.weight("b" + name, (1, 8 * H), -0.5, 0.5)
        src = "xm" if k == 0 else "s" + "abc"[k - 1]
        c.node("LSTM", [src, "w" + name, "r" + name, "b" + name], ["y" + name], hidden_size=H)
        yk = ref_lstm(y, w, r, b, z, z)[0]
        c.node("Squeeze", ["y" + name, "ax"], ["s" + name])
        prev, y = y, yk[:, 0]
    c.node("Add", ["sc", "sb"], ["out"])
    c.output("out", y + prev, 2 * np.ones_like(y))


@case
def gru_steps(c):
    """GRU-14 in float32 running in reverse over 9 steps, one batch, 16 hidden units (48
    gates, whole vectors on every target): its input projection hoisted in chunks of
    steps taken from the last, with a chunk past the last whole one. Its Y is summed
    through a wider MatMul."""
    c.opset = 14
    T, I, H = 9, 8, 16
    x, w, r, b = rnn_inputs(c, 3, T, 1, I, H)
    h0 = c.input("h0", (1, 1, H))
    c.node("GRU", ["x", "w", "r", "b", "", "h0"], ["y", "y_h"], hidden_size=H,
           direction="reverse")
    y, yh = ref_gru(x[::-1], w, r, b, h0)
    # Y through a wider MatMul and a sum: the most bytes live at one kernel are there, so
    # the GRU's kernel has room for the chunk's rows of gates under the default --arena
    m = c.weight("m", (H, 4 * H), -0.5, 0.5)
    c.node("MatMul", ["y", "m"], ["ym"])
    c.node("ReduceSum", ["ym"], ["s"], keepdims=0)
    ones = np.ones_like(y)
    c.output("s", (y[::-1] @ m).sum(), (np.abs(y[::-1]) @ np.abs(m)).sum())
    c.output("y_h", yh, ones[-1])


@case
def lstm_panels(c):
    """LSTM-14 in float32 with 48 hidden units (192 gates) over 12 steps, one batch: R^T
    is 36 KB, so with the input projection hoisted it is stored in panels of 8 vectors of
    gates, which consecutive steps run in opposite orders (8 + 4 vectors on 16-lane
    targets; chunks of 7 + 5 or 5 + 5 + 2 steps, an odd and an even one). Its Y is copied
    eight times over before a sum, so the default budget has room for the chunk's gates."""
    c.opset = 14
    T, I, H = 12, 8, 48
    x, w, r, b = rnn_inputs(c, 4, T, 1, I, H, lim=0.3)
    c.node("LSTM", ["x", "w", "r", "b"], ["y"], hidden_size=H)
    y = ref_lstm(x, w, r, b, np.zeros((1, 1, H)), np.zeros((1, 1, H)))[0]
    wide(c, "y", y)


def wide(c, name, y):
    """y (T, 1, 1, H) and, as output "s", the sum of eight copies of it side by side
    scaled by 1..8 (a live tensor 8x y's size right after it)."""
    k = np.arange(1, 9, dtype=F32).reshape(1, 1, 1, 8)
    c.const("k8", np.repeat(k, y.shape[-1], axis=-1).astype(F32))
    c.node("Concat", [name] * 8, ["yw"], axis=-1)
    c.node("Mul", ["yw", "k8"], ["ym"])
    c.node("ReduceSum", ["ym"], ["s"], keepdims=0)
    ref = np.concatenate([y] * 8, axis=-1) * np.repeat(k, y.shape[-1], axis=-1)
    c.output("s", ref.sum(), np.abs(ref).sum())
    c.output(name, y, np.ones_like(y))


@case
def gru_lbr_panels(c):
    """GRU-14 in float32 with linear_before_reset (its hidden product over all 192 gates
    at once) and 64 hidden units, in reverse over 10 steps: R^T is 48 KB, in panels run
    in alternating orders, the chunks taken from the last step. R is stored as int8 and
    dequantized, so the model stays small (folded to a float32 constant at -O2 on
    targets with vectors)."""
    c.opset = 14
    T, I, H = 10, 8, 64
    x = c.input("x", (T, 1, I))
    w = c.weight("w", (1, 3 * H, I), -0.3, 0.3)
    q = c.const("rq", c.rng.integers(-127, 128, size=(1, 3 * H, H)).astype(np.int8))
    c.const("rs", np.array(0.3 / 127, dtype=F32))
    c.node("DequantizeLinear", ["rq", "rs"], ["r"])
    r = q.astype(np.float64) * float(np.float32(0.3 / 127))
    b = c.weight("b", (1, 6 * H), -0.3, 0.3)
    h0 = c.input("h0", (1, 1, H))
    c.node("GRU", ["x", "w", "r", "b", "", "h0"], ["y", "y_h"], hidden_size=H,
           direction="reverse", linear_before_reset=1)
    y, yh = ref_gru(x[::-1], w, r, b, h0, lbr=True)
    c.output("y_h", yh, np.ones_like(yh))
    wide(c, "y", y[::-1])  # Y by time index: the reverse of the order computed


@case
def sce_float64(c):
    """SoftmaxCrossEntropyLoss-13 in float64, mean over the targets, with log_prob."""
    x = c.input("x", (3, 5, 2), -2.0, 2.0, dtype=F64)
    t = c.rng.integers(0, 5, size=(3, 2)).astype(np.int64)
    c.inputs.append(("t", t))
    c.node("SoftmaxCrossEntropyLoss", ["x", "t"], ["loss", "log_prob"])
    lp = x - x.max(axis=1, keepdims=True)
    lp = lp - np.log(np.exp(lp).sum(axis=1, keepdims=True))
    picked = np.take_along_axis(lp, t[:, None, :], axis=1)[:, 0]
    c.output("loss", np.array(-picked.mean()), abs(picked).mean(), dtype=F64)
    c.output("log_prob", lp, dtype=F64)


def main(argv):
    outdir = argv[1] if len(argv) > 1 else HERE
    wanted = set(argv[2:])
    names = [fn.__name__ for fn in CASES]
    unknown = wanted - set(names)
    if unknown:
        sys.exit(f"make_models: unknown case(s): {' '.join(sorted(unknown))}")
    for fn in CASES:
        if wanted and fn.__name__ not in wanted:
            continue
        for attempt in range(MAX_ATTEMPTS):
            c = Case(fn.__name__, attempt)
            try:
                fn(c)
                break
            except IllConditioned:
                continue
        else:
            sys.exit(f"make_models: {fn.__name__}: no well-conditioned data in {MAX_ATTEMPTS} draws")
        c.write(outdir)
    print(f"make_models: wrote {len(wanted) or len(CASES)} cases to {outdir}")


if __name__ == "__main__":
    main(sys.argv)
