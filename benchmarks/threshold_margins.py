"""How far each tolerance of the rubric sits from correct code and from buggy code.

    .venv/bin/python benchmarks/threshold_margins.py [--write] [--seed S]

For every value tolerance of autograder/rubric.toml (forward outputs,
gradients against the reference, numerical gradients, running statistics)
this runs the grader's hidden cases (autograder.checks.plan.build_plan, the same
plans the grader runs) in this process on

- every correct implementation: the reference and each correct variant of
  tests/catalogue/, and
- every bug of tests/catalogue/,

and measures each check's error with the measure the grader applies
(gradient_check.compare_arrays / compare_scalars from the grader's trusted
harness: max over elements of |actual - expected| / max(|expected|, atol/rtol),
so a check passes when error <= rtol). It prints, per tolerance, the worst
error any correct implementation reaches (the threshold must stay above it)
and the smallest error a bug reaches on the check that catches it best (the
threshold must stay below it). With --write it also writes docs/THRESHOLDS.md.

Every error is measured on the results of the grader's own Worker, and every
check is also judged by the grader's own Evaluator; the script stops if the
two ever disagree (a check the Evaluator passes with an error above rtol).
No sandbox: the variants are trusted code from this repository.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
for path in (REPO, REPO / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from catalogue import Variant, load_module, load_variants  # noqa: E402

from autograder import trusted  # noqa: E402
from autograder.checks.evaluate import Evaluator  # noqa: E402
from autograder.checks.methods import run  # noqa: E402
from autograder.checks.plan import Check, Plan, build_plan  # noqa: E402
from autograder.checks.reference import run_in_process, run_reference  # noqa: E402
from autograder.checks.state import running  # noqa: E402
from autograder.contract import GROUPS, VECTORIZED_FUNCTIONS  # noqa: E402
from autograder.isolation.job import write_job  # noqa: E402
from autograder.isolation.records import Records  # noqa: E402
from autograder.rubric import Rubric, load_rubric  # noqa: E402

DOC = REPO / "docs" / "THRESHOLDS.md"
# Tolerance -> (check kinds of autograder.checks.plan it governs, rubric key of its rtol, of its atol)
TOLERANCES = {
    "forward": (("output",), "forward_rtol", "forward_atol"),
    "backward": (("grads",), "backward_rtol", "backward_atol"),
    "numerical": (("numerical",), "numerical_rtol", None),
    "state": (("state", "test_mode"), "forward_rtol", "forward_atol"),
}
KIND_TO_TOLERANCE = {kind: name for name, (kinds, _, _) in TOLERANCES.items() for kind in kinds}


@dataclass
class Measured:
    implementation: str  # "reference" or a variant's name
    function: str
    tolerance: str  # a key of TOLERANCES
    check: str  # the test's name, as students see it
    error: float | None  # None: no value to measure (crash, missing, wrong shape)
    passed: bool  # the grader's Evaluator's verdict
    note: str = ""  # e.g. "dtype float32" when values were compared despite another problem


# -- running plans in this process ---------------------------------------------------------


def run_plan(plan: Plan, modules: dict, root: Path) -> Records:
    """Run `plan` with the grader's Worker on in-process modules; return the records."""
    name = plan.group.name
    write_job({name: plan}, root / "job", 10.0)
    return run_in_process({name: plan}, root / "job", root / "out", modules).group(name)


def _returned(records: Records, call_id: str, k: int) -> np.ndarray | None:
    record = records.record(call_id)
    if record is None or record["status"] != "ok":
        return None
    returned = record.get("returned")
    if not isinstance(returned, list) or len(returned) <= k or not isinstance(returned[k], dict):
        return None
    return records.array(returned[k].get("file"))


def _error(actual, expected, rtol: float, atol: float) -> tuple[float | None, str]:
    """The grader's error measure, or None when the values cannot be compared."""
    if actual is None:
        return None, "missing"
    result = trusted.harness().compare_arrays(actual, expected, rtol=rtol, atol=atol)
    if result.problem in (None, "values", "nonfinite"):
        return result.error, ""
    if result.problem == "dtype":
        return result.error, f"dtype {actual.dtype}"
    return None, result.problem


