"""Speed of the reference layers, measured side by side with PyTorch.

    python benchmarks/bench_reference.py [--repeats R] [--strict]

Not a test: it prints one table of medians and ratios, with PASS or MISS for
each target, and exits 0 (with --strict: 1 when a target is missed).
Contenders are timed in one process, interleaved (one call of each in turn,
R rounds), with PyTorch set to the number of threads numpy's BLAS uses.
Wall-clock timings mean something only on an otherwise idle machine; on a
shared one, --cpu-time compares single-threaded CPU time instead.

Targets:
- conv_forward_fast + conv_backward_fast no slower than PyTorch float64
  (conv2d forward + autograd backward), and within 3x of PyTorch float32, on
  every shape below;
- fast conv >= 300x faster than the naive one on the first shape;
- batchnorm_backward_alt >= 4x faster than batchnorm_backward at
  (N, D) = (100, 500) and >= 2.5x at (4096, 1024).
"""

import argparse
import importlib.util
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as torch_F

LAYERS_DIR = Path(__file__).resolve().parents[1] / "solutions" / "layers"

CONV_SHAPES = [
    # x shape, w shape, stride, pad
    ((100, 3, 31, 31), (25, 3, 3, 3), 2, 1),
    ((50, 3, 32, 32), (32, 3, 7, 7), 1, 3),
    ((64, 64, 32, 32), (64, 64, 3, 3), 1, 1),
]
BN_SHAPES = [((100, 500), 4.0), ((4096, 1024), 2.5)]


