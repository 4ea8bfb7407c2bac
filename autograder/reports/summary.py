"""What an instructor sees of a batch: a progress bar while grading, a summary at the end.

The summary answers "what did the class not understand?": the score
distribution (a text histogram on the terminal and `DIR/score_distribution.png`)
and, for every check, how many students failed it and how many points they
lost on it, ranked by points lost (a check worth 0 points, like the notebook
report, is information: listed apart, never ranked as a failure). A check is
what the tests of every hidden case of it share (the results model's
`check_name`: "conv_backward_naive: gradients match the reference"; a student
fails it when any case fails); the same table per case follows. Everything is also written to
`DIR/summary.md`.

Submissions the autograder itself failed on (internal errors) are listed apart
and left out of the statistics: their 0 says nothing about the student.
"""

from __future__ import annotations

import statistics
import sys
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from autograder.reports.results import read_tests

PLOT_NAME = "score_distribution.png"
SUMMARY_NAME = "summary.md"


# ------------------------------------------------------------------ progress bar
class ProgressBar:
    """A rich progress bar over submissions: done/total, the students being graded, time left.

    Silent when stderr is not a terminal (CI logs, pipes). Use as a context
    manager; pass `started` and `done` to `grade_all`.
    """

    def __init__(self, total: int, stream=None, force_terminal: bool | None = None):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = Console(file=stream or sys.stderr, force_terminal=force_terminal)
        self.enabled = self.console.is_terminal and total > 0
        self.active: list[str] = []
        self.last = ""
        self.lock = threading.Lock()  # grade_all calls back from its worker threads
        self.progress = Progress(
            TextColumn("grading"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("elapsed"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[current]}"),
            console=self.console,
            disable=not self.enabled,
        )
        self.task = self.progress.add_task("grading", total=total, current="")

    def __enter__(self) -> ProgressBar:
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def _show(self) -> None:
        now = ", ".join(self.active[:3]) + (f" +{len(self.active) - 3}" if len(self.active) > 3 else "")
        text = f"now: {now}" if now else ""
        if self.last:
            text = (text + "  " if text else "") + f"[dim]last: {self.last}[/dim]"
        self.progress.update(self.task, current=text)

    def started(self, name: str) -> None:
        with self.lock:
            self.active.append(name)
            self._show()

    def done(self, name: str, results: dict) -> None:
        with self.lock:
            if name in self.active:
                self.active.remove(name)
            self.last = f"{name} {results.get('score', 0):g}/{results.get('max_score', 0):g}"
            self.progress.advance(self.task)
            self._show()


# ---------------------------------------------------------------------- analysis
@dataclass
class Failures:
    name: str
    failed: int
    total: int
    function: str = ""
    lost: float = 0.0  # points lost on it, summed over the students


@dataclass
class Summary:
    count: int
    max_score: float
    scores: list[float]
    internal_errors: list[str]
    by_check: list[Failures]
    by_case: list[Failures]
    by_function: list[tuple[str, float, float, int, int]]  # function, max, mean, full marks, zero
    lowest: list[tuple[str, float]] = field(default_factory=list)
    information: list[Failures] = field(default_factory=list)  # 0-point checks: not complete, not failed
    mistakes: list[Diagnosed] = field(default_factory=list)


def _sorted(counts: dict[str, list], functions: dict[str, str], lost: dict[str, float] | None = None) -> list[Failures]:
    """Rows for COUNTS (name -> [failed students, all students]), most points LOST first, then most failures."""
    lost = lost or {}
    rows = [
        Failures(name, len(failed), len(total), functions.get(name, ""), round(lost.get(name, 0.0), 6))
        for name, (failed, total) in counts.items()
    ]
    return sorted(rows, key=lambda r: (-r.lost, -r.failed, -(r.failed / r.total if r.total else 0), r.name))


def analyse(rows: list[tuple[str, dict]]) -> Summary:
    graded = [(n, r) for n, r in rows if not r.get("extra_data", {}).get("internal_error")]
    errors = [n for n, r in rows if r.get("extra_data", {}).get("internal_error")]
    max_score = max([float(r.get("max_score", 0)) for _, r in graded] + [0.0])
    checks: dict[str, list[set]] = defaultdict(lambda: [set(), set()])
    cases: dict[str, list[set]] = defaultdict(lambda: [set(), set()])
    information: dict[str, list[set]] = defaultdict(lambda: [set(), set()])
    check_lost: dict[str, float] = defaultdict(float)
    case_lost: dict[str, float] = defaultdict(float)
    functions: dict[str, str] = {}
    per_function: dict[str, list[float]] = defaultdict(list)
    function_max: dict[str, float] = defaultdict(float)
    with_case: set[str] = set()  # names of the tests of one hidden case
    for name, results in graded:
        totals: dict[str, float] = defaultdict(float)
        maxima: dict[str, float] = defaultdict(float)
        for test in read_tests(results):
            check = test.check_name
            functions[check] = functions[test.name] = test.function
            totals[test.function] += test.score
            maxima[test.function] += test.max_score
            if test.information:
                information[check][1].add(name)
                if not test.passed:
                    information[check][0].add(name)
                continue
            lost = max(0.0, test.max_score - test.score)
            check_lost[check] += lost
            case_lost[test.name] += lost
            checks[check][1].add(name)
            cases[test.name][1].add(name)
            if test.case:
                with_case.add(test.name)
            if not test.passed:
                checks[check][0].add(name)
                cases[test.name][0].add(name)
        for function, value in totals.items():
            per_function[function].append(value)
            function_max[function] = max(function_max[function], maxima[function])
    by_function = []
    for function, values in per_function.items():
        top = function_max[function]
        if top <= 0:
            continue
        by_function.append(
            (
                function,
                top,
                statistics.fmean(values),
                sum(v >= top - 1e-9 for v in values),
                sum(v <= 1e-9 for v in values),
            )
        )
    scores = [float(r.get("score", 0)) for _, r in graded]
    lowest = sorted(((n, float(r.get("score", 0))) for n, r in graded), key=lambda item: (item[1], item[0]))
    by_case = [row for row in _sorted(cases, functions, case_lost) if row.name in with_case]
    return Summary(
        len(graded),
        max_score,
        scores,
        errors,
        _sorted(checks, functions, check_lost),
        by_case,
        by_function,
        lowest[:10],
        _sorted(information, functions),
        mistakes=diagnosed_mistakes(graded),
    )


@dataclass
class Diagnosed:
    """Students whose results named one known mistake (or one of several: `ids` has them all)."""

    ids: tuple[str, ...]
    function: str
    students: int
    total: int

    @property
    def words(self) -> str:
        from autograder.mistakes import title

        if len(self.ids) == 1:
            return title(self.ids[0])
        return "one of: " + "; ".join(title(i) for i in self.ids)


def diagnosed_mistakes(graded: list[tuple[str, dict]]) -> list[Diagnosed]:
    """Students per diagnosed mistake (extra_data["diagnosis"]: function -> ids), most students first."""
    counts: dict[tuple[str, tuple[str, ...]], set] = defaultdict(set)
    for name, results in graded:
        diagnosis = results.get("extra_data", {}).get("diagnosis") or {}
        if not isinstance(diagnosis, dict):
            continue
        for function, ids in diagnosis.items():
            if isinstance(ids, list) and ids:
                counts[(str(function), tuple(map(str, ids)))].add(name)
    rows = [Diagnosed(ids, function, len(names), len(graded)) for (function, ids), names in counts.items()]
    return sorted(rows, key=lambda r: (-r.students, r.function, r.ids))


def _mistake_lines(summary: Summary) -> list[str]:
    """Markdown: the diagnosed mistakes, most students first (what to reteach)."""
    lines = [
        "## Diagnosed mistakes, most students first",
        "",
        "Known mistakes whose results matched a student's on every case (the catalogue: autograder/mistakes/).",
        "",
    ]
    if not summary.mistakes:
        return lines + ["No known mistake was diagnosed.", ""]
    lines += ["| students | mistake | function | id |", "|---:|---|---|---|"]
    lines += [
        f"| {row.students}/{row.total} | {_cell(row.words)} | `{row.function}` | {' or '.join(row.ids)} |"
        for row in summary.mistakes
    ]
    return lines + [""]


# ---------------------------------------------------------------------- rendering
def histogram_lines(scores: list[float], max_score: float, bins: int = 10, width: int = 40) -> list[str]:
    """A text histogram of scores in `bins` equal ranges of 0..max_score (the last one closed)."""
    if not scores or max_score <= 0:
        return ["(no scores)"]
    counts = [0] * bins
    for score in scores:
        index = min(bins - 1, max(0, int(score / max_score * bins)))
        counts[index] += 1
    peak = max(counts)
    lines = []
    for i, count in enumerate(counts):
        low, high = max_score * i / bins, max_score * (i + 1) / bins
        bracket = "]" if i == bins - 1 else ")"
        bar = "#" * (round(count / peak * width) if peak else 0)
        if count and not bar:
            bar = "#"
        lines.append(f"[{low:5.1f}, {high:5.1f}{bracket} {count:4d} {bar}")
    return lines


def _statistics_line(summary: Summary) -> str:
    if not summary.scores:
        return "no submission graded"
    scores = summary.scores
    return (
        f"{summary.count} submissions graded; mean {statistics.fmean(scores):.1f}, median "
        f"{statistics.median(scores):.1f}, min {min(scores):g}, max {max(scores):g} (out of {summary.max_score:g})"
    )


def _fraction(row: Failures) -> str:
    return f"{row.failed}/{row.total}"


def terminal_text(summary: Summary, top: int = 12) -> str:
    lines = [
        "",
        "Score distribution: " + _statistics_line(summary),
        *histogram_lines(summary.scores, summary.max_score),
    ]
    failing = [row for row in summary.by_check if row.failed]
    if failing:
        width = min(90, max(len(row.name) for row in failing[:top]))
        lines += ["", "Most failed checks, by points lost (points lost in all; students who failed at least one case):"]
        for row in failing[:top]:
            name = row.name if len(row.name) <= width else row.name[: width - 3] + "..."
            lines.append(f"  {name:<{width}}  {row.lost:>8.4g}  {_fraction(row):>9}")
        if len(failing) > top:
            lines.append(f"  ... {len(failing) - top} more in {SUMMARY_NAME}")
    if summary.mistakes:
        lines += ["", "Most diagnosed mistakes (students whose results match a known mistake):"]
        lines += [
            f"  {row.students:4d} {'student' if row.students == 1 else 'students'}: {row.words} ({row.function})"
            for row in summary.mistakes[:top]
        ]
    if summary.internal_errors:
        lines += ["", "The autograder failed on (not counted): " + ", ".join(summary.internal_errors)]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(summary: Summary, plot: str | None) -> str:
    lines = ["# Grading summary", "", _statistics_line(summary) + ".", ""]
    if summary.internal_errors:
        lines += [
            f"The autograder failed on {len(summary.internal_errors)} submissions, not counted here: "
            + ", ".join(summary.internal_errors)
            + ".",
            "",
        ]
    lines += ["## Score distribution", "", "```text", *histogram_lines(summary.scores, summary.max_score), "```", ""]
    if plot:
        lines += [f"![score distribution]({plot})", ""]
    if summary.lowest:
        lines += ["Lowest scores: " + ", ".join(f"{n} ({s:g})" for n, s in summary.lowest) + ".", ""]
    lines += ["## Functions", "", "| function | points | mean | full marks | zero |", "|---|---:|---:|---:|---:|"]
    for function, top, mean, full, zero in summary.by_function:
        lines.append(f"| `{function}` | {top:g} | {mean:.2f} | {full}/{summary.count} | {zero}/{summary.count} |")
    lines += [
        "",
        "## Checks failed, worst first",
        "",
        "A check groups the hidden cases of one test; a student fails it when any case fails. Worst is "
        "most points lost, summed over the class.",
        "",
        "| check | students failed | points lost |",
        "|---|---:|---:|",
    ]
    lines += [f"| {_cell(row.name)} | {_fraction(row)} | {row.lost:g} |" for row in summary.by_check]
    lines += [""] + _mistake_lines(summary)[:-1]
    lines += [
        "",
        "## Hidden cases failed, worst first",
        "",
        "| test (check, case) | students failed | points lost |",
        "|---|---:|---:|",
    ]
    lines += [f"| {_cell(row.name)} | {_fraction(row)} | {row.lost:g} |" for row in summary.by_case]
    if summary.information:
        lines += [
            "",
            "## Information (0 points, not counted as failures)",
            "",
            "| report | students not complete |",
            "|---|---:|",
        ]
        lines += [f"| {_cell(row.name)} | {_fraction(row)} |" for row in summary.information]
    return "\n".join(lines) + "\n"


def plot_scores(scores: list[float], max_score: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4), dpi=100)
    top = max_score if max_score > 0 else max(scores + [1.0])
    axes.hist(scores, bins=20, range=(0, top), color="#4c72b0", edgecolor="white")
    if scores:
        axes.axvline(
            statistics.fmean(scores), color="#dd8452", linestyle="--", label=f"mean {statistics.fmean(scores):.1f}"
        )
        axes.axvline(
            statistics.median(scores), color="#55a868", linestyle=":", label=f"median {statistics.median(scores):.1f}"
        )
        axes.legend()
    axes.set_xlabel(f"score (out of {top:g})")
    axes.set_ylabel("submissions")
    axes.set_title(f"Score distribution, {len(scores)} submissions")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def write_summary(rows: list[tuple[str, dict]], out_dir: Path) -> Summary:
    """Write DIR/summary.md and DIR/score_distribution.png; return the summary."""
    from autograder.reports.files import write_atomic

    summary = analyse(rows)
    plot = None
    if summary.scores:
        plot_scores(summary.scores, summary.max_score, out_dir / PLOT_NAME)
        plot = PLOT_NAME
    write_atomic(out_dir / SUMMARY_NAME, markdown(summary, plot))
    return summary
