#!/usr/bin/python3
"""End-to-end tests: compile ONNX test cases with lwcc, build and run them.

Each case is a folder with model.onnx and test_data_set_N/{input_K,output_K}.pb
(the layout of ONNX's node tests and of tests/models/). For each case and
optimization level the driver runs lwcc (binding shape operands with
--freeze-input), compiles model.c warning-free, checks the object's undefined
symbols and writable sections, links runner.c and runs every data set.

    run_e2e.py --lwcc build/lwcc --work build/e2e [--levels=-O0,-O2]
               [--known-failures tests/e2e/known_failures.txt] [-j N]
               [--sanitize [--no-leak-check]] [-k REGEX] [--backend=c|llvm]
               [--lwcc-args="--patch ..."]
               [--target T --cc CROSS-GCC --link-flags=-static --run-prefix=qemu-aarch64]
               CASE_OR_FOLDER_OF_CASES...

With --backend=llvm lwcc writes model.o itself (--emit=obj) and the driver
links it as is. --run-prefix runs the test programs under an emulator (a
cross-compiled target such as armv8 under qemu-aarch64).

Results per (test, level): passed, failed (wrong answer), unsupported (lwcc
exit 1 saying "unsupported"), error (any other lwcc failure, a compiler
warning or error, a crash, a timeout) or skipped (see EXCLUSIONS). Tests listed
in known_failures.txt (`name` or `name -O2`, `#` comments) may fail or be
unsupported; a listed test that passes is reported as an unexpected pass. The
last line is exactly `N passed, M failed`; M counts unlisted failures and
errors and a failed determinism check, and the exit status is 1 when M > 0.
Needs Debian's python3-onnx and python3-numpy; nothing outside the repository.
"""
import argparse
import concurrent.futures
import os
import pathlib
import re
import shutil
import signal
import struct
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import onnx
from onnx import numpy_helper

HERE = pathlib.Path(__file__).resolve().parent
RUNNER_C = HERE / "runner.c"

# Flags for the generated code; the contract is C99, warning-free.
MODEL_CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Wconversion", "-pedantic", "-Werror"]
RUNNER_CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-D_POSIX_C_SOURCE=200809L", "-pthread"]
SANITIZE_FLAGS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                  "-fno-omit-frame-pointer"]
# For the generated code, two of UBSan's checks are left out: they multiplied GCC's time
# on the large vector kernels by eight (patch_cnn on x86-64-v4: 68 s against 8.6 s) and
# check nothing the tests need there. pointer-overflow looks for addresses that wrap
# around the address space; object-size for accesses outside an object of known size,
# which ASan's redzones catch at run time and lwcc's kernel-IR verifier (LWCC_VERIFY)
# rules out for every affine access before any C is written.
MODEL_SANITIZE_FLAGS = SANITIZE_FLAGS + ["-fno-sanitize=pointer-overflow,object-size"]
ALLOWED_UNDEFINED = {"memcpy", "memset"}
UNSUPPORTED = re.compile(r"\b(unsupported|not supported)\b", re.I)
NOTE_OP = re.compile(r"note: (\S+) (\S+) \(opset \d+\)")

# ---------------------------------------------------------------------------
# Which tests apply, what to freeze (the same rules as the project's
# measurement tools, written out here so the tests stand alone).

REDUCE_OPS = ("ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
              "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare")
# op -> input positions bound with --freeze-input when fed by a graph input:
# operands that fix an output shape, so the generated code is static.
FREEZE = {
    "Reshape": [1], "Expand": [1], "Tile": [1], "Slice": [1, 2, 3, 4], "Pad": [1, 2, 3],
    "Resize": [1, 2, 3], "Upsample": [1], "ConstantOfShape": [0], "Range": [0, 1, 2],
    "TopK": [1], "OneHot": [1], "Split": [1], "Squeeze": [1], "Unsqueeze": [1],
    "CumSum": [1], "Compress": [1], "CenterCropPad": [1], "Col2Im": [1, 2],
    "AffineGrid": [1], "MaxUnpool": [2], "DFT": [1, 2], "STFT": [1, 3],
    "HannWindow": [0], "HammingWindow": [0], "BlackmanWindow": [0],
    "MelWeightMatrix": [0, 1, 2, 3, 4], "Dropout": [1, 2], "If": [0], "Loop": [0, 1],
    **{op: [1] for op in REDUCE_OPS},
}
TRAINING_DOMAIN = "ai.onnx.preview.training"
SEQUENCE_OPS = {"SequenceConstruct", "SequenceAt", "SequenceEmpty", "SequenceInsert",
                "SequenceErase", "SequenceLength", "SplitToSequence", "ConcatFromSequence",
                "SequenceMap", "Optional", "OptionalGetElement", "OptionalHasElement"}
RANDOM_OPS = {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
              "Bernoulli", "Multinomial"}
