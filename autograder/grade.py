"""Grade one submission: unpack, run each group in a child, check, score.

A `Grader` is built once per batch: it draws the hidden cases, builds the
plans and runs them on the reference in its own process (the expected
results are the same for every submission). `grade(path)` then costs one
child process per group plus the two speed-test children.
"""
from __future__ import annotations

import ast
import itertools
import json
import shutil
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder import paths, trusted
from autograder.contract import GROUPS, TIMED_FUNCTIONS, Group
from autograder.diagnosis import annotate, build_diagnoser  # diagnosis (issue 16)
from autograder.evaluate import Evaluator, InternalError, Outcome, Records
from autograder.plan import Check, Plan, build_plan
from autograder.rubric import Rubric
from autograder.sandbox import Sandbox, detect_sandbox, prepare_dirs, run_child
from autograder.submission import Submission, read_submission
from autograder.timing import build_timing_plan, measure_speed
from autograder.worker import Worker


@dataclass
class TestResult:
    name: str
    function: str
    category: str
    passed: bool
    output: str
    visibility: str
    score: float = 0.0
    max_score: float = 0.0
    fraction: float | None = None  # partial credit (speed tiers); None: all or nothing
    case: str = ""  # the hidden case in words, for the checks of one case


def write_job(plan: Plan, job: Path) -> None:
    """Write a plan where a worker reads it: job/plan.json and job/arrays/*.npy."""
    arrays = job / "arrays"
    arrays.mkdir(parents=True, exist_ok=True)
    for name, value in plan.arrays.items():
        np.save(arrays / f"{name}.npy", value, allow_pickle=False)
    (job / "plan.json").write_text(json.dumps(plan.calls))


def run_reference(plan: Plan, root: Path) -> Records:
    """Run a plan on the trusted reference, in this process; return its records."""
    job, out = root / "job", root / "out"
    out.mkdir(parents=True, exist_ok=True)
    write_job(plan, job)
    worker = Worker("", str(job), str(out))
    worker.modules = {"conv": trusted.load("conv"), "norm": trusted.load("norm")}
    worker.run(plan.calls)
    return Records(out)


def copy_given_modules(layers_dir: Path) -> None:
    """The grader's trusted copies of every given module of `layers/`."""
    layers_dir.mkdir(parents=True, exist_ok=True)
    for source in paths.SOLUTION_LAYERS_DIR.glob("*.py"):
        if source.name not in paths.STUDENT_MODULES:
            shutil.copyfile(source, layers_dir / source.name)


def calls_function(source: str, caller: str, callee: str) -> int | None:
    """Line where function `caller` in `source` uses `callee`, directly or not, else None.

    "Uses" is any reference to the name (a call, an alias `f = callee`, an
    attribute `module.callee`, a string given to getattr), to a module-level
    alias of it, or to another function of the module that uses it.
    """
    tree = ast.parse(source)
    functions = {node.name: node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}

    def mentions(node: ast.AST, names: set[str]) -> int | None:
        for inner in ast.walk(node):
            name = (inner.id if isinstance(inner, ast.Name) else inner.attr if isinstance(inner, ast.Attribute)
                    else inner.value if isinstance(inner, ast.Constant) and isinstance(inner.value, str) else None)
            if name in names:
                return inner.lineno
        return None

    tainted = {callee}
    while True:  # module-level aliases and helper functions that use a tainted name, to a fixed point
        grown = set(tainted)
        for node in tree.body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None and mentions(node.value, grown):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                grown |= {t.id for target in targets for t in ast.walk(target) if isinstance(t, ast.Name)}
        grown |= {name for name, node in functions.items() if name != caller and mentions(node, grown)}
        if grown == tainted:
            break
        tainted = grown
    if caller not in functions:
        return None
    body = functions[caller]
    return mentions(ast.Module(body=body.body, type_ignores=[]), tainted)


