"""`grade --shard K/N` and `merge` (issue 15, item 3) with the real CLI.

Four submissions (the example reference, stubs and one bug as collate.sh
tarballs, and a folder whose name repeats the reference's) are graded once
unsharded into A, as 3 shares merged into B, and as 6 shares (more shares than
submissions, so some are empty) merged into C. B and C must hold the files A
holds: grades.csv, summary.md and score_distribution.png byte for byte, every
feedback.md byte for byte, every results.json apart from the measured times,
and the nbgrader gradebook written by merge must have the contents the
unsharded run wrote. Then the refusals: missing, repeated and inconsistent
shares, and bad --shard values. The shard folders are laid out as the
README's Slurm and Kubernetes examples lay them out (`shards/K`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import autograder_command

from autograder import paths
from autograder.cli import main
from autograder.shard import MANIFEST_NAME, parse_shard, share_of

pytestmark = pytest.mark.filterwarnings("ignore:.*not in session")

ASSIGNMENT = "ps1"
NAMES = ["reference", "untouched-stubs", "bug-bn-momentum-swapped", "reference-2"]
REPORTS = ("grades.csv", "summary.md", "score_distribution.png")


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([*autograder_command(), *args], capture_output=True, text=True, timeout=900)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def grade_shards(submissions: list[str], root: Path, count: int, *extra: str) -> list[Path]:
    """What each task of the README's job array runs: share K of COUNT into root/shards/K."""
    for index in range(1, count + 1):
        run("grade", *submissions, "--shard", f"{index}/{count}", "--out", str(root / "shards" / str(index)), *extra)
    return sorted((root / "shards").iterdir())  # what the shell's `shards/*` gives the merge job


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("shards")
    examples = root / "examples"
    subprocess.run(
        [sys.executable, str(paths.REPO_ROOT / "dev" / "make_examples.py"), str(examples)],
        check=True,
        capture_output=True,
    )
    # A folder submission named like the reference tarball: grade names it reference-2, every shard too.
    folder = root / "late" / "reference"
    (folder / "layers").mkdir(parents=True)
    for module in paths.STUDENT_MODULES:  # the stubs: cheap to grade
        shutil.copyfile(paths.ASSIGNMENT_DIR / "layers" / module, folder / "layers" / module)
    submissions = [str(examples / f"{name}.tar.gz") for name in NAMES[:3]] + [str(folder)]
    run("grade", *submissions, "--out", str(root / "A"), "--gradebook", str(root / "A.db"), "--assignment", ASSIGNMENT)
    three = grade_shards(submissions, root / "three", 3)
    run(
        "merge",
        *map(str, three),
        "--out",
        str(root / "B"),
        "--gradebook",
        str(root / "B.db"),
        "--assignment",
        ASSIGNMENT,
    )
    six = grade_shards(submissions, root / "six", 6)
    run("merge", *map(str, six), "--out", str(root / "C"))
    return root, submissions, three, six


def files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def without_timing(results: dict) -> dict:
    """results.json less what is measured: the run's duration and the speed tests' times in ms."""
    results = dict(results)
    del results["execution_time"]
    results["tests"] = [dict(t, output="(timed)") if "speed" in t["name"] else t for t in results["tests"]]
    return results


def assert_same_output(one: Path, other: Path) -> None:
    assert files(one) == files(other)
    for name in REPORTS:
        assert (one / name).read_bytes() == (other / name).read_bytes(), name
    for name in NAMES:
        assert (one / name / "feedback.md").read_bytes() == (other / name / "feedback.md").read_bytes(), name
        first, second = (json.loads((f / name / "results.json").read_text()) for f in (one, other))
        assert without_timing(first) == without_timing(second), name


def test_shares_split_by_name_only():
    assert [share_of(name, 3) for name in NAMES] == [1, 2, 2, 1]  # pinned: every machine, every version
    assert parse_shard("2/4") == (2, 4) and parse_shard("1/1") == (1, 1)
    code = "from autograder.shard import share_of; print([share_of(n, 7) for n in %r])" % NAMES
    answers = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env=dict(os.environ, PYTHONHASHSEED=seed),
        ).stdout
        for seed in ("0", "1", "12345")
    }
    assert answers == {str([share_of(n, 7) for n in NAMES]) + "\n"}


def test_each_submission_is_graded_by_exactly_one_share(graded):
    root, _, three, six = graded
    for shards, count in ((three, 3), (six, 6)):
        assert [s.name for s in shards] == sorted(str(k) for k in range(1, count + 1))
        graded_in = {}
        for folder in shards:
            manifest = json.loads((folder / MANIFEST_NAME).read_text())
            assert manifest["names"] == NAMES and manifest["of"] == count
            here = sorted(p.parent.name for p in folder.glob("*/results.json"))
            assert here == sorted(manifest["share"])
            for name in here:
                assert name not in graded_in
                graded_in[name] = manifest["shard"]
        assert graded_in == {name: share_of(name, count) for name in NAMES}
    assert any(not json.loads((f / MANIFEST_NAME).read_text())["share"] for f in six)  # 6 shares, 4 submissions


