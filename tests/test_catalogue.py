"""The grader against a catalogue of realistic student bugs and of correct alternatives.

Each variant in tests/catalogue/ is the reference with one function (or a few,
for correct variants) swapped; see tests/catalogue/__init__.py for the format.
All of them, plus the reference itself, are graded by the real grader in one
`grade_all(..., jobs=2)` call (sandboxed, every check as shipped), and:

- every bug loses points on each function in its LOSES and ALSO_AFFECTS, and
  keeps full marks on every other function;
- a failed test of the function shows the words in the bug's EXPECT;
- every correct variant, and the reference, gets full marks;
- a variant with XFAIL documents a known defect of the grader (a bug it does
  not catch, or a correct variant it marks down): its test must fail, strictly,
  so that the mark has to go once the grader is fixed.

Run: .venv/bin/python -m pytest tests/test_catalogue.py (about 2-3 minutes on 2 cores).
"""

from __future__ import annotations

import ast
from collections import defaultdict

import pytest
from catalogue import MODULES, load_variants, reference_source, top_level_functions, write_submission

from autograder.contract import GRADED_FUNCTIONS

VARIANTS = load_variants()
BUGS = [v for v in VARIANTS if v.kind == "bug"]
CORRECT = [v for v in VARIANTS if v.kind == "correct"]
REFERENCE = "reference"


def _param(variant):
    marks = [pytest.mark.xfail(strict=True, reason=variant.xfail)] if variant.xfail else []
    return pytest.param(variant, id=variant.name, marks=marks)


@pytest.fixture(scope="module")
def graded(catalogue_batch) -> dict[str, dict]:
    """results.json of every variant (and of the reference, as 'reference'), graded in one batch
    (conftest.py's catalogue_batch, shared with tests/test_diagnosis.py)."""
    return catalogue_batch


def _by_function(results: dict) -> tuple[dict[str, float], dict[str, float], dict[str, list[dict]]]:
    """Score, max score and tests of every graded function."""
    scores, maxima, tests = defaultdict(float), defaultdict(float), defaultdict(list)
    for test in results["tests"]:
        function = test["tags"][0] if test.get("tags") else test["name"].split(":")[0]
        scores[function] += test["score"]
        maxima[function] += test["max_score"]
        tests[function].append(test)
    return scores, maxima, tests


def _failures(tests: list[dict]) -> str:
    failed = [t for t in tests if t["status"] != "passed"]
    return (
        "\n".join(f"  - {t['name']} ({t['score']}/{t['max_score']}): {t['output'][:400]}" for t in failed) or "  none"
    )


# -- the catalogue itself --------------------------------------------------------------------


def test_catalogue_size_and_coverage():
    assert len(BUGS) >= 30 and len(CORRECT) >= 8, (len(BUGS), len(CORRECT))
    lose = {f for bug in BUGS for f in bug.loses}
    assert lose == set(GRADED_FUNCTIONS), f"graded functions no bug targets: {set(GRADED_FUNCTIONS) - lose}"


@pytest.mark.parametrize("variant", [pytest.param(v, id=v.name) for v in VARIANTS])
def test_submission_is_the_reference_but_for_its_functions(variant, tmp_path):
    folder = write_submission(variant, tmp_path)
    for module in MODULES:
        source = (folder / "layers" / f"{module}.py").read_text(encoding="utf-8")
        reference = reference_source(module)
        if module != variant.target:
            assert source == reference
            continue
        ours, theirs = top_level_functions(source), top_level_functions(reference)
        assert list(ours) == list(theirs), "the functions and their order are the reference's"
        for name in theirs:
            same = ast.dump(ours[name]) == ast.dump(theirs[name])
            assert same != (name in variant.functions), f"{name}: changed only if in FUNCTIONS"

        # Outside the functions, line for line the reference (docstring, imports, comments).
        def outside(text, defs):
            lines = text.splitlines()
            for node in sorted(defs.values(), key=lambda n: n.lineno, reverse=True):
                del lines[node.lineno - 1 : node.end_lineno]
            return lines

        assert outside(source, ours) == outside(reference, theirs)


# -- graded results ------------------------------------------------------------------------


def test_reference_gets_full_marks(graded):
    results = graded[REFERENCE]
    _, _, tests = _by_function(results)
    assert results["score"] == results["max_score"] == 100, "\n".join(
        f"{f}:\n{_failures(t)}" for f, t in tests.items() if f in GRADED_FUNCTIONS
    )


@pytest.mark.parametrize("variant", [_param(v) for v in CORRECT])
def test_correct_variant_gets_full_marks(graded, variant):
    results = graded[variant.name]
    assert not results["extra_data"].get("internal_error"), results["output"]
    scores, maxima, tests = _by_function(results)
    wrong = {f: (scores[f], maxima[f]) for f in GRADED_FUNCTIONS if scores[f] != maxima[f]}
    failed = [t["name"] for f in GRADED_FUNCTIONS for t in tests[f] if t["status"] != "passed"]
    assert not wrong and not failed, f"{variant.summary}\nlost points: {wrong}\n" + "\n".join(
        f"{f}:\n{_failures(tests[f])}" for f in wrong
    )
    assert results["score"] == results["max_score"]


@pytest.mark.parametrize("variant", [_param(v) for v in BUGS])
def test_bug_loses_points_where_expected(graded, variant):
    results = graded[variant.name]
    assert not results["extra_data"].get("internal_error"), results["output"]
    scores, maxima, tests = _by_function(results)
    affected = set(variant.loses) | set(variant.also_affects)
    for function in GRADED_FUNCTIONS:
        if function in affected:
            assert scores[function] < maxima[function], (
                f"{variant.summary}\n{function} kept {scores[function]}/{maxima[function]} points:\n"
                f"{_failures(tests[function])}"
            )
        else:
            assert scores[function] == maxima[function], (
                f"{variant.summary}\n{function} (not changed, not dependent) lost points: "
                f"{scores[function]}/{maxima[function]}\n{_failures(tests[function])}"
            )
    if variant.categories:
        stray = [
            t["name"]
            for f in variant.loses
            for t in tests[f]
            if t["status"] != "passed" and t["extra_data"]["category"] not in variant.categories
        ]
        assert not stray, f"{variant.summary}\nfailed outside {variant.categories}: {stray}"
    for function, words in variant.expect.items():
        outputs = [t["output"] for t in tests[function] if t["status"] != "passed"]
        assert any(words in output for output in outputs), (
            f"{variant.summary}\nno failed test of {function} says {words!r}; they say:\n{_failures(tests[function])}"
        )
