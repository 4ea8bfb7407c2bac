"""Turn a group's hidden cases into a plan: the calls a child makes, and the checks on them.

A plan is data only: `calls` (JSON, see worker.py), `arrays` (inputs by name)
and `checks` (what the grader compares afterwards). The same plan runs once on
the reference, in the grader's process, and once per submission, in a child.
`isolation.job.write_job` puts every group's plan into one job folder
(plan.json and one file of float64 inputs), written once per batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from autograder import trusted
from autograder.checks.cases import Case, cases_for
from autograder.contract import VECTORIZED_FUNCTIONS, Group
from autograder.rubric import Rubric


@dataclass
class Check:
    """One test of the results: its function, rubric category, what it checks (in words, without
    the case), how it is judged (`method`: a key of checks/methods.py METHODS, on `data`) and its case."""

    function: str
    category: str
    check: str
    method: str  # output, grads, numerical, purity_forward, purity_backward, interleaved, second_call, state,
    #              test_mode, vectorized
    data: dict
    case: str = ""

    @property
    def name(self) -> str:
        """The test's name: "function: check, case" (reports.results.TestResult.name)."""
        return f"{self.function}: {self.check}" + (f", {self.case}" if self.case else "")


@dataclass
class Plan:
    group: Group
    calls: list[dict] = field(default_factory=list)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)

    def add_array(self, name: str, value: np.ndarray) -> dict:
        self.arrays[name] = np.ascontiguousarray(value, dtype=np.float64)
        return {"array": name}

    def add_call(
        self, call_id: str, function: str, args: list[dict], returns: int, keep_cache=False, traced=False
    ) -> str:
        self.calls.append(
            {
                "id": call_id,
                "module": self.group.module,
                "func": function,
                "args": args,
                "returns": returns,
                "keep_cache": keep_cache,
                "traced": traced,
            }
        )
        return call_id


def _forward_args(plan: Plan, key: str, case: Case, perturbed: tuple[str, str, np.ndarray] | None = None) -> list[dict]:
    """Arguments of the group's forward for case `key` (its arrays are `<key>_<name>`).

    `perturbed` = (input name, array name, value) swaps in one perturbed input.
    """
    group = plan.group
    args = []
    for name in group.inputs:
        if perturbed and perturbed[0] == name:
            args.append(plan.add_array(perturbed[1], perturbed[2]))
        else:
            args.append({"array": f"{key}_{name}"})
    if group.signature == "groupnorm":
        args.append({"value": case.groups})
    args.append({"value": case.param})
    return args


def build_plan(group: Group, seed: int, rubric: Rubric) -> Plan:
    plan = Plan(group)
    cases, sequences = cases_for(group, seed)
    rng = np.random.default_rng([seed, 7])
    tol = rubric.tolerance
    forward_ids, backward_ids = [], {name: [] for name in group.backwards}
    for i, case in enumerate(cases):
        key = f"c{i}"
        for name, value in case.arrays.items():
            plan.add_array(f"{key}_{name}", value)
        forward = plan.add_call(f"{key}_fwd", group.forward, _forward_args(plan, key, case), 2, keep_cache=True)
        forward_ids.append(forward)
        plan.checks.append(
            Check(group.forward, "output", "output matches the reference", "output", {"call": forward}, case.label)
        )
        for k, backward_name in enumerate(group.backwards):
            backward = plan.add_call(f"{key}_bwd{k}", backward_name, [{"array": f"{key}_dout"}, {"cache": forward}], 3)
            backward_ids[backward_name].append(backward)
            plan.checks.append(
                Check(
                    backward_name, "reference", "gradients match the reference", "grads", {"call": backward}, case.label
                )
            )
        if i < int(tol["numerical_cases"]):
            pairs = []
            for name in group.inputs:
                for d in range(int(tol["numerical_directions"])):
                    u = rng.standard_normal(case.arrays[name].shape)
                    u /= np.linalg.norm(u)
                    h = float(tol["numerical_h"])
                    direction = f"{key}_{name}_u{d}"
                    plan.add_array(direction, u)
                    calls = []
                    for sign, word in ((1, "plus"), (-1, "minus")):
                        call_id = f"{key}_{name}{d}_{word}"
                        value = case.arrays[name] + sign * h * u
                        args = _forward_args(plan, key, case, (name, call_id + "_" + name, value))
                        calls.append(plan.add_call(call_id, group.forward, args, 2))
                    plus, minus = calls
                    pairs.append({"input": name, "direction": direction, "plus": plus, "minus": minus})
            for k, backward_name in enumerate(group.backwards):
                plan.checks.append(
                    Check(
                        backward_name,
                        "numerical",
                        f"gradients match numerical gradients of your {group.forward}",
                        "numerical",
                        {"call": f"{key}_bwd{k}", "pairs": pairs, "key": key, "forward": forward},
                        case.label,
                    )
                )
    repeat = plan.add_call("c0_repeat", group.forward, _forward_args(plan, "c0", cases[0]), 2)
    plan.checks.append(
        Check(
            group.forward,
            "purity",
            "leaves its inputs unchanged and gives the same result twice",
            "purity_forward",
            {"calls": forward_ids, "repeat": [forward_ids[0], repeat]},
        )
    )
    for backward_name, ids in backward_ids.items():
        plan.checks.append(Check(backward_name, "purity", "leaves dout unchanged", "purity_backward", {"calls": ids}))
    add_interleaved(plan, cases[0], rng)
    for j, sequence in enumerate(sequences):
        ids = []
        plan.add_array(f"s{j}_gamma", sequence.gamma)
        plan.add_array(f"s{j}_beta", sequence.beta)
        for t, batch in enumerate(sequence.batches):
            test = t == len(sequence.batches) - 1
            param = {"dict": f"s{j}", "init": sequence.init, "set": {"mode": "test"} if test else {}}
            args = [plan.add_array(f"s{j}_x{t}", batch), {"array": f"s{j}_gamma"}, {"array": f"s{j}_beta"}, param]
            ids.append(plan.add_call(f"s{j}_{t}", group.forward, args, 2))
        trains = len(ids) - 1
        plan.checks.append(
            Check(
                group.forward,
                "state",
                f"running averages after {trains} train calls",
                "state",
                {"calls": ids[:-1], "init": sequence.init},
                sequence.label,
            )
        )
        plan.checks.append(
            Check(
                group.forward,
                "state",
                "test mode uses the running averages and leaves bn_param unchanged",
                "test_mode",
                {"call": ids[-1], "previous": ids[-2], "init": sequence.init},
                sequence.label,
            )
        )
    if group.forward in VECTORIZED_FUNCTIONS:
        add_vectorized(plan, rubric)
    return plan