def load_reference(name):
    """Import solutions/layers/<name>.py under a private module name."""
    spec = importlib.util.spec_from_file_location("_bench_reference_" + name, LAYERS_DIR / (name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def blas_info():
    """(threads, description) of the BLAS numpy uses, via threadpoolctl when
    it is installed."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return os.cpu_count() or 1, "threadpoolctl not installed; assuming os.cpu_count() threads"
    pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    if not pools:
        return os.cpu_count() or 1, "no BLAS pool reported"
    pool = pools[0]
    desc = "%s %s, kernel %s, %d threads" % (
        pool.get("internal_api"),
        pool.get("version"),
        pool.get("architecture"),
        pool.get("num_threads"),
    )
    return pool["num_threads"], desc


# Wall-clock time by default; --cpu-time switches to the CPU time of the
# calling thread (everything runs there once both libraries use one thread).
CLOCK = time.perf_counter


def interleaved_medians(contenders, repeats):
    """contenders: dict name -> zero-argument callable. Each is called once to
    warm up, then the calls are interleaved for `repeats` rounds. Returns
    name -> median seconds."""
    for fn in contenders.values():
        fn()
    times = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            start = CLOCK()
            fn()
            times[name].append(CLOCK() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def numpy_conv(conv, x, w, b, conv_param, dout):
    def run():
        _, cache = conv.conv_forward_fast(x, w, b, conv_param)
        conv.conv_backward_fast(dout, cache)

    return run


def torch_conv(x, w, b, stride, pad, dout, dtype):
    xt = torch.tensor(x, dtype=dtype, requires_grad=True)
    wt = torch.tensor(w, dtype=dtype, requires_grad=True)
    bt = torch.tensor(b, dtype=dtype, requires_grad=True)
    dt = torch.tensor(dout, dtype=dtype)

    def run():
        xt.grad = wt.grad = bt.grad = None
        out = torch_F.conv2d(xt, wt, bt, stride=stride, padding=pad)
        out.backward(dt)

    return run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="interleaved rounds per comparison (default 9)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--only", choices=("conv", "bn"), help="run only the convolution or only the batchnorm part")
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="one thread for numpy and torch, timed by the CPU time of the "
        "calling thread: less disturbed by other processes on a shared "
        "machine (needs threadpoolctl)",
    )
    args = parser.parse_args(argv)

    conv = load_reference("conv")
    norm = load_reference("norm")

    global CLOCK
    if args.cpu_time:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1, user_api="blas")
        CLOCK = time.thread_time
    threads, blas = blas_info()
    torch.set_num_threads(threads)
    print(
        "python %s, numpy %s, torch %s, %s"
        % (platform.python_version(), np.__version__, torch.__version__, platform.machine())
    )
    print("numpy BLAS: %s" % blas)
    print("torch threads: %d (set to match numpy BLAS threads %d)" % (torch.get_num_threads(), threads))
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        print("%s=%s" % (var, os.environ.get(var, "(unset)")))
    print(
        "medians over %d interleaved rounds, %s"
        % (args.repeats, "CPU time of the calling thread" if args.cpu_time else "wall-clock time")
    )
    print("load average before: %.2f %.2f %.2f (timings are only meaningful on an idle machine)" % os.getloadavg())
    print()

    rng = np.random.default_rng(0)
    rows = []  # (what, measured text, ratio text, target text, passed)

    conv_shapes = [] if args.only == "bn" else CONV_SHAPES
    bn_shapes = [] if args.only == "conv" else BN_SHAPES
    for i, (x_shape, w_shape, stride, pad) in enumerate(conv_shapes):
        x = rng.standard_normal(x_shape)
        w = rng.standard_normal(w_shape)
        b = rng.standard_normal(w_shape[0])
        conv_param = {"stride": stride, "pad": pad}
        out, _ = conv.conv_forward_fast(x, w, b, conv_param)
        dout = rng.standard_normal(out.shape)
        med = interleaved_medians(
            {
                "numpy": numpy_conv(conv, x, w, b, conv_param, dout),
                "torch64": torch_conv(x, w, b, stride, pad, dout, torch.float64),
                "torch32": torch_conv(x, w, b, stride, pad, dout, torch.float32),
            },
            args.repeats,
        )
        label = "conv x(%s) w(%s) s%d p%d" % (",".join(map(str, x_shape)), ",".join(map(str, w_shape)), stride, pad)
        r64 = med["numpy"] / med["torch64"]
        r32 = med["numpy"] / med["torch32"]
        rows.append(
            (
                label + " vs torch f64",
                "numpy %.2f ms, torch f64 %.2f ms" % (med["numpy"] * 1e3, med["torch64"] * 1e3),
                "numpy/torch = %.2f" % r64,
                "<= 1",
                r64 <= 1.0,
            )
        )
        rows.append(
            (
                label + " vs torch f32",
                "numpy %.2f ms, torch f32 %.2f ms" % (med["numpy"] * 1e3, med["torch32"] * 1e3),
                "numpy/torch = %.2f" % r32,
                "<= 3",
                r32 <= 3.0,
            )
        )

        if i == 0:
            start = CLOCK()
            _, cache = conv.conv_forward_naive(x, w, b, conv_param)
            conv.conv_backward_naive(dout, cache)
            naive = CLOCK() - start
            speedup = naive / med["numpy"]
            rows.append(
                (
                    label + " fast vs naive",
                    "naive %.0f ms (once), fast %.2f ms" % (naive * 1e3, med["numpy"] * 1e3),
                    "naive/fast = %.0f" % speedup,
                    ">= 300",
                    speedup >= 300,
                )
            )

    for (N, D), target in bn_shapes:
        x = rng.standard_normal((N, D)) * 2.0 + 0.5
        gamma = rng.standard_normal(D)
        beta = rng.standard_normal(D)
        _, cache = norm.batchnorm_forward(x, gamma, beta, {"mode": "train"})
        dout = rng.standard_normal((N, D))
        med = interleaved_medians(
            {
                "graph": lambda: norm.batchnorm_backward(dout, cache),
                "alt": lambda: norm.batchnorm_backward_alt(dout, cache),
            },
            max(args.repeats, 25 if N * D < 10**6 else args.repeats),
        )
        speedup = med["graph"] / med["alt"]
        rows.append(
            (
                "batchnorm backward N,D=%d,%d" % (N, D),
                "graph %.3f ms, alt %.3f ms" % (med["graph"] * 1e3, med["alt"] * 1e3),
                "graph/alt = %.2f" % speedup,
                ">= %g" % target,
                speedup >= target,
            )
        )

    width = [max(len(r[k]) for r in rows) for k in range(4)]
    header = ("what", "times", "ratio", "target")
    width = [max(w_, len(h)) for w_, h in zip(width, header)]
    line = "  ".join(h.ljust(w_) for h, w_ in zip(header, width)) + "  result"
    print(line)
    print("-" * len(line))
    for what, measured, ratio, target, passed in rows:
        print(
            "  ".join(s.ljust(w_) for s, w_ in zip((what, measured, ratio, target), width))
            + "  "
            + ("PASS" if passed else "MISS")
        )
    missed = sum(1 for r in rows if not r[4])
    print()
    print("load average after: %.2f %.2f %.2f" % os.getloadavg())
    print("%d of %d targets met" % (len(rows) - missed, len(rows)))
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
