"""The benchmarks are scripts, not tests, but what they build on must not rot unseen.

Each one imports (a moved or renamed module of the kit breaks it here, not on
the day someone measures), and bench_grading.py makes its class of submissions by text mutations of the
reference: after a reformat or an edit of solutions/, a mutation that no
longer applies would silently leave a "buggy" submission correct.
"""

from __future__ import annotations

import importlib
import sys

import pytest

from autograder import paths

sys.path.insert(0, str(paths.REPO_ROOT / "benchmarks"))
import bench_grading  # noqa: E402


def test_every_mutation_of_the_grading_benchmark_applies_to_the_reference():
    bench_grading.check_mutations()  # SystemExit naming the mutation otherwise


def test_the_mutation_check_can_fail(monkeypatch):
    monkeypatch.setattr(bench_grading, "MUTATIONS", [("conv.py", "text found nowhere", "", "a stale mutation")])
    with pytest.raises(SystemExit, match="a stale mutation"):
        bench_grading.check_mutations()


@pytest.mark.parametrize("script", sorted(p.stem for p in (paths.REPO_ROOT / "benchmarks").glob("*.py")))
def test_every_benchmark_imports(script):
    importlib.import_module(script)  # their work is under `if __name__ == "__main__"`
