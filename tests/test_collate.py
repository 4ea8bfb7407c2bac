"""`bash collate.sh` in a real released handout (SPEC section 2, issue 5).

Every test runs the real script in a fresh copy of a handout written by
`autograder release --out TMP`, as a student would: with the reference
solutions copied in, untouched, broken in various ways, run twice, from another
folder, from a path with spaces, without Python, without sha256sum, under
BASH_COMPAT=3.2. Grading of the tarballs uses `autograder grade`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
from conftest import autograder_command

from autograder.contract import GRADED_FUNCTIONS

REPO = Path(__file__).resolve().parents[1]
SOLUTION_LAYERS = REPO / "solutions" / "layers"
STUDENT_FILES = ("layers/conv.py", "layers/norm.py")
# The graded functions (SPEC section 1; tests/test_selfcheck.py ties the contract to a literal list).
FUNCTIONS = GRADED_FUNCTIONS
KEPT_NAME = re.compile(r"^(?P<base>.+)\.\d{8}-\d{6}(-\d+)?\.tar\.gz$")


def student_env(**extra: str) -> dict[str, str]:
    """The environment of a student whose Python environment (with numpy) is active."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHON", "BASH_ENV", "ENV")}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env


def put_reference(root: Path) -> None:
    for name in STUDENT_FILES:
        shutil.copyfile(SOLUTION_LAYERS / Path(name).name, root / name)


def collate(
    root: Path,
    *args: str,
    cwd: Path | None = None,
    script: str | None = None,
    env: dict[str, str] | None = None,
    shell: str = "bash",
) -> subprocess.CompletedProcess:
    """Run collate.sh: by default `bash collate.sh ARGS` in the handout root."""
    command = [shell, script if script is not None else "collate.sh", *args]
    result = subprocess.run(
        command,
        cwd=cwd or root,
        env=env or student_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    result.output = result.stdout + result.stderr  # type: ignore[attr-defined]
    return result


def notebooks_in(root: Path) -> list[str]:
    return sorted(p.name for p in root.glob("*.ipynb"))


def spec_members(root: Path) -> set[str]:
    """SPEC section 2: the two student modules and the notebooks at the top, nothing else."""
    return set(STUDENT_FILES) | set(notebooks_in(root))


def tar_members(tarball: Path) -> dict[str, bytes]:
    with tarfile.open(tarball, "r:gz") as archive:
        members = archive.getmembers()
        for member in members:
            assert member.isfile(), f"{member.name} is not a regular file"
        return {m.name: archive.extractfile(m).read() for m in members}


def snapshot(root: Path) -> dict[str, tuple]:
    """Every file and folder under root with its content hash and modification time."""
    state = {}
    for path in sorted(root.rglob("*")):
        key = path.relative_to(root).as_posix()
        if path.is_dir():
            state[key] = ("dir",)
        else:
            state[key] = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
    return state


def tarballs(root: Path) -> list[str]:
    return sorted(p.name for p in root.glob("*.tar.gz"))


def ensure_notebook(root: Path) -> str:
    """A notebook of the handout to play with; one is made (and listed in the manifest) if none was released."""
    existing = notebooks_in(root)
    if existing:
        return existing[0]
    name = "Exercise.ipynb"
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Exercise"]},
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": ["from layers.conv import conv_forward_naive\n"],
            },
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": ["print('hello')\n"],
            },
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (root / name).write_text(json.dumps(notebook, indent=1) + "\n", encoding="utf-8")
    digest = hashlib.sha256((root / name).read_bytes()).hexdigest()
    with open(root / "MANIFEST.sha256", "a", encoding="utf-8") as manifest:
        manifest.write(f"{digest}  {name}\n")
    return name


def run_notebook(root: Path, name: str, cells: int | None = None) -> None:
    """Mark the first `cells` non-empty code cells (all by default) as run, with an output."""
    path = root / name
    notebook = json.loads(path.read_text(encoding="utf-8"))
    count = 0
    for cell in notebook["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] != "code" or not source.strip():
            continue
        if cells is not None and count >= cells:
            break
        count += 1
        cell["execution_count"] = count
        cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["ran\n"]}]
    path.write_text(json.dumps(notebook, indent=1) + "\n", encoding="utf-8")


