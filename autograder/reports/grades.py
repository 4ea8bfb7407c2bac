"""grades.csv: one row per submission (SPEC section 3: `submission,score,max_score` first).

Then one column per graded function (its points), the sandbox mode, the
problems (the top-level notes) and the ids of the diagnosed known mistakes.
"""

from __future__ import annotations

import csv
import io

from autograder.contract import GRADED_FUNCTIONS


def _number(value: float) -> str:
    return f"{value:g}"


def diagnosed_mistakes_cell(results: dict) -> str:
    """The known mistakes diagnosed in one submission, for grades.csv: "a; b|c" (b|c: one of b and c)."""
    diagnosis = results.get("extra_data", {}).get("diagnosis") or {}
    if not isinstance(diagnosis, dict):
        return ""
    return "; ".join("|".join(map(str, ids)) for ids in diagnosis.values() if isinstance(ids, list) and ids)


def grades_csv(rows: list[tuple[str, dict]]) -> str:
    """One row per submission: submission, score, max_score, then one column per graded function,
    the sandbox, the problems and the diagnosed mistakes' ids."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["submission", "score", "max_score", *GRADED_FUNCTIONS, "sandbox", "problems", "diagnosed_mistakes"]
    )
    for name, results in rows:
        scores = results.get("extra_data", {}).get("function_scores", {})
        problems = " | ".join(line for line in results.get("output", "").splitlines() if line.strip())
        writer.writerow(
            [
                name,
                _number(results["score"]),
                _number(results["max_score"]),
                *(_number(scores.get(f, 0.0)) for f in GRADED_FUNCTIONS),
                results.get("extra_data", {}).get("sandbox", ""),
                problems,
                diagnosed_mistakes_cell(results),
            ]
        )
    return buffer.getvalue()