def _worst(errors: list[tuple[float | None, str]]) -> tuple[float | None, str]:
    """Max of several errors; None if any of them could not be measured."""
    if any(e is None for e, _ in errors):
        return None, next(n for e, n in errors if e is None)
    notes = "; ".join(dict.fromkeys(n for _, n in errors if n))
    return max(e for e, _ in errors), notes


def measure_check(
    check: Check, plan: Plan, student: Records, reference: Records, tol: dict
) -> tuple[float | None, str]:
    """Error of one check, as the grader measures it (evaluate.Evaluator's comparisons)."""
    group, data = plan.group, check.data
    if check.method in ("output", "test_mode"):
        return _error(
            _returned(student, data["call"], 0),
            _returned(reference, data["call"], 0),
            tol["forward_rtol"],
            tol["forward_atol"],
        )
    if check.method == "grads":
        return _worst(
            [
                _error(
                    _returned(student, data["call"], k),
                    _returned(reference, data["call"], k),
                    tol["backward_rtol"],
                    tol["backward_atol"],
                )
                for k in range(len(group.grads))
            ]
        )
    if check.method == "numerical":
        return _numerical_error(check, plan, student, tol)
    if check.method == "state":
        return _worst(
            [
                _error(
                    running(student, call, key),
                    running(reference, call, key),
                    tol["forward_rtol"],
                    tol["forward_atol"],
                )
                for call in data["calls"]
                for key in ("running_mean", "running_var")
            ]
        )
    raise ValueError(check.method)


def _numerical_error(check: Check, plan: Plan, student: Records, tol: dict) -> tuple[float | None, str]:
    """Worst directional-derivative error: analytic sum(grad * u) against central differences."""
    harness = trusted.harness()
    group, data = plan.group, check.data
    key, h = data["key"], tol["numerical_h"]
    dout = plan.arrays[f"{key}_dout"]
    grads = {}
    for k, name in enumerate(group.inputs):
        value = _returned(student, data["call"], k)
        if value is None or value.shape != plan.arrays[f"{key}_{name}"].shape:
            return None, "gradient missing or of the wrong shape"
        grads[name] = value.astype(np.float64)
    errors = []
    for pair in data["pairs"]:
        plus, minus = (_returned(student, pair[side], 0) for side in ("plus", "minus"))
        if plus is None or minus is None or plus.shape != dout.shape or minus.shape != dout.shape:
            return None, "forward output missing or of the wrong shape"
        plus, minus = plus.astype(np.float64), minus.astype(np.float64)
        numerical = harness.directional_derivative(plus, minus, dout, h)
        noise = harness.finite_difference_noise(plus, minus, dout, h)
        analytic = float(np.sum(grads[pair["input"]] * plan.arrays[pair["direction"]]))
        result = harness.compare_scalars(
            analytic, numerical, rtol=tol["numerical_rtol"], atol=harness.noise_tolerance(noise)
        )
        errors.append((result.error, ""))
    return _worst(errors)


class Bench:
    """The plans and the reference's records, built once; then one `measure` per implementation."""

    def __init__(self, rubric: Rubric, seed: int, work: Path):
        self.rubric, self.seed, self.work = rubric, seed, work
        self.plans = {group.name: build_plan(group, seed, rubric) for group in GROUPS}
        write_job(self.plans, work / "job", rubric.call_seconds)
        streams = run_reference(self.plans, work / "job", work / "reference")
        self.reference = {name: streams.group(name) for name in self.plans}

    def measure(self, variant: Variant | None) -> list[Measured]:
        """Every value check (and purity check) of every group, run on `variant` (None: the reference)."""
        name = variant.name if variant else "reference"
        modules = {module: load_module(variant, module) for module in ("conv", "norm")}
        tol = self.rubric.tolerance
        rows = []
        for group_name, plan in self.plans.items():
            records = run_plan(plan, modules, self.work / name / group_name)
            evaluator = Evaluator(plan, records, self.reference[group_name], tol)
            for check in plan.checks:
                if check.method not in KIND_TO_TOLERANCE and not check.method.startswith("purity"):
                    continue  # interleaved calls, vectorization: counts and self-comparisons, no margin
                outcome = run(evaluator, check)
                passed = outcome.passed
                if check.method.startswith("purity"):
                    modified = "modified its input" in outcome.message
                    rows.append(
                        Measured(
                            name,
                            check.function,
                            "purity",
                            check.name,
                            None,
                            not modified,
                            "modifies an input" if modified else "",
                        )
                    )
                    continue
                tolerance = KIND_TO_TOLERANCE[check.method]
                error, note = measure_check(check, plan, records, self.reference[group_name], tol)
                rtol = tol[TOLERANCES[tolerance][1]]
                if passed and (error is None or error > rtol):
                    raise AssertionError(
                        f"{name}: the grader passed '{check.name}' but the measured error "
                        f"is {error} (rtol {rtol}): this script no longer measures what "
                        "the grader checks"
                    )
                rows.append(Measured(name, check.function, tolerance, check.name, error, passed, note))
        return rows


