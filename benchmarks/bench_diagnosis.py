"""What the known-mistake diagnosis (issue 16) costs: once per batch, and per submission.

    python benchmarks/bench_diagnosis.py [--rounds 2] [--only bug_ln]

Not a test. One `Grader` (the real one: sandboxed children, speed test and
all) grades every variant of the bug catalogue (tests/catalogue/, plus the
reference), each `--rounds` times with the diagnosis and as often without it
(the diagnoser switched off, which is the grader as it was before), the two
alternating so that load on the machine hits both alike. It prints

- the one-off cost per batch: building the `Diagnoser` (every known
  mistake's results on the hidden cases);
- the median wall-clock time of one submission with and without, over all
  gradings;
- the time spent in the diagnosis itself per submission (median and
  maximum), measured around `diagnosis.annotate`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for path in (REPO, REPO / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from catalogue import MODULES, load_variants, reference_source, write_submission  # noqa: E402

from autograder import grade  # noqa: E402
from autograder.checks import diagnosis  # noqa: E402
from autograder.checks.diagnosis import Diagnoser  # noqa: E402
from autograder.rubric import load_rubric  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="gradings of each submission, each way (default 2)")
    parser.add_argument("--only", default="", help="only the catalogue variants whose name contains this")
    args = parser.parse_args()
    rubric = load_rubric()
    with tempfile.TemporaryDirectory(prefix="bench-diagnosis-") as work:
        root = Path(work)
        variants = [v for v in load_variants() if args.only in v.name]
        submissions = [write_submission(v, root / "submissions") for v in variants]
        reference = root / "submissions" / "reference" / "layers"
        reference.mkdir(parents=True)
        for module in MODULES:
            (reference / f"{module}.py").write_text(reference_source(module), encoding="utf-8")
        submissions.append(reference.parent)

        started = time.perf_counter()
        grader = grade.Grader(rubric, rubric.seed, root / "grader")
        grader_cost = time.perf_counter() - started
        started = time.perf_counter()
        diagnoser = Diagnoser(grader.plans, rubric)
        batch_cost = time.perf_counter() - started

        spent: list[float] = []
        original = diagnosis.annotate

        def timed_annotate(*a, **k):
            begun = time.perf_counter()
            try:
                return original(*a, **k)
            finally:
                spent.append(time.perf_counter() - begun)

        grade.annotate = timed_annotate  # Grader.grade looks it up in grade's namespace
        times: dict[bool, list[float]] = {True: [], False: []}
        named = 0
        for _ in range(args.rounds):
            for submission in submissions:
                for with_diagnosis in (True, False):
                    grader.diagnoser = diagnoser if with_diagnosis else None
                    begun = time.perf_counter()
                    results = grader.grade(submission)
                    times[with_diagnosis].append(time.perf_counter() - begun)
                    named += bool(with_diagnosis and results["extra_data"].get("diagnosis"))
        own = spent[0::2]  # with the diagnoser; the calls without it return at once
        print(
            f"{len(submissions)} submissions x {args.rounds} rounds, each way; {len(diagnoser.mistakes)} "
            f"functions with known mistakes, {sum(map(len, diagnoser.mistakes.values()))} mistake entries"
        )
        print(
            f"once per batch: Diagnoser built in {batch_cost:.3f} s (the whole Grader, diagnoser included, "
            f"in {grader_cost:.3f} s)"
        )
        print(
            f"per submission: median {statistics.median(times[False]):.3f} s without the diagnosis, "
            f"{statistics.median(times[True]):.3f} s with it"
        )
        print(
            f"per submission, in the diagnosis itself: median {1000 * statistics.median(own):.1f} ms, "
            f"max {1000 * max(own):.1f} ms ({named} of {len(own)} gradings named a mistake)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
