"""What the notebooks say, checked without running them all: the handout
locator cell (run on its own, from working folders other than the handout),
the grading the notebooks promise against their nbgrader metadata, wording
that must match what the checks print, and the example figures in docs/.

The figures themselves are rendered and checked in test_notebooks.py, where
every source notebook is executed once.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import zlib
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO / "solutions"
NOTEBOOKS = sorted(path.name for path in SOLUTIONS.glob("*.ipynb"))
ORDER = ["ConvolutionalLayers", "BatchNormalization", "LayerGroupInstanceNorm", "DigitsExperiments"]
FIGURES = REPO / "docs" / "figures"


def locator_source(name: str) -> str:
    nb = nbformat.read(SOLUTIONS / name, as_version=4)
    return next(cell for cell in nb.cells if cell.cell_type == "code").source


# ---------------------------------------------------------------------------
# The locator cell, from other working folders
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def drive(tmp_path_factory) -> Path:
    """A folder like a Google Drive: the handout two levels below, beside an unrelated folder."""
    root = tmp_path_factory.mktemp("drive")
    handout = root / "courses" / "dl-homework"
    shutil.copytree(SOLUTIONS / "layers", handout / "layers", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(REPO / "collate.sh", handout / "collate.sh")
    for name in NOTEBOOKS:
        shutil.copyfile(SOLUTIONS / name, handout / name)
    (root / "other" / "deep").mkdir(parents=True)
    (root / "elsewhere").mkdir()
    return root


def run_locator(name: str, cwd: Path, env: dict[str, str] | None = None):
    """Run only the notebook's locator cell and `import layers`, with the kernel started in cwd."""
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(locator_source(name)),
            nbformat.v4.new_code_cell("import os, layers\nprint(os.getcwd())\nprint(layers.__file__)"),
        ]
    )
    kernel_env = {
        key: value for key, value in os.environ.items() if key not in ("HANDOUT_DIR", "JPY_SESSION_NAME", "PYTHONPATH")
    }
    kernel_env.update(env or {})
    client = NotebookClient(
        nb, timeout=60, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(cwd)}}
    )
    client.execute(env=kernel_env)
    return nb


def outputs_text(nb) -> tuple[str, list]:
    text, errors = "", []
    for cell in nb.cells:
        for output in cell.outputs:
            if output.output_type == "stream":
                text += output.text
            elif output.output_type == "error":
                errors.append((output.ename, output.evalue))
    return text, errors


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_locator_finds_the_handout_below_the_working_folder(name, drive):
    nb = run_locator(name, drive)  # like Colab: the kernel starts above the handout folder
    text, errors = outputs_text(nb)
    handout = (drive / "courses" / "dl-homework").resolve()
    assert errors == [], errors
    assert f"Working in the handout folder {handout}" in text
    assert str(handout / "layers" / "__init__.py") in text


def test_locator_uses_the_notebook_path_and_the_override(drive):
    handout = (drive / "courses" / "dl-homework").resolve()
    name = NOTEBOOKS[0]
    for env in ({"JPY_SESSION_NAME": str(handout / name)}, {"HANDOUT_DIR": str(handout)}):
        text, errors = outputs_text(run_locator(name, drive / "elsewhere", env))
        assert errors == [] and str(handout / "layers" / "__init__.py") in text, (env, text, errors)


def test_locator_says_clearly_when_it_cannot_find_the_handout(drive):
    _, errors = outputs_text(run_locator(NOTEBOOKS[0], drive / "other"))
    assert errors and errors[0][0] == "FileNotFoundError", errors
    assert "Cannot find the handout folder" in errors[0][1] and "HANDOUT" in errors[0][1]