# -- summaries -----------------------------------------------------------------------------

_WORDS = {
    "missing": "raises (or returns nothing usable)",
    "shape": "wrong shape",
    "type": "not an array",
    "modifies an input": "modifies an input",
}


@dataclass
class BugSummary:
    variant: Variant
    worst: dict[str, Measured]  # tolerance -> its check with the largest error (functions in LOSES)
    caught: list[str]  # tolerances whose checks it fails by value (error > rtol)
    best: str | None  # the one of `caught` where error / rtol is largest: the last to let it through
    others: list[str]  # other ways it fails checks here (crash, shape, dtype, modified input)


def summarize_bug(variant: Variant, rows: list[Measured], tol: dict) -> BugSummary:
    mine = [r for r in rows if r.function in variant.loses]
    worst = {}
    for row in mine:
        if row.error is not None and row.tolerance in TOLERANCES:
            if row.tolerance not in worst or row.error > worst[row.tolerance].error:
                worst[row.tolerance] = row
    caught = [t for t, r in worst.items() if r.error > _rtol(tol, t)]
    best = max(caught, key=lambda t: worst[t].error / _rtol(tol, t), default=None)
    others = []
    dtype_rows = [r for r in mine if not r.passed and r.note.startswith("dtype")]
    if dtype_rows:
        worst_dtype = max(dtype_rows, key=lambda r: r.error)
        within = worst_dtype.error <= _rtol(tol, worst_dtype.tolerance)
        others.append(
            f"returns {worst_dtype.note} (values off by at most {_fmt(worst_dtype.error)}, "
            f"{'within' if within else 'beyond'} the {worst_dtype.tolerance} rtol)"
        )
    for row in mine:
        if row.passed or row.note.startswith("dtype"):
            continue
        if row.error is None and row.tolerance != "numerical":  # a numerical check's are consequences
            others.append(_WORDS.get(row.note, row.note))
    return BugSummary(variant, worst, caught, best, list(dict.fromkeys(others)))


def _other_words(bug: BugSummary) -> str:
    """How the bug loses points when no value check catches it (from the catalogue's metadata)."""
    words = list(bug.others)
    if bug.variant.xfail:
        words.append(f"NOT CAUGHT by the grader (XFAIL: {bug.variant.xfail})")
    elif not words and not bug.caught and set(bug.variant.loses) <= set(VECTORIZED_FUNCTIONS):
        words.append("the vectorization check")
    elif not words and not bug.caught and bug.variant.loses == ("batchnorm_backward_alt",):
        words.append("the structure check")
    return ", ".join(words) or "-"


def _rtol(tol: dict, tolerance: str) -> float:
    return tol[TOLERANCES[tolerance][1]]


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if math.isinf(value):
        return "inf"
    if value == 0:
        return "0"
    return f"{value:.1e}"


def _fmt_ratio(value: float | None) -> str:
    if value is None or value == 0:
        return "-"
    if math.isinf(value):
        return "inf"
    return f"{value:.2g}x" if value < 100 else f"{value:.1e}x".replace("e+0", "e").replace("e+", "e")


