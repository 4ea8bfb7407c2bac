"""Speed of the student's fast conv against the reference's, measured side by side.

Two sandboxed children run the same plan: one with the student's code, one
with the reference (the reference never enters a process that runs student
code). Before each timed call a child says "ready" on a pipe and waits; the
grader reads the CPU time of all the child's processes from the kernel
(/proc schedstat, nanoseconds), says "go", and reads it again when the child
says "done" (the child then waits until told to carry on, so writing its
results is not counted). CPU time, unlike wall-clock time, is not inflated
when the machine is busy with other grading jobs; the grader alternates the
two children call by call all the same, and keeps each one's fastest call.
Every timed call gets fresh inputs, which exist only in the grader until
the call starts: they come down the control pipe after "go", so no answer
can be worked out earlier (at import, say) or remembered. The outputs of the
timed calls must match the reference's, so skipping work does not pay. The
student's own clock is never used.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from autograder.contract import Group
from autograder.evaluate import Evaluator, Records, call_problem
from autograder.plan import Plan
from autograder.rubric import Rubric
from autograder.sandbox import Child, Sandbox, prepare_dirs


@dataclass
class SpeedResult:
    function: str
    ratio: float | None  # student's fastest call / reference's fastest call
    student_best: float | None
    reference_best: float | None
    fraction: float  # of the speed points
    message: str


def _shape_words(shape: dict) -> str:
    return f"x {tuple(shape['x'])}, w {tuple(shape['w'])}, stride {shape['stride']}, pad {shape['pad']}"


def build_timing_plan(group: Group, rubric: Rubric, seed: int) -> Plan:
    """For each speed-test shape: warm-up calls, then `repeats` timed forward and backward calls.

    Calls of shape s are named fwd<s>_<i> and bwd<s>_<i>. Every timed forward
    call has its own x; every timed backward call its own dout, with the
    warm-up forward's cache (so a skipped forward call never stops a backward
    one from being timed).
    """
    timing = rubric.timing
    repeats = int(timing["repeats"])
    rng = np.random.default_rng([seed, 11])
    plan = Plan(group)
    forward, backward = group.forward, group.backwards[0]
    for s, shape in enumerate(timing["shapes"]):
        x_shape, w_shape = tuple(shape["x"]), tuple(shape["w"])
        stride, pad = int(shape["stride"]), int(shape["pad"])
        n, _, h, w = x_shape
        out_shape = (n, w_shape[0], 1 + (h + 2 * pad - w_shape[2]) // stride,
                     1 + (w + 2 * pad - w_shape[3]) // stride)
        weights = [plan.add_array(f"w{s}", 0.1 * rng.standard_normal(w_shape)),
                   plan.add_array(f"b{s}", rng.standard_normal(w_shape[0])),
                   {"value": {"stride": stride, "pad": pad}}]
        warm_x = plan.add_array(f"warm_x{s}", rng.standard_normal(x_shape))
        plan.add_call(f"warm_fwd{s}", forward, [warm_x, *weights], 2, keep_cache=True)
        warm_dout = plan.add_array(f"warm_dout{s}", rng.standard_normal(out_shape))
        plan.add_call(f"warm_bwd{s}", backward, [warm_dout, {"cache": f"warm_fwd{s}"}], 3)
        # The timed calls' inputs exist only in the grader until each call starts.
        for i in range(repeats):
            x = plan.add_streamed(f"x{s}_{i}", rng.standard_normal(x_shape))
            plan.add_call(f"fwd{s}_{i}", forward, [x, *weights], 2)
            plan.calls[-1]["timed"] = True
        for i in range(repeats):
            dout = plan.add_streamed(f"dout{s}_{i}", rng.standard_normal(out_shape))
            plan.add_call(f"bwd{s}_{i}", backward, [dout, {"cache": f"warm_fwd{s}"}], 3)
            plan.calls[-1]["timed"] = True
    return plan


def _start(sandbox: Sandbox, code: Path, plan: Plan, root: Path, rubric: Rubric) -> tuple[Child, Path]:
    from autograder.grade import write_job

    _, job, out = prepare_dirs(root)
    write_job(plan, job)
    limits = replace(rubric.limits, seconds=rubric.timing_seconds)
    return Child(sandbox, code, job, out, limits, timed=True), out


def _tier(ratio: float, tiers: list[dict]) -> float:
    for tier in tiers:
        if ratio <= tier["max_ratio"]:
            return float(tier["fraction"])
    return 0.0


def measure_speed(group: Group, plan: Plan, sandbox: Sandbox, student_code: Path, reference_code: Path,
                  work: Path, rubric: Rubric) -> dict[str, SpeedResult]:
    """Time the group's forward and backward; return a SpeedResult per function."""
    student, student_out = _start(sandbox, student_code, plan, work / "student", rubric)
    reference, reference_out = _start(sandbox, reference_code, plan, work / "reference", rubric)
    timed_calls = {call["id"]: call for call in plan.calls if call.get("timed")}
    timed_ids = list(timed_calls)
    times = {"student": {}, "reference": {}}
    # Past this ratio no tier gives credit: after two such calls (or one ten
    # times slower still) the student's remaining calls of that function are
    # skipped, to keep grading fast.
    hopeless_ratio = max(t["max_ratio"] for t in rubric.timing["tiers"]) * 1.5
    hopeless = set()
    alive = {"student": student, "reference": reference}
    for index, call_id in enumerate(timed_ids):
        prefix = call_id.rsplit("_", 1)[0]  # one function on one shape
        order = ("student", "reference") if index % 2 == 0 else ("reference", "student")
        for who in order:
            child = alive.get(who)
            if child is None:
                continue
            if child.read_signal() != b"R":
                alive.pop(who)
                continue
            skip = who == "student" and prefix in hopeless
            before = child.cpu_seconds()
            sent = child.send((b"S" if skip else b"G") + plan.stream_bytes(timed_calls[call_id]))
            done = sent and child.read_signal() == b"D"
            spent = child.cpu_seconds() - before
            child.send(b"C")
            if not done:
                alive.pop(who)
                continue
            if not skip:
                times[who][call_id] = spent
        mine = [times["student"][c] for c in times["student"] if c.startswith(prefix)]
        theirs = [times["reference"][c] for c in times["reference"] if c.startswith(prefix)]
        if theirs and mine and min(mine) > hopeless_ratio * min(theirs) * (1 if len(mine) >= 2 else 10):
            hopeless.add(prefix)
    student_result = student.finish()
    reference.finish()
    student_records = Records(student_out, student_result.describe_end())
    reference_records = Records(reference_out, "reference failed")
    results = {}
    for function, prefix in ((group.forward, "fwd"), (group.backwards[0], "bwd")):
        per_shape = [[c for c in timed_ids if c.startswith(f"{prefix}{s}_")] for s in range(len(rubric.timing["shapes"]))]
        results[function] = _judge(function, per_shape, plan, times, student_records, reference_records, rubric)
    return results


