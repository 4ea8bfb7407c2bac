"""Command line: `autograder release | grade | merge | gradescope` (SPEC sections 3 and 4)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder import paths


def _cmd_release(args: argparse.Namespace) -> int:
    from autograder.release.handout import ReleaseError, generate_handout

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


def _report_batch(command: str, rows: list, out: Path, args: argparse.Namespace, rubric) -> int:
    """What `grade` and `merge` print and write after the reports: the table, the class
    summary, and the gradebook when asked; 1 when the gradebook could not be written."""
    from autograder.batch import print_table
    from autograder.reports.summary import terminal_text, write_summary

    print_table(rows)
    try:
        print(terminal_text(write_summary(rows, out)))
    except Exception as error:  # the grades are written; a summary problem must not hide that
        print(f"autograder {command}: could not write the summary: {type(error).__name__}: {error}", file=sys.stderr)
    print(
        f"\nresults in {args.out}/ (grades.csv, summary.md, score_distribution.png, and NAME/results.json, "
        "NAME/feedback.md)"
    )
    if not args.gradebook:
        return 0
    from autograder.reports.gradebook import GradebookError, write_gradebook

    try:
        report = write_gradebook(Path(args.gradebook), args.assignment, rows, rubric)
    except GradebookError as error:
        print(f"autograder {command}: {error}", file=sys.stderr)
        return 1
    print(
        f"gradebook {args.gradebook}: scores of {len(report.written)} students written to assignment "
        f"{args.assignment!r}, notebook 'layers'"
        + (f" ({len(report.created_students)} new students)" if report.created_students else "")
    )
    for line in report.skipped:
        print(f"  not written: {line}", file=sys.stderr)
    return 0


def _cmd_grade(args: argparse.Namespace) -> int:
    from autograder.batch import grade_all, unique_names
    from autograder.isolation.probe import detect_sandbox
    from autograder.reports.summary import ProgressBar
    from autograder.rubric import RubricError, load_rubric
    from autograder.shard import ShardError, select_share, write_manifest

    missing = [s for s in args.submissions if not Path(s).exists()]
    if missing:
        print("autograder grade: no such file or folder: " + ", ".join(missing), file=sys.stderr)
        return 2
    if args.jobs < 1:
        print("autograder grade: --jobs must be at least 1", file=sys.stderr)
        return 2
    if (args.gradebook is None) != (args.assignment is None):
        print("autograder grade: --gradebook and --assignment go together", file=sys.stderr)
        return 2
    try:
        shard = _shard_argument(args)
        rubric = load_rubric(args.rubric)
    except (ShardError, RubricError) as error:
        print(f"autograder grade: {error}", file=sys.stderr)
        return 2
    sandbox = detect_sandbox()
    if sandbox.warning:
        print("!" * 78 + "\n" + sandbox.warning + "\n" + "!" * 78, file=sys.stderr)
    submissions, out = [Path(s) for s in args.submissions], Path(args.out)
    all_names = names = unique_names(submissions)
    if shard:
        submissions, names = select_share(submissions, all_names, *shard)
        print(f"share {shard[0]}/{shard[1]}: {len(names)} of the {len(all_names)} submissions")
    todo = [n for n in names if args.force or not (out / n / "results.json").is_file()]
    with ProgressBar(len(todo)) as bar:
        rows = grade_all(
            submissions,
            out,
            jobs=args.jobs,
            force=args.force,
            seed=args.seed,
            rubric=rubric,
            progress=bar.done,
            started=bar.started,
            names=names,
        )
    if shard:
        write_manifest(
            out,
            *shard,
            all_names,
            rubric.seed if args.seed is None else args.seed,
            Path(args.rubric or paths.RUBRIC_FILE),
        )
    if _report_batch("grade", rows, out, args, rubric):
        return 1
    broken = [name for name, results in rows if results.get("extra_data", {}).get("internal_error")]
    if broken:
        # SPEC section 3: non-zero only when the grader could not run at all; a
        # grader bug on one submission is reported in its results.json and here.
        print(
            "autograder grade: INTERNAL ERROR of the autograder while grading "
            + ", ".join(broken)
            + " (their results.json say why; please report it); the other submissions were graded.",
            file=sys.stderr,
        )
    return 0


def _shard_argument(args: argparse.Namespace) -> tuple[int, int] | None:
    """`grade --shard K/N` as (K, N); None without it. ShardError for a bad value."""
    from autograder.shard import ShardError, parse_shard

    if args.shard is None:
        return None
    if args.gradebook:
        raise ShardError(
            "--gradebook does not go with --shard: write the gradebook once, when merging the "
            "shards (autograder merge SHARD_DIR... --out DIR --gradebook PATH --assignment NAME)"
        )
    return parse_shard(args.shard)


def _cmd_merge(args: argparse.Namespace) -> int:
    from autograder.batch import write_grades
    from autograder.rubric import RubricError, load_rubric
    from autograder.shard import ShardError, merge_shards

    if (args.gradebook is None) != (args.assignment is None):
        print("autograder merge: --gradebook and --assignment go together", file=sys.stderr)
        return 2
    out = Path(args.out)
    try:
        rubric = rubric_file = None
        if args.gradebook:  # the gradebook's grade cells come from the rubric: the one the shards used
            rubric_file = Path(args.rubric or paths.RUBRIC_FILE)
            rubric = load_rubric(rubric_file)
        manifest, results = merge_shards([Path(folder) for folder in args.shards], out, rubric_file)
    except (ShardError, RubricError) as error:
        print(f"autograder merge: {error}", file=sys.stderr)
        return 2
    print(f"merged {manifest.count} shares: {len(results)} submissions into {out}/")
    rows = write_grades(out, manifest.names, results)
    return _report_batch("merge", rows, out, args, rubric)


def _cmd_gradescope(args: argparse.Namespace) -> int:
    from autograder.gradescope.bundle import BundleError, build_bundle

    try:
        members = build_bundle(Path(args.out))
    except (BundleError, OSError) as error:
        print(f"autograder gradescope: {error}", file=sys.stderr)
        return 2
    notebooks = [n for n in members if n.startswith("assignment/")]
    print(
        f"wrote {args.out}: {len(members)} files ({len(notebooks)} notebooks), "
        f"{Path(args.out).stat().st_size // 1024} KiB"
    )
    print(
        "Upload it as the autograder of a Gradescope programming assignment, on the Ubuntu 22.04 base image "
        "(its archive has Python 3.11)."
    )
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
    grade.add_argument(
        "--gradebook",
        default=None,
        metavar="PATH",
        help="also write the scores into this nbgrader gradebook.db (created if missing); "
        "run it after `nbgrader autograde`",
    )
    grade.add_argument(
        "--assignment",
        default=None,
        metavar="NAME",
        help="the nbgrader assignment the scores belong to (with --gradebook)",
    )
    grade.add_argument(
        "--shard",
        default=None,
        metavar="K/N",
        help="grade only share K of N (1 <= K <= N), chosen by submission name; give every "
        "share the same list, then `autograder merge` their --out folders",
    )
    grade.epilog = (
        "grades.csv lists the submissions in the order given, then any graded earlier into DIR "
        "(sorted by name); one column per graded function after the totals."
    )
    grade.set_defaults(run=_cmd_grade)

    merge = commands.add_parser("merge", help="merge the --out folders of `grade --shard K/N` runs into one")
    merge.add_argument("shards", nargs="+", metavar="DIR", help="the --out folders of the N shares")
    merge.add_argument("--out", required=True, help="output folder (created if missing; not a shard folder)")
    merge.add_argument(
        "--rubric",
        default=None,
        help="the rubric file the shards used (default: autograder/rubric.toml); needed for --gradebook",
    )
    merge.add_argument(
        "--gradebook",
        default=None,
        metavar="PATH",
        help="also write the scores into this nbgrader gradebook.db, as grade does",
    )
    merge.add_argument(
        "--assignment",
        default=None,
        metavar="NAME",
        help="the nbgrader assignment the scores belong to (with --gradebook)",
    )
    merge.epilog = (
        "Writes what one unsharded `grade` over the same list would have: NAME/results.json, "
        "NAME/feedback.md, grades.csv, summary.md, score_distribution.png. Refuses (exit 2) shards "
        "that miss a share, repeat one, or disagree on the list, the seed or the rubric."
    )
    merge.set_defaults(run=_cmd_merge)

    gradescope = commands.add_parser("gradescope", help="write the Gradescope autograder bundle (a zip)")
    gradescope.add_argument("--out", required=True, metavar="FILE.zip", help="the zip to write (replaced)")
    gradescope.set_defaults(run=_cmd_gradescope)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
