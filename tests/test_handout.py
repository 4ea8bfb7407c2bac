"""The released handout (`autograder release --out DIR`) gives nothing away.

SPEC section 2: no file of the handout contains solution code or the
autograder's hidden cases. Proved here on a real release written by the
command line, file by file:

- the handout holds exactly the files the issue lists (layers/, notebooks,
  collate.sh, the student README and requirements, MANIFEST.sha256);
- no line of any solution region (reference modules and notebooks) and no
  line of nbgrader's hidden-test regions appears in any released file;
- no reference module is released: the student modules are stubs whose SPEC
  functions raise NotImplementedError, and no file equals a reference module;
- nothing of the grader is released: no file of autograder/ other than the
  handout templates, and no distinctive line of any of them (the rubric and
  the hidden cases among them), nor the rubric's seed;
- MANIFEST.sha256 lists every released file with its correct SHA-256.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
import tomllib
from pathlib import Path

import pytest

from autograder.contract import GROUPS
from autograder.release.stubs import find_regions, make_stub, solution_lines

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO / "solutions"
AUTOGRADER = REPO / "autograder"
TEMPLATES = AUTOGRADER / "handout"

CONV_FUNCTIONS, NORM_FUNCTIONS = (
    tuple(f for g in GROUPS if g.module == m for f in g.functions) for m in ("conv", "norm")
)


@pytest.fixture(scope="module")
def handout(released_handout) -> Path:
    return released_handout


def released_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def notebook_texts(notebook: dict) -> list[str]:
    """Every cell source and every text output of a notebook, as strings."""
    texts = []
    for cell in notebook.get("cells", []):
        source = cell.get("source", "")
        texts.append("".join(source) if isinstance(source, list) else source)
        for output in cell.get("outputs", []) or []:
            for value in [output.get("text", "")] + list((output.get("data") or {}).values()):
                texts.append("".join(value) if isinstance(value, list) else str(value))
    return texts


def stripped_lines(path: Path) -> set[str]:
    """The stripped lines of a released file; for a notebook, also those of its cells and outputs."""
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = {line.strip() for line in text.splitlines()}
    if path.suffix == ".ipynb":
        for chunk in notebook_texts(json.loads(text)):
            lines.update(line.strip() for line in chunk.splitlines())
    return lines - {""}


def marked_region_lines(source: str, begin: str, end: str) -> set[str]:
    """Distinctive stripped lines strictly between `begin` and `end` marker lines."""
    lines, inside = set(), False
    for line in source.splitlines():
        text = line.strip()
        if text == begin:
            inside = True
        elif text == end:
            inside = False
        elif inside and len(text) >= 8 and not text.startswith("#"):
            lines.add(text)
    return lines


def secret_solution_lines() -> dict[str, set[str]]:
    """Solution-region lines of every reference module and source notebook, by source file.

    A line that also stands outside every region of the sources (given code
    such as `N, C, H, W = x.shape` in layers/basic.py) is public, not a leak.
    """
    secrets, public = {}, set()
    for module in sorted((SOLUTIONS / "layers").glob("*.py")):
        source = module.read_text(encoding="utf-8")
        secrets[str(module.relative_to(REPO))] = solution_lines(source, str(module))
        public |= {line.strip() for line in make_stub(source, str(module)).splitlines()}
    for notebook_file in sorted(SOLUTIONS.glob("*.ipynb")):
        found = set()
        for cell_source in notebook_texts(json.loads(notebook_file.read_text(encoding="utf-8"))):
            found |= solution_lines(cell_source, str(notebook_file))
            hidden = marked_region_lines(cell_source, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
            found |= hidden
            public |= {line.strip() for line in make_stub(cell_source, str(notebook_file)).splitlines()} - hidden
        secrets[str(notebook_file.relative_to(REPO))] = found
    return {source: lines - public for source, lines in secrets.items()}


def grader_files() -> list[Path]:
    """Every file of the grader package except the student templates in autograder/handout/."""
    return sorted(
        p for p in AUTOGRADER.rglob("*") if p.is_file() and TEMPLATES not in p.parents and "__pycache__" not in p.parts
    )


def secret_grader_files() -> list[Path]:
    """The grader's secrets: the rubric, the hidden cases, and any file that says it is never released."""
    secret = []
    for path in grader_files():
        text = path.read_text(encoding="utf-8", errors="replace").lower()
        if path.name in ("rubric.toml", "cases.py") or "never released" in text:
            secret.append(path)
    return secret


def distinctive_lines(path: Path) -> set[str]:
    """Lines of a secret grader file specific enough that finding one in the handout means a leak."""
    lines = set()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        text = line.strip()
        if len(text) < 24 or text.startswith(("#", "import ", "from ", '"""', "'''")):
            continue
        lines.add(text)
    return lines


# ---------------------------------------------------------------- the file set