def analyse(bench: Bench, variants: list[Variant]) -> dict:
    tol = bench.rubric.tolerance
    correct = [v for v in variants if v.kind == "correct" and not v.xfail]
    correct_rows = bench.measure(None)
    for variant in correct:
        correct_rows += bench.measure(variant)
    defects = {
        v.name: [r for r in bench.measure(v) if not r.passed] for v in variants if v.kind == "correct" and v.xfail
    }
    bugs = [summarize_bug(v, bench.measure(v), tol) for v in variants if v.kind == "bug"]
    table = []
    for name, (_, rtol_key, atol_key) in TOLERANCES.items():
        rtol = tol[rtol_key]
        measured = [r for r in correct_rows if r.tolerance == name and r.error is not None]
        worst = max(measured, key=lambda r: r.error, default=None)
        failing = [b for b in bugs if name in b.caught]
        nearest = min(failing, key=lambda b: b.worst[name].error, default=None)
        deciding = [b for b in bugs if b.best == name]
        first_out = min(deciding, key=lambda b: b.worst[name].error, default=None)
        table.append(
            {
                "tolerance": name,
                "rtol": rtol,
                "atol": tol[atol_key] if atol_key else None,
                "worst": worst,
                "correct_failures": [r for r in correct_rows if r.tolerance == name and not r.passed],
                "nearest": nearest.worst[name] if nearest else None,
                "failing": len(failing),
                "first_out": first_out.worst[name] if first_out else None,
                "deciding": len(deciding),
            }
        )
    per_correct = {}
    for row in correct_rows:
        key = (row.implementation, row.tolerance)
        if row.error is not None and row.error > per_correct.get(key, (-1.0, None))[0]:
            per_correct[key] = (row.error, row)
    return {
        "table": table,
        "bugs": bugs,
        "per_correct": per_correct,
        "correct_rows": correct_rows,
        "correct": correct,
        "defects": defects,
        "tol": tol,
    }


def _margins(row: dict) -> tuple[str, str, str]:
    worst, nearest, first_out = row["worst"], row["nearest"], row["first_out"]
    below = _fmt_ratio(row["rtol"] / worst.error) if worst and worst.error else "-"
    above = _fmt_ratio(nearest.error / row["rtol"]) if nearest else "-"
    escape = _fmt_ratio(first_out.error / row["rtol"]) if first_out else "-"
    return below, above, escape


def print_table(result: dict, stream=sys.stdout) -> None:
    print(
        f"correct implementations: reference + {len(result['correct'])} variants; bugs: {len(result['bugs'])}\n",
        file=stream,
    )
    head = (
        f"{'tolerance':<10} {'rtol':>6} {'worst correct':>13} {'margin':>7} {'nearest bug':>11} "
        f"{'margin':>7} {'bugs':>4} {'escape':>7}  worst correct / nearest bug"
    )
    print(head, file=stream)
    print("-" * len(head), file=stream)
    for row in result["table"]:
        worst, nearest = row["worst"], row["nearest"]
        below, above, escape = _margins(row)
        print(
            f"{row['tolerance']:<10} {row['rtol']:>6.0e} {_fmt(worst.error if worst else None):>13} {below:>7} "
            f"{_fmt(nearest.error if nearest else None):>11} {above:>7} {row['failing']:>4} {escape:>7}  "
            f"{worst.implementation if worst else '-'} / {nearest.implementation if nearest else '-'}",
            file=stream,
        )
        for failure in row["correct_failures"]:
            print(
                f"  !! correct implementation {failure.implementation} fails: {failure.check} "
                f"(error {_fmt(failure.error)})",
                file=stream,
            )
    print(
        "\nmargin: rtol / worst correct error, and nearest bug error / rtol; bugs: how many fail a check of "
        "this tolerance by value;\nescape: the factor by which rtol could grow before the first bug passes "
        "every value check (of all tolerances).\n",
        file=stream,
    )
    print(f"{'bug':<44} {'fails by value (error, x rtol)':<52} other failures", file=stream)
    for bug in result["bugs"]:
        values = ", ".join(
            f"{t} {_fmt(bug.worst[t].error)} ({_fmt_ratio(bug.worst[t].error / _rtol(result['tol'], t))})"
            for t in sorted(bug.caught, key=lambda t: t != bug.best)
        )
        print(f"{bug.variant.name:<44} {values or '-':<52} {_other_words(bug)}", file=stream)
    for name, failures in result["defects"].items():
        print(
            f"\ncorrect but marked XFAIL (a grader defect): {name} fails "
            f"{', '.join(sorted({f.function for f in failures}))}",
            file=stream,
        )


# -- docs/THRESHOLDS.md ---------------------------------------------------------------------