def code_cell_count(root: Path, name: str) -> int:
    notebook = json.loads((root / name).read_text(encoding="utf-8"))
    return sum(
        1
        for cell in notebook["cells"]
        if cell["cell_type"] == "code"
        and ("".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]).strip()
    )


def run_all_notebooks(root: Path) -> None:
    for name in notebooks_in(root):
        run_notebook(root, name)


def complete_notebooks(root: Path) -> None:
    """Fill every code stub and answer every question of the released notebooks, then mark them run."""
    for name in notebooks_in(root):
        path = root / name
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            if meta.get("solution") and cell["cell_type"] == "code":
                cell["source"] = source.replace("raise NotImplementedError()", "pass  # my code")
            elif meta.get("solution"):
                cell["source"] = "Because the running averages follow the batches."
        path.write_text(json.dumps(notebook, indent=1) + "\n", encoding="utf-8")
        run_notebook(root, name)


def edit_notebook(root: Path, name: str, change) -> None:
    """Apply `change(notebook dict)` to ROOT/NAME and save it."""
    path = root / name
    notebook = json.loads(path.read_text(encoding="utf-8"))
    change(notebook)
    path.write_text(json.dumps(notebook, indent=1) + "\n", encoding="utf-8")


def grade(tarball: Path, out: Path) -> tuple[dict, str]:
    """`autograder grade TARBALL --out OUT`; return results.json and all text meant for the student."""
    result = subprocess.run(
        [*autograder_command(), "grade", str(tarball), "--out", str(out)], capture_output=True, text=True, timeout=1800
    )
    assert result.returncode == 0, f"autograder grade failed:\n{result.stdout}\n{result.stderr}"
    name = tarball.name[: -len(".tar.gz")]
    results_file = out / name / "results.json"
    assert results_file.is_file(), f"no {results_file}; grade printed:\n{result.stdout}\n{result.stderr}"
    results = json.loads(results_file.read_text(encoding="utf-8"))
    feedback = out / name / "feedback.md"
    text = "\n".join(str(test.get("output", "")) for test in results.get("tests", []))
    text += "\n" + (feedback.read_text(encoding="utf-8") if feedback.exists() else "")
    return results, text


def assert_final_report(output: str, tarball: Path, root: Path) -> None:
    """The end of the output names the tarball, its members with sizes and its SHA-256."""
    assert f"Wrote {tarball}" in output
    for member in tar_members(tarball):
        size = (root / member).stat().st_size
        assert re.search(rf"^\s+{size}\s+{re.escape(member)}$", output, re.M), f"no size line for {member}"
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    assert f"SHA-256: {digest}" in output


# ------------------------------------------------------------ the happy path


@pytest.mark.parametrize("compat", [None, "3.2"], ids=["bash", "BASH_COMPAT=3.2"])
def test_reference_solutions_pack_exactly_the_spec_members(handout, compat):
    put_reference(handout)
    complete_notebooks(handout)
    before = snapshot(handout)
    env = student_env(BASH_COMPAT=compat) if compat else student_env()
    result = collate(handout, "jdoe123", env=env)
    assert result.returncode == 0, result.output
    tarball = handout / "jdoe123_submission.tar.gz"
    members = tar_members(tarball)
    assert set(members) == spec_members(handout)
    for name, content in members.items():
        assert not name.startswith(("./", "/")) and ".." not in name.split("/")
        assert content == (handout / name).read_bytes()
    # Nothing else in the folder changed: no .pyc, no __pycache__, no temporary file.
    after = snapshot(handout)
    assert set(after) - set(before) == {tarball.name}
    assert {k: v for k, v in after.items() if k != tarball.name} == before
    # The self-check ran and found every function fine.
    for function in FUNCTIONS:
        assert f"{function}: ok" in result.stdout, result.stdout
    assert re.search(r"ok\s+the self-check passed: 15 ok, 0 not implemented, 0 to look at", result.stdout)
    for name in notebooks_in(handout):
        assert re.search(rf"ok\s+{re.escape(name)}: run, saved and completed", result.stdout), result.stdout
    assert "WARNING" not in result.output, result.output
    assert_final_report(result.stdout, tarball, handout)


