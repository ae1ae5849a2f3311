#!/usr/bin/python3
"""Models of architectures the corpus does not have, for bench.py: random weights, shapes
as the real ones have them (the timing does not depend on the values).

  bench/arch_models.py OUTDIR [NAME...]     # all of them, or some
  bench/bench.py OUTDIR/*.onnx

vgg (3x3 convs over 112x112), resnet50 (bottleneck blocks, two stages), densenet (dense
blocks: BatchNormalization, Relu, Concat), inception (branches of 1x1, 3x3, 5x5 and a
stride-1 MaxPool), regnet (grouped 3x3 convs of 16 channels a group), yolo (SiLU, a
spatial pyramid of 5x5 MaxPools, Resize, Concat, 320x320), unet (ConvTranspose, Resize,
skip Concats), style (reflection Pad, InstanceNormalization, ConvTranspose), c3d (3-D
convs over 16 frames), tcn (dilated 1-D convs), mlp (fully connected, batch 8), gru,
transformer (pre-norm encoder, GELU by Erf), bert (embedding Gather, post-norm, SiLU-GELU),
vit (16x16 patches, class token, 197 positions).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, shape_inference


class Builder:
    """A graph under construction: every node gets a fresh output name."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.count = [], [], 0

    def fresh(self, prefix):
        self.count += 1
        return f"{prefix}{self.count}"

    def const(self, a):
        name = self.fresh("w")
        a = np.asarray(a)
        self.inits.append(numpy_helper.from_array(a.astype(np.float32) if a.dtype == np.float64 else a,
                                                  name))
        return name

    def normal(self, scale, shape):
        return self.const(self.rng.normal(0, scale, shape))

    def op(self, op, ins, **attrs):
        out = self.fresh(op.lower())
        self.nodes.append(helper.make_node(op, ins, [out], **attrs))
        return out

    def conv(self, x, cin, cout, k, stride=1, pad=None, group=1, bias=True):
        pad = k // 2 if pad is None else pad
        ins = [x, self.normal((2 / (cin // group * k * k)) ** 0.5, (cout, cin // group, k, k))]
        if bias:
            ins.append(self.normal(0.1, (cout,)))
        return self.op("Conv", ins, kernel_shape=[k, k], strides=[stride] * 2, pads=[pad] * 4,
                       group=group)

    def bn(self, x, c):
        r = self.rng
        return self.op("BatchNormalization",
                       [x, self.const(r.uniform(0.5, 1.5, c)), self.const(r.normal(0, 0.1, c)),
                        self.const(r.normal(0, 0.1, c)), self.const(r.uniform(0.5, 1.5, c))])

    def relu(self, x):
        return self.op("Relu", [x])

    def silu(self, x):
        return self.op("Mul", [x, self.op("Sigmoid", [x])])

    def gemm(self, x, cin, cout):
        return self.op("Gemm", [x, self.normal(0.05, (cout, cin)), self.normal(0.1, (cout,))],
                       transB=1)

    def head(self, x, c, classes=1000):
        return self.gemm(self.op("Flatten", [self.op("GlobalAveragePool", [x])]), c, classes)

    def linear(self, x, cin, cout):
        return self.op("Add", [self.op("MatMul", [x, self.normal(cin ** -0.5, (cin, cout))]),
                               self.normal(0.1, (cout,))])

    def layernorm(self, x, d, eps=1e-5):
        return self.op("LayerNormalization", [x, self.const(self.rng.uniform(0.5, 1.5, d)),
                                              self.normal(0.1, (d,))], axis=-1, epsilon=eps)

    def gelu(self, x):
        e = self.op("Erf", [self.op("Div", [x, self.const(np.float32(2 ** 0.5))])])
        return self.op("Mul", [self.op("Mul", [x, self.op("Add", [e, self.const(np.float32(1))])]),
                               self.const(np.float32(0.5))])

    def attention(self, x, s, d, heads):
        dh = d // heads
        split = self.const(np.array([1, s, heads, dh], np.int64))
        q, k, v = (self.op("Transpose", [self.op("Reshape", [self.linear(x, d, d), split])],
                           perm=p) for p in ([0, 2, 1, 3], [0, 2, 3, 1], [0, 2, 1, 3]))
        a = self.op("Softmax", [self.op("Mul", [self.op("MatMul", [q, k]),
                                                self.const(np.float32(dh ** -0.5))])], axis=-1)
        o = self.op("Transpose", [self.op("MatMul", [a, v])], perm=[0, 2, 1, 3])
        return self.linear(self.op("Reshape", [o, self.const(np.array([1, s, d], np.int64))]), d, d)

    def model(self, x_info, out, opset):
        graph = helper.make_graph(self.nodes, "bench", [x_info],
                                  [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)],
                                  self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
        m.ir_version = 8
        inferred = shape_inference.infer_shapes(m)
        for v in list(inferred.graph.value_info) + list(inferred.graph.output):
            if v.name == out and v.type.tensor_type.HasField("shape"):
                m.graph.output[0].CopyFrom(v)
        onnx.checker.check_model(m)
        return m


def image(shape):
    return helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)


def vgg(b):
    x, c = "x", 3
    for co, n in ((64, 2), (128, 2), (256, 3)):
        for _ in range(n):
            x, c = b.relu(b.conv(x, c, co, 3)), co
        x = b.op("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
    return image([1, 3, 112, 112]), b.head(x, c, 100), 13


def resnet50(b):
    x = b.relu(b.bn(b.conv("x", 3, 64, 7, 2, 3, bias=False), 64))
    x, c = b.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]), 64
    for mid, out, n, stride in ((64, 256, 2, 1), (128, 512, 2, 2)):
        for i in range(n):
            s = stride if i == 0 else 1
            y = b.relu(b.bn(b.conv(x, c, mid, 1, bias=False), mid))
            y = b.relu(b.bn(b.conv(y, mid, mid, 3, s, bias=False), mid))
            y = b.bn(b.conv(y, mid, out, 1, bias=False), out)
            sc = x if c == out and s == 1 else b.bn(b.conv(x, c, out, 1, s, 0, bias=False), out)
            x, c = b.relu(b.op("Add", [y, sc])), out
    return image([1, 3, 224, 224]), b.head(x, c), 13


def densenet(b):
    x, c = b.relu(b.conv("x", 3, 32, 3, 2)), 32
    for _ in range(3):
        for _ in range(4):
            y = b.conv(b.relu(b.bn(x, c)), c, 64, 1, bias=False)
            y = b.conv(b.relu(b.bn(y, 64)), 64, 16, 3, bias=False)
            x, c = b.op("Concat", [x, y], axis=1), c + 16
        x = b.op("AveragePool", [b.conv(x, c, c // 2, 1)], kernel_shape=[2, 2], strides=[2, 2])
        c //= 2
    return image([1, 3, 96, 96]), b.head(x, c, 10), 13


def inception(b):
    x = b.relu(b.conv("x", 3, 64, 7, 2))
    x = b.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    x = b.op("MaxPool", [b.relu(b.conv(x, 64, 192, 3))], kernel_shape=[3, 3], strides=[2, 2],
             pads=[1, 1, 1, 1])
    c = 192
    for a, b1, b2, c1, c2, p in ((64, 96, 128, 16, 32, 32), (128, 128, 192, 32, 96, 64)):
        r1 = b.relu(b.conv(x, c, a, 1))
        r2 = b.relu(b.conv(b.relu(b.conv(x, c, b1, 1)), b1, b2, 3))
        r3 = b.relu(b.conv(b.relu(b.conv(x, c, c1, 1)), c1, c2, 5))
        pool = b.op("MaxPool", [x], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
        r4 = b.relu(b.conv(pool, c, p, 1))
        x, c = b.op("Concat", [r1, r2, r3, r4], axis=1), a + b2 + c2 + p
    return image([1, 3, 224, 224]), b.head(x, c), 13


def regnet(b):
    x, c = b.relu(b.bn(b.conv("x", 3, 32, 3, 2, bias=False), 32)), 32
    for w, n, stride in ((48, 1, 2), (96, 2, 2), (240, 3, 2)):
        for i in range(n):
            s = stride if i == 0 else 1
            y = b.relu(b.bn(b.conv(x, c, w, 1, bias=False), w))
            y = b.relu(b.bn(b.conv(y, w, w, 3, s, group=w // 16, bias=False), w))
            y = b.bn(b.conv(y, w, w, 1, bias=False), w)
            sc = x if c == w and s == 1 else b.bn(b.conv(x, c, w, 1, s, 0, bias=False), w)
            x, c = b.relu(b.op("Add", [y, sc])), w
    return image([1, 3, 224, 224]), b.head(x, c), 13


def yolo(b):
    def cbs(x, ci, co, k, s=1):
        return b.silu(b.bn(b.conv(x, ci, co, k, s, bias=False), co))
    x = cbs(cbs("x", 3, 16, 3, 2), 16, 32, 3, 2)
    y = cbs(cbs(cbs(x, 32, 16, 1), 16, 16, 3), 16, 16, 3)
    x = cbs(b.op("Concat", [cbs(x, 32, 16, 1), y], axis=1), 32, 32, 1)
    p3 = x = cbs(x, 32, 64, 3, 2)
    x = cbs(x, 64, 128, 3, 2)
    m1 = b.op("MaxPool", [x], kernel_shape=[5, 5], pads=[2, 2, 2, 2])
    m2 = b.op("MaxPool", [m1], kernel_shape=[5, 5], pads=[2, 2, 2, 2])
    x = cbs(b.op("Concat", [x, m1, m2], axis=1), 384, 128, 1)
    up = b.op("Resize", [x, "", b.const(np.array([1, 1, 2, 2], np.float32))], mode="nearest")
    x = cbs(b.op("Concat", [up, p3], axis=1), 192, 64, 3)
    return image([1, 3, 320, 320]), b.conv(x, 64, 85, 1), 13


def unet(b):
    s1 = x = b.relu(b.conv("x", 3, 32, 3))
    x = b.op("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
    s2 = x = b.relu(b.conv(x, 32, 64, 3))
    x = b.op("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
    x = b.relu(b.conv(x, 64, 128, 3))
    x = b.op("ConvTranspose", [x, b.normal(0.05, (128, 64, 2, 2)), b.normal(0.1, (64,))],
             kernel_shape=[2, 2], strides=[2, 2])
    x = b.relu(b.conv(b.op("Concat", [x, s2], axis=1), 128, 64, 3))
    x = b.op("Resize", [x, "", b.const(np.array([1, 1, 2, 2], np.float32))], mode="nearest")
    x = b.relu(b.conv(b.op("Concat", [x, s1], axis=1), 96, 32, 3))
    return image([1, 3, 128, 128]), b.op("Sigmoid", [b.conv(x, 32, 1, 1)]), 13


def style(b):
    def inorm(x, c):
        return b.op("InstanceNormalization", [x, b.const(b.rng.uniform(0.5, 1.5, c)),
                                              b.normal(0.1, (c,))])

    def rconv(x, ci, co, k, s=1):
        pads = b.const(np.array([0, 0, k // 2, k // 2, 0, 0, k // 2, k // 2], np.int64))
        return b.conv(b.op("Pad", [x, pads], mode="reflect"), ci, co, k, s, 0)

    def up(x, ci, co):
        return b.op("ConvTranspose", [x, b.normal(0.05, (ci, co, 3, 3)), b.normal(0.1, (co,))],
                    kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1])
    x = b.relu(inorm(rconv("x", 3, 32, 9), 32))
    x = b.relu(inorm(rconv(x, 32, 64, 3, 2), 64))
    x = b.relu(inorm(rconv(x, 64, 128, 3, 2), 128))
    for _ in range(2):
        y = inorm(rconv(b.relu(inorm(rconv(x, 128, 128, 3), 128)), 128, 128, 3), 128)
        x = b.op("Add", [x, y])
    x = b.relu(inorm(up(x, 128, 64), 64))
    x = b.relu(inorm(up(x, 64, 32), 32))
    return image([1, 3, 128, 128]), rconv(x, 32, 3, 9), 13


def c3d(b):
    x, c = "x", 3
    for co, s in ((16, 1), (32, 2), (64, 2)):
        w = b.normal((2 / (c * 27)) ** 0.5, (co, c, 3, 3, 3))
        x = b.relu(b.op("Conv", [x, w, b.normal(0.1, (co,))], kernel_shape=[3, 3, 3],
                        strides=[s] * 3, pads=[1] * 6))
        c = co
    return image([1, 3, 16, 56, 56]), b.head(x, c, 10), 13


def tcn(b):
    x, c = "x", 40
    for co, d in ((64, 1), (64, 2), (64, 4), (128, 8)):
        w = b.normal((2 / (c * 3)) ** 0.5, (co, c, 3))
        x = b.relu(b.op("Conv", [x, w, b.normal(0.1, (co,))], kernel_shape=[3], dilations=[d],
                        pads=[d, d]))
        c = co
    return image([1, 40, 200]), b.head(x, c, 12), 13


def mlp(b):
    x, d = "x", 784
    for o in (1024, 1024, 512):
        x, d = b.relu(b.gemm(x, d, o)), o
    return image([8, 784]), b.gemm(x, d, 10), 13


def gru(b):
    i, hs = 40, 128
    ins = ["x", b.normal(0.1, (1, 3 * hs, i)), b.normal(0.1, (1, 3 * hs, hs)),
           b.normal(0.1, (1, 6 * hs))]
    b.nodes.append(helper.make_node("GRU", ins, ["gru_y", "gru_h"], hidden_size=hs,
                                    linear_before_reset=1))
    h = b.op("Squeeze", ["gru_h", b.const(np.array([0], np.int64))])
    return image([50, 1, i]), b.gemm(h, hs, 12), 13


def transformer(b, s=128, d=256, heads=4, ff=1024, layers=2):
    x = "x"
    for _ in range(layers):
        x = b.op("Add", [x, b.attention(b.layernorm(x, d), s, d, heads)])
        y = b.linear(b.gelu(b.linear(b.layernorm(x, d), d, ff)), ff, d)
        x = b.op("Add", [x, y])
    return image([1, s, d]), b.layernorm(x, d), 17


def bert(b, s=64, d=256, heads=4, ff=1024, layers=2, vocab=5000):
    x = b.op("Add", [b.op("Gather", [b.normal(0.1, (vocab, d)), "x"], axis=0),
                     b.normal(0.1, (1, s, d))])
    x = b.layernorm(x, d, 1e-12)
    for _ in range(layers):
        x = b.layernorm(b.op("Add", [x, b.attention(x, s, d, heads)]), d, 1e-12)
        y = b.linear(x, d, ff)
        y = b.op("Mul", [y, b.op("Sigmoid", [b.op("Mul", [y, b.const(np.float32(1.702))])])])
        x = b.layernorm(b.op("Add", [x, b.linear(y, ff, d)]), d, 1e-12)
    return helper.make_tensor_value_info("x", TensorProto.INT64, [1, s]), x, 17


def vit(b, d=192, heads=3, layers=4, ff=768):
    x = b.conv("x", 3, d, 16, 16, 0)
    x = b.op("Transpose", [b.op("Reshape", [x, b.const(np.array([1, d, 196], np.int64))])],
             perm=[0, 2, 1])
    x = b.op("Concat", [b.normal(0.1, (1, 1, d)), x], axis=1)
    x = b.op("Add", [x, b.normal(0.1, (1, 197, d))])
    for _ in range(layers):
        x = b.op("Add", [x, b.attention(b.layernorm(x, d, 1e-6), 197, d, heads)])
        x = b.op("Add", [x, b.linear(b.gelu(b.linear(b.layernorm(x, d, 1e-6), d, ff)), ff, d)])
    cls = b.op("Gather", [b.layernorm(x, d, 1e-6), b.const(np.array(0, np.int64))], axis=1)
    return image([1, 3, 224, 224]), b.gemm(cls, d, 1000), 17


MODELS = [vgg, resnet50, densenet, inception, regnet, yolo, unet, style, c3d, tcn, mlp, gru,
          transformer, bert, vit]


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) >= 2 else 1
    names = {f.__name__: f for f in MODELS}
    unknown = [n for n in argv[2:] if n not in names]
    if unknown:
        print(f"arch_models: unknown model {', '.join(unknown)}; known: {', '.join(names)}",
              file=sys.stderr)
        return 1
    os.makedirs(argv[1], exist_ok=True)
    for i, f in enumerate(MODELS):
        if argv[2:] and f.__name__ not in argv[2:]:
            continue
        b = Builder(i)
        x_info, out, opset = f(b)
        path = os.path.join(argv[1], f.__name__ + ".onnx")
        onnx.save(b.model(x_info, out, opset), path)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