def markdown(result: dict, seed: int) -> str:
    tol = result["tol"]
    lines = [
        "# Tolerance margins",
        "",
        "<!-- Generated by benchmarks/threshold_margins.py; edit the script, not this file. -->",
        "",
        "Generated by `benchmarks/threshold_margins.py`. Rerun it from the repository root after changing "
        "a tolerance, the hidden cases, the reference or the bug catalogue (`tests/catalogue/`):",
        "",
        "    .venv/bin/python benchmarks/threshold_margins.py --write",
        "",
        f"Seed {seed} (the rubric's); {len(result['correct'])} correct variants plus the reference, "
        f"{len(result['bugs'])} bugs.",
        "",
        "Each value tolerance of `autograder/rubric.toml` has to sit between two sets of numbers: above the "
        "largest error any *correct* implementation reaches (or correct code loses points), and below the "
        "errors of the *bugs* (or they go unnoticed). The script runs the grader's hidden cases "
        "(`autograder.checks.plan.build_plan`) in-process with the grader's own `Worker` on the reference, on every "
        "correct variant and on every bug of the catalogue, and measures each check with the grader's "
        "measure, from the trusted `gradient_check` harness: `error = max |actual - expected| / "
        "max(|expected|, atol / rtol)` over the elements, so a check passes when `error <= rtol`. For a "
        "numerical check the elements are the random directions, `expected` is the central difference and "
        f"`atol` is {trusted.harness().NOISE_FACTOR:g} x its noise estimate (the harness's `noise_tolerance`). "
        "The grader's own `Evaluator` judges every check alongside, and "
        "the script stops if it ever passes a check whose measured error is above rtol.",
        "",
        "## Summary",
        "",
        "| tolerance | rtol (atol) | worst correct error | margin below | nearest failing bug | margin above "
        "| bugs failing it | escape factor |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in result["table"]:
        worst, nearest = row["worst"], row["nearest"]
        below, above, escape = _margins(row)
        atol = f" ({row['atol']:.0e})" if row["atol"] is not None else f" ({trusted.harness().NOISE_FACTOR:g} x noise)"
        lines.append(
            f"| {row['tolerance']} | {row['rtol']:.0e}{atol} | {_fmt(worst.error if worst else None)} "
            f"| {below} | {_fmt(nearest.error if nearest else None)} | {above} | {row['failing']} "
            f"| {escape} |"
        )
    lines += [
        "",
        "- *worst correct error*: the largest error of the reference or of any correct variant on any check "
        "of that tolerance; *margin below* = rtol / that error: how many times the tolerance could shrink "
        "before correct code fails.",
        "- *nearest failing bug*: among the bugs that fail a check of that tolerance by value, the smallest of "
        "their worst errors there; *margin above* = that error / rtol: how many times the tolerance could grow "
        "before that check stops failing for it.",
        "- *escape factor*: how many times the tolerance could grow before some bug passes every value check "
        "(the bugs it catches best, on their best check); `-` when it is the best check of no bug.",
        "",
        "Where (worst correct / nearest failing bug):",
        "",
    ]
    for row in result["table"]:
        worst, nearest = row["worst"], row["nearest"]
        lines.append(
            f"- {row['tolerance']}: {worst.implementation + ', ' + worst.check if worst else '-'} / "
            f"{nearest.implementation + ', ' + nearest.check if nearest else '-'}"
        )
    lines.append("")
    failures = [f for row in result["table"] for f in row["correct_failures"]]
    if failures:
        lines += [
            "**Correct implementations that fail a check** (a tolerance too tight, or a variant "
            "that is not correct after all):",
            "",
        ]
        lines += [f"- {f.implementation}: {f.check}: error {_fmt(f.error)}" for f in failures]
    else:
        lines.append("No correct implementation fails any value check.")
    lines.append("")
    lines += _interpretation(result)
    lines += [
        "## Correct implementations: worst error per tolerance",
        "",
        "| implementation | " + " | ".join(TOLERANCES) + " |",
        "|---|" + "---|" * len(TOLERANCES),
    ]
    names = ["reference"] + [v.name for v in result["correct"]]
    for name in names:
        cells = [_fmt(result["per_correct"].get((name, t), (None,))[0]) for t in TOLERANCES]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "The reference's forward, backward and state errors are 0 by definition (it is the expected value); "
        "its numerical errors are real. Every implementation runs every group's checks, so a variant's "
        "numerical column includes groups it does not change, and a 0 means it computes those values exactly "
        "as the reference does.",
        "",
        "## Bugs",
        "",
        "Worst error per tolerance over the checks of the functions the bug must lose points on (its "
        "`LOSES`), for the tolerances whose checks it fails by value, best first; then the other ways it fails "
        "checks measured here. Speed and structure checks are not run here (tests/test_catalogue.py grades "
        "every variant with the real grader, those included).",
        "",
        "| bug | fails by value: tolerance error (x rtol) | also loses points by |",
        "|---|---|---|",
    ]
    for bug in result["bugs"]:
        values = "; ".join(
            f"{t} {_fmt(bug.worst[t].error)} ({_fmt_ratio(bug.worst[t].error / _rtol(tol, t))})"
            for t in sorted(bug.caught, key=lambda t: t != bug.best)
        )
        lines.append(f"| {bug.variant.name} | {values or '-'} | {_other_words(bug)} |")
    lines.append("")
    if result["defects"]:
        lines += [
            "Correct variants marked XFAIL (they expose a grader defect and are left out of the correct side above):",
            "",
        ]
        for name, failures in result["defects"].items():
            lines.append(
                f"- {name}: fails {len(failures)} checks of {', '.join(sorted({f.function for f in failures}))}"
            )
        lines.append("")
    return "\n".join(lines)