def test_reference_submission_gets_full_marks(handout, tmp_path):
    put_reference(handout)
    run_all_notebooks(handout)
    result = collate(handout, "jdoe123")
    assert result.returncode == 0, result.output
    results, _ = grade(handout / "jdoe123_submission.tar.gz", tmp_path / "graded")
    assert results["max_score"] > 0
    assert results["score"] == results["max_score"], json.dumps(results, indent=1)[:4000]


def warnings_of(output: str) -> list[str]:
    """The WARNING lines collate.sh printed while checking (not the summary box at the end)."""
    return [line.split("WARNING", 1)[1].strip() for line in output.splitlines() if line.startswith("  WARNING")]


def test_layers_done_but_notebook_stubs_untouched_warns_exactly_what_the_grader_reports(handout, tmp_path):
    """Issue 12: every layer done, notebooks run, inline code cells and questions untouched."""
    put_reference(handout)
    run_all_notebooks(handout)
    name = "BatchNormalization.ipynb"
    result = collate(handout, "jdoe123")
    assert result.returncode == 0, result.output
    warned = warnings_of(result.stdout)
    assert (
        f'{name}, section "7. A conv - batchnorm - ReLU block": the code cell starting "def conv_bn_relu_forward(x, '
        f'w, b, gamma, beta, conv_param, bn_param):" is still to fill in (it is as handed out)' in warned
    ), warned
    assert (
        f'{name}, section "Question 1 (graded by hand, 2 points)": the answer cell still says "YOUR ANSWER HERE": '
        f"write your answer there" in warned
    ), warned
    assert "bn-block-stub" not in result.output and "bn-question" not in result.output
    assert "Upload this file" in result.stdout  # packed anyway, with the warnings repeated above it
    assert re.search(r"!! \d+ WARNING\(S\)", result.stdout)

    results, _ = grade(handout / "jdoe123_submission.tar.gz", tmp_path / "graded")
    report = next(t for t in results["tests"] if t["name"].startswith(f"notebooks: {name}"))
    assert report["status"] == "failed"
    graded = [line[2:] for line in report["output"].splitlines()]
    assert graded and all(f"{name}, {line}" in warned for line in graded if line.startswith("section")), (
        graded,
        warned,
    )
    assert "bn-block-stub" not in report["output"]


def test_a_cell_error_deleted_cells_and_lost_metadata_are_warnings(handout):
    put_reference(handout)
    complete_notebooks(handout)
    name = "LayerGroupInstanceNorm.ipynb"

    def damage(notebook):
        cells = notebook["cells"]
        code = next(c for c in cells if c.get("id") == "lgin-groupnorm-check")
        code["outputs"] = [
            {"output_type": "error", "ename": "ValueError", "evalue": "cannot reshape array", "traceback": []}
        ]
        notebook["cells"] = [c for c in cells if c.get("id") != "lgin-axes-figure"]
        experiment = next(c for c in notebook["cells"] if c.get("id") == "lgin-experiment-stub")
        experiment["metadata"] = {}

    edit_notebook(handout, name, damage)
    result = collate(handout, "jdoe123")
    assert result.returncode == 0, result.output
    warned = "\n".join(warnings_of(result.stdout))
    assert re.search(
        rf'{name}, section "3. Group normalization": the code cell starting "[^"]+" shows an error '
        r"\(ValueError: cannot reshape array\)",
        warned,
    ), warned
    assert (
        f'{name}, section "1. Which values share one mean and variance?": the code cell starting '
        f'"from itertools import product" is missing (deleted, or its metadata was lost' in warned
    ), warned
    assert re.search(
        rf'{name}, section "5. Experiment: the batch size": the code cell starting "def '
        r'run_batch_size_experiment\([^"]*" is missing',
        warned,
    ), warned

    edit_notebook(handout, name, lambda notebook: notebook["metadata"].clear())
    result = collate(handout, "jdoe123")
    assert re.search(rf"WARNING\s+{re.escape(name)} has lost its record of the released cells", result.stdout)