VALUE_SHAPED_OPS = {"NonZero", "Unique", "NonMaxSuppression"}
EXCLUSIONS = {
    "training": f"training ops (domain {TRAINING_DOMAIN})",
    "types": "sequence, optional, map, string or other non-numeric values",
    "random": "random ops (Random*, Bernoulli, Multinomial, Dropout in training mode)",
    "value-shaped": "output shape depends on input values: " + ", ".join(sorted(VALUE_SHAPED_OPS)),
    "no-data": "no test_data_set with readable tensors",
}

# ONNX dtype code -> numpy dtype for raw bytes (bool as one byte; bfloat16 as
# its 16 bits); codes not listed are not numeric tensors the runner handles.
RAW_DTYPES = {1: np.float32, 2: np.uint8, 3: np.int8, 4: np.uint16, 5: np.int16, 6: np.int32,
              7: np.int64, 9: np.uint8, 10: np.float16, 11: np.float64, 12: np.uint32,
              13: np.uint64, 14: np.complex64, 15: np.complex128, 16: np.uint16}
FLOAT_DTYPES = {1, 10, 11, 14, 15, 16}


class Skip(Exception):
    def __init__(self, key, detail=""):
        super().__init__(f"{key}: {detail}" if detail else key)
        self.key, self.detail = key, detail


def all_nodes(graph):
    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                yield from all_nodes(attr.g)
            for g in attr.graphs:
                yield from all_nodes(g)


def bad_type(tp):
    kind = tp.WhichOneof("value")
    if kind != "tensor_type":
        return kind.replace("_type", "") if kind else None
    if tp.tensor_type.elem_type not in RAW_DTYPES and tp.tensor_type.elem_type != 0:
        return f"dtype {tp.tensor_type.elem_type}"
    return None


def graph_inputs(model):
    inits = {i.name for i in model.graph.initializer}
    return [i for i in model.graph.input if i.name not in inits]


def freeze_names(model, case):
    """Graph inputs at FREEZE positions of top-level nodes; a test_X_expanded
    freezes what test_X freezes."""
    names = [i.name for i in graph_inputs(model)]
    want = set()
    for node in model.graph.node:
        for pos in FREEZE.get(node.op_type, ()):
            if pos < len(node.input) and node.input[pos] in names:
                want.add(node.input[pos])
    if case.name.endswith("_expanded"):
        plain = case.with_name(case.name[:-len("_expanded")])
        if (plain / "model.onnx").is_file():
            want.update(freeze_names(onnx.load(str(plain / "model.onnx"),
                                               load_external_data=False), plain))
    return [n for n in names if n in want]


def read_tensor(path):
    t = onnx.TensorProto()
    t.ParseFromString(pathlib.Path(path).read_bytes())
    return t