def _interpretation(result: dict) -> list[str]:
    lines = ["## What the numbers say", ""]
    tol = result["tol"]
    for row in result["table"]:
        name, rtol = row["tolerance"], row["rtol"]
        worst, nearest, first_out = row["worst"], row["nearest"], row["first_out"]
        words = [f"- **{name}** (rtol {rtol:.0e}):"]
        if worst and worst.error:
            words.append(
                f"correct code stays {math.log10(rtol / worst.error):.1f} orders of magnitude below it "
                f"(worst: {worst.implementation}, {_fmt(worst.error)}, on '{worst.check}')."
            )
        else:
            words.append("every correct implementation reproduces the reference exactly on these checks.")
        if nearest:
            words.append(
                f"The nearest bug failing it is {math.log10(nearest.error / rtol):.1f} orders of "
                f"magnitude above ({nearest.implementation}, {_fmt(nearest.error)})."
            )
        else:
            words.append("No bug of the catalogue fails it by value.")
        if first_out:
            words.append(
                f"A bug would only go unnoticed if it grew {_fmt_ratio(first_out.error / rtol)} "
                f"({first_out.implementation})."
            )
        lines.append(" ".join(words))
    tiny = [r for r in result["correct_rows"] if "tiny variance" in r.check and r.error]
    if tiny:
        lines += [
            "",
            "The hidden cases with tiny variance (spread 1e-3 around an offset of up to 2, eps 1e-3) are "
            "where cancellation could hurt, above all for E[x^2] - E[x]^2; the worst correct errors "
            "there, per tolerance:",
            "",
        ]
        for name in TOLERANCES:
            rows = [r for r in tiny if r.tolerance == name]
            if rows:
                worst = max(rows, key=lambda r: r.error)
                lines.append(
                    f"- {name}: {_fmt(worst.error)} ({_fmt_ratio(worst.error / _rtol(tol, name))} of "
                    f"rtol), {worst.implementation}, '{worst.check}'"
                )
    unmeasured = [b for b in result["bugs"] if not b.caught]
    if unmeasured:
        lines += [
            "",
            "Bugs no value tolerance catches, so that no tolerance change lets them through or "
            "catches them: they lose points by crashing, a wrong shape or dtype, a modified input, or "
            "(not run here) the vectorization check, the interleaved-call check or the structure check; or they are known gaps:",
            "",
        ]
        lines += [f"- {b.variant.name}: {_other_words(b)}" for b in unmeasured]
    lines.append("")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"write {DOC.relative_to(REPO)}")
    parser.add_argument("--seed", type=int, help="seed of the hidden cases (default: the rubric's)")
    args = parser.parse_args(argv)
    rubric = load_rubric()
    seed = rubric.seed if args.seed is None else args.seed
    # Variants that end or hang their process are graded by tests/test_catalogue.py in the
    # sandbox; run here, in-process, they would end (or hang) this script.
    variants = [v for v in load_variants() if not v.crashes]
    with tempfile.TemporaryDirectory(prefix="margins-") as work:
        bench = Bench(rubric, seed, Path(work))
        result = analyse(bench, variants)
    print_table(result)
    if args.write:
        DOC.write_text(markdown(result, seed), encoding="utf-8")
        print(f"\nwrote {DOC.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