def test_a_failing_self_check_is_a_warning(handout):
    put_reference(handout)
    complete_notebooks(handout)
    with open(handout / "layers" / "norm.py", "a", encoding="utf-8") as module:
        module.write("\n\ndef layernorm_forward(x, gamma, beta, ln_param):\n    raise NotImplementedError\n")
    result = collate(handout, "jdoe123")
    assert result.returncode == 0, result.output
    assert re.search(
        r"WARNING\s+the self-check did not pass \(13 ok, 1 not implemented, 1 to look at "
        r"\(\d+\.\d s\)\): fix what it reports above",
        result.stdout,
    ), result.stdout


def test_default_name_without_student_id(handout):
    put_reference(handout)
    result = collate(handout)
    assert result.returncode == 0, result.output
    assert tarballs(handout) == ["submission.tar.gz"]
    assert set(tar_members(handout / "submission.tar.gz")) == spec_members(handout)
    assert "no student id given" in result.stdout


# ---------------------------------------------------------------- untouched


def test_untouched_handout_warns_loudly_and_still_packs(handout):
    result = collate(handout, "jdoe123")
    assert result.returncode == 0, result.output
    for name in STUDENT_FILES:
        assert re.search(rf"WARNING\s+{re.escape(name)} is UNCHANGED", result.stdout), result.stdout
    for name in notebooks_in(handout):
        assert re.search(rf"WARNING\s+{re.escape(name)} is UNCHANGED", result.stdout), result.stdout
    assert "WARNING(S): packed anyway" in result.stdout
    for function in FUNCTIONS:
        assert f"{function}: NOT IMPLEMENTED" in result.stdout
    assert set(tar_members(handout / "jdoe123_submission.tar.gz")) == spec_members(handout)


def test_untouched_submission_grades_zero_with_not_implemented(handout, tmp_path):
    result = collate(handout, "jdoe123")
    assert result.returncode == 0, result.output
    results, text = grade(handout / "jdoe123_submission.tar.gz", tmp_path / "graded")
    assert results["max_score"] > 0
    assert results["score"] == 0
    assert "not implemented" in text.lower(), text[:4000]


# ------------------------------------------------------------ broken files


@pytest.mark.parametrize(
    "module, broken",
    [
        ("layers/norm.py", "def broken(:\n    pass\n"),
        ("layers/conv.py", "def indented():\n    x = 1\n      y = 2\n"),
    ],
)
def test_syntax_error_stops_with_file_and_line(handout, module, broken):
    put_reference(handout)
    path = handout / module
    first_bad_line = len(path.read_text(encoding="utf-8").splitlines()) + 1
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(broken)
    bad_line = first_bad_line + (0 if "broken(" in broken else 2)
    before = snapshot(handout)
    result = collate(handout, "jdoe123")
    assert result.returncode == 1, result.output
    assert f"{module}:{bad_line}" in result.output, result.output
    assert "NOT PACKED" in result.stderr
    assert tarballs(handout) == []
    assert snapshot(handout) == before


@pytest.mark.parametrize("missing", ["layers/conv.py", "layers/norm.py", "notebook"])
def test_missing_file_stops_and_says_what_to_do(handout, missing):
    put_reference(handout)
    if missing == "notebook":
        missing = ensure_notebook(handout)
    (handout / missing).unlink()
    before = snapshot(handout)
    result = collate(handout, "jdoe123")
    assert result.returncode == 1, result.output
    assert f"{missing} is missing" in result.output
    assert "Nothing was written" in result.stderr
    assert tarballs(handout) == []
    assert snapshot(handout) == before


def test_empty_module_stops(handout):
    put_reference(handout)
    (handout / "layers/conv.py").write_text("", encoding="utf-8")
    result = collate(handout, "jdoe123")
    assert result.returncode == 1, result.output
    assert "layers/conv.py is empty" in result.output
    assert tarballs(handout) == []


# ---------------------------------------------------------------- notebooks


def test_unrun_notebook_is_a_loud_warning(handout):
    put_reference(handout)
    name = ensure_notebook(handout)
    # Changed (so not "unchanged"), but still without any output.
    notebook = json.loads((handout / name).read_text(encoding="utf-8"))
    notebook["cells"].append({"cell_type": "markdown", "metadata": {}, "source": ["my answer"]})
    (handout / name).write_text(json.dumps(notebook), encoding="utf-8")
    result = collate(handout, "jdoe123")
    assert result.returncode == 0, result.output
    assert re.search(rf"WARNING\s+{re.escape(name)} has NOT BEEN RUN", result.stdout), result.stdout
    assert name in tar_members(handout / "jdoe123_submission.tar.gz")


