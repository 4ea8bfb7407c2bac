"""The Gradescope bundle end to end (SPEC section 4, issue 7).

`autograder gradescope --out` builds the zip; it is unpacked as Gradescope
does (`ROOT/source`, `run_autograder` copied to `ROOT/run_autograder`), and
the real `setup.sh` builds a fresh virtual environment from it, offline:

- pip installs from a local folder of wheels: the test repacks, from this
  test's own venv, every distribution the bundle's constraints.txt names
  (installed files + metadata -> a .whl) and runs setup.sh with
  `PIP_NO_INDEX=1 PIP_FIND_LINKS=<that folder>`, so pip resolves and installs
  the pinned set exactly as on Gradescope, only from another source;
- `AUTOGRADER_NO_APT=1`: bubblewrap and Python 3.11 are already here (CI's
  dev/setup.sh installs bubblewrap), so setup.sh has nothing to apt-get, and
  must fail rather than try;
- setup.sh runs in a new network namespace (`unshare --net`) where that is
  possible, so any attempt to reach the network fails the test.

Then the real `run_autograder` grades good and bad submissions, as a tarball
and as unpacked files (also the modules uploaded without their folder, a
damaged archive and an empty upload), and every results.json is checked
against tests/gradescope_results.schema.json, written from Gradescope's
specification. Failures of the grader itself (no venv, a broken rubric, the
time limit) must still give a results.json with score 0 and the reason.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import jsonschema
import pytest

from autograder import paths
from autograder.gradescope.bundle import RUNTIME_PACKAGES
from autograder.gradescope.run import for_gradescope, gradescope_rubric, locate_submission
from autograder.rubric import load_rubric

REPO = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((Path(__file__).parent / "gradescope_results.schema.json").read_text())
BASE_DIR = "/var/tmp" if os.access("/var/tmp", os.W_OK) else None
BUG = ("np.sum(window * w[f]) + b[f]", "np.sum(window * w[f])")  # conv_forward_naive forgets the bias


def autograder_command() -> list[str]:
    script = Path(sys.executable).parent / "autograder"
    return [str(script)] if script.exists() else [sys.executable, "-m", "autograder"]


def validate(results: dict) -> None:
    jsonschema.validate(results, SCHEMA)


# ------------------------------------------------------------- offline wheels
def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def repack_wheel(name: str, version: str, dest: Path) -> Path:
    """A wheel of the installed distribution `name` (must be `version`), from its installed files."""
    distribution = metadata.distribution(name)
    assert distribution.version == version, f"{name}: {distribution.version} installed, bundle pins {version}"
    info_dir = Path(distribution._path)  # the .dist-info folder
    site = info_dir.parent
    stem = info_dir.name[: -len(".dist-info")]
    wheel_text = (info_dir / "WHEEL").read_text() if (info_dir / "WHEEL").exists() else ""
    tags = [line.split(":", 1)[1].strip() for line in wheel_text.splitlines() if line.startswith("Tag:")]
    parts = [list(dict.fromkeys(t.split("-")[i] for t in tags)) for i in range(3)] if tags else []
    tag = "-".join(".".join(p) for p in parts) if tags else "py3-none-any"  # py2.py3-none-any
    target = dest / f"{stem}-{tag}.whl"
    records = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:

        def put(arcname: str, data: bytes) -> None:
            archive.writestr(arcname, data)
            records.append(f"{arcname},{_record_hash(data)},{len(data)}")

        for entry in distribution.files or []:
            path = Path(os.path.normpath(site / entry))
            if "__pycache__" in path.parts or path.suffix == ".pyc" or not path.is_file():
                continue
            if path.parent == info_dir and path.name in ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json"):
                continue
            try:
                arcname = path.relative_to(site).as_posix()
            except ValueError:
                relative = path.relative_to(sys.prefix)
                if relative.parts[0] == "bin":
                    continue  # console scripts: pip writes them again from entry_points.txt
                arcname = f"{stem}.data/data/{relative.as_posix()}"
            put(arcname, path.read_bytes())
        if not wheel_text:
            put(f"{info_dir.name}/WHEEL", b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        records.append(f"{info_dir.name}/RECORD,,")
        archive.writestr(f"{info_dir.name}/RECORD", "\n".join(records) + "\n")
    return target


def constraints_of(source: Path) -> dict[str, str]:
    pins = {}
    for line in (source / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name] = version
    return pins


def network_isolation() -> list[str]:
    try:
        ok = subprocess.run(["unshare", "--net", "true"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return ["unshare", "--net", "--"] if ok else []


def clean_env(**extra: str) -> dict[str, str]:
    """No venv of ours on PATH or in the environment: the bundle must bring its own."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PIP_REQUIRE_VIRTUALENV") and not k.startswith("PIP_")
    }
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    env.update(extra)
    return env


