"""Grade one submission: unpack, run every group's calls in one sandbox, check, score.

A `Grader` is built once per batch: it draws the hidden cases, builds the
plans, writes them into one job folder and runs them on the reference in its
own process (the expected results are the same for every submission).
`grade(path)` then starts one sandbox per submission: a fork server that
imports numpy once and runs each group in a forked runner (worker.py), so a
crash or hang costs only its own call. Should student code kill the server
itself, the grader starts a new sandbox for the calls left (a call that was
running twice when it happened is blamed).
"""
from __future__ import annotations

import ast
import itertools
import json
import os
import shutil
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from autograder import paths, trusted
from autograder.contract import FORWARD_OF, GROUPS, Group
from autograder.checks.diagnosis import annotate, build_diagnoser  # diagnosis (issue 16)
from autograder.checks.evaluate import Evaluator, InternalError, Outcome, Records, Streams, read_streams
from autograder.checks.plan import Check, Plan, build_plan, write_job
from autograder.rubric import Rubric
from autograder.isolation.probe import detect_sandbox
from autograder.isolation.sandbox import Sandbox
from autograder.isolation.supervisor import run_submission
from autograder.submission import Submission, read_submission
from autograder.isolation.worker import Inputs, RecordStream, Worker

# Names whose mention in layers/conv.py means code that touches the trace hooks
# the vectorization check counts with.
TRACE_HOOKS = ("settrace", "setprofile", "gettrace", "getprofile", "monitoring", "PyEval_SetTrace",
               "PyEval_SetProfile", "settrace_all_threads", "setprofile_all_threads", "LineCounter",
               "vectorization")


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
    fraction: float | None = None  # partial credit; None: all or nothing
    case: str = ""  # the hidden case in words, for the checks of one case


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
        worker = Worker(str(paths.SOLUTIONS_DIR), name, plan.calls, inputs, stream, own_files=own,
                        vectorization=trusted.load("vectorization"))
        worker.modules = dict(modules)
        try:
            worker.run()
        finally:
            os.close(stream.fd)
    return read_streams(root)


def run_reference(plans: dict[str, Plan], job: Path, root: Path) -> Streams:
    """Run every plan on the trusted reference, in this process; return its records."""
    return run_in_process(plans, job, root, {"conv": trusted.load("conv"), "norm": trusted.load("norm")})


def copy_given_modules(layers_dir: Path) -> None:
    """The grader's trusted copies of every given module of `layers/`."""
    layers_dir.mkdir(parents=True, exist_ok=True)
    for source in paths.SOLUTION_LAYERS_DIR.glob("*.py"):
        if source.name not in paths.STUDENT_MODULES:
            shutil.copyfile(source, layers_dir / source.name)


