"""Throughput of `autograder grade`: a class of generated submissions, --jobs 1 against --jobs 2.

    python benchmarks/bench_grading.py [--count 100] [--jobs 1 2] [--seed 1] [--keep DIR]

Not a test: it prints submissions per minute for each --jobs, the speed-up
over the first, the median time of one complete submission (results.json's
execution_time) and whether both runs gave every submission the same score.

Costs are also given in units of one `python -c "import numpy"` process,
measured in the same run (the machines are shared and noisy: absolute times
drift, ratios less), against the targets of issue 15:

- whole batch with --jobs 2, per submission: at most 5 units;
- one submission alone (`autograder grade ONE --out DIR`, start to exit): at most 1.5 s.

The class is made here, from the reference solutions alone: about a third
are copies of the reference, the rest carry one to three small bugs of the
kind students make, applied as text edits of the reference (a forgotten
`+ b`, an unbiased variance, eps outside the square root, an overwrite in
place of an accumulation, a syntax error, ...). Four in five are collate-style
tarballs, the rest folders. Each run is the real command line, in a fresh
output folder, timed from start to exit (the grader's one-off setup included).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from units import numpy_unit

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "solutions" / "layers"
MODULES = ("conv.py", "norm.py")

# (module, text in the reference, replacement, what the student got wrong). Each text must occur in the
# reference; the first occurrence is replaced.
MUTATIONS = [
    ("conv.py", "np.sum(window * w[f]) + b[f]", "np.sum(window * w[f])", "naive forward forgets the bias"),
    ("conv.py", "db[f] += g", "db[f] = g", "naive backward overwrites db instead of accumulating"),
    (
        "conv.py",
        "dx_pad[n, :, top : top + HH, left : left + WW] += g * w[f]",
        "dx_pad[n, :, top : top + HH, left : left + WW] = g * w[f]",
        "naive backward overwrites overlapping dx",
    ),
    ("conv.py", "out += b.reshape(F, 1)", "out = out", "fast forward forgets the bias"),
    ("conv.py", "db = dout_mat.sum(axis=1)", "db = dout_mat.mean(axis=1)", "fast backward averages db"),
    (
        "conv.py",
        "H_out = 1 + (H + 2 * pad - HH) // stride",
        "H_out = 1 + (H + 2 * pad - HH) / stride",
        "true division for the output size",
    ),
    ("norm.py", "var = np.mean(xc**2, axis=0)", "var = np.var(x, axis=0, ddof=1)", "unbiased variance (ddof=1)"),
    (
        "norm.py",
        "momentum * running_mean + (1 - momentum) * mu",
        "(1 - momentum) * running_mean + momentum * mu",
        "momentum the wrong way round",
    ),
    ("norm.py", "std = np.sqrt(var + eps)", "std = np.sqrt(var) + eps", "eps outside the square root"),
    ("norm.py", "D = dout.shape[1]", "D = dout.shape[0]", "layer norm backward uses N for D"),
    ("norm.py", "M = (C // G) * H * W", "M = C * H * W", "group norm backward counts all channels"),
    ("norm.py", "import numpy as np", "import numpy as np)", "syntax error"),
]


def check_mutations() -> None:
    for module, old, _new, what in MUTATIONS:
        if old not in (REFERENCE / module).read_text():
            raise SystemExit(f"bench_grading: mutation {what!r} no longer applies to solutions/layers/{module}")


def make_class(count: int, seed: int, root: Path) -> tuple[list[Path], dict[str, list[str]]]:
    """`count` submissions under root; returns their paths and, by name, the bugs each has."""
    rng = random.Random(seed)
    reference = {m: (REFERENCE / m).read_text() for m in MODULES}
    paths, bugs = [], {}
    for i in range(count):
        name = f"student{i + 1:03d}_submission"
        chosen = [] if rng.random() < 0.35 else rng.sample(MUTATIONS, rng.choice((1, 1, 2, 3)))
        files = dict(reference)
        for module, old, new, _ in chosen:
            files[module] = files[module].replace(old, new, 1)
        bugs[name] = [what for *_, what in chosen]
        if rng.random() < 0.8:
            path = root / f"{name}.tar.gz"
            with tarfile.open(path, "w:gz") as archive:
                for module, text in files.items():
                    data = text.encode()
                    info = tarfile.TarInfo(f"layers/{module}")
                    info.size, info.mode, info.mtime = len(data), 0o644, 1700000000
                    archive.addfile(info, io.BytesIO(data))
        else:
            path = root / name
            (path / "layers").mkdir(parents=True)
            for module, text in files.items():
                (path / "layers" / module).write_text(text)
        paths.append(path)
    return paths, bugs


def grade(submissions: list[Path], out: Path, jobs: int) -> tuple[float, dict[str, dict]]:
    command = [
        sys.executable,
        "-m",
        "autograder",
        "grade",
        *map(str, submissions),
        "--out",
        str(out),
        "--jobs",
        str(jobs),
    ]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(
            f"bench_grading: grade --jobs {jobs} failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    results = {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/results.json")}
    return elapsed, results


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100, help="submissions in the class (default 100)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="--jobs values to compare")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated class")
    parser.add_argument("--keep", type=Path, default=None, help="keep the class and the outputs in this folder")
    args = parser.parse_args()
    check_mutations()
    root = Path(tempfile.mkdtemp(prefix="bench-grading-")) if args.keep is None else args.keep
    root.mkdir(parents=True, exist_ok=True)
    try:
        submissions, bugs = make_class(args.count, args.seed, root / "class")
        correct = sum(not b for b in bugs.values())
        print(
            f"class: {args.count} submissions ({correct} correct, {args.count - correct} with bugs), "
            f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        unit = numpy_unit()
        print(f"unit: one `python -c 'import numpy'` process = {unit:.3f} s (median of 7, this run)")
        alone = []
        for k in range(3):
            out = root / f"out-alone{k}"
            elapsed, _ = grade(submissions[:1], out, 1)
            alone.append(elapsed)
        single = statistics.median(alone)
        print(
            f"one submission alone, start to exit: {single:.2f} s = {single / unit:.1f} units "
            f"(median of 3)   target <= 1.5 s: {verdict(single <= 1.5)}"
        )
        runs = {}
        for jobs in args.jobs:
            out = root / f"out-jobs{jobs}"
            shutil.rmtree(out, ignore_errors=True)
            elapsed, results = grade(submissions, out, jobs)
            runs[jobs] = (elapsed, results)
            times = [r["execution_time"] for r in results.values()]
            each = elapsed / len(results)
            target = f"   target <= 5 units: {verdict(each / unit <= 5)}" if jobs == 2 else ""
            print(
                f"--jobs {jobs}: {elapsed:7.1f} s for {len(results)} submissions = "
                f"{len(results) / elapsed * 60:6.1f} submissions/min = {each:.3f} s = {each / unit:.1f} units "
                f"per submission{target}; one submission's execution_time: median "
                f"{statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f})",
                flush=True,
            )
        first = args.jobs[0]
        for jobs in args.jobs[1:]:
            print(f"speed-up of --jobs {jobs} over --jobs {first}: {runs[first][0] / runs[jobs][0]:.2f}x")
            differ = [
                n
                for n, r in runs[first][1].items()
                if abs(r["score"] - runs[jobs][1].get(n, {}).get("score", -1)) > 1e-9
            ]
            print(
                f"scores that differ between --jobs {first} and --jobs {jobs}: {len(differ)}"
                + (f" ({', '.join(sorted(differ)[:10])})" if differ else "")
            )
        results = runs[first][1]
        wrong = [n for n, b in bugs.items() if not b and results[n]["score"] != results[n]["max_score"]]
        missed = [n for n, b in bugs.items() if b and results[n]["score"] == results[n]["max_score"]]
        print(f"correct submissions below full marks: {len(wrong)}; buggy ones at full marks: {len(missed)}")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