def test_partly_run_notebook_is_a_warning_and_a_run_one_is_ok(handout):
    put_reference(handout)
    name = ensure_notebook(handout)
    total = code_cell_count(handout, name)
    assert total >= 2, "the test needs a notebook with two code cells"
    run_notebook(handout, name, cells=total - 1)
    result = collate(handout, "jdoe123")
    assert result.returncode == 0, result.output
    assert re.search(
        rf"WARNING\s+{re.escape(name)} 1 of {total} code cells have not been run \(or not saved "
        rf"after running\): section \"[^\"]+\": the code cell starting \"",
        result.stdout,
    ), result.stdout
    complete_notebooks(handout)
    result = collate(handout, "jdoe123")
    assert result.returncode == 0, result.output
    assert re.search(rf"ok\s+{re.escape(name)}: run, saved and completed", result.stdout), result.stdout
    assert f"WARNING  {name}" not in result.stdout


def test_notebook_saved_before_the_latest_code_change_gets_a_note(handout):
    name = ensure_notebook(handout)
    run_notebook(handout, name)
    put_reference(handout)
    old = time.time() - 3600
    os.utime(handout / name, (old, old))
    result = collate(handout, "jdoe123")
    assert result.returncode == 0, result.output
    assert f"{name} was saved before your latest change to layers/" in result.stdout


def test_invalid_notebook_stops(handout):
    put_reference(handout)
    name = ensure_notebook(handout)
    (handout / name).write_text('{"cells": [', encoding="utf-8")
    result = collate(handout, "jdoe123")
    assert result.returncode == 1, result.output
    assert f"{name}: not a JSON file (" in result.output
    assert tarballs(handout) == []


def test_extra_notebook_with_spaces_is_packed_at_the_top(handout):
    put_reference(handout)
    run_all_notebooks(handout)
    shutil.copyfile(handout / ensure_notebook(handout), handout / "My own notes.ipynb")
    run_notebook(handout, "My own notes.ipynb")
    result = collate(handout, "jdoe123")
    assert result.returncode == 0, result.output
    members = tar_members(handout / "jdoe123_submission.tar.gz")
    assert "My own notes.ipynb" in members
    assert set(members) == spec_members(handout)
    assert "My own notes.ipynb is not a notebook of the handout" in result.stdout


# -------------------------------------------------------- never destroys work


@pytest.mark.parametrize("compat", [None, "3.2"], ids=["bash", "BASH_COMPAT=3.2"])
def test_running_twice_keeps_the_first_tarball(handout, compat):
    env = student_env(BASH_COMPAT=compat) if compat else student_env()
    put_reference(handout)
    assert collate(handout, "jdoe123", env=env).returncode == 0
    first = (handout / "jdoe123_submission.tar.gz").read_bytes()
    (handout / "layers/conv.py").write_text(
        (handout / "layers/conv.py").read_text(encoding="utf-8") + "\n# second version\n", encoding="utf-8"
    )
    second_run = collate(handout, "jdoe123", env=env)
    assert second_run.returncode == 0, second_run.output
    third_run = collate(handout, "jdoe123", env=env)  # most likely within the same second
    assert third_run.returncode == 0, third_run.output
    names = tarballs(handout)
    assert len(names) == 3 and "jdoe123_submission.tar.gz" in names
    kept = [n for n in names if n != "jdoe123_submission.tar.gz"]
    assert all(KEPT_NAME.match(n) and KEPT_NAME.match(n)["base"] == "jdoe123_submission" for n in kept)
    contents = {n: (handout / n).read_bytes() for n in names}
    assert first in [contents[n] for n in kept], "the first tarball was not kept"
    assert b"# second version" in tar_members(handout / "jdoe123_submission.tar.gz")["layers/conv.py"]
    assert "was kept as" in second_run.stdout and "was kept as" in third_run.stdout


# ------------------------------------------------------------ where it runs


