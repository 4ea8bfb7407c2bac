"""Command line: `autograder release | grade | gradescope` (SPEC sections 3 and 4)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder import paths


def _cmd_release(args: argparse.Namespace) -> int:
    from autograder.release import ReleaseError, generate_handout

    if args.out is None:
        out, force = paths.ASSIGNMENT_DIR, True  # regenerating the committed release
    else:
        out, force = Path(args.out), args.force
    try:
        files = generate_handout(out, force=force)
    except ReleaseError as error:
        print(f"autograder release: {error}", file=sys.stderr)
        return 2
    print(f"wrote {len(files)} files to {out}")
    return 0


def _cmd_grade(args: argparse.Namespace) -> int:
    from autograder.batch import grade_all, print_table
    from autograder.rubric import RubricError, load_rubric
    from autograder.sandbox import detect_sandbox

    missing = [s for s in args.submissions if not Path(s).exists()]
    if missing:
        print("autograder grade: no such file or folder: " + ", ".join(missing), file=sys.stderr)
        return 2
    if args.jobs < 1:
        print("autograder grade: --jobs must be at least 1", file=sys.stderr)
        return 2
    try:
        rubric = load_rubric(args.rubric)
    except RubricError as error:
        print(f"autograder grade: {error}", file=sys.stderr)
        return 2
    sandbox = detect_sandbox()
    if sandbox.warning:
        print("!" * 78 + "\n" + sandbox.warning + "\n" + "!" * 78, file=sys.stderr)
    rows = grade_all([Path(s) for s in args.submissions], Path(args.out), jobs=args.jobs,
                     force=args.force, seed=args.seed, rubric=rubric)
    print_table(rows)
    print(f"results in {args.out}/ (grades.csv, and NAME/results.json, NAME/feedback.md)")
    broken = [name for name, results in rows if results.get("extra_data", {}).get("internal_error")]
    if broken:
        print("autograder grade: internal error while grading " + ", ".join(broken) +
              " (see their results.json); the other submissions were graded.", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    release = commands.add_parser("release", help="write the student handout (or regenerate assignment/)")
    release.add_argument("--out", help="handout folder; without it, regenerate the repository's assignment/")
    release.add_argument("--force", action="store_true", help="replace the content of a non-empty --out folder")
    release.set_defaults(run=_cmd_release)

    grade = commands.add_parser("grade", help="grade submissions (collate.sh tarballs or folders)")
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION")
    grade.add_argument("--out", required=True, help="output folder (created if missing)")
    grade.add_argument("--jobs", type=int, default=1, help="submissions graded in parallel (default 1)")
    grade.add_argument("--force", action="store_true", help="regrade submissions that already have results")
    grade.add_argument("--seed", type=int, default=None, help="seed of the hidden cases (default: the rubric's)")
    grade.add_argument("--rubric", default=None, help="rubric file (default: autograder/rubric.toml)")
    grade.set_defaults(run=_cmd_grade)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
