#!/usr/bin/python3
"""Bad-input tests: lwcc must reject each case of make_bad.py cleanly.

    run_bad.py --lwcc build/lwcc --work DIR [--sanitize] [CASE...]

For each case (all when none is named): DIR/CASE is emptied, the case writes
its files there, and each of its lwcc runs is made with DIR/CASE as working
directory, a 20 s timeout and 4 GiB of address space (not with --sanitize:
ASan reserves more). A run passes when lwcc exits with the status the case
expects (1 for bad input; never a signal, never 4), prints a GNU-style
`...: error: ...` line on stderr (saying "unsupported" where the case says
so), and leaves the folder as it was apart from the files the run may write
(nothing for bad input). Prints `ok CASE` or `FAIL CASE: reason` per case and
exits 1 if any case failed.
"""
import argparse
import hashlib
import os
import pathlib
import re
import resource
import shutil
import signal
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import make_bad  # noqa: E402

TIMEOUT = 20
MEMORY = 4 << 30
DIAG = re.compile(r"^\S.*: error: \S", re.M)


def snapshot(root):
    """{relative path: content hash or symlink target} of everything under root."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = pathlib.Path(dirpath) / name
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = "-> " + os.readlink(p)
            elif p.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run_one(lwcc, root, run, sanitize):
    """None when run behaves, else a reason."""
    before = snapshot(root)
    env = dict(os.environ,
               ASAN_OPTIONS="exitcode=99:" + os.environ.get("ASAN_OPTIONS", ""),
               UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=99")
    try:
        p = subprocess.run([lwcc, *run.args], cwd=root, env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=TIMEOUT,
                           preexec_fn=None if sanitize else limit_memory)
    except subprocess.TimeoutExpired:
        return f"no answer within {TIMEOUT} s"
    err = p.stderr.decode("utf-8", "replace")
    first = next((l for l in err.splitlines() if l.strip()), "")[:200]
    if p.returncode < 0:
        try:
            sig = signal.Signals(-p.returncode).name
        except ValueError:
            sig = f"signal {-p.returncode}"
        return f"killed by {sig} ({first})"
    if p.returncode != run.exit:
        return f"exit {p.returncode}, expected {run.exit}: {first or '(no diagnostic)'}"
    if run.exit != 0:
        if not DIAG.search(err):
            return f"no 'FILE: error: ...' line on stderr (got: {first or 'nothing'})"
        if run.unsupported and not re.search(r"\bunsupported\b", err, re.I):
            return f"the diagnostic does not say 'unsupported': {first}"
    after = snapshot(root)
    allowed = set(run.writes)
    changed = sorted(k for k in set(before) | set(after)
                     if before.get(k) != after.get(k) and k not in allowed)
    if changed:
        return "changed files it must not touch: " + ", ".join(changed[:5])
    missing = sorted(k for k in allowed if k not in after)
    if missing:
        return "did not write " + ", ".join(missing)
    return None


def run_case(lwcc, work, name, sanitize):
    root = pathlib.Path(work) / name
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    case = make_bad.make(name, root)
    fails = []
    for run in case.runs:
        why = run_one(lwcc, root, run, sanitize)
        if why:
            fails.append(f"{run.what}: {why}")
        for rel in run.writes:  # the next run starts from the same folder
            (root / rel).unlink(missing_ok=True)
    if not fails:
        print(f"ok {name}" + (f" ({len(case.runs)} runs)" if len(case.runs) > 1 else ""))
        shutil.rmtree(root, ignore_errors=True)
        return True
    print(f"FAIL {name}: {fails[0]}")
    for f in fails[1:10]:
        print(f"    {f}")
    if len(fails) > 10:
        print(f"    ... {len(fails) - 10} more of {len(case.runs)} runs")
    print(f"    (files kept in {root})")
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cases", nargs="*", help="case names (default: all)")
    ap.add_argument("--lwcc", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--sanitize", action="store_true",
                    help="lwcc is built with ASan: no address-space limit")
    args = ap.parse_args()
    lwcc = str(pathlib.Path(args.lwcc).resolve())
    if not os.access(lwcc, os.X_OK):
        sys.exit(f"run_bad: {args.lwcc}: not an executable")
    names = args.cases or list(make_bad.CASES)
    unknown = [n for n in names if n not in make_bad.CASES]
    if unknown:
        sys.exit(f"run_bad: unknown case {', '.join(unknown)}; cases: {' '.join(make_bad.CASES)}")
    failed = sum(not run_case(lwcc, args.work, n, args.sanitize) for n in names)
    print(f"{len(names) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