class Grader:
    def __init__(self, rubric: Rubric, seed: int, work_root: Path, sandbox: Sandbox | None = None,
                 group_workers: int = 1):
        self.rubric = rubric
        # Children run at once for one submission (the speed test always runs alone).
        self.group_workers = max(1, group_workers)
        self.seed = seed
        self.work_root = Path(work_root)
        self.sandbox = sandbox or detect_sandbox()
        self.plans = {group.name: build_plan(group, seed, rubric) for group in GROUPS}
        self.reference = {name: run_reference(plan, self.work_root / "reference" / name)
                          for name, plan in self.plans.items()}
        self.speed_group = next(g for g in GROUPS if g.forward in TIMED_FUNCTIONS)
        self.timing_plan = build_timing_plan(self.speed_group, rubric, seed)
        self.reference_code = self.work_root / "reference_code"
        copy_given_modules(self.reference_code / paths.LAYERS_PACKAGE)
        for module in paths.STUDENT_MODULES:
            shutil.copyfile(paths.SOLUTION_LAYERS_DIR / module, self.reference_code / paths.LAYERS_PACKAGE / module)
        self._counter = itertools.count(1)  # thread-safe: --jobs threads share this Grader
        self.diagnoser = build_diagnoser(self.plans, rubric)  # diagnosis (issue 16): known mistakes' results, once

    # -- one submission -------------------------------------------------------
    def grade(self, path: Path) -> dict:
        started = time.monotonic()
        root = self.work_root / f"submission-{next(self._counter)}"
        try:
            submission = read_submission(path, root / "files")
            code = root / "code"
            copy_given_modules(code / paths.LAYERS_PACKAGE)
            for module in paths.STUDENT_MODULES:
                source = submission.module(module)
                if source is not None:
                    shutil.copyfile(source, code / paths.LAYERS_PACKAGE / module)
            for item in code.rglob("*"):
                item.chmod(0o755 if item.is_dir() else 0o644)
            code.chmod(0o755)
            with ThreadPoolExecutor(max_workers=self.group_workers) as pool:
                per_group = pool.map(lambda g: self._grade_group(g, submission, code, root / g.name), GROUPS)
                tests = [test for group_tests in per_group for test in group_tests]
            tests += self._grade_speed(submission, code, root / "speed", tests)
            tests += self._grade_structure(submission, tests)
            tests += self._report_notebooks(submission)
            gate_purity(tests)
            gate_numerical(tests)
            # diagnosis (issue 16): known mistakes named in the failing tests, their ids in extra_data
            diagnosed = annotate(self.diagnoser, tests, {g.name: Records(root / g.name / "out") for g in GROUPS})
            results = self._results(submission, tests, time.monotonic() - started)
            results["extra_data"]["diagnosis"] = diagnosed  # diagnosis (issue 16)
            return results
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def _visibility(self, check_case: str) -> str:
        feedback = self.rubric.feedback
        return feedback["case_visibility"] if check_case else feedback["summary_visibility"]

    def _grade_group(self, group: Group, submission: Submission, code: Path, root: Path) -> list[TestResult]:
        plan = self.plans[group.name]
        module_file = f"{paths.LAYERS_PACKAGE}/{group.module}.py"
        if submission.module(f"{group.module}.py") is None:
            outcomes = {id(c): Outcome(False, f"{module_file} is missing from the submission.") for c in plan.checks}
        else:
            code_dir, job, out = prepare_dirs(root)
            write_job(plan, job)
            result = run_child(self.sandbox, code, job, out, self.rubric.limits)
            ended = "" if result.returncode == 0 and not result.timed_out else result.describe_end()
            records = Records(out, ended, (result.stdout_tail + result.stderr_tail)[-1500:])
            evaluator = Evaluator(plan, records, self.reference[group.name], self.rubric.tolerance)
            outcomes = {id(c): judge(evaluator, c) for c in plan.checks}
        return [self._test(c, outcomes[id(c)]) for c in plan.checks]

    def _test(self, check: Check, outcome: Outcome) -> TestResult:
        output = outcome.message if outcome.passed else (f"case: {check.case}\n" if check.case else "") + outcome.message
        return TestResult(check.name, check.function, check.category, outcome.passed, output,
                          self._visibility(check.case), case=check.case)

    def _grade_speed(self, submission: Submission, code: Path, root: Path, tests: list[TestResult]) -> list[TestResult]:
        group = self.speed_group
        names = {f: f"{f}: speed against the reference implementation" for f in group.functions}
        if submission.module(f"{group.module}.py") is None:
            return [TestResult(n, f, "speed", False, f"layers/{group.module}.py is missing from the submission.",
                               self._visibility("")) for f, n in names.items()]
        try:
            speeds = measure_speed(group, self.timing_plan, self.sandbox, code, self.reference_code, root, self.rubric)
        except InternalError:
            raise
        except Exception as error:  # damaged or forged records of the student's child
            return [TestResult(n, f, "speed", False, f"the speed test could not be judged: {type(error).__name__}: "
                               f"{error}", self._visibility("")) for f, n in names.items()]
        results = []
        for function, name in names.items():
            speed = speeds[function]
            correct = all(t.passed for t in tests if t.function == function and t.category in ("output", "reference"))
            if not correct and speed.fraction > 0:
                message = "no speed credit until every correctness test of this function passes (" + speed.message + ")"
                results.append(TestResult(name, function, "speed", False, message, self._visibility("")))
                continue
            results.append(TestResult(name, function, "speed", speed.fraction > 0, speed.message,
                                      self._visibility(""), fraction=speed.fraction))
        return results

    def _grade_structure(self, submission: Submission, tests: list[TestResult]) -> list[TestResult]:
        function, forbidden = "batchnorm_backward_alt", "batchnorm_backward"
        name = f"{function}: own closed form (checked by reading your code: it must not call {forbidden})"
        source_path = submission.module("norm.py")
        if source_path is None:
            return [TestResult(name, function, "structure", False, "layers/norm.py is missing.", self._visibility(""))]
        try:
            line = calls_function(source_path.read_text(encoding="utf-8"), function, forbidden)
        except (SyntaxError, ValueError, UnicodeDecodeError, MemoryError, RecursionError) as error:
            return [TestResult(name, function, "structure", False, f"layers/norm.py cannot be read as Python: "
                               f"{type(error).__name__} {error}",
                               self._visibility(""))]
        if line is not None:
            return [TestResult(name, function, "structure", False,
                               f"layers/norm.py line {line}: {function} calls {forbidden}; derive the compact "
                               "formula for dx instead.", self._visibility(""))]
        if not any(t.passed for t in tests if t.function == function and t.category == "reference"):
            return [TestResult(name, function, "structure", False,
                               "not credited until its gradients match the reference on at least one case.",
                               self._visibility(""))]
        return [TestResult(name, function, "structure", True, "ok: does not call batchnorm_backward",
                           self._visibility(""))]

    def _report_notebooks(self, submission: Submission) -> list[TestResult]:
        released = sorted(paths.ASSIGNMENT_DIR.glob("*.ipynb"))
        if not released:
            return []
        from autograder.notebooks import inspect_notebook

        results = []
        for notebook in released:
            name = f"notebooks: {notebook.name} run, saved and completed"
            submitted = submission.notebooks.get(notebook.name)
            if submitted is None:
                results.append(TestResult(name, "notebooks", "completed", False, f"{notebook.name} was not submitted.",
                                          self._visibility("")))
                continue
            report = inspect_notebook(submitted, notebook)
            passed, text = describe_notebook(report)
            results.append(TestResult(name, "notebooks", "completed", passed, text, self._visibility("")))
        return results

    # -- scoring ---------------------------------------------------------------
    def _results(self, submission: Submission, tests: list[TestResult], elapsed: float) -> dict:
        by_category = defaultdict(list)
        for test in tests:
            by_category[(test.function, test.category)].append(test)
        for (function, category), members in by_category.items():
            points = self.rubric.points.get(function, {}).get(category, 0.0)
            for test in members:
                test.max_score = points / len(members)
                fraction = test.fraction if test.fraction is not None else float(test.passed)
                test.score = test.max_score * fraction
        messages = []
        if self.sandbox.warning:
            messages.append(self.sandbox.warning)
        messages += submission.problems + submission.notes
        return build_results(submission.name, tests, messages, elapsed, self.rubric, self.seed, self.sandbox.mode)


