"""The nbgrader notebooks: they run, they release, they leak nothing, and
inspect_notebook reads submissions correctly.

1. Every source notebook in solutions/ runs top to bottom without an error in a
   real kernel, against the reference layers, and draws every figure it means to,
   each rendered to a PNG that is neither tiny nor blank.
2. The released notebooks, run beside stub layers whose functions all raise
   NotImplementedError, fail only with NotImplementedError.
3. No line of a solution region of a source notebook appears in its release.
4. inspect_notebook on executed, unexecuted, edited and broken notebooks.

The measured times are printed (run with -s, or read them in the captured
output); no test races a clock against the machine's load, so the only time
limit is CELL_TIMEOUT, far above any cell's run time, which stops a hang.
How long each notebook takes is measured by benchmarks/bench_notebooks.py.
"""

from __future__ import annotations

import ast
import base64
import copy
import io
import json
import os
import re
import shutil
import time
from pathlib import Path

import matplotlib.image
import nbformat
import pytest
from nbclient import NotebookClient

from autograder.checks.notebooks import inspect_notebook
from autograder.release.notebooks import release_notebooks

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO / "solutions"
NOTEBOOKS = sorted(path.name for path in SOLUTIONS.glob("*.ipynb"))
STUDENT_MODULES = ("conv.py", "norm.py")
CELL_TIMEOUT = 300  # seconds, per cell; a hang fails the test instead of blocking it
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
TRIVIAL_LINES = {"pass", "else:", "try:", "finally:", "return", "continue", "break"}


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 3, NOTEBOOKS


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def execute(path: Path, cwd: Path) -> tuple[nbformat.NotebookNode, float]:
    """Run a notebook top to bottom in a fresh kernel (errors recorded, not raised)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(cwd)}},
    )
    started = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - started


def errors_of(nb) -> list[tuple[str, str, str]]:
    """(cell id, ename, evalue) of every error output."""
    found = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                found.append((cell.get("id", "?"), output.ename, output.evalue))
    return found


def python_source(cell_source: str) -> str:
    """Cell source with IPython magics and shell lines turned into `pass`."""
    return "\n".join("pass" if line.lstrip().startswith(("%", "!")) else line for line in cell_source.splitlines())


def figure_cells(nb) -> list[str]:
    """Ids of the code cells that should draw a figure.

    A cell draws one when a top-level statement other than a definition or an
    import calls `plt.show()`, or calls a function defined in an earlier cell
    whose body calls it (a plotting helper).
    """
    plotting_functions: set[str] = set()
    expected = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = python_source(cell.source)
        tree = ast.parse(source)
        draws = False
        for node in tree.body:
            segment = ast.get_source_segment(source, node) or ""
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                if "plt.show(" in segment:
                    plotting_functions.add(node.name)
                continue
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            called = {
                sub.func.id for sub in ast.walk(node) if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name)
            }
            if "plt.show(" in segment or called & plotting_functions:
                draws = True
        if draws:
            expected.append(cell.id)
    return expected


def has_image(cell) -> bool:
    return any("image/png" in output.get("data", {}) for output in cell.get("outputs", []))


def rendered_pngs(cell) -> list[bytes]:
    return [
        base64.b64decode(output["data"]["image/png"])
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]


def png_problem(data: bytes) -> str | None:
    """Why a rendered figure is unusable (not a PNG, tiny, or one flat colour), or None."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return "not a PNG"
    pixels = matplotlib.image.imread(io.BytesIO(data), format="png")
    height, width = pixels.shape[:2]
    if width < 200 or height < 150:
        return f"only {width}x{height} pixels"
    if float(pixels[..., :3].std()) < 0.02:
        return "blank (one colour)"
    return None


