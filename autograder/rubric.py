"""Load and check `rubric.toml` (points, tolerances, timing tiers, limits)."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from autograder import paths
from autograder.contract import GRADED_FUNCTIONS, TIMED_FUNCTIONS
from autograder.sandbox import Limits

CATEGORIES = ("output", "state", "purity", "reference", "numerical", "speed", "structure", "completed")
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


class RubricError(ValueError):
    """The rubric file is missing something or has an impossible value."""


@dataclass
class Rubric:
    seed: int
    points: dict[str, dict[str, float]]
    tolerance: dict[str, float]
    timing: dict
    feedback: dict[str, str]
    limits: Limits
    timing_seconds: float

    @property
    def max_score(self) -> float:
        return float(sum(sum(categories.values()) for categories in self.points.values()))

    def with_limits(self, **changes) -> "Rubric":
        """A copy with some limits changed (tests use short time limits)."""
        from dataclasses import replace

        return replace(self, limits=replace(self.limits, **changes))


def load_rubric(path: Path | None = None) -> Rubric:
    path = Path(path or paths.RUBRIC_FILE)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise RubricError(f"cannot read the rubric {path}: {error}") from error
    try:
        points = data["points"]
        unknown = set(points) - set(GRADED_FUNCTIONS) - {"notebooks"}
        if unknown:
            raise RubricError(f"{path}: [points] names unknown functions: {', '.join(sorted(unknown))}")
        missing = set(GRADED_FUNCTIONS) - set(points)
        if missing:
            raise RubricError(f"{path}: [points] has no entry for {', '.join(sorted(missing))}")
        for function, categories in points.items():
            for category, value in categories.items():
                if category not in CATEGORIES:
                    raise RubricError(f"{path}: points.{function}.{category}: unknown category "
                                      f"(one of {', '.join(CATEGORIES)})")
                if not isinstance(value, (int, float)) or value < 0:
                    raise RubricError(f"{path}: points.{function}.{category} must be a number >= 0")
            if "speed" in categories and function not in TIMED_FUNCTIONS:
                raise RubricError(f"{path}: points.{function}.speed: only {', '.join(TIMED_FUNCTIONS)} are timed")
        tiers = data["timing"]["tiers"]
        if any(t["max_ratio"] <= 0 or not 0 <= t["fraction"] <= 1 for t in tiers):
            raise RubricError(f"{path}: timing.tiers need max_ratio > 0 and 0 <= fraction <= 1")
        shapes = data["timing"]["shapes"]
        if not shapes:
            raise RubricError(f"{path}: [[timing.shapes]] needs at least one input")
        for shape in shapes:
            x, w = shape["x"], shape["w"]
            if len(x) != 4 or len(w) != 4 or x[1] != w[1] or shape["stride"] < 1 or shape["pad"] < 0 \
                    or x[2] + 2 * shape["pad"] < w[2] or x[3] + 2 * shape["pad"] < w[3]:
                raise RubricError(f"{path}: timing shape {shape} is not a valid conv input "
                                  "(x (N,C,H,W), w (F,C,HH,WW), stride >= 1, pad >= 0, filter fits)")
        for key, value in data["feedback"].items():
            if value not in VISIBILITIES:
                raise RubricError(f"{path}: feedback.{key} must be one of {', '.join(VISIBILITIES)}")
        limits = data["limits"]
        return Rubric(
            seed=int(data["seed"]),
            points={f: {c: float(v) for c, v in cats.items()} for f, cats in points.items()},
            tolerance={k: float(v) for k, v in data["tolerance"].items()},
            timing=data["timing"],
            feedback=data["feedback"],
            limits=Limits(seconds=float(limits["group_seconds"]), memory_mb=int(limits["memory_mb"]),
                          cpu_seconds=int(limits["cpu_seconds"]), file_mb=int(limits["file_mb"]),
                          processes=int(limits["processes"])),
            timing_seconds=float(limits["timing_seconds"]),
        )
    except KeyError as error:
        raise RubricError(f"{path}: missing key {error}") from error