# ---------------------------------------------------------------------------
# Grading: what the notebooks say against the nbgrader metadata
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_grading_statements_match_the_metadata(name):
    nb = nbformat.read(SOLUTIONS / name, as_version=4)
    intro = nb.cells[0].source
    solution_code = [
        cell for cell in nb.cells if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution")
    ]
    answers = [
        cell for cell in nb.cells if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("solution")
    ]
    flat = " ".join(intro.split())
    # The inline code cells carry no points, so no sentence may call them graded by hand.
    assert re.search(r"YOUR CODE HERE[^.;]*graded by hand", flat) is None, name
    if solution_code:
        assert all(not cell.metadata["nbgrader"].get("grade") for cell in solution_code)
        assert "checked for completion only" in flat, name
    # Every "(graded by hand, N points)" heading is followed by an answer cell worth N points.
    headings = []
    for k, cell in enumerate(nb.cells):
        found = re.search(r"\(graded by hand, (\d+) points?\)", cell.source)
        if cell.cell_type == "markdown" and found and cell is not nb.cells[0]:
            following = next(later for later in nb.cells[k + 1 :] if later.metadata.get("nbgrader", {}).get("solution"))
            assert following.cell_type == "markdown", (name, cell.id)
            assert following.metadata["nbgrader"].get("grade") is True
            assert following.metadata["nbgrader"].get("points") == int(found.group(1)), (name, following.id)
            headings.append(following.id)
    assert sorted(headings) == sorted(cell.id for cell in answers), name
    assert answers, f"{name} has no written question"
    total = sum(cell.metadata["nbgrader"]["points"] for cell in answers)
    count_words = {1: "one", 2: "two", 3: "three", 4: "four"}
    assert re.search(
        rf"\b({count_words[len(answers)]}|{len(answers)}) written questions are graded by hand", flat, re.IGNORECASE
    ) or (len(answers) == 1 and "written question" in flat), (name, total)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_intro_states_the_order_of_the_notebooks(name):
    intro = nbformat.read(SOLUTIONS / name, as_version=4).cells[0].source
    assert re.search(r",\s+".join(ORDER), intro), name


def test_wording_matches_what_the_checks_print():
    for name in NOTEBOOKS:
        text = "\n".join(
            cell.source
            for cell in nbformat.read(SOLUTIONS / name, as_version=4).cells
            if cell.cell_type == "markdown" and not cell.metadata.get("nbgrader", {}).get("solution")
        )
        # Gradient checks print "<= 1e-06"; exact comparisons print no "ok".
        assert "below 1e-7" not in text and "errors below 1e-7" not in text, name
        assert "typically 1.5 to 4" not in text and "within a few percent" not in text, name
        assert "graded by timing" not in text or "Not by timing" in text, name
    conv = "\n".join(cell.source for cell in nbformat.read(SOLUTIONS / "ConvolutionalLayers.ipynb", as_version=4).cells)
    for phrase in [
        "max(\\text{rtol}",
        "atol",
        "python -m layers.selfcheck",
        "counts the Python lines",
        "Not by timing",
    ]:
        assert phrase in conv, phrase


# ---------------------------------------------------------------------------
# docs/figures: one rendered key figure per notebook
# ---------------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_docs_have_one_key_figure_per_notebook():
    for stem in ORDER:
        path = FIGURES / f"{stem}.png"
        data = path.read_bytes()
        width, height = png_size(data)
        assert width >= 300 and height >= 200 and len(data) > 10_000, (path, width, height, len(data))
        assert zlib.crc32(data) != 0
    assert (FIGURES / "README.md").is_file()


def test_a_whole_notebook_runs_from_another_working_folder(drive):
    """The quickest notebook, top to bottom, with the kernel started above the handout folder."""
    name = "BatchNormalization.ipynb"
    nb = nbformat.read(drive / "courses" / "dl-homework" / name, as_version=4)
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(drive)}}
    )
    client.execute(
        env={
            key: value
            for key, value in os.environ.items()
            if key not in ("HANDOUT_DIR", "JPY_SESSION_NAME", "PYTHONPATH")
        }
    )
    errors = [
        (cell.id, output.ename)
        for cell in nb.cells
        for output in cell.get("outputs", [])
        if output.output_type == "error"
    ]
    assert errors == []
    assert all(cell.execution_count for cell in nb.cells if cell.cell_type == "code")