def judge(evaluator: Evaluator, check: Check) -> Outcome:
    """EVALUATOR's outcome of CHECK; records it cannot make sense of (damaged, forged) fail the check."""
    try:
        return evaluator.run(check)
    except InternalError:
        raise
    except Exception as error:
        return Outcome(False, f"the results of this check could not be read ({type(error).__name__}: {error}).")


def gate_purity(tests: list[TestResult]) -> None:
    """No purity credit for a function before one of its results matches the reference.

    Whether a call changed its inputs is recorded in the student's process,
    so it is a claim, and so is a call's "ok": a module that overwrites the
    worker's records could claim both without computing anything. A result
    matching the reference is checked here, so it is no claim.
    """
    for test in tests:
        if test.category != "purity" or not test.passed:
            continue
        if not any(t.passed for t in tests if t.function == test.function and t.category in ("output", "reference")):
            test.passed = False
            test.output = (f"not credited until a result of {test.function} matches the reference "
                           f"({test.output}).")


def gate_numerical(tests: list[TestResult]) -> None:
    """No credit for agreeing with numerical gradients when nothing on that case is right.

    A backward that matches the numerical gradients of its own forward proves
    only consistency: a forward returning zeros with a backward returning zeros
    agrees perfectly. The check keeps its diagnosis, but its points need the
    forward's output or the backward's gradients on the same case to match
    the reference.
    """
    forward_of = {b: group.forward for group in GROUPS for b in group.backwards}
    for test in tests:
        if test.category != "numerical" or not test.passed:
            continue
        anchors = {(forward_of[test.function], "output"), (test.function, "reference")}
        if not any(t.passed and (t.function, t.category) in anchors and t.case == test.case for t in tests):
            test.passed = False
            test.output = (f"not credited: neither {forward_of[test.function]} nor {test.function} matches the "
                           f"reference on this case, and agreeing with the numerical gradients of a wrong forward "
                           f"proves little ({test.output}).")


