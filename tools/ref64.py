#!/usr/bin/python3
"""The exact answer, to settle a disagreement with onnxruntime.

When lwcc and onnxruntime differ on a corpus case by more than the corpus rule
allows (rtol 1e-3, atol 1e-7), this evaluates the model in float64 (numpy,
written from the ONNX operator spec) and compares both float32 answers with
it, so that the one nearer the exact value is known:

    measure.py corpus --keep DIR CASE          # lwcc's outputs in DIR/<case>/out.bin
    tools/ref64.py CASE DIR/<case>/out.bin

Only the ops of the cases it was written for are implemented (the modern
corpus's audio_stft_encoder20, resize_refine19, unet_silu21); any other op
stops with its name. Test set 0; lwcc's out.bin holds the outputs in graph
order, float32.
"""
import argparse
import math
import pathlib
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

RTOL, ATOL = 1e-3, 1e-7


def read_pb(path):
    t = onnx.TensorProto()
    t.ParseFromString(pathlib.Path(path).read_bytes())
    return numpy_helper.to_array(t)


def wide(a):
    return a.astype(np.float64) if a.dtype in (np.float32, np.float16) else a


def opt(x, i):
    """Optional input i, None when absent."""
    return x[i] if len(x) > i else None


# ---------------------------------------------------------------- ops