def add_interleaved(plan: Plan, case: Case, rng: np.random.Generator) -> None:
    """Two forward calls with the same param dict, then the backward of the first.

    A training loop (or a numerical gradient check) calls the forward again
    before the first call's backward; a cache that lives in the param dict or
    in a module-level variable is then overwritten. The check compares the
    backward's gradients with those of the same case run alone (c0).
    """
    group = plan.group
    param = {"dict": "interleaved", "init": case.param}
    extra = [{"value": case.groups}] if group.signature == "groupnorm" else []
    first = [{"array": f"c0_{name}"} for name in group.inputs] + extra + [param]
    other = (
        [plan.add_array(f"i1_{name}", rng.standard_normal(case.arrays[name].shape) + 0.5) for name in group.inputs]
        + extra
        + [param]
    )
    plan.add_call("i0_fwd", group.forward, first, 2, keep_cache=True)
    plan.add_call("i1_fwd", group.forward, other, 2, keep_cache=True)
    plan.checks.append(
        Check(
            group.forward,
            "purity",
            "right again when called on new inputs of the same shapes (nothing remembered between calls)",
            "second_call",
            {"call": "i1_fwd", "first": "c0_fwd"},
            "",
        )
    )
    for k, backward_name in enumerate(group.backwards):
        plan.add_call(f"i0_bwd{k}", backward_name, [{"array": "c0_dout"}, {"cache": "i0_fwd"}], 3)
        plan.checks.append(
            Check(
                group.forward,
                "purity",
                f"its cache stays valid when it is called again with the same param dict before {backward_name}",
                "interleaved",
                {"call": f"i0_bwd{k}", "alone": f"c0_bwd{k}", "backward": backward_name},
                "",
            )
        )


def add_vectorized(plan: Plan, rubric: Rubric) -> None:
    """Traced calls of the fast conv at a base size and with N, H' and W' grown (the
    vectorization check: counts of Python work, see layers/vectorization.py).

    Their inputs are not in the job: the worker draws them from a seed chosen
    when each call starts (`vectorization.conv_case`) and records the seed, so
    that nothing can be worked out in advance; the grader draws the same inputs
    from the recorded seed to check the results.
    """
    group = plan.group
    vectorization = trusted.load("vectorization")
    spec = rubric.vectorized
    forward_ids, backward_ids, sizes, made = {}, {}, {}, set()
    for dimension in vectorization.DIMENSIONS:
        sizes[dimension] = list(
            vectorization.dimension_sizes(spec["x"], spec["w"], spec["stride"], spec["pad"], dimension)
        )
        for factor in vectorization.FACTORS:
            key = "v_base" if factor == 1 else f"v_{dimension.strip(chr(39))}{factor}"
            if key not in made:  # the base size (factor 1) is one pair of calls for every dimension
                made.add(key)
                generate = dict(spec, dimension=dimension, factor=factor)
                plan.add_call(f"{key}_fwd", group.forward, [{"generate": generate}], 2, keep_cache=True, traced=True)
                plan.add_call(
                    f"{key}_bwd",
                    group.backwards[0],
                    [{"generated": f"{key}_fwd"}, {"cache": f"{key}_fwd"}],
                    3,
                    traced=True,
                )
            forward_ids.setdefault(dimension, []).append(f"{key}_fwd")
            backward_ids.setdefault(dimension, []).append(f"{key}_bwd")
    for function, ids in ((group.forward, forward_ids), (group.backwards[0], backward_ids)):
        plan.checks.append(
            Check(
                function,
                "vectorized",
                "vectorized (no Python loop over N, H' or W'; checked by counting the lines run as they grow)",
                "vectorized",
                {"calls": ids, "sizes": sizes},
                "",
            )
        )
