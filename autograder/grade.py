"""Grade one submission: the orchestration, from a tarball or folder to its results.

A `Grader` is built once per batch: it draws the hidden cases, builds one plan
per group (checks/plan.py), writes them all into one job folder, runs them on
the trusted reference in its own process (checks/reference.py: the expected
results are the same for every submission) and checks the reference passes
its own checks. `grade(path)` then, for one submission:

1. reads it safely into a private folder (submission.py) beside the grader's
   copies of the given modules;
2. runs every group's calls in one sandbox (isolation/supervisor.py: a fork
   server whose runners survive crashes and hangs, and a new sandbox should
   student code kill the server);
3. judges every check against the reference (checks/judge.py), reads the
   source (checks/source.py) and the notebooks (checks/notebooks.py);
4. applies the gates between tests (checks/gates.py), names known mistakes
   (checks/diagnosis.py) and scores the tests by the rubric (reports/results.py).
"""

from __future__ import annotations

import itertools
import shutil
import time
from pathlib import Path

from autograder import paths
from autograder.checks.diagnosis import annotate, build_diagnoser
from autograder.checks.gates import apply_gates
from autograder.checks.judge import group_tests
from autograder.checks.notebooks import notebook_tests
from autograder.checks.plan import build_plan
from autograder.checks.reference import check_reference, run_reference
from autograder.checks.source import guard_trace_hooks, structure_test
from autograder.contract import GROUPS
from autograder.isolation.job import write_job
from autograder.isolation.probe import detect_sandbox
from autograder.isolation.sandbox import Sandbox
from autograder.isolation.supervisor import run_submission
from autograder.reports.results import build_results, score_tests
from autograder.rubric import Rubric
from autograder.submission import read_submission


def copy_given_modules(layers_dir: Path) -> None:
    """The grader's trusted copies of every given module of `layers/`."""
    layers_dir.mkdir(parents=True, exist_ok=True)
    for source in paths.SOLUTION_LAYERS_DIR.glob("*.py"):
        if source.name not in paths.STUDENT_MODULES:
            shutil.copyfile(source, layers_dir / source.name)


class Grader:
    def __init__(
        self, rubric: Rubric, seed: int, work_root: Path, sandbox: Sandbox | None = None, group_workers: int = 1
    ):
        self.rubric = rubric
        # Runners at once for one submission (--jobs leaves the other cores to it).
        self.group_workers = max(1, group_workers)
        self.seed = seed
        self.work_root = Path(work_root)
        self.sandbox = sandbox or detect_sandbox()
        self.plans = {group.name: build_plan(group, seed, rubric) for group in GROUPS}
        self.job = self.work_root / "job"
        write_job(self.plans, self.job, rubric.call_seconds)
        for item in (self.job, *self.job.iterdir()):
            item.chmod(0o755 if item.is_dir() else 0o644)
        streams = run_reference(self.plans, self.job, self.work_root / "reference")
        self.reference = {name: streams.group(name) for name in self.plans}
        check_reference(self.plans, self.reference, rubric.tolerance)
        self._counter = itertools.count(1)  # thread-safe: --jobs threads share this Grader
        self.diagnoser = build_diagnoser(self.plans, rubric)  # known mistakes' results, once
        feedback = rubric.feedback
        # Visibility of a test by whether it checks one hidden case.
        self.visibility = {True: feedback["case_visibility"], False: feedback["summary_visibility"]}

    def grade(self, path: Path) -> dict:
        """The results.json content of the submission at PATH (a tarball or a folder)."""
        started = time.monotonic()
        root = self.work_root / f"submission-{next(self._counter)}"
        try:
            submission = read_submission(path, root / "files")
            code, sources = self._stage(submission, root / "code")
            present = [g.name for g in GROUPS if submission.module(f"{g.module}.py") is not None]
            calls = {name: plan.calls for name, plan in self.plans.items()}
            records = run_submission(
                calls, self.job, present, code, root / "run", self.sandbox, self.rubric.limits, self.group_workers
            )
            tests = []
            for group in GROUPS:
                tests += group_tests(
                    self.plans[group.name],
                    records.get(group.name),
                    self.reference[group.name],
                    self.rubric.tolerance,
                    sources,
                    self.visibility,
                )
            tests.append(structure_test(submission.module("norm.py"), tests, self.visibility[False]))
            tests += notebook_tests(submission, self.visibility[False])
            guard_trace_hooks(sources.get(f"{paths.LAYERS_PACKAGE}/conv.py"), tests)
            apply_gates(tests)
            diagnosed = annotate(self.diagnoser, tests, records)  # hints in the failing tests' output
            score_tests(tests, self.rubric.points)
            messages = [self.sandbox.warning] if self.sandbox.warning else []
            messages += submission.problems + submission.notes
            results = build_results(
                submission.name,
                tests,
                messages,
                time.monotonic() - started,
                self.rubric.max_score,
                self.seed,
                self.sandbox.mode,
            )
            results["extra_data"]["diagnosis"] = diagnosed
            return results
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def _stage(self, submission, code: Path) -> tuple[Path, dict[str, str]]:
        """CODE: the given modules and the submission's two modules, readable by the sandbox's user;
        and the submission's sources by path ("layers/conv.py": text)."""
        copy_given_modules(code / paths.LAYERS_PACKAGE)
        sources = {}
        for module in paths.STUDENT_MODULES:
            source = submission.module(module)
            if source is not None:
                shutil.copyfile(source, code / paths.LAYERS_PACKAGE / module)
                sources[f"{paths.LAYERS_PACKAGE}/{module}"] = source.read_text(encoding="utf-8", errors="replace")
        for item in code.rglob("*"):
            item.chmod(0o755 if item.is_dir() else 0o644)
        code.chmod(0o755)
        return code, sources