def test_merged_folders_hold_what_one_run_writes(graded):
    root = graded[0]
    assert (root / "A" / "grades.csv").read_text().splitlines()[1].startswith("reference,100,100")
    assert [line.split(",")[0] for line in (root / "A" / "grades.csv").read_text().splitlines()[1:]] == NAMES
    assert_same_output(root / "A", root / "B")
    assert_same_output(root / "A", root / "C")
    # merge copies the shards' reports as they are
    for folder in graded[2]:
        for name in json.loads((folder / MANIFEST_NAME).read_text())["share"]:
            for report in ("results.json", "feedback.md"):
                assert (folder / name / report).read_bytes() == (root / "B" / name / report).read_bytes()


def gradebook_contents(db: Path) -> dict:
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{db}", course_id="") as gb:
        assignment = gb.find_assignment(ASSIGNMENT)
        contents = {
            "max_score": assignment.max_score,
            "cells": sorted((c.name, c.max_score) for n in assignment.notebooks for c in n.grade_cells),
        }
        for submission in assignment.submissions:
            contents[submission.student.id] = (
                submission.score,
                sorted(
                    (g.name, g.auto_score, g.manual_score, g.needs_manual_grade)
                    for n in submission.notebooks
                    for g in n.grades
                ),
            )
    return contents


def test_merge_writes_the_gradebook_one_run_writes(graded):
    root = graded[0]
    merged, unsharded = gradebook_contents(root / "B.db"), gradebook_contents(root / "A.db")
    assert merged == unsharded
    assert set(merged) == {
        "max_score",
        "cells",
        "reference",
        "untouched-stubs",
        "bug-bn-momentum-swapped",
        "reference-2",
    }
    assert merged["reference"][0] == 100


def refused(*args: str) -> str:
    result = run(*args, check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    return result.stderr


def test_merge_refuses_missing_repeated_and_foreign_shares(graded, tmp_path):
    root, submissions, three, _ = graded
    out = tmp_path / "out"
    assert "share 3/3 missing" in refused("merge", str(three[0]), str(three[1]), "--out", str(out))
    assert "share 1/3 is given more than once" in refused("merge", *map(str, three), str(three[0]), "--out", str(out))
    assert "no shard.json" in refused("merge", str(root / "A"), *map(str, three[1:]), "--out", str(out))
    assert "is one of the shard folders" in refused("merge", *map(str, three), "--out", str(three[0]))
    # Share 1 graded again (its results are reused, so nothing is regraded) with another seed, or a longer list.
    reseeded = tmp_path / "reseeded"
    shutil.copytree(three[0], reseeded)
    run("grade", *submissions, "--shard", "1/3", "--out", str(reseeded), "--seed", "7")
    assert "different seeds" in refused("merge", str(reseeded), *map(str, three[1:]), "--out", str(out))
    extra = tmp_path / "late" / "late-student"
    extra.mkdir(parents=True)
    assert share_of("late-student", 3) != 1
    longer = tmp_path / "longer"
    shutil.copytree(three[0], longer)
    run("grade", *submissions, str(extra), "--shard", "1/3", "--out", str(longer))
    message = refused("merge", str(longer), *map(str, three[1:]), "--out", str(out))
    assert "different lists" in message and "late-student" in message
    rubric = tmp_path / "rubric.toml"
    rubric.write_text(paths.RUBRIC_FILE.read_text() + "\n# edited\n")
    assert "another rubric" in refused(
        "merge",
        *map(str, three),
        "--out",
        str(out),
        "--rubric",
        str(rubric),
        "--gradebook",
        str(tmp_path / "g.db"),
        "--assignment",
        ASSIGNMENT,
    )
    assert not out.exists()  # a refused merge writes nothing


@pytest.mark.parametrize("value", ["0/3", "4/3", "3", "a/3", "1/0", "-1/3", "1.5/3", "1/3/3", ""])
def test_bad_shard_values_are_refused(value, tmp_path, capsys):
    assert main(["grade", str(tmp_path), "--out", str(tmp_path / "out"), f"--shard={value}"]) == 2
    assert "--shard" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_shard_and_gradebook_do_not_go_together(tmp_path):
    message = refused(
        "grade",
        str(tmp_path),
        "--out",
        str(tmp_path / "out"),
        "--shard",
        "1/2",
        "--gradebook",
        str(tmp_path / "g.db"),
        "--assignment",
        ASSIGNMENT,
    )
    assert "when merging" in message
