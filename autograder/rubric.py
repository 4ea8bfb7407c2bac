"""Load and validate `rubric.toml`: points, tolerances, the vectorization input, limits.

One schema (`SCHEMA`) says every section, key, type and allowed range. A
rubric that does not match it (an unknown or misspelt key, a missing one, a
string where a number belongs, a value out of range, points that do not add
up to the declared total) is refused before anyone is graded, with the file,
the key and what is wrong: the grader's configuration errors are never
reported as a student's failed test.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

from autograder import paths
from autograder.contract import GRADED_FUNCTIONS, VECTORIZED_FUNCTIONS
from autograder.isolation.limits import Limits

CATEGORIES = ("output", "state", "purity", "reference", "numerical", "vectorized", "structure", "completed")
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


class RubricError(ValueError):
    """The rubric file is missing something or has an impossible value."""


@dataclass(frozen=True)
class Key:
    """One key of the schema: its type ("number", "integer", "string", "shape"), bounds, choices."""

    kind: str
    minimum: float | None = None
    maximum: float | None = None
    above: float | None = None  # strictly greater than
    choices: tuple[str, ...] = ()


_POSITIVE = Key("number", above=0)
_VISIBILITY = Key("string", choices=VISIBILITIES)
SCHEMA: dict[str, dict[str, Key]] = {
    "limits": {
        "call_seconds": _POSITIVE,
        "submission_seconds": _POSITIVE,
        "memory_mb": Key("integer", minimum=64),
        "cpu_seconds": Key("integer", minimum=1),
        "file_mb": Key("integer", minimum=1),
        "processes": Key("integer", minimum=4),
    },
    "tolerance": {
        "forward_rtol": _POSITIVE,
        "forward_atol": Key("number", minimum=0),
        "backward_rtol": _POSITIVE,
        "backward_atol": Key("number", minimum=0),
        "numerical_h": _POSITIVE,
        "numerical_rtol": _POSITIVE,
        "numerical_directions": Key("integer", minimum=1, maximum=20),
        "numerical_cases": Key("integer", minimum=1, maximum=10),
    },
    "vectorized": {
        "x": Key("shape"),
        "w": Key("shape"),
        "stride": Key("integer", minimum=1),
        "pad": Key("integer", minimum=0),
    },
    "feedback": {
        "case_visibility": _VISIBILITY,
        "summary_visibility": _VISIBILITY,
        "gradescope_case_visibility": _VISIBILITY,
        "gradescope_summary_visibility": _VISIBILITY,
    },
}
TOP_LEVEL = ("seed", "total", "points", *SCHEMA)


@dataclass
class Rubric:
    seed: int
    total: float
    points: dict[str, dict[str, float]]
    tolerance: dict[str, float]
    vectorized: dict
    feedback: dict[str, str]
    limits: Limits
    call_seconds: float

    @property
    def max_score(self) -> float:
        return float(sum(sum(categories.values()) for categories in self.points.values()))


def _unknown(where: str, key: str, known) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(known)})"
    return f"{where}: unknown key '{key}'{hint}"


def _value(where: str, value, key: Key):
    """VALUE checked against KEY; raises RubricError naming WHERE."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if key.kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            raise RubricError(f"{where} must be a whole number, not {value!r}")
    elif key.kind == "number":
        if not number or not math.isfinite(value):
            raise RubricError(f"{where} must be a number, not {value!r}")
    elif key.kind == "string":
        if not isinstance(value, str) or (key.choices and value not in key.choices):
            raise RubricError(f"{where} must be one of {', '.join(key.choices)}, not {value!r}")
        return value
    elif key.kind == "shape":
        if (
            not isinstance(value, list)
            or len(value) != 4
            or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in value)
        ):
            raise RubricError(f"{where} must be a list of 4 whole numbers >= 1, not {value!r}")
        return [int(n) for n in value]
    if key.minimum is not None and value < key.minimum:
        raise RubricError(f"{where} must be >= {key.minimum}, not {value!r}")
    if key.maximum is not None and value > key.maximum:
        raise RubricError(f"{where} must be <= {key.maximum}, not {value!r}")
    if key.above is not None and value <= key.above:
        raise RubricError(f"{where} must be > {key.above}, not {value!r}")
    return value