def mentioned_name(node: ast.AST) -> str | None:
    """The name NODE mentions: a variable, an attribute, or a string (as given to getattr)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


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
            if mentioned_name(inner) in names:
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
        self._check_reference()
        self._counter = itertools.count(1)  # thread-safe: --jobs threads share this Grader
        self.diagnoser = build_diagnoser(self.plans, rubric)  # diagnosis (issue 16): known mistakes' results, once

    def _check_reference(self) -> None:
        """The reference must pass the checks of its own plans that do not just compare it with
        itself (numerical gradients, purity, interleaved calls, vectorization): else the grader
        or the rubric is broken, and grading stops before anyone is graded."""
        trivial = ("output", "grads", "state", "test_mode")
        sources = {f"{paths.LAYERS_PACKAGE}/{m}": (paths.SOLUTION_LAYERS_DIR / m).read_text()
                   for m in paths.STUDENT_MODULES}
        for name, plan in self.plans.items():
            evaluator = Evaluator(plan, self.reference[name], self.reference[name], self.rubric.tolerance, sources)
            for check in (c for c in plan.checks if c.kind not in trivial):
                outcome = evaluator.run(check)
                if not outcome.passed:
                    raise InternalError(f"the reference fails its own check {check.name!r}: {outcome.message}")

    # -- one submission -------------------------------------------------------
    def grade(self, path: Path) -> dict:
        started = time.monotonic()
        root = self.work_root / f"submission-{next(self._counter)}"
        try:
            submission = read_submission(path, root / "files")
            code = root / "code"
            copy_given_modules(code / paths.LAYERS_PACKAGE)
            sources = {}
            for module in paths.STUDENT_MODULES:
                source = submission.module(module)
                if source is not None:
                    shutil.copyfile(source, code / paths.LAYERS_PACKAGE / module)
                    sources[f"{paths.LAYERS_PACKAGE}/{module}"] = source.read_text(encoding="utf-8",
                                                                                  errors="replace")
            for item in code.rglob("*"):
                item.chmod(0o755 if item.is_dir() else 0o644)
            code.chmod(0o755)
            present = [g.name for g in GROUPS if submission.module(f"{g.module}.py") is not None]
            calls = {name: plan.calls for name, plan in self.plans.items()}
            records = run_submission(calls, self.job, present, code, root / "run", self.sandbox,
                                     self.rubric.limits, self.group_workers)
            tests = []
            for group in GROUPS:
                tests += self._grade_group(group, records.get(group.name), sources)
            tests += self._grade_structure(submission, tests)
            tests += self._report_notebooks(submission)
            self._guard_trace_hooks(sources.get("layers/conv.py"), tests)
            gate_purity(tests)
            gate_vectorized(tests)
            gate_numerical(tests)
            blame_forward(tests)
            # diagnosis (issue 16): known mistakes named in the failing tests, their ids in extra_data
            diagnosed = annotate(self.diagnoser, tests, records)
            results = self._results(submission, tests, time.monotonic() - started)
            results["extra_data"]["diagnosis"] = diagnosed  # diagnosis (issue 16)
            return results
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def _visibility(self, check_case: str) -> str:
        feedback = self.rubric.feedback
        return feedback["case_visibility"] if check_case else feedback["summary_visibility"]

    def _grade_group(self, group: Group, records: Records | None, sources: dict[str, str]) -> list[TestResult]:
        plan = self.plans[group.name]
        module_file = f"{paths.LAYERS_PACKAGE}/{group.module}.py"
        if records is None:
            outcomes = {id(c): Outcome(False, f"{module_file} is missing from the submission.") for c in plan.checks}
        else:
            evaluator = Evaluator(plan, records, self.reference[group.name], self.rubric.tolerance, sources)
            reference = Evaluator(plan, self.reference[group.name], self.reference[group.name],
                                  self.rubric.tolerance, sources)
            outcomes = {id(c): judge(evaluator, reference, c) for c in plan.checks}
        return [self._test(c, outcomes[id(c)]) for c in plan.checks]

    def _test(self, check: Check, outcome: Outcome) -> TestResult:
        output = outcome.message if outcome.passed else (f"case: {check.case}\n" if check.case else "") + outcome.message
        return TestResult(check.name, check.function, check.category, outcome.passed, output,
                          self._visibility(check.case), case=check.case)

    def _guard_trace_hooks(self, source: str | None, tests: list[TestResult]) -> None:
        """No vectorization credit for a conv.py that mentions the interpreter's trace hooks."""
        if source is None:
            return
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            return
        for node in ast.walk(tree):
            name = mentioned_name(node)
            if name in TRACE_HOOKS or (isinstance(node, ast.alias) and node.name.split(".")[-1] in TRACE_HOOKS):
                line = getattr(node, "lineno", "?")
                for test in tests:
                    if test.category == "vectorized" and test.passed:
                        test.passed = False
                        test.output = (f"layers/conv.py line {line} uses {name or node.name}: code that touches "
                                       "the interpreter's trace or profile hooks (which the vectorization check "
                                       "counts with) gets no vectorization credit.")
                return

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
        if submission.notebooks:
            # Imported only when there is a notebook to read (nbformat's validator costs ~1 s).
            from autograder.release.notebooks import inspect_notebook
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


def judge(evaluator: Evaluator, reference: Evaluator, check: Check) -> Outcome:
    """EVALUATOR's outcome of CHECK. When judging raises, the same check is run on the
    reference's own records: if it raises there too, the grader's code is at fault (an
    internal error, never the student's); otherwise the student's records are damaged
    or forged, and the check fails."""
    try:
        return evaluator.run(check)
    except InternalError:
        raise
    except Exception as error:
        try:
            reference.run(check)
        except Exception as again:
            raise InternalError(f"checking {check.name!r} fails: {type(again).__name__}: {again}") from again
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


