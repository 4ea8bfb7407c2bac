"""The expected results: every plan run on the trusted reference, in the grader's process.

The reference runs with the same worker code a sandbox runs (isolation/worker.py),
so its records have exactly the form of a student's; it is trusted code, so it
needs no sandbox. `check_reference` refuses to grade anyone when the reference
fails one of its own non-trivial checks: then the grader or the rubric is broken.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from autograder import paths, trusted
from autograder.checks.evaluate import Evaluator, InternalError
from autograder.checks.methods import run
from autograder.checks.plan import Plan
from autograder.isolation.records import Records, Streams, read_streams
from autograder.isolation.worker import Inputs, RecordStream, Worker

# Check methods that only compare a result with the reference: trivially passed by the reference.
TRIVIAL_METHODS = ("output", "grads", "state", "test_mode")


def run_in_process(plans: dict[str, Plan], job: Path, root: Path, modules: dict) -> Streams:
    """Run plans (written to JOB by `write_job`) on trusted MODULES ({"conv": ..., "norm": ...}) in
    this process, with the same worker code a sandbox runs; return the records (kept in ROOT)."""
    root.mkdir(parents=True, exist_ok=True)
    index = json.loads((job / "plan.json").read_text())["arrays"]
    inputs = Inputs(str(job), index)
    own = [str(paths.SOLUTION_LAYERS_DIR / name) for name in paths.STUDENT_MODULES]
    own += [str(getattr(m, "__file__", "")) for m in modules.values()]
    for name, plan in plans.items():
        stream = RecordStream(str(root / f"{name}.rec"))
        worker = Worker(
            str(paths.SOLUTIONS_DIR),
            name,
            plan.calls,
            inputs,
            stream,
            own_files=own,
            vectorization=trusted.load("vectorization"),
        )
        worker.modules = dict(modules)
        try:
            worker.run()
        finally:
            os.close(stream.fd)
    return read_streams(root)


def run_reference(plans: dict[str, Plan], job: Path, root: Path) -> Streams:
    """Run every plan on the trusted reference, in this process; return its records."""
    return run_in_process(plans, job, root, {"conv": trusted.load("conv"), "norm": trusted.load("norm")})


def check_reference(plans: dict[str, Plan], reference: dict[str, Records], tolerance: dict) -> None:
    """Raise InternalError unless the reference passes every check of its own plans that does not
    just compare it with itself (numerical gradients, purity, interleaved calls, vectorization)."""
    sources = {
        f"{paths.LAYERS_PACKAGE}/{m}": (paths.SOLUTION_LAYERS_DIR / m).read_text() for m in paths.STUDENT_MODULES
    }
    for name, plan in plans.items():
        evaluator = Evaluator(plan, reference[name], reference[name], tolerance, sources)
        for check in (c for c in plan.checks if c.method not in TRIVIAL_METHODS):
            outcome = run(evaluator, check)
            if not outcome.passed:
                raise InternalError(f"the reference fails its own check {check.name!r}: {outcome.message}")