def find_python311() -> str:
    for candidate in ("/usr/bin/python3.11", "/usr/local/bin/python3.11"):
        if (
            Path(candidate).exists()
            and subprocess.run([candidate, "-c", "import venv, ensurepip"], capture_output=True).returncode == 0
        ):
            return candidate
    return str(Path(sys.base_prefix) / "bin" / "python3.11")


# --------------------------------------------------------------- the install
@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    result = subprocess.run(
        [*autograder_command(), "gradescope", "--out", str(out)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@pytest.fixture(scope="module")
def installed(bundle, tmp_path_factory, request) -> Path:
    """ROOT with source/ (the unpacked bundle and its venv) and run_autograder, as on Gradescope."""
    started = time.monotonic()
    # Like Gradescope's /autograder: outside /tmp (the sandbox gives the child an empty /tmp, which would
    # hide a venv below it) and readable by the unprivileged user student code runs as.
    base = Path(tempfile.mkdtemp(prefix="autograder-gradescope-test-", dir=BASE_DIR))
    base.chmod(0o755)
    request.addfinalizer(lambda: shutil.rmtree(base, ignore_errors=True))
    root = base / "autograder"
    source = root / "source"
    source.mkdir(parents=True)
    with zipfile.ZipFile(bundle) as archive:
        for info in archive.infolist():
            archive.extract(info, source)
            (source / info.filename).chmod(info.external_attr >> 16 & 0o777)
    shutil.copy2(source / "run_autograder", root / "run_autograder")
    wheels = tmp_path_factory.mktemp("wheels")
    for name, version in constraints_of(source).items():
        repack_wheel(name, version, wheels)
    repacked = time.monotonic()
    env = clean_env(
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheels),
        AUTOGRADER_NO_APT="1",
        AUTOGRADER_PYTHON=find_python311(),
        HOME=str(base),
        PIP_NO_CACHE_DIR="1",
    )
    result = subprocess.run(
        [*network_isolation(), "bash", str(source / "setup.sh")],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, f"setup.sh failed:\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
    assert "selftest: the reference solution scores 100 / 100" in result.stdout, result.stdout[-3000:]
    print(
        f"\nbundle install: wheels repacked in {repacked - started:.0f} s, setup.sh took "
        f"{time.monotonic() - repacked:.0f} s"
    )
    return root


def run_autograder(root: Path, submission_files: dict[str, Path | bytes] | None = None, **env: str) -> dict:
    """Put the files in ROOT/submission, run ROOT/run_autograder, return (and validate) results.json."""
    submission = root / "submission"
    shutil.rmtree(submission, ignore_errors=True)
    submission.mkdir()
    for name, content in (submission_files or {}).items():
        target = submission / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            shutil.copyfile(content, target)
    shutil.rmtree(root / "results", ignore_errors=True)
    result = subprocess.run(
        [str(root / "run_autograder")],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=900,
        env=clean_env(GRADESCOPE_ROOT=str(root), **env),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    validate(results)
    results["_stdout"] = result.stdout
    return results


def modules(kind: str, folder: str = "layers/") -> dict[str, bytes]:
    source = {"good": paths.SOLUTION_LAYERS_DIR, "stubs": paths.ASSIGNMENT_DIR / "layers"}[
        "stubs" if kind == "stubs" else "good"
    ]
    files = {f"{folder}{m}": (source / m).read_bytes() for m in paths.STUDENT_MODULES}
    if kind == "buggy":
        conv = files[f"{folder}conv.py"].decode()
        assert BUG[0] in conv
        files[f"{folder}conv.py"] = conv.replace(BUG[0], BUG[1]).encode()
    return files


def tarball(files: dict[str, bytes], path: Path) -> bytes:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path.read_bytes()


# ------------------------------------------------------------------- the zip
def test_bundle_holds_what_the_grader_needs_and_nothing_else(bundle):
    with zipfile.ZipFile(bundle) as archive:
        infos = {i.filename: i for i in archive.infolist()}
    names = set(infos)
    assert {
        "setup.sh",
        "run_autograder",
        "requirements.txt",
        "constraints.txt",
        "pyproject.toml",
        "autograder/__init__.py",
        "autograder/grade.py",
        "autograder/rubric.toml",
        "autograder/isolation/worker.py",
        "autograder/gradescope/run.py",
        "autograder/gradescope/__main__.py",
        "solutions/layers/conv.py",
        "solutions/layers/norm.py",
    } <= names
    given = {f"solutions/layers/{p.name}" for p in paths.SOLUTION_LAYERS_DIR.glob("*.py")}
    assert given <= names
    notebooks = {f"assignment/{p.name}" for p in paths.ASSIGNMENT_DIR.glob("*.ipynb")}
    assert notebooks <= names
    for name in names:
        assert not name.startswith(("tests/", ".git", "benchmarks/", "dev/", ".venv", "docs/")), name
        assert "__pycache__" not in name and not name.endswith(".pyc"), name
        assert not (name.startswith("solutions/") and name.endswith(".ipynb")), name
        assert not name.startswith("assignment/layers/"), name
    for name in ("setup.sh", "run_autograder"):
        assert infos[name].external_attr >> 16 & 0o111, f"{name} is not executable in the zip"


def test_bundle_pins_exactly_the_project_dependencies(bundle):
    with zipfile.ZipFile(bundle) as archive:
        requirements = [
            line for line in archive.read("requirements.txt").decode().splitlines() if line and not line.startswith("#")
        ]
        constraints = archive.read("constraints.txt").decode()
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert set(requirements) <= set(pyproject["project"]["dependencies"])  # the pins, as they are
    assert {r.split("==")[0] for r in requirements} == set(RUNTIME_PACKAGES)
    for requirement in requirements:
        name, version = requirement.split("==")
        assert f"{name.lower()}=={version}" in constraints.lower()
    for absent in ("torch", "pytest", "nbgrader", "jupyterlab", "matplotlib"):  # never run on Gradescope
        assert f"\n{absent}==" not in constraints


def test_bundle_is_reproducible(bundle, tmp_path):
    again = tmp_path / "again.zip"
    subprocess.run(
        [*autograder_command(), "gradescope", "--out", str(again)], check=True, capture_output=True, timeout=300
    )
    assert again.read_bytes() == bundle.read_bytes()


def test_setup_script_downloads_nothing_but_packages(bundle):
    with zipfile.ZipFile(bundle) as archive:
        setup = archive.read("setup.sh").decode()
    code = "\n".join(line for line in setup.splitlines() if not line.lstrip().startswith("#"))
    for forbidden in ("curl", "wget", "conda", "http://", "https://", "git clone"):
        assert forbidden not in code, forbidden
    assert "apt-get install" in code and "pip install" in code and "-m venv" in code


# ---------------------------------------------------------------- the install
def test_setup_installs_exactly_the_pinned_packages(installed):
    venv_python = installed / "source" / "venv" / "bin" / "python"
    frozen = subprocess.run(
        [str(venv_python), "-m", "pip", "list", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
        env=clean_env(),
    ).stdout
    have = {p["name"].lower().replace("_", "-"): p["version"] for p in json.loads(frozen)}
    wanted = constraints_of(installed / "source")
    missing = {n: v for n, v in wanted.items() if have.get(n) != v}
    extra = set(have) - set(wanted) - {"pip", "setuptools"}  # what python -m venv itself seeds (3.11)
    assert not missing and not extra, (missing, extra)


# ------------------------------------------------------------ run_autograder
def test_good_tarball_and_unpacked_folder_score_full_marks(installed, tmp_path):
    files = modules("good")
    notebooks = {f"{p.name}": p.read_bytes() for p in paths.ASSIGNMENT_DIR.glob("*.ipynb")}
    packed = run_autograder(
        installed, {"jdoe_submission.tar.gz": tarball({**files, **notebooks}, tmp_path / "a.tar.gz")}
    )
    unpacked = run_autograder(installed, {**files, **notebooks})
    for results in (packed, unpacked):
        assert results["score"] == 100, results["output"]
        assert results["extra_data"]["max_score"] == 100
        assert results["extra_data"]["sandbox"] == "bubblewrap", results["_stdout"]
        failed = [
            t["name"] for t in results["tests"] if t["status"] != "passed" and not t["name"].startswith("notebooks:")
        ]
        assert not failed
    assert [t["name"] for t in packed["tests"]] == [t["name"] for t in unpacked["tests"]]


def test_buggy_tarball_and_stub_folder_lose_points(installed, tmp_path):
    buggy = run_autograder(installed, {"submission.tar.gz": tarball(modules("buggy"), tmp_path / "b.tar.gz")})
    failed = {t["name"].split(":")[0] for t in buggy["tests"] if t["status"] == "failed"}
    assert "conv_forward_naive" in failed and 0 < buggy["score"] < 100
    assert "conv_forward_naive" in buggy["output"]  # the per-function summary
    stubs = run_autograder(installed, modules("stubs"))
    assert stubs["score"] == 0
    assert any("NotImplementedError" in t["output"] for t in stubs["tests"])


def test_modules_uploaded_without_their_folder_are_graded(installed):
    results = run_autograder(installed, modules("buggy", folder=""))
    assert 0 < results["score"] < 100
    assert "without their folder" in results["output"]


def test_damaged_archive_and_empty_upload_score_zero_with_the_reason(installed):
    damaged = run_autograder(installed, {"submission.tar.gz": b"\x1f\x8b this is not gzip"})
    assert damaged["score"] == 0
    notes = damaged["output"].split("Notes:", 1)[1]
    assert "submission.tar.gz" in notes and ("damaged" in notes or "not a readable" in notes), notes
    empty = run_autograder(installed, {})
    assert empty["score"] == 0
    assert "missing" in empty["output"]


def test_student_code_runs_unprivileged(installed):
    files = modules("good")
    files["layers/conv.py"] = b'import os\nraise RuntimeError("uid=%d" % os.getuid())\n'
    results = run_autograder(installed, files)
    outputs = "\n".join(t["output"] for t in results["tests"])
    uids = set(re.findall(r"RuntimeError: uid=(\d+)", outputs))
    assert uids and "0" not in uids, uids  # every child that ran student code, the speed test's included


def test_visibility_follows_the_rubric(installed):
    results = run_autograder(installed, modules("buggy"))
    rubric = gradescope_rubric(load_rubric(installed / "source" / "autograder" / "rubric.toml"))
    cases = [t for t in results["tests"] if t["extra_data"]["case"]]
    others = [t for t in results["tests"] if not t["extra_data"]["case"]]
    assert cases and others
    assert {t["visibility"] for t in cases} == {rubric.feedback["case_visibility"]}
    assert rubric.feedback["case_visibility"] in ("after_published", "hidden")  # as shipped (issue 7)
    assert rubric.feedback["summary_visibility"] == "visible"
    assert {t["visibility"] for t in others} == {rubric.feedback["summary_visibility"]}
    assert results["stdout_visibility"] == "hidden"
    assert isinstance(results["execution_time"], (int, float)) and results["execution_time"] > 0
    assert results["output"].startswith("Score: ")
    assert "WEAK ISOLATION" not in results["output"]


def test_gradescope_visibility_keys_override_the_plain_ones():
    rubric = load_rubric()
    feedback = {
        **rubric.feedback,
        "gradescope_case_visibility": "after_published",
        "gradescope_summary_visibility": "visible",
    }
    from dataclasses import replace

    changed = gradescope_rubric(replace(rubric, feedback=feedback))
    assert changed.feedback["case_visibility"] == "after_published"
    assert changed.feedback["summary_visibility"] == "visible"
    results = {
        "score": 3.0,
        "max_score": 10.0,
        "output": "WEAK ISOLATION: secret\nnote for you",
        "tests": [
            {
                "name": "f: a",
                "score": 3.0,
                "max_score": 5.0,
                "status": "passed",
                "output": "",
                "visibility": "after_published",
            },
            {"name": "f: b", "score": 0.0, "max_score": 5.0, "status": "failed", "output": "", "visibility": "visible"},
        ],
        "extra_data": {},
    }
    converted, instructor_only = for_gradescope(results, ["graded x"])
    validate(converted)
    assert instructor_only == ["WEAK ISOLATION: secret"]
    assert "WEAK ISOLATION" not in converted["output"] and "note for you" in converted["output"]
    assert "shown once grades are published" in converted["output"]
    assert "max_score" not in converted and converted["extra_data"]["max_score"] == 10.0


def test_locate_submission_choices(tmp_path):
    folder = tmp_path / "submission"
    (folder / "handout" / "layers").mkdir(parents=True)
    (folder / "handout" / "layers" / "conv.py").write_text("x = 1\n")
    target, notes = locate_submission(folder, tmp_path / "staged")
    assert target == folder / "handout" and notes
    (folder / "b_submission.tar.gz").write_bytes(b"")
    (folder / "a.tgz").write_bytes(b"")
    target, notes = locate_submission(folder, tmp_path / "staged")
    assert target.name == "b_submission.tar.gz" and "Several archives" in notes[0]
    target, notes = locate_submission(tmp_path / "absent", tmp_path / "staged2")
    assert notes == ["Nothing was submitted."]


# ------------------------------------------------------------ grading failures
def test_results_written_when_the_venv_is_missing(installed):
    results = run_autograder(installed, modules("good"), AUTOGRADER_VENV=str(installed / "no-such-venv"))
    assert results["score"] == 0
    assert "not installed" in results["output"]


def test_results_written_when_the_grader_breaks(installed, tmp_path):
    # A second root sharing the installed venv, whose rubric is damaged.
    root = tmp_path / "autograder"
    shutil.copytree(installed / "source", root / "source", ignore=shutil.ignore_patterns("venv"))
    shutil.copy2(installed / "run_autograder", root / "run_autograder")
    (root / "source" / "autograder" / "rubric.toml").write_text("seed = [unclosed\n")
    results = run_autograder(root, modules("good"), AUTOGRADER_VENV=str(installed / "source" / "venv"))
    assert results["score"] == 0
    assert "the autograder failed" in results["output"]
    assert "Traceback" in results["_stdout"]  # the details are for the staff (stdout is hidden)


def test_results_written_when_grading_overruns(installed):
    # A conv.py that hangs at import keeps grading busy for the rubric's group
    # time limit (30 s), so a 2 s overall limit always overruns (a good
    # submission alone can finish within 2 s).
    files = modules("good")
    files["layers/conv.py"] += b"\nimport time\ntime.sleep(600)\n"
    results = run_autograder(installed, files, AUTOGRADER_TIME_LIMIT="2")
    assert results["score"] == 0
    assert "longer than" in results["output"]


def test_grade_command_results_also_fit_the_schema_once_converted(tmp_path):
    # `autograder grade` output (SPEC 3) is the source of the Gradescope file.
    from autograder.batch import grade_all

    folder = tmp_path / "good" / "layers"
    folder.mkdir(parents=True)
    for module in paths.STUDENT_MODULES:
        shutil.copyfile(paths.SOLUTION_LAYERS_DIR / module, folder / module)
    rows = grade_all([tmp_path / "good"], tmp_path / "out")
    converted, _ = for_gradescope(rows[0][1], [])
    validate(converted)
    with open(tmp_path / "out" / "grades.csv") as handle:
        assert next(csv.reader(handle))[:3] == ["submission", "score", "max_score"]
