"""The student release: generated from solutions/, up to date, and free of solution code."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import paths
from autograder.release.handout import ReleaseError, generate_handout
from autograder.release.stubs import MarkerError, find_regions, make_stub, solution_lines

REFERENCE_MODULES = [paths.SOLUTION_LAYERS_DIR / name for name in paths.STUDENT_MODULES]


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.fixture(scope="module")
def fresh_release(released_handout) -> Path:
    return released_handout


def test_committed_assignment_is_what_generation_produces(fresh_release):
    committed, generated = _tree(paths.ASSIGNMENT_DIR), _tree(fresh_release)
    assert sorted(committed) == sorted(generated), "run `autograder release` and commit assignment/"
    stale = [name for name in generated if committed[name] != generated[name]]
    assert not stale, f"assignment/ is out of date for {stale}: run `autograder release` and commit it"


def test_release_is_deterministic(fresh_release, tmp_path):
    again = tmp_path / "again"
    generate_handout(again)
    assert _tree(again) == _tree(fresh_release)


def _secret_lines() -> set[str]:
    """Lines of solution regions that appear nowhere outside a region in the sources."""
    public = set()
    for source in paths.SOLUTION_LAYERS_DIR.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        inside = {line.strip() for region in find_regions(text) for line in region.body}
        public |= {line.strip() for line in text.splitlines()} - inside
    secret = set()
    for module in REFERENCE_MODULES:
        secret |= solution_lines(module.read_text(encoding="utf-8"))
    return secret - public


def test_every_graded_function_has_a_solution_region():
    for module in REFERENCE_MODULES:
        assert len(find_regions(module.read_text(encoding="utf-8"))) >= 4, module


def test_no_solution_line_reaches_the_release(fresh_release):
    secret = _secret_lines()
    assert len(secret) > 50, "the leak check needs the reference's solution lines to compare with"
    for path in fresh_release.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            leaked = [line for line in text.splitlines() if line.strip() in secret]
            assert not leaked, f"{path.relative_to(fresh_release)} contains solution lines: {leaked[:3]}"


def test_stubs_import_and_raise_not_implemented(fresh_release):
    script = (
        "import layers.conv as c, layers.norm as n, numpy as np\n"
        "try:\n    c.conv_forward_naive(np.zeros((1,1,3,3)), np.zeros((1,1,2,2)), np.zeros(1), "
        "{'stride': 1, 'pad': 0})\nexcept NotImplementedError:\n    print('stub ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=fresh_release, capture_output=True, text=True)
    assert result.stdout.strip() == "stub ok", result.stderr


def test_given_modules_are_released_unchanged(fresh_release):
    for source in paths.SOLUTION_LAYERS_DIR.glob("*.py"):
        if source.name not in paths.STUDENT_MODULES:
            assert filecmp.cmp(source, fresh_release / "layers" / source.name, shallow=False), source.name


def test_manifest_lists_the_released_stubs(fresh_release):
    from autograder.release.handout import sha256_of

    lines = dict(reversed(line.split("  ", 1)) for line in (fresh_release / "MANIFEST.sha256").read_text().splitlines())
    for module in paths.STUDENT_MODULES:
        assert lines[f"layers/{module}"] == sha256_of(fresh_release / "layers" / module)


def test_release_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "work.txt").write_text("student work")
    with pytest.raises(ReleaseError, match="not empty"):
        generate_handout(tmp_path)
    assert (tmp_path / "work.txt").read_text() == "student work"
    result = subprocess.run(
        [sys.executable, "-m", "autograder", "release", "--out", str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode == 2 and "--force" in result.stderr


def test_make_stub_replaces_regions_at_their_indentation():
    source = (
        "import numpy as np\n\n### BEGIN SOLUTION\ndef helper():\n    return 1\n### END SOLUTION\n\n"
        'def f(x):\n    """Doc."""\n    ### BEGIN SOLUTION\n    y = helper() + x\n    ### END SOLUTION\n'
        "    return y\n"
    )
    stub = make_stub(source)
    assert "helper() + x" not in stub and "return 1" not in stub
    assert "    # YOUR CODE HERE\n    raise NotImplementedError\n    return y" in stub
    assert "\n# YOUR CODE HERE\n\ndef f" in stub  # module level: a comment only, so the stub imports
    compile(stub, "stub", "exec")


@pytest.mark.parametrize(
    "source, message",
    [
        ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
        ("x = 1\n### END SOLUTION\n", "without a BEGIN"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "inside the region"),
        ("def f():\n    ### BEGIN SOLUTION\n    x = 1\n### END SOLUTION\n", "indented differently"),
        ("x = 1  ### BEGIN SOLUTION\n", "stand alone"),
    ],
)
def test_unbalanced_markers_are_refused_with_the_line(source, message):
    with pytest.raises(MarkerError, match=message):
        make_stub(source, "bad.py")
