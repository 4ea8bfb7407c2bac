"""The grade command end to end: reference, stubs, determinism, outputs (SPEC section 3)."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from autograder import paths
from autograder.batch import grade_all, unique_names
from autograder.checks.source import calls_function
from autograder.contract import GRADED_FUNCTIONS
from autograder.isolation.probe import detect_sandbox
from autograder.rubric import load_rubric


def make_submission(folder: Path, source_dir: Path) -> Path:
    (folder / "layers").mkdir(parents=True)
    for module in paths.STUDENT_MODULES:
        shutil.copyfile(source_dir / module, folder / "layers" / module)
    return folder


def make_tarball(path: Path, folder: Path) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for module in paths.STUDENT_MODULES:
            archive.add(folder / "layers" / module, arcname=f"layers/{module}")
    return path


def without_timing(results: dict) -> dict:
    """results.json minus what legitimately varies between runs: the time it took."""
    copy = json.loads(json.dumps(results))
    copy.pop("execution_time", None)
    return copy


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("grade")
    reference = make_submission(root / "reference", paths.SOLUTION_LAYERS_DIR)
    tarball = make_tarball(root / "reference_tar.tar.gz", reference)
    stubs = make_submission(root / "stubs", paths.ASSIGNMENT_DIR / "layers")
    out = root / "out"
    rows = dict(grade_all([reference, tarball, stubs], out, jobs=2))
    return root, out, rows


def test_bubblewrap_sandbox_is_in_use():
    # CI installs bubblewrap (dev/setup.sh); the strong mode must really work there.
    sandbox = detect_sandbox()
    assert sandbox.mode == "bubblewrap", sandbox.warning


def test_reference_scores_full_marks(graded):
    _, _, rows = graded
    results = rows["reference"]
    assert results["score"] == results["max_score"] == 100
    failed = [t["name"] for t in results["tests"] if t["status"] != "passed" and not t["name"].startswith("notebooks")]
    assert not failed
    # No notebooks in this submission: reported, worth 0 points in the shipped rubric.
    notebooks = [t for t in results["tests"] if t["name"].startswith("notebooks")]
    assert notebooks and all(t["max_score"] == 0 and "was not submitted" in t["output"] for t in notebooks)


def test_tarball_and_folder_grade_the_same(graded):
    _, _, rows = graded
    folder, tarball = without_timing(rows["reference"]), without_timing(rows["reference_tar"])
    folder["extra_data"].pop("submission"), tarball["extra_data"].pop("submission")
    assert folder == tarball


def test_untouched_stubs_score_zero_with_not_implemented(graded):
    _, out, rows = graded
    results = rows["stubs"]
    assert results["score"] == 0
    forward = [t for t in results["tests"] if t["name"].startswith("conv_forward_naive: output")]
    assert forward and all("not implemented" in t["output"] for t in forward)
    assert "Traceback" not in json.dumps(results)
    assert "not implemented" in (out / "stubs" / "feedback.md").read_text()


def test_results_follow_the_gradescope_schema_and_spec_names(graded):
    _, _, rows = graded
    for results in rows.values():
        assert isinstance(results["score"], (int, float)) and isinstance(results["max_score"], (int, float))
        for test in results["tests"]:
            assert {"name", "score", "max_score", "status", "output"} <= set(test)
            assert test["status"] in ("passed", "failed")
            function = test["name"].split(":", 1)[0]
            assert function in GRADED_FUNCTIONS or function == "notebooks", test["name"]
        assert abs(sum(t["score"] for t in results["tests"]) - results["score"]) < 1e-3
        assert abs(sum(t["max_score"] for t in results["tests"]) - results["max_score"]) < 1e-3


def test_every_function_is_graded_with_points(graded):
    _, _, rows = graded
    rubric = load_rubric()
    names = [t["name"] for t in rows["reference"]["tests"]]
    for function in GRADED_FUNCTIONS:
        points = sum(t["max_score"] for t in rows["reference"]["tests"] if t["name"].startswith(function + ":"))
        assert points == pytest.approx(sum(rubric.points[function].values())), function
    assert any("stride 2, pad 0" in n for n in names) and any("G 1" in n for n in names)


def test_grades_csv_has_one_row_per_submission_in_input_order(graded):
    _, out, _ = graded
    with open(out / "grades.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["submission", "score", "max_score"]
    assert rows[0][3 : 3 + len(GRADED_FUNCTIONS)] == list(GRADED_FUNCTIONS)
    assert [r[0] for r in rows[1:]] == ["reference", "reference_tar", "stubs"]
    assert [r[1] for r in rows[1:]] == ["100", "100", "0"]


def test_grading_is_deterministic_and_skips_graded_work(graded):
    root, out, rows = graded
    again = dict(grade_all([root / "reference"], root / "out-again", jobs=1))
    assert without_timing(again["reference"]) == without_timing(rows["reference"])
    before = (out / "reference" / "results.json").stat().st_mtime_ns
    grade_all([root / "reference"], out)  # already graded: skipped
    assert (out / "reference" / "results.json").stat().st_mtime_ns == before


def test_the_seed_changes_the_hidden_values_not_the_tests(graded, tmp_path):
    from autograder.checks.cases import cases_for
    from autograder.contract import GROUPS

    a, _ = cases_for(GROUPS[0], 1)
    b, _ = cases_for(GROUPS[0], 2)
    assert [c.label for c in a] == [c.label for c in b]
    assert not (a[0].arrays["x"] == b[0].arrays["x"]).all()


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["grade", "--out", "x"], "the following arguments are required"),
        (["grade", "/no/such/submission", "--out", "x"], "no such file or folder: /no/such/submission"),
        (["grade", ".", "--out", "x", "--jobs", "0"], "--jobs must be at least 1"),
        (["grade", ".", "--out", "x", "--rubric", "/no/rubric.toml"], "cannot read the rubric"),
    ],
)
def test_cli_refuses_bad_arguments_with_a_reason(args, message, tmp_path):
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "x").exists()


def test_cli_grades_and_prints_a_table(graded, tmp_path):
    root, _, _ = graded
    result = run_cli("grade", str(root / "stubs"), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "stubs" in result.stdout and "0.00" in result.stdout
    assert (tmp_path / "out" / "stubs" / "results.json").is_file()
    assert (tmp_path / "out" / "stubs" / "feedback.md").is_file()


def test_duplicate_names_get_suffixes():
    assert unique_names([Path("a/x.tar.gz"), Path("b/x.tgz"), Path("c/x")]) == ["x", "x-2", "x-3"]
    # A name that looks like a made-unique one never collides with it: one folder per submission.
    assert unique_names([Path("x"), Path("x"), Path("x-2")]) == ["x", "x-2", "x-2-2"]
    assert unique_names([Path("x"), Path("x-2"), Path("x")]) == ["x", "x-2", "x-3"]


def test_alt_backward_calling_the_graph_one_is_found():
    source = "def batchnorm_backward_alt(d, c):\n    return batchnorm_backward(d, c)\n"
    assert calls_function(source, "batchnorm_backward_alt", "batchnorm_backward") == 2
    own = "def batchnorm_backward_alt(d, c):\n    return d, d, d\n"
    assert calls_function(own, "batchnorm_backward_alt", "batchnorm_backward") is None


def test_a_python_under_tmp_stays_visible_in_the_sandbox():
    # bwrap mounts in argument order: the sandbox's own /tmp must come before
    # a venv that lives under /tmp (a fresh clone in /tmp, as CI may use).
    from autograder.isolation.sandbox import Sandbox

    sandbox = Sandbox("bubblewrap", bwrap="/usr/bin/bwrap", read_only_paths=("/tmp/clone/.venv",))
    argv = sandbox.command(Path("/w/code"), Path("/w/job"), Path("/w/out"), None)
    tmpfs = next(i for i in range(len(argv) - 1) if argv[i] == "--tmpfs" and argv[i + 1] == "/tmp")
    bind = next(i for i in range(len(argv) - 2) if argv[i] == "--ro-bind" and argv[i + 2] == "/tmp/clone/.venv")
    assert tmpfs < bind