def test_runs_from_another_working_directory(handout, tmp_path):
    put_reference(handout)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = collate(handout, "jdoe123", cwd=elsewhere, script=str(handout / "collate.sh"))
    assert result.returncode == 0, result.output
    assert list(elsewhere.iterdir()) == []
    assert set(tar_members(handout / "jdoe123_submission.tar.gz")) == spec_members(handout)
    relative = collate(handout, "jdoe123", cwd=elsewhere, script="../handout/collate.sh")
    assert relative.returncode == 0, relative.output
    assert list(elsewhere.iterdir()) == []
    assert len(tarballs(handout)) == 2


def test_runs_from_a_path_with_spaces(released_handout, tmp_path):
    root = tmp_path / "my course" / "hand out (week 5)"
    shutil.copytree(released_handout, root)
    put_reference(root)
    run_all_notebooks(root)
    result = collate(root, "jdoe123")
    assert result.returncode == 0, result.output
    tarball = root / "jdoe123_submission.tar.gz"
    assert set(tar_members(tarball)) == spec_members(root)
    assert_final_report(result.stdout, tarball, root)
    again = collate(root, "jdoe123", cwd=tmp_path, script=str(root / "collate.sh"))
    assert again.returncode == 0, again.output
    assert len(tarballs(root)) == 2


def test_explains_the_wrong_place(tmp_path, released_handout):
    lonely = tmp_path / "Downloads"
    lonely.mkdir()
    shutil.copyfile(released_handout / "collate.sh", lonely / "collate.sh")
    result = collate(lonely, "jdoe123")
    assert result.returncode == 2
    assert "no layers/ folder next to collate.sh" in result.stderr
    assert "not the handout folder" in result.stderr
    assert list(lonely.iterdir()) == [lonely / "collate.sh"]


def test_refuses_a_shell_other_than_bash(handout):
    shell = shutil.which("dash") or "sh"
    result = collate(handout, "jdoe123", shell=shell)
    if result.returncode == 0:  # sh is bash here (as on macOS): it simply works
        assert tarballs(handout) == ["jdoe123_submission.tar.gz"]
    else:
        assert result.returncode == 2
        assert "run it with bash" in result.stderr
        assert tarballs(handout) == []


# ------------------------------------------------------------------ arguments


@pytest.mark.parametrize("bad", ["bad id", "../x", "a/b", "jd\u00f6e", "-", ".hidden", "x" * 65, "", "a;rm"])
def test_invalid_student_ids_are_refused(handout, bad):
    result = collate(handout, bad)
    assert result.returncode == 2, result.output
    assert "not a valid STUDENT_ID" in result.stderr or "unknown option" in result.stderr
    assert tarballs(handout) == []


@pytest.mark.parametrize("good", ["jdoe123", "J.Doe-2_x", "12345678"])
def test_valid_student_ids_name_the_tarball(handout, good):
    put_reference(handout)
    result = collate(handout, good)
    assert result.returncode == 0, result.output
    assert tarballs(handout) == [f"{good}_submission.tar.gz"]


def test_help_and_extra_arguments(handout):
    shown = collate(handout, "--help")
    assert shown.returncode == 0 and "Usage: bash collate.sh [STUDENT_ID]" in shown.stdout
    two = collate(handout, "a", "b")
    assert two.returncode == 2 and "at most one STUDENT_ID" in two.stderr
    assert tarballs(handout) == []


# ------------------------------------------------------------- portability