def gate_vectorized(tests: list[TestResult]) -> None:
    """No vectorization credit before every output and gradient test of the function passes.

    Decided on the hidden cases (fixed inputs), so that the verdict never
    depends on the inputs the vectorization check draws for each run.
    """
    for test in tests:
        if test.category != "vectorized":
            continue
        # A backward's case counts only where its forward is right (else it is the forward's fault).
        failing = [t for t in tests if t.function == test.function and t.category in ("output", "reference")
                   and not t.passed and not forward_fails(tests, t.function, t.case)]
        if failing:
            test.passed = False
            if not test.output.startswith("no vectorization credit"):
                test.output = (f"no vectorization credit until every output and gradient test of "
                               f"{test.function} passes ({len(failing)} fail).\n{test.output}")


def gate_numerical(tests: list[TestResult]) -> None:
    """Numerical-gradient credit, case by case, without double jeopardy.

    A backward whose gradients match the reference on a case gets that case's
    numerical credit as well: the numerical check exists to credit a backward
    consistent with the student's own forward when the reference comparison
    fails, so a right backward never pays for a wrong forward.

    The other way round, agreeing with numerical gradients of its own forward
    proves only consistency (a forward returning zeros with a backward
    returning zeros agrees perfectly): its points need the forward's output or
    the backward's gradients on the same case to match the reference.
    """
    for test in tests:
        if test.category != "numerical":
            continue
        matches = any(t.passed and t.function == test.function and t.category == "reference"
                      and t.case == test.case for t in tests)
        if matches:
            if not test.passed:
                test.passed = True
                test.output = ("ok: your gradients match the reference on this case, so the numerical check of "
                               f"your {FORWARD_OF[test.function]} is not needed here")
            continue
        if not test.passed:
            continue
        if not any(t.passed and t.function == FORWARD_OF[test.function] and t.category == "output"
                   and t.case == test.case for t in tests):
            test.passed = False
            test.output = (f"not credited: neither {FORWARD_OF[test.function]} nor {test.function} matches the "
                           f"reference on this case, and agreeing with the numerical gradients of a wrong forward "
                           f"proves little ({test.output}).")


def forward_fails(tests: list[TestResult], function: str, case: str) -> bool:
    """Whether FUNCTION is a backward whose forward fails its output test on CASE."""
    return function in FORWARD_OF and any(
        not t.passed and t.function == FORWARD_OF[function] and t.category == "output" and t.case == case
        for t in tests)


def blame_forward(tests: list[TestResult]) -> None:
    """A backward that fails on a case where its own forward fails too is told to fix the forward first."""
    for test in tests:
        if test.passed or test.function not in FORWARD_OF or test.category not in ("reference", "numerical") \
                or not test.case:
            continue
        if forward_fails(tests, test.function, test.case):
            forward = FORWARD_OF[test.function]
            test.output += (f"\nNote: {forward} fails its own test on this case, and this backward works from "
                            f"its cache: fix {forward} first.")


def describe_notebook(report: dict) -> tuple[bool, str]:
    """Words for `inspect_notebook`'s report; passed when run, saved and completed (handin's findings).

    The findings name cells as the student sees them in Jupyter: the section
    heading above the cell and its first line.
    """
    if not report.get("valid") and not report.get("code_cells"):
        return False, f"not a usable notebook: {report.get('problem') or 'unreadable'}"
    problems = []
    if report.get("problem"):
        problems.append(f"damaged: {report['problem']}")
    problems += [finding["text"] for finding in report.get("findings") or []]
    if problems:
        return False, "\n".join(f"- {problem}" for problem in problems)
    return True, "ok: run, saved and completed (every code cell run, no errors, every stub and question filled in)"


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
             "tags": [t.function], "extra_data": {"function": t.function, "category": t.category, "case": t.case}}
            for t in tests
        ],
        "extra_data": {"submission": name, "seed": seed, "sandbox": sandbox_mode,
                       "function_scores": {f: round(s, 4) for f, s in functions.items()}},
    }
