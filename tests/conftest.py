"""Shared pieces of the kit's tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest


def autograder_command() -> list[str]:
    """The installed console script next to this Python (.venv/bin/autograder), else `python -m`."""
    script = Path(sys.executable).parent / "autograder"
    return [str(script)] if script.exists() else [sys.executable, "-m", "autograder"]


@pytest.fixture(scope="session")
def released_handout(tmp_path_factory) -> Path:
    """One real `autograder release --out DIR` per test process (nbgrader makes it take ~15 s).

    Read-only: a test that changes files copies it first.
    """
    out = tmp_path_factory.mktemp("release") / "handout"
    result = subprocess.run(
        [*autograder_command(), "release", "--out", str(out)], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"autograder release failed:\n{result.stdout}\n{result.stderr}"
    return out


@pytest.fixture
def handout(released_handout, tmp_path) -> Path:
    """A fresh, writable copy of the released handout (modification times kept)."""
    target = tmp_path / "handout"
    shutil.copytree(released_handout, target)
    return target


@pytest.fixture(scope="session")
def catalogue_batch(tmp_path_factory) -> dict[str, dict]:
    """results.json of every variant of tests/catalogue/ (and of the reference, as 'reference'),
    graded by the real grader in one `grade_all(..., jobs=2)` batch; shared by test_catalogue.py and
    test_diagnosis.py, so a run of both grades once: across pytest-xdist workers too (the first
    worker grades under a file lock and leaves the results as JSON; the other reads them)."""
    import fcntl
    import json

    # The same folder for every worker of one run (a worker's base is popen-gwN inside it).
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    results = shared / "catalogue-batch.json"
    with open(shared / "catalogue-batch.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not results.exists():
            rows = _grade_catalogue(tmp_path_factory.mktemp("catalogue"))
            temporary = results.with_suffix(".tmp")
            temporary.write_text(json.dumps(rows), encoding="utf-8")
            temporary.replace(results)
        return json.loads(results.read_text(encoding="utf-8"))


def _grade_catalogue(root: Path) -> dict[str, dict]:
    from catalogue import MODULES, load_variants, reference_source, write_submission

    from autograder.batch import grade_all
    from autograder.rubric import load_rubric

    submissions = [write_submission(v, root / "submissions") for v in load_variants()]
    reference = root / "submissions" / "reference" / "layers"
    reference.mkdir(parents=True)
    for module in MODULES:
        (reference / f"{module}.py").write_text(reference_source(module), encoding="utf-8")
    rubric = load_rubric()  # the shipped rubric: every check runs as in a real batch
    started = time.monotonic()
    rows = grade_all(submissions + [reference.parent], root / "out", jobs=2, rubric=rubric)
    elapsed = time.monotonic() - started
    print(f"\ngraded {len(rows)} submissions in {elapsed:.0f} s")
    return dict(rows)