def tensor_value(t):
    """(raw bytes as generated code reads them, expected array: float64 for
    float dtypes, the raw dtype otherwise, shape)."""
    code = t.data_type
    if code not in RAW_DTYPES:
        raise Skip("types", f"tensor '{t.name}' has dtype {code}")
    shape = tuple(t.dims)
    if code == 16:  # bfloat16: the upper half of a float32
        if t.raw_data:
            bits = np.frombuffer(t.raw_data, dtype="<u2")
        else:
            bits = np.asarray(t.int32_data, dtype=np.uint32).astype(np.uint16)
        bits = bits.reshape(shape)
        raw = bits.astype("<u2").tobytes()
        want = (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
        return raw, want, shape
    arr = np.ascontiguousarray(numpy_helper.to_array(t)).reshape(shape)
    if code == 9:
        arr = arr.astype(np.uint8)
    arr = arr.astype(np.dtype(RAW_DTYPES[code]).newbyteorder("<"))
    raw = arr.tobytes()
    if code in (14, 15):
        want = arr.astype(np.complex128).view(np.float64)
    elif code in FLOAT_DTYPES:
        want = arr.astype(np.float64)
    else:
        want = arr
    return raw, want, shape


def input_value(model, case, name):
    for init in model.graph.initializer:
        if init.name == name:
            return numpy_helper.to_array(init)
    names = [i.name for i in graph_inputs(model)]
    if name in names:
        f = case / "test_data_set_0" / f"input_{names.index(name)}.pb"
        if f.is_file():
            return numpy_helper.to_array(read_tensor(f))
    return None


def random_dropout(model, case, node):
    if len(node.input) < 3 or not node.input[2]:
        return False
    mode = input_value(model, case, node.input[2])
    if mode is None or not bool(np.asarray(mode).item()):
        return False
    ratio = input_value(model, case, node.input[1]) if len(node.input) > 1 and node.input[1] else None
    return ratio is None or float(np.asarray(ratio).item()) != 0.0


def exclusion(model, case):
    """Raises Skip when the test does not apply."""
    nodes = list(all_nodes(model.graph))
    train = [n.op_type for n in nodes if n.domain == TRAINING_DOMAIN]
    if train:
        raise Skip("training", train[0])
    g = model.graph
    for v in list(g.input) + list(g.output) + list(g.value_info):
        why = bad_type(v.type)
        if why:
            raise Skip("types", f"{v.name}: {why}")
    seq = [n.op_type for n in nodes if n.op_type in SEQUENCE_OPS]
    if seq:
        raise Skip("types", seq[0])
    for n in nodes:
        if n.op_type in RANDOM_OPS:
            raise Skip("random", n.op_type)
        if n.op_type == "Dropout" and random_dropout(model, case, n):
            raise Skip("random", "Dropout in training mode")
    shaped = [n.op_type for n in nodes if n.op_type in VALUE_SHAPED_OPS]
    if shaped:
        raise Skip("value-shaped", shaped[0])


# ---------------------------------------------------------------------------
# Running tools.

class Step:
    def __init__(self, rc, out, err, seconds, timed_out=False):
        self.rc, self.out, self.err, self.seconds, self.timed_out = rc, out, err, seconds, timed_out

    @property
    def log(self):
        return (self.err or "") + (self.out or "")


def execute(cmd, timeout, cwd=None, env=None):
    """Runs cmd in its own process group; on timeout the whole group is killed."""
    t0 = time.perf_counter()
    p = subprocess.Popen([str(c) for c in cmd], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = p.communicate()
        timed_out = True
    dec = lambda b: b.decode("utf-8", "replace")
    return Step(p.returncode, dec(out), dec(err), time.perf_counter() - t0, timed_out)


def signal_name(rc):
    try:
        return signal.Signals(-rc).name
    except ValueError:
        return f"signal {-rc}"


def first_line(text, pattern=r"\b(error|fatal|warning|unsupported|runtime error|ERROR)\b"):
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    if lines and lines[0].startswith("Traceback"):  # a Python tool's crash: its last line
        return lines[-1][:300]
    for l in lines:
        if re.search(pattern, l):
            return l[:300]
    return lines[0][:300] if lines else ""


def failure_of(step, tool):
    """None when step succeeded, else a one-line reason."""
    if step.timed_out:
        return f"{tool} timed out"
    if step.rc < 0:
        return f"{tool} killed by {signal_name(step.rc)}: {first_line(step.log)}".rstrip(": ")
    if step.rc != 0:
        return f"{tool} exit {step.rc}: {first_line(step.log)}"
    return None


def parse_header(text, prefix="MODEL"):
    """{macro suffix: text} of `#define MODEL_X value`, comments removed."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    out = {}
    for m in re.finditer(rf"^\s*#\s*define\s+{prefix}_(\w+)[ \t]+([^\n]*)", text, re.M):
        out[m.group(1)] = m.group(2).strip()
    return out


def header_ints(value):
    return [int(x) for x in re.findall(r"-?\d+", re.sub(r"\b[0-9]+[uUlL]+\b",
                                                        lambda m: m.group(0).rstrip("uUlL"),
                                                        value))]


def check_header(macros, ins, outs):
    """None when model.h describes ins and outs (lists of (dtype, raw bytes,
    shape)), else a reason."""
    def one(key):
        if key not in macros:
            raise ValueError(f"model.h lacks MODEL_{key}")
        v = header_ints(macros[key])
        if len(v) != 1:
            raise ValueError(f"MODEL_{key} is '{macros[key]}', not an integer")
        return v[0]
    try:
        for key in ("ARENA_SIZE", "ARENA_ALIGN"):
            one(key)
        for kind, tensors in (("INPUT", ins), ("OUTPUT", outs)):
            n = one(f"NUM_{kind}S")
            if n != len(tensors):
                return f"MODEL_NUM_{kind}S is {n}, the test has {len(tensors)}"
            for k, (dtype, nbytes, shape) in enumerate(tensors):
                got = one(f"{kind}{k}_DTYPE")
                # older test data stores bfloat16 tensors as uint16
                if got != dtype and not (got == 16 and dtype == 4):
                    return f"MODEL_{kind}{k}_DTYPE is {got}, the test data has {dtype}"
                got = one(f"{kind}{k}_BYTES")
                if got != nbytes:
                    return f"MODEL_{kind}{k}_BYTES is {got}, the test data has {nbytes} ({list(shape)})"
                got = one(f"{kind}{k}_RANK")
                if got != len(shape):
                    return f"MODEL_{kind}{k}_RANK is {got}, the test data has rank {len(shape)}"
                if shape:
                    key = f"{kind}{k}_DIMS"
                    if key not in macros:
                        return f"model.h lacks MODEL_{key}"
                    if header_ints(macros[key]) != list(shape):
                        return f"MODEL_{key} is {macros[key]}, the test data has {list(shape)}"
    except ValueError as e:
        return str(e)
    return None


def read_elf(data):
    """([(section name, size)], {undefined global symbol}) of an ELF relocatable
    object, 32- or 64-bit, either byte order: what `size -A` and `nm -u` print,
    read here because nm loads libLLVM through its plugins (0.07 s an object)."""
    if data[:4] != b"\x7fELF" or data[4] not in (1, 2) or data[5] not in (1, 2):
        raise ValueError("not an ELF file")
    wide, end = data[4] == 2, "<" if data[5] == 1 else ">"
    if wide:
        shoff, = struct.unpack_from(end + "Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 0x3A)
        shdr, sym, symsize = "IIQQQQIIQQ", "IBBHQQ", 24
    else:
        shoff, = struct.unpack_from(end + "I", data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 0x2E)
        shdr, sym, symsize = "IIIIIIIIII", "IIIBBH", 16
    if shentsize != struct.calcsize(end + shdr) or shoff + shnum * shentsize > len(data) \
            or shstrndx >= shnum:
        raise ValueError("bad section headers")
    heads = [struct.unpack_from(end + shdr, data, shoff + k * shentsize) for k in range(shnum)]

    def cstr(table, off):
        base = heads[table][4] + off
        stop = data.find(b"\0", base)
        if stop < 0:
            raise ValueError("unterminated string")
        return data[base:stop].decode("utf-8", "replace")

    sections = [(cstr(shstrndx, h[0]), h[5]) for h in heads]
    undef = set()
    for h in heads:
        if h[1] != 2:  # SHT_SYMTAB
            continue
        offset, size, link = h[4], h[5], h[6]
        if offset + size > len(data) or link >= shnum:
            raise ValueError("bad symbol table")
        for k in range(1, size // symsize):
            f = struct.unpack_from(end + sym, data, offset + k * symsize)
            name, info, shndx = (f[0], f[1], f[3]) if wide else (f[0], f[3], f[5])
            if shndx == 0 and info >> 4 in (1, 2) and name:  # SHN_UNDEF, GLOBAL or WEAK
                undef.add(cstr(link, name))
    return sections, undef


# ---------------------------------------------------------------------------
# One case.

class Result:
    def __init__(self, name, level, status, reason="", ops=()):
        self.name, self.level, self.status, self.reason, self.ops = name, level, status, reason, ops
        self.times = {}
        self.keep = status in ("failed", "error")


class Driver:
    def __init__(self, args):
        self.args = args
        self.work = pathlib.Path(args.work).resolve()
        self.lwcc = str(pathlib.Path(args.lwcc).resolve())
        self.det_lock = threading.Lock()
        self.det_done = False
        self.determinism = None  # (ok, message)
        env = dict(os.environ)
        user_asan = env.get("ASAN_OPTIONS", "")
        leaks = "" if args.leak_check else "detect_leaks=0:"
        self.env_lwcc = dict(env, ASAN_OPTIONS="exitcode=99:" + leaks + user_asan,
                             UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=99")
        self.env_run = dict(env, ASAN_OPTIONS="exitcode=3:detect_leaks=0:" + user_asan,
                            UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=3")
        san = SANITIZE_FLAGS if args.sanitize else []
        self.model_cflags = MODEL_CFLAGS + [args.cc_opt] + \
            (MODEL_SANITIZE_FLAGS if args.sanitize else []) + args.cflags
        self.runner_cflags = RUNNER_CFLAGS + ["-O1"] + san
        self.link_flags = list(args.link_flags)
        self.runner_main = self.work / "_runner" / "runner_main.o"

    def build_runner(self):
        """Compiles the main part of runner.c once per run."""
        self.runner_main.parent.mkdir(parents=True, exist_ok=True)
        c = [self.args.cc, *self.runner_cflags, "-c", RUNNER_C, "-o", self.runner_main]
        st = execute(c, self.args.timeout_cc)
        if st.rc != 0 or st.timed_out:
            sys.exit(f"run_e2e: cannot compile {RUNNER_C}:\n{st.log}")
        # Test programs link faster with gold or lld than with the default ld.bfd (GCC with
        # the sanitizers' libraries: 0.04 s with gold against 0.08; Clang, which links
        # them statically: 0.20 with lld against 0.27, while gold warns there). The
        # first that links a program without a word is used.
        probe = self.runner_main.parent / "probe.c"
        probe.write_text("int main(void) { return 0; }\n")
        for ld in ("gold", "lld"):
            c = [self.args.cc, *self.runner_cflags, f"-fuse-ld={ld}", probe, "-o",
                 probe.with_suffix(""), *self.link_flags]
            st = execute(c, self.args.timeout_cc)
            if st.rc == 0 and not st.timed_out and not st.err.strip():
                self.link_flags.append(f"-fuse-ld={ld}")
                break

    def lwcc_cmd(self, case, level, out, freeze, shapes):
        cmd = [self.lwcc, case / "model.onnx", level, f"--target={self.args.target}", "-o", out,
               *self.args.lwcc_args]
        if self.args.backend == "llvm":
            cmd.append("--emit=obj")
        for name, dims in shapes:
            cmd += ["--shape", f"{name}:{dims}"]
        for name, path in freeze:
            cmd += ["--freeze-input", f"{name}={path}"]
        return cmd

    def run_case(self, case):
        levels = self.args.levels
        name = case.name
        cdir = self.work / name
        shutil.rmtree(cdir, ignore_errors=True)
        try:
            try:
                model = onnx.load(str(case / "model.onnx"), load_external_data=False)
            except Exception as e:  # noqa: BLE001 - any parse failure is the test's fault
                return [Result(name, lv, "error", f"onnx cannot load model.onnx: {e}") for lv in levels]
            exclusion(model, case)
            plan = self.prepare(case, model, cdir)
        except Skip as s:
            return [Result(name, lv, "skipped", s.detail, (s.key,)) for lv in levels]
        results = [self.run_level(case, model, cdir, lv, plan) for lv in levels]
        if not self.args.keep and not any(r.keep for r in results):
            shutil.rmtree(cdir, ignore_errors=True)
        return results

    def prepare(self, case, model, cdir):
        """Writes each data set's raw inputs and expected outputs; returns the
        plan: freeze list, shapes and data sets grouped by frozen values."""
        inputs = graph_inputs(model)
        outputs = list(model.graph.output)
        freeze = set(freeze_names(model, case))
        sets = sorted((d for d in case.glob("test_data_set_*") if d.is_dir()),
                      key=lambda d: int(re.sub(r"\D", "", d.name) or 0))
        groups = {}
        shapes = []
        for ds in sets:
            ins, outs = [], []
            try:
                for k, vi in enumerate(inputs):
                    ins.append((vi.name, ds / f"input_{k}.pb", tensor_value(read_tensor(ds / f"input_{k}.pb"))))
                for j, vo in enumerate(outputs):
                    outs.append((vo.name, tensor_value(read_tensor(ds / f"output_{j}.pb")), j))
            except (OSError, ValueError) as e:
                if ds == sets[0]:
                    raise Skip("no-data", f"{ds.name}: {e}")
                continue
            except Exception as e:  # noqa: BLE001 - protobuf DecodeError and friends
                raise Skip("no-data", f"{ds.name}: {e}")
            ddir = cdir / f"data_{ds.name.rsplit('_', 1)[-1]}"
            ddir.mkdir(parents=True, exist_ok=True)
            files, in_desc, out_desc = [], [], []
            for k, (vname, path, (raw, _want, shape)) in enumerate(ins):
                if vname in freeze:
                    continue
                f = ddir / f"in_{k}.bin"
                f.write_bytes(raw)
                files.append(str(f))
                in_desc.append((read_tensor(path).data_type, len(raw), shape))
            exp = []
            for vname, (raw, want, shape), j in outs:
                f = ddir / f"exp_{j}.bin"
                f.write_bytes(np.ascontiguousarray(want).astype(want.dtype.newbyteorder("<")).tobytes())
                dtype = read_tensor(ds / f"output_{j}.pb").data_type
                exp.append(f"{dtype}:{f}")
                out_desc.append((dtype, len(raw), shape))
            key = tuple(pathlib.Path(p).read_bytes() for vn, p, _ in ins if vn in freeze)
            frozen = [(vn, p) for vn, p, _ in ins if vn in freeze]
            if not groups:
                for (vn, _p, (_r, _w, shape)), vi in zip(ins, inputs):
                    if vn in freeze or not shape:
                        continue
                    dims = vi.type.tensor_type.shape.dim
                    static = vi.type.tensor_type.HasField("shape") and len(dims) == len(shape) and \
                        all(d.HasField("dim_value") for d in dims)
                    if not static:
                        shapes.append((vn, "x".join(str(d) for d in shape)))
            groups.setdefault(key, {"freeze": frozen, "sets": []})["sets"].append(
                (ds.name, files, exp, in_desc, out_desc))
        if not groups:
            raise Skip("no-data", "")
        return {"groups": list(groups.values()), "shapes": shapes}

    def run_level(self, case, model, cdir, level, plan):
        name = case.name
        res = Result(name, level, "passed")
        for gi, group in enumerate(plan["groups"]):
            ldir = cdir / (level.lstrip("-") + (f"_g{gi}" if gi else ""))
            ldir.mkdir(parents=True, exist_ok=True)
            status, reason, ops = self.build_and_run(case, model, ldir, level, group, plan, res.times)
            if status != "passed":
                res.status, res.reason, res.ops = status, reason, ops
                res.keep = status in ("failed", "error")
                break
        return res

    def build_and_run(self, case, model, ldir, level, group, plan, times):
        a = self.args
        llvm = a.backend == "llvm"
        out_c = ldir / ("model.o" if llvm else "model.c")
        cmd = self.lwcc_cmd(case, level, out_c, group["freeze"], plan["shapes"])
        log = open(ldir / "log.txt", "w")

        def record(tool, c, step):
            times[tool] = times.get(tool, 0.0) + step.seconds
            log.write(f"$ {' '.join(map(str, c))}\n[exit {step.rc}, {step.seconds:.2f} s]\n{step.log}\n")
            log.flush()

        try:
            st = execute(cmd, a.timeout_lwcc, cwd=ldir, env=self.env_lwcc)
            record("lwcc", cmd, st)
            if st.rc == 1 and not st.timed_out and UNSUPPORTED.search(st.err):
                ops = tuple(sorted({f"{m.group(2)}" + ("" if m.group(1) in ("ai.onnx", "") else
                                                       f" ({m.group(1)})")
                                    for m in NOTE_OP.finditer(st.err)}))
                if not ops:  # lwcc named no op: the test's op if it has one
                    types = {n.op_type for n in model.graph.node}
                    ops = (f"{types.pop()} (not named by lwcc)",) if len(types) == 1 else ()
                return "unsupported", first_line(st.err, r"unsupported|not supported"), ops
            why = failure_of(st, "lwcc")
            if why:
                return "error", why, ()
            if not out_c.is_file() or not (ldir / "model.h").is_file():
                return "error", f"lwcc exited 0 without writing {out_c.name} and model.h", ()
            self.check_determinism(case, level, cmd, ldir)

            if not llvm:
                c = [a.cc, *self.model_cflags, "-c", "model.c", "-o", "model.o"]
                st = execute(c, a.timeout_cc, cwd=ldir)
                record("cc", c, st)
                if st.timed_out or st.rc != 0 or st.err.strip():
                    return "error", "cc model.c: " + (failure_of(st, "cc") or first_line(st.err)), ()
            why = self.check_object(ldir / "model.o", log)
            if why:
                return "failed", why, ()

            macros = parse_header((ldir / "model.h").read_text(errors="replace"))
            c = [a.cc, *self.model_cflags, "-DRUNNER_SHIM", "-include", "model.h", "-c", RUNNER_C,
                 "-o", "shim.o"]
            st = execute(c, a.timeout_cc, cwd=ldir)
            record("link", c, st)
            if st.timed_out or st.rc != 0 or st.err.strip():
                return "error", "cc -include model.h: " + (failure_of(st, "cc") or first_line(st.err)), ()
            c = [a.cc, *self.runner_cflags, self.runner_main, "shim.o", "model.o", "-o", "runner", "-lm",
                 *self.link_flags]
            st = execute(c, a.timeout_cc, cwd=ldir)
            record("link", c, st)
            why = failure_of(st, "link runner")
            if why:
                return "error", why, ()

            for ds_name, files, exp, in_desc, out_desc in group["sets"]:
                why = check_header(macros, in_desc, out_desc)
                if why:
                    return "failed", why, ()
                c = [*a.run_prefix, ldir / "runner", *files, "--", *exp]
                st = execute(c, a.timeout_run, cwd=ldir, env=self.env_run)
                record("run", c, st)
                if st.rc == 0 and not st.timed_out:
                    continue
                line = first_line(st.out + "\n" + st.err, r".") if not st.timed_out else ""
                if st.rc == 1:
                    return "failed", f"{ds_name}: {self.name_output(line, model)}", ()
                if st.timed_out:
                    return "error", f"{ds_name}: runner timed out after {a.timeout_run} s", ()
                if st.rc < 0:
                    return "error", f"{ds_name}: runner killed by {signal_name(st.rc)}" + \
                        (f": {first_line(st.out)}" if st.out.strip() else ""), ()
                san = first_line(st.err, r"(AddressSanitizer|runtime error|LeakSanitizer)")
                return "error", f"{ds_name}: {line}" + (f" [{san}]" if san and san != line else ""), ()
            return "passed", "", ()
        finally:
            log.close()

    @staticmethod
    def name_output(line, model):
        m = re.match(r"output (\d+):", line)
        if m and int(m.group(1)) < len(model.graph.output):
            return line.replace(m.group(0), f"output {m.group(1)} '{model.graph.output[int(m.group(1))].name}':", 1)
        return line

    def check_object(self, obj, log):
        """None when the object needs only memcpy/memset and has no writable
        static storage, else a reason."""
        try:
            sections, undef = read_elf(obj.read_bytes())
        except (OSError, ValueError, struct.error) as e:
            return f"cannot read {obj.name} as ELF: {e}"
        log.write(f"[{obj.name}: undefined symbols {' '.join(sorted(undef)) or '(none)'}]\n")
        if self.args.sanitize:
            undef = {s for s in undef if not s.startswith(("__asan", "__ubsan", "__sanitizer"))}
        bad = sorted(undef - ALLOWED_UNDEFINED)
        if bad:
            return f"model.o needs undefined symbols {', '.join(bad)} (only memcpy, memset allowed)"
        if self.args.sanitize:
            return None
        writable = [f"{name} {size} bytes" for name, size in sections
                    if size > 0 and re.match(r"\.(data|bss|tdata|tbss)(\.|$)", name)
                    and not name.startswith(".data.rel.ro")]
        if writable:
            return "model.o has writable static storage: " + ", ".join(writable)
        return None

    def check_determinism(self, case, level, cmd, ldir):
        """Once per run: compile the first case that compiles again from
        another folder into another folder; model.c and model.h must match."""
        with self.det_lock:
            if self.det_done:
                return
            self.det_done = True
        other = self.work / "_determinism" / case.name
        shutil.rmtree(other, ignore_errors=True)
        (other / "run").mkdir(parents=True)
        main = "model.o" if self.args.backend == "llvm" else "model.c"
        out_c = other / "out" / main
        out_c.parent.mkdir()
        cmd2 = [out_c if str(x) == str(ldir / main) else x for x in cmd]
        st = execute(cmd2, self.args.timeout_lwcc, cwd=other / "run", env=self.env_lwcc)
        what = f"{case.name} {level} compiled from {ldir} and {other / 'run'}"
        why = failure_of(st, "lwcc")
        if why:
            self.determinism = (False, f"{what}: second compile failed: {why}")
        else:
            diff = [f for f in (main, "model.h")
                    if not (out_c.parent / f).is_file() or
                    (out_c.parent / f).read_bytes() != (ldir / f).read_bytes()]
            if diff:
                self.determinism = (False, f"{what}: {' and '.join(diff)} differ "
                                           f"(kept in {out_c.parent})")
            else:
                self.determinism = (True, f"{what}: {main} and model.h identical")
                shutil.rmtree(other, ignore_errors=True)


# ---------------------------------------------------------------------------

def find_cases(paths, pattern):
    cases = []
    for p in paths:
        p = pathlib.Path(p).resolve()
        if (p / "model.onnx").is_file():
            cases.append(p)
        elif p.is_dir():
            cases += sorted(d for d in p.iterdir() if (d / "model.onnx").is_file())
        else:
            hint = ""
            if "libonnx-testdata" in str(p):
                hint = (" (the ONNX node tests come with Debian's libonnx-testdata package: "
                        "apt-get install libonnx-testdata; the project's setup script installs it)")
            sys.exit(f"run_e2e: {p}: no such case or folder of cases{hint}")
    if pattern:
        cases = [c for c in cases if re.search(pattern, c.name)]
    return cases


def read_known(path):
    known = set()
    if not path:
        return known
    for n, line in enumerate(pathlib.Path(path).read_text().splitlines(), 1):
        line = line.split("#", 1)[0].split()
        if not line:
            continue
        if len(line) > 2 or (len(line) == 2 and not re.fullmatch(r"-O[0-9s]", line[1])):
            sys.exit(f"{path}:{n}: expected 'test_name' or 'test_name -O2'")
        known.add((line[0], line[1] if len(line) == 2 else None))
    return known


def parse_levels(text):
    levels = []
    for x in text.split(","):
        x = x.strip().lstrip("-").lstrip("O")
        if x not in ("0", "1", "2", "s"):
            sys.exit(f"run_e2e: bad level '{x}' in --levels (use e.g. -O0,-O2)")
        levels.append(f"-O{x}")
    return levels


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cases", nargs="+", help="case folders or folders of case folders")
    ap.add_argument("--lwcc", required=True, help="the lwcc binary")
    ap.add_argument("--work", required=True, help="scratch folder (failing cases are kept there)")
    ap.add_argument("--levels", default="-O0,-O2", help="comma-separated, default -O0,-O2")
    ap.add_argument("--target", default="generic")
    ap.add_argument("--backend", choices=("c", "llvm"), default="c",
                    help="c: compile lwcc's model.c here (default); llvm: lwcc --emit=obj")
    ap.add_argument("--link-flags", default="", help="extra flags for linking the test program")
    ap.add_argument("--run-prefix", default="",
                    help="command that runs the test program (an emulator), e.g. qemu-aarch64")
    ap.add_argument("--known-failures", help="known_failures.txt")
    ap.add_argument("-j", "--jobs", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("-k", "--filter", help="only tests whose name matches this regex")
    ap.add_argument("--sanitize", action="store_true",
                    help="build generated code and runner with -fsanitize=address,undefined")
    ap.add_argument("--leak-check", action=argparse.BooleanOptionalAction, default=True,
                    help="an ASan-built lwcc checks for leaks as it exits (default); without, "
                         "it saves LeakSanitizer's scan, half of lwcc's time on a node test")
    ap.add_argument("--cc", default=os.environ.get("CC") or "cc")
    ap.add_argument("--cc-opt", default="-O1", help="optimization for model.c (default -O1)")
    ap.add_argument("--cflags", default="", help="extra flags for model.c")
    ap.add_argument("--lwcc-args", default="", help="extra flags for every lwcc run (e.g. --patch)")
    ap.add_argument("--keep", action="store_true", help="keep the work folders of passing cases")
    ap.add_argument("--timeout-lwcc", type=float, default=60)
    ap.add_argument("--timeout-cc", type=float, default=120)
    ap.add_argument("--timeout-run", type=float, default=60)
    ap.add_argument("--allow-empty", action="store_true", help="no cases is not an error")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every result as it comes")
    args = ap.parse_args()
    args.levels = parse_levels(args.levels)
    args.cflags = args.cflags.split()
    args.lwcc_args = args.lwcc_args.split()
    args.link_flags = args.link_flags.split()
    args.run_prefix = args.run_prefix.split()

    for tool in (args.lwcc, args.cc, *args.run_prefix[:1]):
        if not (os.path.isfile(tool) and os.access(tool, os.X_OK)) and not shutil.which(tool):
            sys.exit(f"run_e2e: {tool}: not found or not executable")
    cases = find_cases(args.cases, args.filter)
    if not cases and not args.allow_empty:
        sys.exit("run_e2e: no cases (folders with model.onnx) found in " + " ".join(args.cases))
    known = read_known(args.known_failures)
    drv = Driver(args)
    drv.work.mkdir(parents=True, exist_ok=True)
    drv.build_runner()

    t0 = time.perf_counter()
    results = []
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        # the largest models first, so that the last cases running alone are small ones
        by_size = sorted(cases, key=lambda c: -(c / "model.onnx").stat().st_size)
        futs = {pool.submit(drv.run_case, c): c for c in by_size}
        for fut in concurrent.futures.as_completed(futs):
            try:
                rs = fut.result()
            except Exception as e:  # noqa: BLE001 - a driver bug must not hide other results
                rs = [Result(futs[fut].name, lv, "error", f"driver: {type(e).__name__}: {e}")
                      for lv in args.levels]
            results += rs
            if args.verbose:
                for r in rs:
                    print(f"{r.status:11} {r.name} {r.level} {r.reason}", flush=True)
    wall = time.perf_counter() - t0
    results.sort(key=lambda r: (r.name, args.levels.index(r.level)))
    sys.exit(report(results, known, drv, args, wall))


def report(results, known, drv, args, wall):
    counts = dict.fromkeys(("passed", "failed", "error", "unsupported", "expected failures",
                            "unexpected passes", "skipped"), 0)
    failures, unexpected_pass, unsupported, skipped = [], [], {}, {}
    levels_of = {}
    for r in results:
        listed = (r.name, None) in known or (r.name, r.level) in known
        if r.status == "passed":
            counts["passed"] += 1
            if listed:
                counts["unexpected passes"] += 1
                unexpected_pass.append(r)
        elif r.status == "skipped":
            counts["skipped"] += 1
            skipped.setdefault(r.ops[0], set()).add(r.name)
        elif listed:
            counts["expected failures"] += 1
        elif r.status == "unsupported":
            counts["unsupported"] += 1
            for op in r.ops or ("(op not named: " + r.reason[:80] + ")",):
                unsupported.setdefault(op, set()).add(r.name)
            levels_of.setdefault(r.name, set()).add(r.level)
        else:
            counts[r.status] += 1
            failures.append(r)

    for r in failures:
        print(f"{'FAIL' if r.status == 'failed' else 'ERROR'}: {r.name} {r.level}: {r.reason}")
        print(f"    (work files: {drv.work / r.name})")
    for r in unexpected_pass:
        print(f"unexpected pass: {r.name} {r.level} (listed in known failures: remove it)")
    if unsupported:
        print(f"unsupported, by op ({len(levels_of)} tests):")
        for op in sorted(unsupported):
            names = [n + ("" if len(levels_of[n]) == len(args.levels) else
                          " (" + ",".join(sorted(levels_of[n])) + ")") for n in sorted(unsupported[op])]
            print(textwrap.fill(" ".join(names), 100, initial_indent=f"  {op} ({len(names)}): ",
                                subsequent_indent="      ", break_on_hyphens=False))
    if skipped:
        print("skipped: " + ", ".join(f"{k} {len(v)}" for k, v in sorted(skipped.items())))

    times, compiled = {}, {}
    for r in results:
        for k, v in r.times.items():
            times[k] = times.get(k, 0.0) + v
            if "cc" in r.times:
                compiled[k] = compiled.get(k, 0.0) + v
    ncompiled = sum("cc" in r.times for r in results)
    per = ""
    if ncompiled:
        per = f"; per compiled (test, level), {ncompiled} of them: " + ", ".join(
            f"{k} {v / ncompiled:.3f}" for k, v in compiled.items())
    print("time (s): " + ", ".join(f"{k} {v:.1f}" for k, v in times.items()) +
          f"{per}; wall {wall:.1f} with -j {args.jobs}")

    det_failed = 0
    if drv.determinism:
        ok, msg = drv.determinism
        print(f"determinism: {'ok' if ok else 'FAIL'}: {msg}")
        det_failed = 0 if ok else 1
    else:
        print("determinism: not checked (no case compiled)")

    ntests = len({r.name for r in results})
    print(f"summary: {len(results)} runs ({ntests} tests x {' '.join(args.levels)}): "
          + ", ".join(f"{v} {k}" for k, v in counts.items()))
    m = counts["failed"] + counts["error"] + det_failed
    print(f"{counts['passed']} passed, {m} failed")
    return 1 if m else 0


if __name__ == "__main__":
    main()
