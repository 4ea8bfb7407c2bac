"""The rubric's schema: every mistake an instructor can make in rubric.toml is refused up front.

Each test edits one line of the shipped rubric and checks that loading it
fails with the file, the key and what is wrong; and that `autograder grade`
then exits 2 before grading anyone (no results.json is written), so a
configuration error is never reported as a student's failed test.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import autograder_command

from autograder import paths
from autograder.rubric import RubricError, load_rubric

SHIPPED = paths.RUBRIC_FILE.read_text(encoding="utf-8")


def edited(tmp_path: Path, pattern: str, replacement: str) -> Path:
    text, count = re.subn(pattern, replacement, SHIPPED, count=1, flags=re.M)
    assert count == 1, pattern
    path = tmp_path / "rubric.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_rubric_loads_and_adds_up():
    rubric = load_rubric()
    assert rubric.max_score == rubric.total == 100
    assert rubric.points["conv_forward_fast"]["vectorized"] > 0
    assert rubric.call_seconds > 0 and rubric.limits.seconds > rubric.call_seconds


MISTAKES = [
    (
        "misspelt key",
        r"^forward_rtol = .*$",
        "forward_rtl = 1e-7",
        ["[tolerance]", "unknown key 'forward_rtl'", "did you mean 'forward_rtol'"],
    ),
    (
        "string for a number",
        r"^forward_rtol = .*$",
        'forward_rtol = "1e-7"',
        ["tolerance.forward_rtol must be a number", "'1e-7'"],
    ),
    ("missing key", r"^backward_atol = .*$\n", "", ["[tolerance] is missing the key 'backward_atol'"]),
    ("negative limit", r"^call_seconds = .*$", "call_seconds = -1", ["limits.call_seconds must be > 0"]),
    (
        "float for a whole number",
        r"^memory_mb = .*$",
        "memory_mb = 4096.5",
        ["limits.memory_mb must be a whole number"],
    ),
    (
        "bool for a whole number",
        r"^numerical_cases = .*$",
        "numerical_cases = true",
        ["tolerance.numerical_cases must be a whole number"],
    ),
    ("points that do not add up", r"^output = 9$", "output = 8.5", ["the points add up to 99.5, but total = 100"]),
    ("unknown category", r"^output = 9$", "outptu = 9", ["[points.conv_forward_naive]", "did you mean 'output'"]),
    ("unknown function", r"^\[points.layernorm_forward\]$", "[points.layernorm_fwd]", ["unknown key 'layernorm_fwd'"]),
    (
        "vectorized on a function that is not checked",
        r"^output = 9$",
        "output = 6\nvectorized = 3",
        ["points.conv_forward_naive.vectorized: only conv_forward_fast, conv_backward_fast"],
    ),
    (
        "bad visibility",
        r"^case_visibility = .*$",
        'case_visibility = "secret"',
        ["feedback.case_visibility must be one of"],
    ),
    (
        "bad vectorization input",
        r"^x = \[2, 2, 3, 4\]$",
        "x = [2, 3, 3, 4]",
        ["[vectorized]", "not a valid conv input"],
    ),
    ("unknown section", r"^\[limits\]$", "[limit]", ["unknown key 'limit'", "did you mean 'limits'"]),
]


@pytest.mark.parametrize("pattern, replacement, words", [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_rubric_mistake_is_refused_naming_the_key(tmp_path, pattern, replacement, words):
    path = edited(tmp_path, pattern, replacement)
    with pytest.raises(RubricError) as raised:
        load_rubric(path)
    message = str(raised.value)
    assert str(path) in message
    for word in words:
        assert word in message, message


def test_grade_with_a_broken_rubric_exits_2_before_grading(tmp_path):
    path = edited(tmp_path, r"^forward_rtol = .*$", "forward_rtl = 1e-7")
    submission = tmp_path / "student" / "layers"
    submission.mkdir(parents=True)
    for module in paths.STUDENT_MODULES:
        (submission / module).write_text((paths.SOLUTION_LAYERS_DIR / module).read_text())
    out = tmp_path / "out"
    result = subprocess.run(
        [*autograder_command(), "grade", str(submission.parent), "--out", str(out), "--rubric", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "forward_rtl" in result.stderr and str(path) in result.stderr
    assert not list(out.glob("*/results.json"))