def conv(x, w, b, A):
    nd = x.ndim - 2
    if A.get('group', 1) != 1:
        raise SystemExit('Conv: group > 1 is not implemented')
    strides = A.get('strides', [1] * nd)
    pads = A.get('pads', [0] * 2 * nd)
    dil = A.get('dilations', [1] * nd)
    xp = np.pad(x, [(0, 0), (0, 0)] + [(pads[i], pads[i + nd]) for i in range(nd)])
    k = w.shape[2:]
    osz = [(xp.shape[2 + i] - dil[i] * (k[i] - 1) - 1) // strides[i] + 1 for i in range(nd)]
    y = np.zeros((x.shape[0], w.shape[0], *osz))
    for tap in np.ndindex(*k):
        win = tuple(slice(tap[i] * dil[i], tap[i] * dil[i] + strides[i] * (osz[i] - 1) + 1, strides[i])
                    for i in range(nd))
        y += np.einsum('nc...,oc->no...', xp[(slice(None), slice(None)) + win],
                       w[(slice(None), slice(None)) + tap])
    if b is not None:
        y += b.reshape(1, -1, *[1] * nd)
    return y


def conv_transpose(x, w, b, A):
    if x.ndim != 4 or A.get('group', 1) != 1:
        raise SystemExit('ConvTranspose: only 2-D, group 1 is implemented')
    (sh, sw), pads = A['strides'], A.get('pads', [0] * 4)
    oph, opw = A.get('output_padding', [0, 0])
    n, _, h, wd = x.shape
    _, o, kh, kw = w.shape
    full = np.zeros((n, o, (h - 1) * sh + kh + oph, (wd - 1) * sw + kw + opw))
    for i in range(kh):
        for j in range(kw):
            full[:, :, i:i + sh * (h - 1) + 1:sh, j:j + sw * (wd - 1) + 1:sw] += \
                np.einsum('nchw,co->nohw', x, w[:, :, i, j])
    y = full[:, :, pads[0]:full.shape[2] - pads[2], pads[1]:full.shape[3] - pads[3]]
    return y + (b.reshape(1, -1, 1, 1) if b is not None else 0)


def normalize(x, axes, eps):
    mu = x.mean(axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axes, keepdims=True)
    return (x - mu) / np.sqrt(var + eps)


def group_norm(x, scale, bias, A):
    n, c = x.shape[:2]
    y = normalize(x.reshape(n, A['num_groups'], -1), -1, A['epsilon']).reshape(x.shape)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if scale.size != c:  # GroupNormalization-18: scale and bias per group
        scale, bias = np.repeat(scale, c // scale.size), np.repeat(bias, c // bias.size)
    return y * scale.reshape(shape) + bias.reshape(shape)


def layer_norm(x, scale, bias, A):
    axis = A.get('axis', -1) % x.ndim
    y = normalize(x, tuple(range(axis, x.ndim)), A.get('epsilon', 1e-5)) * scale
    return y + bias if bias is not None else y


def resize_matrix(n_in, n_out, scale, A):
    """One axis of Resize (linear or cubic) as an [n_out, n_in] matrix: the
    spec's taps, clamped at the edges, antialias and exclude_outside."""
    mode = A.get('mode', b'nearest')
    ctm = A.get('coordinate_transformation_mode', b'half_pixel')
    a = A.get('cubic_coeff_a', -0.75)
    anti, excl = A.get('antialias', 0), A.get('exclude_outside', 0)
    s = scale if anti and scale < 1 else 1.0
    if mode == b'linear':
        j0 = math.floor(-1.0 / s) + 1
    elif mode == b'cubic':
        j0 = math.floor(-2.0 / s) + 1
    else:
        raise SystemExit(f'Resize mode {mode.decode()} is not implemented')
    m = np.zeros((n_out, n_in))
    for o in range(n_out):
        if ctm == b'half_pixel':
            c = (o + 0.5) / scale - 0.5
        elif ctm == b'pytorch_half_pixel':
            c = (o + 0.5) / scale - 0.5 if n_out > 1 else 0.0
        elif ctm == b'align_corners':
            c = 0.0 if n_out == 1 else o * (n_in - 1) / (n_out - 1)
        elif ctm == b'asymmetric':
            c = o / scale
        else:
            raise SystemExit(f'Resize coordinate_transformation_mode {ctm.decode()} is not implemented')
        fl = math.floor(c)
        base = fl - 1 if c == fl else fl
        taps = []
        for j in range(j0, 2 - j0):
            t = abs((j - (c - base)) * s)
            if mode == b'linear':
                wt = max(0.0, 1 - t)
            elif t <= 1:
                wt = ((a + 2) * t - (a + 3)) * t * t + 1
            else:
                wt = ((a * t - 5 * a) * t + 8 * a) * t - 4 * a if t < 2 else 0.0
            if excl and not 0 <= base + j < n_in:
                wt = 0.0
            taps.append((base + j, wt))
        total = sum(wt for _, wt in taps) if anti or excl else 1.0
        for i, wt in taps:
            m[o, min(max(i, 0), n_in - 1)] += wt / total
    return m


def resize(x, scales, sizes, A):
    axes = [int(v) % x.ndim for v in A.get('axes', range(x.ndim))]
    if sizes is not None and sizes.size:
        sizes = [int(v) for v in sizes]
        sc = [sizes[i] / x.shape[ax] for i, ax in enumerate(axes)]
        policy = A.get('keep_aspect_ratio_policy', b'stretch')
        if policy != b'stretch':
            k = min(sc) if policy == b'not_larger' else max(sc)
            sc = [k] * len(sc)
            sizes = [int(math.floor(x.shape[ax] * k + 0.5)) for ax in axes]
    else:
        sc = [float(v) for v in scales]
        sizes = [int(math.floor(x.shape[ax] * sc[i])) for i, ax in enumerate(axes)]
    for i, ax in enumerate(axes):
        if sizes[i] != x.shape[ax] or sc[i] != 1.0:
            m = resize_matrix(x.shape[ax], sizes[i], sc[i], A)
            x = np.moveaxis(np.tensordot(m, np.moveaxis(x, ax, 0), axes=(1, 0)), 0, ax)
    return x


def col2im(cols, image, block, A):
    nd = len(image)
    dil = A.get('dilations', [1] * nd)
    pads = A.get('pads', [0] * 2 * nd)
    st = A.get('strides', [1] * nd)
    n, ck, _ = cols.shape
    padded = [image[i] + pads[i] + pads[i + nd] for i in range(nd)]
    nb = [(padded[i] - dil[i] * (block[i] - 1) - 1) // st[i] + 1 for i in range(nd)]
    cols = cols.reshape(n, ck // int(np.prod(block)), *block, *nb)
    out = np.zeros((n, cols.shape[1], *padded))
    both = (slice(None), slice(None))
    for b in np.ndindex(*nb):
        for k in np.ndindex(*block):
            out[both + tuple(b[i] * st[i] + k[i] * dil[i] for i in range(nd))] += cols[both + k + b]
    return out[both + tuple(slice(pads[i], pads[i] + image[i]) for i in range(nd))]


def reduce(op, x, axes_in, A):
    axes = tuple(int(a) for a in axes_in) if axes_in is not None and axes_in.size else None
    keep = bool(A.get('keepdims', 1))
    if op == 'ReduceMax':
        return x.max(axes, keepdims=keep)
    if op == 'ReduceMean':
        return x.mean(axes, keepdims=keep)
    return (x * x).sum(axes, keepdims=keep)


def pad(x, pads, axes, A):
    if A.get('mode', b'constant') != b'reflect':
        raise SystemExit('Pad: only reflect is implemented')
    pads = [int(p) for p in pads]
    axes = [int(a) % x.ndim for a in axes] if axes is not None else list(range(x.ndim))
    widths = [(0, 0)] * x.ndim
    for i, a in enumerate(axes):
        widths[a] = (pads[i], pads[i + len(axes)])
    return np.pad(x, widths, mode='reflect')


def stft(signal, step, window, length, A):
    sig = signal[..., 0] if signal.ndim == 3 else signal
    step = int(step)
    length = int(length) if length is not None else len(window)
    frames = np.stack([sig[:, i * step:i * step + length] * window
                       for i in range((sig.shape[1] - length) // step + 1)], 1)
    spec = np.fft.rfft(frames, axis=-1) if A.get('onesided', 1) else np.fft.fft(frames, axis=-1)
    return np.stack([spec.real, spec.imag], -1)


def slice_(x, starts, ends, axes, steps):
    axes = axes if axes is not None else range(len(starts))
    steps = steps if steps is not None else [1] * len(starts)
    sl = [slice(None)] * x.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        sl[int(a)] = slice(int(s), int(e), int(st))
    return x[tuple(sl)]


def clip(x, lo, hi):
    if lo is not None:
        x = np.maximum(x, lo)
    return np.minimum(x, hi) if hi is not None else x


def gemm(a, b, c, A):
    a = a.T if A.get('transA') else a
    b = b.T if A.get('transB') else b
    y = A.get('alpha', 1.0) * (a @ b)
    return y + A.get('beta', 1.0) * c if c is not None else y


def unsqueeze(x, axes):
    rank = x.ndim + len(axes)
    for ax in sorted(int(a) % rank for a in axes):
        x = np.expand_dims(x, ax)
    return x


def reshape(x, shape):
    shape = [x.shape[i] if int(s) == 0 else int(s) for i, s in enumerate(shape)]
    return x.reshape(shape)


def softmax(x, A):
    axis = A.get('axis', -1)
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def hann(n, A):
    n = int(n)
    return np.sin(np.pi * np.arange(n) / (n if A.get('periodic', 1) else n - 1)) ** 2


OPS = {
    'Add': lambda x, A: x[0] + x[1],
    'Sub': lambda x, A: x[0] - x[1],
    'Mul': lambda x, A: x[0] * x[1],
    'Div': lambda x, A: x[0] / x[1],
    'Max': lambda x, A: np.maximum(x[0], x[1]),
    'Exp': lambda x, A: np.exp(x[0]),
    'Log': lambda x, A: np.log(x[0]),
    'Sin': lambda x, A: np.sin(x[0]),
    'Cos': lambda x, A: np.cos(x[0]),
    'Relu': lambda x, A: np.maximum(x[0], 0),
    'Sigmoid': lambda x, A: 1 / (1 + np.exp(-x[0])),
    'Gelu': lambda x, A: 0.5 * x[0] * (1 + np.vectorize(math.erf)(x[0] / math.sqrt(2))),
    'Softmax': lambda x, A: softmax(x[0], A),
    'Clip': lambda x, A: clip(x[0], opt(x, 1), opt(x, 2)),
    'Range': lambda x, A: np.arange(x[0], x[1], x[2]).astype(x[0].dtype),
    'Shape': lambda x, A: np.array(x[0].shape[A.get('start', 0):A.get('end')], dtype=np.int64),
    'Unsqueeze': lambda x, A: unsqueeze(x[0], x[1]),
    'Reshape': lambda x, A: reshape(x[0], x[1]),
    'Transpose': lambda x, A: np.transpose(x[0], A['perm']),
    'Concat': lambda x, A: np.concatenate(x, axis=A['axis']),
    'Slice': lambda x, A: slice_(x[0], x[1], x[2], opt(x, 3), opt(x, 4)),
    'Pad': lambda x, A: pad(x[0], x[1], opt(x, 3), A),
    'Gemm': lambda x, A: gemm(x[0], x[1], opt(x, 2), A),
    'MatMul': lambda x, A: x[0] @ x[1],
    'Conv': lambda x, A: conv(x[0], x[1], opt(x, 2), A),
    'ConvTranspose': lambda x, A: conv_transpose(x[0], x[1], opt(x, 2), A),
    'GroupNormalization': lambda x, A: group_norm(x[0], x[1], x[2], A),
    'LayerNormalization': lambda x, A: layer_norm(x[0], x[1], opt(x, 2), A),
    'Resize': lambda x, A: resize(x[0], opt(x, 2), opt(x, 3), A),
    'Col2Im': lambda x, A: col2im(x[0], [int(v) for v in x[1]], [int(v) for v in x[2]], A),
    'HannWindow': lambda x, A: hann(x[0], A),
    'STFT': lambda x, A: stft(x[0], x[1], x[2], opt(x, 3), A),
}
for _op in ('ReduceMax', 'ReduceMean', 'ReduceSumSquare'):
    OPS[_op] = lambda x, A, op=_op: reduce(op, x[0], opt(x, 1), A)


def evaluate(case):
    """Every value of the model on test set 0, in float64."""
    g = onnx.load(str(case / 'model.onnx')).graph
    vals = {t.name: wide(numpy_helper.to_array(t)) for t in g.initializer}
    inputs = [i for i in g.input if i.name not in vals]
    for k, i in enumerate(inputs):
        vals[i.name] = wide(read_pb(case / 'test_data_set_0' / f'input_{k}.pb'))
    for n in g.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        if n.op_type == 'Constant':
            vals[n.output[0]] = wide(numpy_helper.to_array(attrs['value']))
            continue
        if n.op_type not in OPS:
            raise SystemExit(f'{n.name}: op {n.op_type} is not implemented here')
        x = [vals[i] if i else None for i in n.input]
        vals[n.output[0]] = np.asarray(OPS[n.op_type](x, attrs))
    return g, vals


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('case', type=pathlib.Path, help='a corpus case folder')
    ap.add_argument('lwcc_out', type=pathlib.Path, help="lwcc's outputs (measure.py --keep's out.bin)")
    args = ap.parse_args()
    g, vals = evaluate(args.case)
    got = np.fromfile(args.lwcc_out, dtype=np.float32)
    off = 0
    for k, o in enumerate(g.output):
        exact = vals[o.name]
        ort = read_pb(args.case / 'test_data_set_0' / f'output_{k}.pb')
        lw = got[off:off + exact.size].reshape(exact.shape)
        off += exact.size
        for who, ans in (('onnxruntime', ort), ('lwcc', lw)):
            err = np.abs(ans - exact)
            bad = ~np.isclose(ans, exact, rtol=RTOL, atol=ATOL)
            print(f'{o.name:18s} {who:11s} vs float64: max abs err {err.max():.3g}, '
                  f'mean {err.mean():.3g}; outside rtol {RTOL:g}/atol {ATOL:g}: {bad.sum()}/{exact.size}')
    if off != got.size:
        sys.exit(f'{args.lwcc_out}: {got.size} floats, the outputs have {off}')


if __name__ == '__main__':
    main()
