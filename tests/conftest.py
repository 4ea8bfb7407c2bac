"""Shared pieces of the kit's tests."""
from __future__ import annotations

import shutil
import subprocess
import sys
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
    result = subprocess.run([*autograder_command(), "release", "--out", str(out)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"autograder release failed:\n{result.stdout}\n{result.stderr}"
    return out


@pytest.fixture
def handout(released_handout, tmp_path) -> Path:
    """A fresh, writable copy of the released handout (modification times kept)."""
    target = tmp_path / "handout"
    shutil.copytree(released_handout, target)
    return target