def _section(path: Path, data: dict, name: str) -> dict:
    table = data.get(name)
    if not isinstance(table, dict):
        raise RubricError(f"{path}: missing section [{name}]")
    schema = SCHEMA[name]
    for key in table:
        if key not in schema:
            raise RubricError(_unknown(f"{path}: [{name}]", key, schema))
    checked = {}
    for key, spec in schema.items():
        if key not in table:
            raise RubricError(f"{path}: [{name}] is missing the key '{key}'")
        checked[key] = _value(f"{path}: {name}.{key}", table[key], spec)
    return checked


def _points(path: Path, data: dict) -> dict[str, dict[str, float]]:
    points = data.get("points")
    if not isinstance(points, dict):
        raise RubricError(f"{path}: missing section [points]")
    known = (*GRADED_FUNCTIONS, "notebooks")
    for function in points:
        if function not in known:
            raise RubricError(_unknown(f"{path}: [points]", function, known))
    missing = [f for f in GRADED_FUNCTIONS if f not in points]
    if missing:
        raise RubricError(f"{path}: [points] has no entry for {', '.join(missing)}")
    result = {}
    for function, categories in points.items():
        if not isinstance(categories, dict):
            raise RubricError(f"{path}: points.{function} must be a table [points.{function}]")
        for category, value in categories.items():
            if category not in CATEGORIES:
                raise RubricError(_unknown(f"{path}: [points.{function}]", category, CATEGORIES))
            _value(f"{path}: points.{function}.{category}", value, Key("number", minimum=0))
        if "vectorized" in categories and function not in VECTORIZED_FUNCTIONS:
            raise RubricError(
                f"{path}: points.{function}.vectorized: only {', '.join(VECTORIZED_FUNCTIONS)} "
                "are checked for vectorization"
            )
        if "completed" in categories and function != "notebooks":
            raise RubricError(f"{path}: points.{function}.completed: only [points.notebooks] has 'completed'")
        result[function] = {c: float(v) for c, v in categories.items()}
    return result


def load_rubric(path: Path | None = None) -> Rubric:
    path = Path(path or paths.RUBRIC_FILE)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise RubricError(f"cannot read the rubric {path}: {error}") from error
    for key in data:
        if key not in TOP_LEVEL:
            raise RubricError(_unknown(f"{path}", key, TOP_LEVEL))
    for key in ("seed", "total"):
        if key not in data:
            raise RubricError(f"{path}: missing the top-level key '{key}'")
    seed = _value(f"{path}: seed", data["seed"], Key("integer", minimum=0))
    total = _value(f"{path}: total", data["total"], Key("number", above=0))
    sections = {name: _section(path, data, name) for name in SCHEMA}
    points = _points(path, data)
    added = sum(sum(c.values()) for c in points.values())
    if abs(added - total) > 1e-9 * max(1.0, total):
        raise RubricError(f"{path}: the points add up to {added:g}, but total = {total:g}")
    vectorized = sections["vectorized"]
    x, w, pad = vectorized["x"], vectorized["w"], vectorized["pad"]
    if x[1] != w[1] or x[2] + 2 * pad < w[2] or x[3] + 2 * pad < w[3]:
        raise RubricError(
            f"{path}: [vectorized] x {x}, w {w}, pad {pad} is not a valid conv input "
            "(x (N,C,H,W), w (F,C,HH,WW): same C, and the filter must fit the padded input)"
        )
    limits = sections["limits"]
    return Rubric(
        seed=int(seed),
        total=float(total),
        points=points,
        tolerance={k: float(v) for k, v in sections["tolerance"].items()},
        vectorized=vectorized,
        feedback=sections["feedback"],
        limits=Limits(
            seconds=float(limits["submission_seconds"]),
            memory_mb=limits["memory_mb"],
            cpu_seconds=limits["cpu_seconds"],
            file_mb=limits["file_mb"],
            processes=limits["processes"],
        ),
        call_seconds=float(limits["call_seconds"]),
    )