def _judge(function: str, per_shape: list[list[str]], plan: Plan, times: dict, student: Records,
           reference: Records, rubric: Rubric) -> SpeedResult:
    """The function's ratio is its worst over the shapes: each shape shows a different kind of loop."""
    ids = [c for shape_ids in per_shape for c in shape_ids]
    if any(c not in times["reference"] for c in ids):
        raise RuntimeError("the reference failed its own speed test")
    measured = [c for c in ids if c in times["student"]]
    for call_id in measured or ids[:1]:
        _, problem = call_problem(student, call_id, function)
        if problem:
            return SpeedResult(function, None, None, None, 0.0, f"not timed: {problem}")
    evaluator = Evaluator(plan, student, reference, rubric.tolerance)
    for call_id in measured:
        outcome = evaluator.compare_call(call_id)
        if not outcome.passed:
            return SpeedResult(function, None, None, None, 0.0,
                               "no speed credit: a result in the speed test was wrong:\n" + outcome.message)
    lines, worst = [], None
    for shape, shape_ids in zip(rubric.timing["shapes"], per_shape):
        mine = [times["student"][c] for c in shape_ids if c in times["student"]]
        reference_best = min(times["reference"][c] for c in shape_ids)
        student_best = min(mine)
        ratio = student_best / reference_best
        lines.append(f"{ratio:.1f}x on {_shape_words(shape)} ({student_best * 1e3:.2f} ms vs "
                     f"{reference_best * 1e3:.2f} ms; {shape.get('about', '')})")
        if worst is None or ratio > worst[0]:
            worst = (ratio, student_best, reference_best)
    ratio, student_best, reference_best = worst
    fraction = _tier(ratio, rubric.timing["tiers"])
    message = (f"{ratio:.1f}x the reference's CPU time at worst (fastest of up to {rubric.timing['repeats']} calls on "
               f"each input): {fraction:.0%} of the speed points")
    if fraction < 1:
        message += (f"; full points need at most {rubric.timing['tiers'][0]['max_ratio']}x on every input "
                    "(vectorize: no Python loop over N, H' or W')")
    return SpeedResult(function, ratio, student_best, reference_best, fraction, message + "\n" + "\n".join(lines))
