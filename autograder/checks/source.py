"""Checks that read the student's source with `ast` (nothing is run).

- batchnorm_backward_alt must be its own closed form: it must not use
  batchnorm_backward, directly or through aliases and helpers (`structure_test`).
- layers/conv.py must not touch the interpreter's trace or profile hooks, which
  the vectorization check counts with (`guard_trace_hooks`).
"""

from __future__ import annotations

import ast
from pathlib import Path

from autograder.reports.results import TestResult

# Names whose mention in layers/conv.py means code that touches the trace hooks
# the vectorization check counts with.
TRACE_HOOKS = (
    "settrace",
    "setprofile",
    "gettrace",
    "getprofile",
    "monitoring",
    "PyEval_SetTrace",
    "PyEval_SetProfile",
    "settrace_all_threads",
    "setprofile_all_threads",
    "LineCounter",
    "vectorization",
)
# The function that must be a closed form of its own, and the one it must not use.
CLOSED_FORM, FORBIDDEN = "batchnorm_backward_alt", "batchnorm_backward"


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


def guard_trace_hooks(source: str | None, tests: list[TestResult]) -> None:
    """No vectorization credit (TESTS changed in place) for a conv.py SOURCE that mentions the
    interpreter's trace hooks."""
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
                    test.output = (
                        f"layers/conv.py line {line} uses {name or node.name}: code that touches "
                        "the interpreter's trace or profile hooks (which the vectorization check "
                        "counts with) gets no vectorization credit."
                    )
            return


def structure_test(norm_py: Path | None, tests: list[TestResult], visibility: str) -> TestResult:
    """Whether batchnorm_backward_alt in NORM_PY (None: not submitted) is its own closed form;
    credited only once its gradients match the reference on a case (in TESTS)."""
    check = f"own closed form (checked by reading your code: it must not call {FORBIDDEN})"

    def test(passed: bool, output: str) -> TestResult:
        return TestResult(CLOSED_FORM, "structure", check, passed, output, visibility)

    if norm_py is None:
        return test(False, "layers/norm.py is missing.")
    try:
        line = calls_function(norm_py.read_text(encoding="utf-8"), CLOSED_FORM, FORBIDDEN)
    except (SyntaxError, ValueError, UnicodeDecodeError, MemoryError, RecursionError) as error:
        return test(False, f"layers/norm.py cannot be read as Python: {type(error).__name__} {error}")
    if line is not None:
        return test(
            False,
            f"layers/norm.py line {line}: {CLOSED_FORM} calls {FORBIDDEN}; derive the compact formula for dx instead.",
        )
    if not any(t.passed for t in tests if t.function == CLOSED_FORM and t.category == "reference"):
        return test(False, "not credited until its gradients match the reference on at least one case.")
    return test(True, f"ok: does not call {FORBIDDEN}")
