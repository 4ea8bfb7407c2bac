"""The student's whole path on Python 3.12 and 3.13 (the rest of the suite runs on the kit's 3.11).

For each interpreter: a virtual environment from the handout's
requirements.txt (the local pip cache, no network), then in a real released
handout with the reference modules: the self-check, one notebook executed by
Jupyter, collate.sh, and the kit grading the tarball. The environments are
kept under .venv/ (keyed by the interpreter and the requirements' SHA-256),
so only the first run pays for the installation.

An interpreter that is missing is a skip with its reason on a developer's
machine, and a failure under CI=true: CI must not pass without these runs.
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from conftest import autograder_command

REPO = Path(__file__).resolve().parents[1]
REQUIREMENTS = REPO / "autograder" / "handout" / "requirements.txt"
CACHE = REPO / ".venv"
PYTHONS = ("3.12", "3.13")
NOTEBOOK = "ConvolutionalLayers.ipynb"


def interpreter(version: str) -> Path | None:
    """pyenv's pythonX.Y (newest patch release), else one on PATH."""
    found = sorted(
        glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}")),
        key=lambda p: [int(part) for part in Path(p).parts[-3].split(".") if part.isdigit()],
    )
    if found:
        return Path(found[-1])
    on_path = shutil.which(f"python{version}")
    return Path(on_path) if on_path else None


def student_environment(version: str) -> Path:
    """A venv of `version` holding exactly the handout's requirements; built once, then reused."""
    python = interpreter(version)
    if python is None:
        message = (
            f"Python {version} not found (looked for ~/.pyenv/versions/{version}.*/bin/python{version} "
            f"and python{version} on PATH): install it (pyenv install {version})"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; under CI=true the student path must run on every supported Python")
        pytest.skip(message)
    key = hashlib.sha256(REQUIREMENTS.read_bytes() + str(python.resolve()).encode()).hexdigest()[:12]
    venv = CACHE / f"student-{version}-{key}"
    CACHE.mkdir(exist_ok=True)
    with open(CACHE / f"student-{version}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # pytest -n 2: one build per interpreter
        if not (venv / ".complete").exists():
            for stale in CACHE.glob(f"student-{version}-*"):  # older requirements or interpreter
                shutil.rmtree(stale, ignore_errors=True)
            subprocess.run([str(python), "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
            # The kit's pip installs into it (--python), without byte-compiling: half the time.
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "--python",
                    str(venv / "bin" / "python"),
                    "install",
                    "--disable-pip-version-check",
                    "--no-compile",
                    "-q",
                    "-r",
                    str(REQUIREMENTS),
                ],
                capture_output=True,
                text=True,
                timeout=1200,
            )
            assert done.returncode == 0, f"pip install -r requirements.txt on {version} failed:\n" + "\n".join(
                line for line in (done.stdout + done.stderr).splitlines() if "is ignored" not in line
            )
            (venv / ".complete").write_text(str(python) + "\n")
    return venv


def env_of(venv: Path) -> dict[str, str]:
    """A student's shell with the environment activated."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHON", "VIRTUAL_ENV", "BASH_ENV", "ENV") and not k.startswith("JUPYTER")
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["MPLBACKEND"] = "Agg"
    return env


@pytest.mark.parametrize("version", PYTHONS)
def test_student_path(version, handout, tmp_path):
    venv = student_environment(version)
    env = env_of(venv)
    python = str(venv / "bin" / "python")
    shown = subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert shown.stdout.strip() == version

    for module in ("conv.py", "norm.py"):
        shutil.copyfile(REPO / "solutions" / "layers" / module, handout / "layers" / module)

    check = subprocess.run(
        [python, "-m", "layers.selfcheck"], cwd=handout, env=env, capture_output=True, text=True, timeout=300
    )
    assert check.returncode == 0 and "15 ok, 0 not implemented, 0 to look at" in check.stdout, check.stdout

    # The first notebook, run by Jupyter from this environment as "Run All" would.
    run = subprocess.run(
        [
            python,
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--inplace",
            "--allow-errors",
            "--ExecutePreprocessor.timeout=600",
            NOTEBOOK,
        ],
        cwd=handout,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    notebook = json.loads((handout / NOTEBOOK).read_text(encoding="utf-8"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code" and "".join(cell["source"]).strip()]
    assert all(isinstance(cell.get("execution_count"), int) for cell in code)
    errors = [output for cell in code for output in cell.get("outputs", []) if output["output_type"] == "error"]
    # Only the notebook's own unfilled stub (and the cells that use it) may fail.
    assert {error["ename"] for error in errors} <= {"NotImplementedError"}, errors

    packed = subprocess.run(
        ["bash", "collate.sh", "ci"], cwd=handout, env=env, capture_output=True, text=True, timeout=600
    )
    assert packed.returncode == 0, packed.stdout + packed.stderr
    assert "the self-check passed: 15 ok" in packed.stdout
    assert "layers/conv.py: compiles" in packed.stdout  # layers/handin.py ran on this Python
    assert f"{NOTEBOOK}, section" in packed.stdout  # its unfilled stub, by section and first line
    tarball = handout / "ci_submission.tar.gz"
    with tarfile.open(tarball) as archive:
        assert {"layers/conv.py", "layers/norm.py", NOTEBOOK} <= set(archive.getnames())

    out = tmp_path / "graded"
    graded = subprocess.run(
        [*autograder_command(), "grade", str(tarball), "--out", str(out)], capture_output=True, text=True, timeout=1800
    )
    assert graded.returncode == 0, graded.stdout + graded.stderr
    results = json.loads((out / "ci_submission" / "results.json").read_text(encoding="utf-8"))
    assert results["score"] == results["max_score"] > 0
