"""Compare two grading output folders, to show a change of the grader changes no result.

    git worktree add /tmp/before <commit>
    python dev/make_examples.py /tmp/subs          # and/or catalogue variants (tests/catalogue write_submission)
    (cd /tmp && PYTHONPATH=/tmp/before python -m autograder grade /tmp/subs/* --out /tmp/out-before)
    autograder grade /tmp/subs/* --out /tmp/out-after
    python dev/compare_results.py /tmp/out-before /tmp/out-after

Every submission's results.json (without execution_time, and without the
test fields IGNORED that only the newer grader writes), feedback.md, and the
batch's grades.csv and summary.md must be equal; prints what differs, first
differing test per submission. Exit status 1 when anything differs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# Fields of a test's extra_data that a newer grader may add (the results model's "check").
IGNORED = ("check",)


def comparable(path: Path) -> dict:
    results = json.loads(path.read_text(encoding="utf-8"))
    results.pop("execution_time", None)
    for test in results.get("tests", []):
        for key in IGNORED:
            (test.get("extra_data") or {}).pop(key, None)
    return results


def main(before: Path, after: Path) -> int:
    names = sorted(p.name for p in before.iterdir() if p.is_dir())
    if names != sorted(p.name for p in after.iterdir() if p.is_dir()):
        print("the two folders hold different submissions")
        return 1
    differing = []
    for name in names:
        a, b = comparable(before / name / "results.json"), comparable(after / name / "results.json")
        if a != b:
            differing.append(name)
            for old, new in zip(a.get("tests", []), b.get("tests", [])):
                if old != new:
                    print(f"{name}: {old.get('name')}\n  before: {old}\n  after:  {new}")
                    break
            else:
                print(f"{name}: differs outside its tests: {sorted(k for k in a if a.get(k) != b.get(k))}")
        if (before / name / "feedback.md").read_text() != (after / name / "feedback.md").read_text():
            differing.append(f"{name}/feedback.md")
    for report in ("grades.csv", "summary.md"):
        if (before / report).read_text() != (after / report).read_text():
            differing.append(report)
    print(f"{len(names)} submissions; differing: {', '.join(differing) or 'nothing'}")
    return 1 if differing else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