def test_handout_holds_exactly_the_released_files(handout):
    expected = {f"layers/{p.name}" for p in (SOLUTIONS / "layers").glob("*.py")}
    expected |= {p.name for p in SOLUTIONS.glob("*.ipynb")}
    expected |= {p.name for p in TEMPLATES.iterdir() if p.is_file()}
    expected |= {"collate.sh", "MANIFEST.sha256"}
    assert set(released_files(handout)) == expected


def test_handout_has_the_issue_files(handout):
    files = set(released_files(handout))
    for name in (
        "collate.sh",
        "README.md",
        "requirements.txt",
        "MANIFEST.sha256",
        "layers/conv.py",
        "layers/norm.py",
        "layers/gradient_check.py",
        "layers/selfcheck.py",
    ):
        assert name in files, f"the handout lacks {name}"
    assert os.access(handout / "collate.sh", os.X_OK)
    notebooks = [name for name in files if name.endswith(".ipynb") and "/" not in name]
    assert notebooks, "the handout has no notebook (solutions/*.ipynb released by nbgrader)"


def test_manifest_lists_every_released_file_with_its_sha256(handout):
    entries = {}
    for line in (handout / "MANIFEST.sha256").read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ", 1)
        assert re.fullmatch(r"[0-9a-f]{64}", digest), line
        entries[name] = digest
    assert set(entries) == set(released_files(handout)) - {"MANIFEST.sha256"}
    for name, digest in entries.items():
        assert hashlib.sha256((handout / name).read_bytes()).hexdigest() == digest, name


# -------------------------------------------------------------- no solutions


def solution_leaks(root: Path) -> list[str]:
    leaks = []
    secrets = secret_solution_lines()
    for name in released_files(root):
        lines = stripped_lines(root / name)
        for source, secret in secrets.items():
            leaks += [f"{name}: {line!r} (from {source})" for line in sorted(lines & secret)]
    return leaks


def grader_leaks(root: Path) -> list[str]:
    leaks = []
    released = {name: stripped_lines(root / name) for name in released_files(root)}
    for grader_file in secret_grader_files():
        secret = distinctive_lines(grader_file)
        for name, lines in released.items():
            leaks += [f"{name}: {line!r} (from {grader_file.relative_to(REPO)})" for line in sorted(lines & secret)]
    return leaks


def test_no_line_of_any_solution_region_is_released(handout):
    secrets = secret_solution_lines()
    assert secrets["solutions/layers/conv.py"] and secrets["solutions/layers/norm.py"], (
        "the reference modules have no solution regions: nothing to prove"
    )
    leaks = solution_leaks(handout)
    assert not leaks, "solution lines in the handout:\n" + "\n".join(leaks)


def test_the_scans_find_a_planted_leak(handout, tmp_path):
    """Negative control: the two scans above do notice a solution line or a hidden case."""
    planted = tmp_path / "handout"
    shutil.copytree(handout, planted)
    solution_line = sorted(secret_solution_lines()["solutions/layers/norm.py"])[0]
    with open(planted / "layers" / "norm.py", "a", encoding="utf-8") as handle:
        handle.write("\n" + solution_line + "\n")
    assert any(solution_line in leak for leak in solution_leaks(planted))
    secret_files = secret_grader_files()
    assert secret_files, "the grader has no secret file yet: nothing to plant"
    grader_line = sorted(distinctive_lines(secret_files[0]))[0]
    (planted / "README.md").write_text(grader_line + "\n", encoding="utf-8")
    assert any(grader_line in leak for leak in grader_leaks(planted))


def test_no_solution_or_hidden_test_marker_is_released(handout):
    markers = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
    for name in released_files(handout):
        text = (handout / name).read_text(encoding="utf-8", errors="replace")
        for marker in markers:
            assert marker not in text, f"{name} contains {marker!r}"


def test_no_reference_module_is_released(handout):
    references = {
        hashlib.sha256(p.read_bytes()).hexdigest(): p.name
        for p in (SOLUTIONS / "layers").glob("*.py")
        if find_regions(p.read_text(encoding="utf-8"), str(p))
    }
    for name in released_files(handout):
        digest = hashlib.sha256((handout / name).read_bytes()).hexdigest()
        assert digest not in references, f"{name} is the reference {references.get(digest)}"


@pytest.mark.parametrize("module, functions", [("conv.py", CONV_FUNCTIONS), ("norm.py", NORM_FUNCTIONS)])
def test_every_student_function_is_a_stub(handout, module, functions):
    tree = ast.parse((handout / "layers" / module).read_text(encoding="utf-8"))
    defined = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    for name in functions:
        assert name in defined, f"layers/{module} lacks {name}"
        raises = [
            node
            for node in ast.walk(defined[name])
            if isinstance(node, ast.Raise) and "NotImplementedError" in ast.unparse(node)
        ]
        assert raises, f"{name} in the handout does not raise NotImplementedError"


def test_given_modules_are_released_unchanged(handout):
    """Modules without solution regions (harness, self-check, ...) are released as they are."""
    for module in (SOLUTIONS / "layers").glob("*.py"):
        source = module.read_text(encoding="utf-8")
        if not find_regions(source, str(module)):
            assert (handout / "layers" / module.name).read_text(encoding="utf-8") == source, module.name