def describe_notebook(report: dict) -> tuple[bool, str]:
    """Words for `inspect_notebook`'s report; passed when run, saved and every stub and answer filled."""
    if not report.get("valid") and not report.get("code_cells"):
        return False, f"not a usable notebook: {report.get('problem') or 'unreadable'}"
    problems = []
    if report.get("problem"):
        problems.append(f"damaged: {report['problem']}")
    if not report.get("executed"):
        problems.append(f"not run through: {report.get('executed_cells', 0)} of {report.get('code_cells', 0)} "
                        "code cells were run (run all cells, then save)")
    errors = report.get("errors") or []
    if errors:
        names = sorted({str(e.get("ename")) for e in errors})
        problems.append(f"{len(errors)} cells show errors ({', '.join(names)})")
    for key, words in (("unchanged_solutions", "code cells still to fill in"),
                       ("unchanged_answers", "questions still to answer"),
                       ("missing_cells", "cells deleted"),
                       ("modified_locked_cells", "read-only cells changed")):
        if report.get(key):
            problems.append(f"{words}: {', '.join(map(str, report[key]))}")
    if problems:
        return False, "; ".join(problems)
    return True, "ok: run, saved, every stub and answer filled in"


def build_results(name: str, tests: list[TestResult], messages: list[str], elapsed: float, rubric: Rubric,
                  seed: int, sandbox_mode: str) -> dict:
    """The Gradescope results.json content."""
    functions = defaultdict(float)
    for test in tests:
        functions[test.function] += test.score
    return {
        "score": round(sum(t.score for t in tests), 4),
        "max_score": round(rubric.max_score, 4),
        "execution_time": round(elapsed, 2),
        "output": "\n".join(messages),
        "stdout_visibility": "hidden",
        "tests": [
            {"name": t.name, "score": round(t.score, 6), "max_score": round(t.max_score, 6),
             "status": "passed" if t.passed else "failed", "output": t.output, "visibility": t.visibility,
             "tags": [t.function]}
            for t in tests
        ],
        "extra_data": {"submission": name, "seed": seed, "sandbox": sandbox_mode,
                       "function_scores": {f: round(s, 4) for f, s in functions.items()}},
    }