def stub_module(source: str) -> str:
    """The module with the body of every function replaced by `raise NotImplementedError`.

    Docstrings are kept. This is how a student's untouched handout behaves.
    """
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = []
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(getattr(first, "value", None), ast.Constant)
                and isinstance(first.value.value, str)
            ):
                body.append(first)
            body.append(ast.Raise(exc=ast.Name(id="NotImplementedError", ctx=ast.Load()), cause=None))
            node.body = body
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def solution_regions(nb) -> list[str]:
    """Every non-trivial line inside a solution region of a source notebook.

    In code cells a region is the lines strictly between the markers; a
    solution markdown cell (a manually graded answer) is a region as a whole,
    since nbgrader replaces all of it.
    """
    lines = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        body = cell.source.splitlines()
        if cell.cell_type == "markdown" and meta.get("solution") and BEGIN not in cell.source:
            region = body
        else:
            region, inside = [], False
            for line in body:
                if BEGIN in line:
                    inside = True
                elif END in line:
                    inside = False
                elif inside:
                    region.append(line)
        for line in region:
            text = line.strip()
            if text and text not in TRIVIAL_LINES and re.search(r"[A-Za-z0-9]", text):
                lines.append(text)
    return lines


# ---------------------------------------------------------------------------
# Shared, expensive steps (each done once per session)
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def solution_copy(tmp_path_factory) -> Path:
    """A copy of solutions/ (reference layers and source notebooks)."""
    target = tmp_path_factory.mktemp("solutions") / "solutions"
    shutil.copytree(SOLUTIONS, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"))
    return target


@pytest.fixture(scope="session")
def released_dir(tmp_path_factory) -> tuple[Path, list[Path]]:
    """The notebooks released by nbgrader into an empty folder."""
    target = tmp_path_factory.mktemp("released")
    written = release_notebooks(SOLUTIONS, target)
    return target, written


@pytest.fixture(scope="session")
def stub_handout(tmp_path_factory, released_dir) -> Path:
    """A handout: the released notebooks beside layers/ whose student modules are stubs."""
    handout = tmp_path_factory.mktemp("handout")
    layers = handout / "layers"
    shutil.copytree(SOLUTIONS / "layers", layers, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in STUDENT_MODULES:
        module = layers / name
        module.write_text(stub_module(module.read_text(encoding="utf-8")), encoding="utf-8")
    for notebook in released_dir[1]:
        shutil.copyfile(notebook, handout / notebook.name)
    return handout


_executed: dict[tuple[str, str], tuple[nbformat.NotebookNode, float]] = {}


def executed(kind: str, name: str, folder: Path):
    """Execute `folder/name` once per session (kind tells the cache apart)."""
    key = (kind, name)
    if key not in _executed:
        _executed[key] = execute(folder / name, folder)
    return _executed[key]


# ---------------------------------------------------------------------------
# 1. Source notebooks run clean against the reference
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_source_notebook_runs_clean_and_draws_every_figure(name, solution_copy, capsys):
    # One test per notebook (not one per property), so that pytest-xdist never
    # executes the same notebook in two workers.
    nb, seconds = executed("solutions", name, solution_copy)
    with capsys.disabled():
        print(f"\n[notebook timing] {name} (solutions, reference layers): {seconds:.1f} s")
    assert errors_of(nb) == []
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code" and cell.source.strip()]
    assert all(cell.execution_count is not None for cell in code_cells)
    expected = figure_cells(nb)
    assert expected, f"{name} draws no figure"
    missing = [cell.id for cell in nb.cells if cell.id in expected and not has_image(cell)]
    assert missing == [], f"cells of {name} that should show a figure but do not: {missing}"
    # Every figure rendered to a usable PNG; KIT_FIGURES_DIR=DIR keeps them (docs/figures comes from there).
    export = os.environ.get("KIT_FIGURES_DIR")
    for cell in nb.cells:
        for k, data in enumerate(rendered_pngs(cell)):
            assert png_problem(data) is None, f"{name}, cell {cell.id}: {png_problem(data)}"
            if export:
                Path(export).mkdir(parents=True, exist_ok=True)
                (Path(export) / f"{Path(name).stem}-{cell.id}-{k}.png").write_bytes(data)


def test_source_notebooks_are_committed_without_outputs():
    for name in NOTEBOOKS:
        nb = nbformat.read(SOLUTIONS / name, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{name}: {cell.id}"


def test_first_code_cells_find_the_handout_then_set_seeds_and_inline_plots():
    locators = {}
    for name in NOTEBOOKS:
        nb = nbformat.read(SOLUTIONS / name, as_version=4)
        first, second = [cell for cell in nb.cells if cell.cell_type == "code"][:2]
        assert "def find_handout(" in first.source and f'NOTEBOOK = "{name}"' in first.source, name
        assert "pip install" not in first.source, name
        locators[name] = first.source.replace(f'NOTEBOOK = "{name}"', 'NOTEBOOK = ""')
        assert "%matplotlib inline" in second.source, name
        assert "np.random.seed(" in second.source and "default_rng(" in second.source, name
    assert len(set(locators.values())) == 1, "the handout locator cells differ between notebooks"


# ---------------------------------------------------------------------------
# 2. Released notebooks: nbgrader output, deterministic, only NotImplementedError
# ---------------------------------------------------------------------------


def test_release_writes_only_the_notebooks(released_dir):
    target, written = released_dir
    assert sorted(path.name for path in written) == NOTEBOOKS
    assert sorted(path.name for path in target.iterdir()) == NOTEBOOKS  # no layers/, no gradebook


def test_release_is_deterministic(released_dir, tmp_path):
    again = release_notebooks(SOLUTIONS, tmp_path)
    for first, second in zip(released_dir[1], again):
        assert first.read_bytes() == second.read_bytes(), first.name


def test_released_notebooks_have_stubs_and_locked_cells(released_dir):
    for path in released_dir[1]:
        nb = nbformat.read(path, as_version=4)
        text = path.read_text(encoding="utf-8")
        assert BEGIN not in text and END not in text
        assert str(SOLUTIONS) not in text and str(path.parent) not in text
        kinds = {"solution": 0, "answer_or_stub": 0, "locked": 0}
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            assert cell.cell_type != "code" or (cell.outputs == [] and cell.execution_count is None)
            if meta.get("locked"):
                kinds["locked"] += 1
                assert cell.metadata.get("editable") is False and cell.metadata.get("deletable") is False
            if meta.get("solution"):
                kinds["solution"] += 1
                if cell.cell_type == "markdown":
                    assert cell.source == "YOUR ANSWER HERE"
                    assert meta.get("grade") and meta.get("points", 0) > 0
                else:
                    assert "raise NotImplementedError()" in cell.source
        assert kinds["solution"] >= 1 and kinds["locked"] >= 3, (path.name, kinds)


def test_stub_modules_raise(stub_handout):
    for name in STUDENT_MODULES:
        tree = ast.parse((stub_handout / "layers" / name).read_text(encoding="utf-8"))
        functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
        assert functions and all(isinstance(node.body[-1], ast.Raise) for node in functions)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_released_notebook_fails_only_with_not_implemented(name, stub_handout, capsys):
    nb, seconds = executed("released", name, stub_handout)
    errors = errors_of(nb)
    with capsys.disabled():
        print(
            f"\n[notebook timing] {name} (released, stub layers): {seconds:.1f} s, "
            f"{len(errors)} NotImplementedError cells"
        )
    others = [error for error in errors if error[1] != "NotImplementedError"]
    assert others == [], f"{name}: errors other than NotImplementedError: {others}"
    assert errors, f"{name}: nothing raised NotImplementedError, so nothing is left to implement"


# ---------------------------------------------------------------------------
# 3. No solution text in the release
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_no_solution_line_is_released(name, released_dir):
    source = nbformat.read(SOLUTIONS / name, as_version=4)
    secret = solution_regions(source)
    assert secret, f"{name} has no solution region"
    released = nbformat.read(released_dir[0] / name, as_version=4)
    released_lines = {line.strip() for cell in released.cells for line in cell.source.splitlines()}
    leaked = [line for line in secret if line in released_lines]
    assert leaked == [], f"solution lines of {name} in its release: {leaked}"


def test_solution_regions_parser_sees_markdown_answers():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(f"def f():\n    {BEGIN}\n    return 42\n    {END}"),
            nbformat.v4.new_markdown_cell("Because of memory.\n\n", metadata={"nbgrader": {"solution": True}}),
            nbformat.v4.new_markdown_cell("Instructions.", metadata={"nbgrader": {"locked": True}}),
        ]
    )
    assert solution_regions(nb) == ["return 42", "Because of memory."]


# ---------------------------------------------------------------------------
# 4. inspect_notebook
# ---------------------------------------------------------------------------


def _ids(nb, predicate) -> list[str]:
    return sorted(
        cell.metadata["nbgrader"]["grade_id"]
        for cell in nb.cells
        if "nbgrader" in cell.metadata and predicate(cell, cell.metadata["nbgrader"])
    )


def _solution_ids(nb):
    return _ids(nb, lambda cell, meta: meta.get("solution") and cell.cell_type == "code")


def _answer_ids(nb):
    return _ids(nb, lambda cell, meta: meta.get("solution") and cell.cell_type == "markdown")


@pytest.fixture(scope="session")
def inspected_name() -> str:
    """A notebook with both a solution code cell and an answer cell."""
    for name in NOTEBOOKS:
        nb = nbformat.read(SOLUTIONS / name, as_version=4)
        if _solution_ids(nb) and _answer_ids(nb):
            return name
    pytest.fail("no notebook has both a solution cell and an answer cell")


def test_inspect_unexecuted_release(released_dir, inspected_name):
    path = released_dir[0] / inspected_name
    nb = nbformat.read(path, as_version=4)
    report = inspect_notebook(path, path)
    assert report["valid"] and report["problem"] is None
    assert report["code_cells"] > 0 and report["executed_cells"] == 0 and report["cells_with_outputs"] == 0
    assert not report["executed"] and report["errors"] == []
    assert sorted(report["unchanged_solutions"]) == _solution_ids(nb) and report["changed_solutions"] == []
    assert sorted(report["unchanged_answers"]) == _answer_ids(nb) and report["changed_answers"] == []
    assert report["modified_locked_cells"] == [] and report["missing_cells"] == []


def test_inspect_executed_release(released_dir, stub_handout, inspected_name, tmp_path):
    nb, _ = executed("released", inspected_name, stub_handout)
    submitted = tmp_path / inspected_name
    nbformat.write(nb, submitted)
    report = inspect_notebook(submitted, released_dir[0] / inspected_name)
    assert report["valid"]
    assert report["executed"] and report["executed_in_order"]
    assert report["executed_cells"] == report["code_cells"] > 0
    assert report["cells_with_outputs"] > 0
    assert report["errors"] and report["only_not_implemented_errors"]
    assert all(error["grade_id"] for error in report["errors"])
    assert sorted(report["unchanged_solutions"]) == _solution_ids(nb)
    assert report["modified_locked_cells"] == [] and report["missing_cells"] == []


def test_inspect_executed_solution(solution_copy, released_dir, inspected_name, tmp_path):
    """A completed notebook: solutions and answers filled in, run, no errors."""
    nb, _ = executed("solutions", inspected_name, solution_copy)
    submitted = tmp_path / inspected_name
    nbformat.write(nb, submitted)
    report = inspect_notebook(submitted, released_dir[0] / inspected_name)
    assert report["valid"] and report["executed"] and report["errors"] == []
    assert report["unchanged_solutions"] == [] and sorted(report["changed_solutions"]) == _solution_ids(nb)
    assert report["unchanged_answers"] == [] and sorted(report["changed_answers"]) == _answer_ids(nb)
    assert report["modified_locked_cells"] == []


def test_inspect_edited_notebook(released_dir, inspected_name, tmp_path):
    released_path = released_dir[0] / inspected_name
    nb = nbformat.read(released_path, as_version=4)
    solution_id = _solution_ids(nb)[0]
    answer_id = _answer_ids(nb)[0]
    locked = [cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("locked")]
    edited_locked, deleted = locked[1], locked[2]
    edited = copy.deepcopy(nb)
    for cell in edited.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == solution_id:
            cell.source = cell.source.replace("raise NotImplementedError()", "return 1.0")
        elif grade_id == answer_id:
            cell.source = "Because it copies every window."
        elif grade_id == edited_locked.metadata["nbgrader"]["grade_id"]:
            cell.source += "\nprint('changed')"
    # Trailing whitespace and blank lines alone do not count as a change.
    other = [cell for cell in edited.cells if cell.metadata.get("nbgrader", {}).get("locked")][0]
    other.source = other.source + "   \n\n"
    deleted_id = deleted.metadata["nbgrader"]["grade_id"]
    edited.cells = [cell for cell in edited.cells if cell.metadata.get("nbgrader", {}).get("grade_id") != deleted_id]
    submitted = tmp_path / inspected_name
    nbformat.write(edited, submitted)

    report = inspect_notebook(submitted, released_path)
    assert report["valid"]
    assert solution_id in report["changed_solutions"] and solution_id not in report["unchanged_solutions"]
    assert answer_id in report["changed_answers"] and answer_id not in report["unchanged_answers"]
    assert report["modified_locked_cells"] == [edited_locked.metadata["nbgrader"]["grade_id"]]
    assert report["missing_cells"] == [deleted_id]


def test_inspect_broken_files(released_dir, inspected_name, tmp_path):
    released_path = released_dir[0] / inspected_name
    everything = len(_ids(nbformat.read(released_path, as_version=4), lambda cell, meta: True))

    missing = inspect_notebook(tmp_path / "nope.ipynb", released_path)
    assert not missing["valid"] and "cannot read" in missing["problem"]
    assert len(missing["missing_cells"]) == everything

    garbage = tmp_path / "garbage.ipynb"
    garbage.write_bytes(b"\x89PNG\r\n not json at all")
    report = inspect_notebook(garbage, released_path)
    assert not report["valid"] and "JSON" in report["problem"]

    not_notebook = tmp_path / "list.ipynb"
    not_notebook.write_text(json.dumps([1, 2, 3]))
    report = inspect_notebook(not_notebook, released_path)
    assert not report["valid"] and "no list of cells" in report["problem"]

    # JSON with cells but not a valid notebook: reported invalid, cells still read.
    raw = json.loads(released_path.read_text(encoding="utf-8"))
    del raw["metadata"]
    raw["cells"][0]["bogus"] = True
    schema_broken = tmp_path / "schema.ipynb"
    schema_broken.write_text(json.dumps(raw))
    report = inspect_notebook(schema_broken, released_path)
    assert not report["valid"] and "nbformat" in report["problem"]
    assert report["missing_cells"] == [] and report["code_cells"] > 0

    # Errors that are not NotImplementedError are reported as such.
    raw = json.loads(released_path.read_text(encoding="utf-8"))
    code = next(cell for cell in raw["cells"] if cell["cell_type"] == "code")
    code["execution_count"] = 1
    code["outputs"] = [
        {"output_type": "error", "ename": "NameError", "evalue": "name 'x' is not defined", "traceback": []}
    ]
    crashed = tmp_path / "crashed.ipynb"
    crashed.write_text(json.dumps(raw))
    report = inspect_notebook(crashed, released_path)
    assert report["valid"] and not report["executed"] and report["executed_cells"] == 1
    assert report["errors"][0]["ename"] == "NameError" and not report["only_not_implemented_errors"]