def test_shellcheck_finds_nothing():
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.fail("shellcheck is not installed (apt-get install -y shellcheck; .ci/run installs it)")
    result = subprocess.run(
        [shellcheck, "--shell=bash", "collate.sh"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


def test_collate_avoids_bash4_and_gnu_only_constructs():
    """What shellcheck cannot see: bash 3.2 (macOS) and BSD tar must work too."""
    source = (REPO / "collate.sh").read_text(encoding="utf-8")
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#"))
    for construct in (
        "declare -A",
        "local -A",
        "mapfile",
        "readarray",
        ",,}",
        "^^}",
        "|&",
        "&>>",
        ";;&",
        "coproc",
        "${EPOCHSECONDS",
        "wait -n",
        "printf '%(",
        "--owner",
        "--numeric-owner",
        "--sort=",
        "--transform",
        "--mtime",
        "sha256sum -",
        "stat -c",
        "readlink -f",
        "[[ -v",
        "test -v",
        "[ -v",
    ):
        assert construct not in code, f"collate.sh uses {construct!r}"
    # Empty arrays under `set -u` fail in bash < 4.4 unless expanded as ${a[@]+"${a[@]}"}.
    assert "set -u" in code


def tool_dir(tmp_path: Path, leave_out: tuple[str, ...]) -> Path:
    """A PATH folder with the tools collate.sh uses, minus `leave_out`."""
    tools = (
        "bash",
        "sh",
        "tar",
        "gzip",
        "sha256sum",
        "shasum",
        "openssl",
        "mktemp",
        "rm",
        "mv",
        "date",
        "wc",
        "grep",
        "sed",
        "tr",
        "cut",
        "cat",
        "git",
        "timeout",
        "python3",
        "python",
        "perl",
    )
    folder = tmp_path / "bin"
    folder.mkdir()
    search = student_env()["PATH"]
    for tool in tools:
        if tool in leave_out:
            continue
        found = shutil.which(tool, path=search)
        if found:
            (folder / tool).symlink_to(found)
    return folder


def test_works_without_python(handout, tmp_path):
    bin_dir = tool_dir(tmp_path, leave_out=("python3", "python"))
    name = ensure_notebook(handout)
    put_reference(handout)
    result = collate(handout, "jdoe123", env=student_env(PATH=str(bin_dir)))
    assert result.returncode == 0, result.output
    assert "Python was not found" in result.stdout
    assert "self-check was skipped" in result.stdout
    assert re.search(rf"WARNING\s+{re.escape(name)} is UNCHANGED", result.stdout)
    tarball = handout / "jdoe123_submission.tar.gz"
    assert set(tar_members(tarball)) == spec_members(handout)
    assert_final_report(result.stdout, tarball, handout)


def test_works_without_sha256sum(handout, tmp_path):
    bin_dir = tool_dir(tmp_path, leave_out=("sha256sum",))
    result = collate(handout, "jdoe123", env=student_env(PATH=str(bin_dir)))
    assert result.returncode == 0, result.output
    assert re.search(r"WARNING\s+layers/conv.py is UNCHANGED", result.stdout), result.stdout
    assert_final_report(result.stdout, handout / "jdoe123_submission.tar.gz", handout)


# ----------------------------------------------------------------------- git


def test_git_state_is_information_only_and_untouched(handout):
    def git(*args: str) -> None:
        subprocess.run(
            [
                "git",
                "-c",
                "user.name=Student",
                "-c",
                "user.email=s@example.org",
                "-c",
                "init.defaultBranch=main",
                *args,
            ],
            cwd=handout,
            check=True,
            capture_output=True,
            timeout=60,
        )

    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "handout")
    put_reference(handout)
    before = snapshot(handout)
    result = collate(handout, "jdoe123")
    assert result.returncode == 0, result.output
    assert "git: 2 of the files to submit are not committed" in result.stdout
    after = snapshot(handout)
    assert {k: v for k, v in after.items() if k != "jdoe123_submission.tar.gz"} == before


def test_works_with_bsd_tar(handout, tmp_path):
    """macOS's tar is bsdtar (libarchive): same members, no extended-attribute headers."""
    bsdtar = shutil.which("bsdtar")
    if bsdtar is None:
        pytest.fail("bsdtar is not installed (apt-get install -y libarchive-tools; dev/setup.sh should install it)")
    shim = tmp_path / "bsd"
    shim.mkdir()
    (shim / "tar").symlink_to(bsdtar)
    put_reference(handout)
    env = student_env()
    env["PATH"] = str(shim) + os.pathsep + env["PATH"]
    result = collate(handout, "jdoe123", env=env)
    assert result.returncode == 0, result.output
    tarball = handout / "jdoe123_submission.tar.gz"
    assert set(tar_members(tarball)) == spec_members(handout)
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive.getmembers():
            assert not any(key.startswith(("LIBARCHIVE.", "SCHILY.xattr")) for key in member.pax_headers), (
                member.pax_headers
            )
    assert_final_report(result.stdout, tarball, handout)