# ------------------------------------------------------------ nothing of the grader


def test_no_grader_file_is_released(handout):
    names = set(released_files(handout))
    # A package marker says nothing secret: layers/__init__.py may share its name with autograder/mistakes'.
    secret_names = ({p.name for p in secret_grader_files()} | {"rubric.toml", "cases.py"}) - {"__init__.py"}
    for name in names:
        assert not name.startswith("autograder/"), name
        assert not name.endswith(".toml"), f"{name}: configuration of the grader?"
        assert Path(name).name not in secret_names, f"{name} has the name of a secret grader file"


def test_no_distinctive_line_of_a_secret_grader_file_is_released(handout):
    """The rule for every secret file of the grader, whatever exists now."""
    files = secret_grader_files()
    for name in ("rubric.toml", "cases.py"):
        if (AUTOGRADER / name).exists():
            assert AUTOGRADER / name in files
    leaks = grader_leaks(handout)
    assert not leaks, "grader lines in the handout:\n" + "\n".join(leaks)


def test_the_rubric_seed_is_not_released(handout):
    rubric = AUTOGRADER / "rubric.toml"
    if not rubric.exists():  # the rule above covers whatever the grader has
        return
    seed = str(tomllib.loads(rubric.read_text(encoding="utf-8"))["seed"])
    for name in released_files(handout):
        assert seed not in (handout / name).read_text(encoding="utf-8", errors="replace"), (
            f"{name} contains the rubric's seed {seed}"
        )


# ---------------------------------------------------------- student environment


def test_requirements_pin_the_kit_versions_and_nothing_of_the_grader():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    kit = dict(dep.split("==") for dep in pyproject["project"]["dependencies"])
    pins = {}
    for line in (TEMPLATES / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"requirements.txt: {line!r} is not pinned"
            pins[name.lower()] = version
    for name in ("numpy", "matplotlib", "scikit-learn", "ipykernel"):
        assert pins.get(name) == kit[name], f"{name}: student {pins.get(name)}, kit {kit[name]}"
    assert "notebook" in pins or "jupyterlab" in pins or "jupyter" in pins, "no way to open the notebooks"
    for grader_only in ("nbgrader", "torch", "pytest", "rich", "autograder"):
        assert grader_only not in pins, f"{grader_only} is not for students"


def test_readme_covers_setup_code_checks_and_submission():
    readme = (TEMPLATES / "README.md").read_text(encoding="utf-8")
    for needle in (
        "pip install -r requirements.txt",
        "layers/conv.py",
        "layers/norm.py",
        "python -m layers.selfcheck",
        "bash collate.sh",
        "_submission.tar.gz",
    ):
        assert needle in readme, needle


def test_readme_states_the_python_versions_the_pins_support():
    """The student README, the kit's README and pyproject's requires-python name the same versions."""
    requires = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    assert requires == ">=3.11,<3.14"
    student = (TEMPLATES / "README.md").read_text(encoding="utf-8")
    kit = (REPO / "README.md").read_text(encoding="utf-8")
    assert "Python 3.11, 3.12 or 3.13" in student and "Python 3.11, 3.12 or 3.13" in kit
    # What a student on 3.10 sees, and what to do about it.
    assert "No matching distribution found for numpy==" in student and "python3.12 -m venv .venv" in student
    assert "3.10 or older" in kit
    numpy_pin = next(
        dep
        for dep in tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
        if dep.startswith("numpy==")
    )
    assert numpy_pin in student


def test_readme_gives_the_notebook_order_colab_and_how_vectorization_is_checked(released_handout):
    readme = (TEMPLATES / "README.md").read_text(encoding="utf-8")
    order = [
        "ConvolutionalLayers.ipynb",
        "BatchNormalization.ipynb",
        "LayerGroupInstanceNorm.ipynb",
        "DigitsExperiments.ipynb",
    ]
    assert sorted(order) == sorted(p.name for p in released_handout.glob("*.ipynb"))
    section = readme.split("## 3. The notebooks, in this order")[1].split("## 4.")[0]
    positions = [section.index(f"`{name}`") for name in order]
    assert positions == sorted(positions)
    assert "conv_forward_fast" in section  # why BatchNormalization comes after the convolution
    colab = readme.split("## 6. Working on Google Colab")[1]
    for needle in (
        "do **not** run\n`pip install -r requirements.txt`",
        "Run its first cell",
        "File > Save",
        "bash collate.sh YOUR_ID",
        "in place\nof the old one",
    ):
        assert needle in colab, needle
    vectorized = readme.split('### What "vectorized" means, and how it is checked')[1].split("## 5.")[0]
    for needle in (
        "N (the batch size), H' or W'",
        "Loops over F, C, HH or WW",
        "not by timing",
        "(1x, 2x, 4x)",
        "`python -m layers.selfcheck`\nruns the same check",
    ):
        assert needle in vectorized, needle
