"""Judge a child's results against the reference's, check by check.

Everything a child wrote is untrusted: its record streams are read and
validated by `autograder.isolation.records`, and every field of a record is
validated before use. Each check returns (passed, message); the message
is what the student reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autograder import trusted
from autograder.checks.plan import Check, Plan
from autograder.isolation.records import Records


class InternalError(RuntimeError):
    """The reference itself failed a call, or the grader's own checking code failed:
    a bug in the grader, never the student's fault."""


@dataclass
class Outcome:
    passed: bool
    message: str


def call_problem(records: Records, call_id: str, function: str) -> tuple[dict | None, str | None]:
    """The call's record if it succeeded, else None and the reason in words."""
    record = records.record(call_id)
    if record is None:
        reason = f"{function} did not finish: {records.ended or 'its result is missing or unreadable'}."
        if records.output_tail.strip():
            reason += "\nLast lines your code printed:\n" + _indent(records.output_tail.strip()[-800:])
        return None, reason
    status = record["status"]
    if status == "ok":
        return record, None
    if status == "skipped":
        return None, f"{function} was not tested here: {record.get('message', '')}."
    if status == "crashed":
        where = " while your module was being imported" if record.get("stage") == "import" else " on this case"
        text = f"{function} crashed{where}: {record.get('reason', 'the process running it ended')}."
        if records.output_tail.strip():
            text += "\nLast lines your code printed:\n" + _indent(records.output_tail.strip()[-800:])
        return None, text
    if status == "bad_return":
        returned = record.get("returned") or {}
        if returned.get("kind") == "sequence":
            what = f"a sequence of {returned.get('length')} items"
        else:
            what = f"{returned.get('type', '?')} {returned.get('repr', '')}".strip()
        return None, f"{function} returned {what}; it must return a tuple, see its docstring."
    kind, message = str(record.get("type", "Exception")), str(record.get("message", ""))
    if kind == "NotImplementedError":
        return None, f"{function} is not implemented yet (it raises NotImplementedError)."
    where = "while importing your module" if record.get("stage") == "import" else ""
    text = f"{function} raised {kind}{' ' + where if where else ''}: {message}".rstrip(": ")
    traceback_text = str(record.get("traceback", "")).strip()
    if traceback_text:
        text += "\n" + _indent(traceback_text)
    return None, text


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def returned_array(
    records: Records, record: dict, k: int, name: str, expected: np.ndarray
) -> tuple[np.ndarray | None, str | None]:
    """The k-th returned array, or a message saying why it is not a usable float64 array."""
    described = record.get("returned") or [None] * (k + 1)
    description = described[k] if isinstance(described, list) and len(described) > k else None
    wanted = f"a float64 numpy array of shape {tuple(expected.shape)}"
    if not isinstance(description, dict):
        return None, f"{name}: missing; expected {wanted}."
    if description.get("kind") != "ndarray":
        return None, f"{name} is {description.get('type', '?')} {description.get('repr', '')}; expected {wanted}."
    if description.get("subclass"):
        return None, (
            f"{name} is a {description['subclass']} (a subclass of ndarray); return a plain numpy "
            f"array, e.g. with np.asarray."
        )
    value = records.array(description.get("file"))
    if value is None:
        return None, f"{name} has dtype {description.get('dtype', '?')}, which cannot be read; expected {wanted}."
    return value, None


def compare(
    actual: np.ndarray, expected: np.ndarray, name: str, rtol: float, atol: float, labels=("yours", "expected")
) -> Outcome:
    """Compare with the harness's measure, worded for a student."""
    result = trusted.harness().compare_arrays(actual, expected, rtol=rtol, atol=atol, name=name, labels=labels)
    if result.passed:
        return Outcome(True, f"{name}: ok (error {result.error:.1e} <= {rtol:.0e})")
    if result.problem == "shape" and actual.size == expected.size:
        again = trusted.harness().compare_arrays(
            actual.reshape(expected.shape).astype(np.float64), expected, rtol=rtol, atol=atol, name=name
        )
        if again.passed:
            return Outcome(
                False, f"{name}: values right, shape {tuple(actual.shape)} where {tuple(expected.shape)} is expected."
            )
    if result.problem == "dtype":
        return Outcome(
            False,
            f"{name}: dtype {actual.dtype} where float64 is expected "
            f"(values {'right' if result.error is not None and result.error <= rtol else 'wrong too'}).",
        )
    if result.problem == "shape":
        return Outcome(False, f"{name}: shape {tuple(actual.shape)} where {tuple(expected.shape)} is expected.")
    return Outcome(False, str(result))


def function_span(source: str, name: str) -> tuple[int, int] | None:
    """First and last line of the top-level function NAME in SOURCE, or None."""
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return node.lineno, node.end_lineno
    return None


class Evaluator:
    """Runs the checks of one plan, given the student's and the reference's records."""

    def __init__(
        self,
        plan: Plan,
        student: Records,
        reference: Records,
        tolerance: dict[str, float],
        sources: dict[str, str] | None = None,
    ):
        self.plan = plan
        self.student = student
        self.reference = reference
        self.tol = tolerance
        self.sources = sources or {}  # file name (layers/conv.py) -> the student's source, for messages

    def reference_record(self, call_id: str) -> dict:
        record = self.reference.record(call_id)
        if record is None or record["status"] != "ok":
            raise InternalError(f"the reference failed call {call_id}: {record}")
        return record

    def reference_array(self, call_id: str, k: int) -> np.ndarray:
        record = self.reference_record(call_id)
        return self.reference.array(record["returned"][k]["file"])

    def run(self, check: Check) -> Outcome:
        return getattr(self, "check_" + check.method)(check)

    def _function_of(self, call_id: str) -> str:
        return next(call["func"] for call in self.plan.calls if call["id"] == call_id)

    def _compare_returned(self, call_id: str, names: tuple[str, ...], rtol: float, atol: float) -> Outcome:
        record, problem = call_problem(self.student, call_id, self._function_of(call_id))
        if problem:
            return Outcome(False, problem)
        expected = [self.reference_array(call_id, k) for k in range(len(names))]
        return self._compare_record(record, expected, names, rtol, atol)

    def _compare_record(
        self, record: dict, expected: list[np.ndarray], names: tuple[str, ...], rtol: float, atol: float
    ) -> Outcome:
        """A student's record's returned arrays against EXPECTED, one line per array."""
        lines, passed = [], True
        for k, name in enumerate(names):
            actual, problem = returned_array(self.student, record, k, name, expected[k])
            outcome = Outcome(False, problem) if problem else compare(actual, expected[k], name, rtol, atol)
            passed &= outcome.passed
            lines.append(outcome.message)
        return Outcome(passed, ("; " if passed else "\n").join(lines))

    def compare_call(self, call_id: str) -> Outcome:
        """A forward call's output, or a backward call's gradients, against the reference's."""
        if self._function_of(call_id) == self.plan.group.forward:
            return self._compare_returned(call_id, ("out",), self.tol["forward_rtol"], self.tol["forward_atol"])
        return self._compare_returned(
            call_id, self.plan.group.grads, self.tol["backward_rtol"], self.tol["backward_atol"]
        )

    def check_output(self, check: Check) -> Outcome:
        return self.compare_call(check.data["call"])

    def check_grads(self, check: Check) -> Outcome:
        return self.compare_call(check.data["call"])

    def check_numerical(self, check: Check) -> Outcome:
        harness = trusted.harness()
        group = self.plan.group
        backward, problem = call_problem(self.student, check.data["call"], self._function_of(check.data["call"]))
        if problem:
            return Outcome(False, problem)
        key = check.data["key"]
        dout = self.plan.arrays[f"{key}_dout"]
        h = self.tol["numerical_h"]
        grads = {}
        for k, (input_name, grad_name) in enumerate(zip(group.inputs, group.grads)):
            like = self.plan.arrays[f"{key}_{input_name}"]
            value, problem = returned_array(self.student, backward, k, grad_name, like)
            if problem is None and value.shape != like.shape:
                problem = f"{grad_name}: shape {value.shape} where {like.shape} is expected."
            if problem:
                return Outcome(False, problem)
            grads[input_name] = value.astype(np.float64)
        lines, passed = [], True
        for pair in check.data["pairs"]:
            outputs = []
            for call_id in (pair["plus"], pair["minus"]):
                record, problem = call_problem(self.student, call_id, group.forward)
                if problem:
                    return Outcome(False, f"{group.forward} failed on a slightly changed input: {problem}")
                value, problem = returned_array(self.student, record, 0, "out", dout)
                if problem or value.shape != dout.shape:
                    return Outcome(False, problem or f"out: shape {value.shape} where {dout.shape} is expected.")
                outputs.append(value.astype(np.float64))
            u = self.plan.arrays[pair["direction"]]
            numerical = harness.directional_derivative(outputs[0], outputs[1], dout, h)
            analytic = float(np.sum(grads[pair["input"]] * u))
            noise = harness.finite_difference_noise(outputs[0], outputs[1], dout, h)
            grad_name = group.grads[group.inputs.index(pair["input"])]
            result = harness.compare_scalars(
                analytic,
                numerical,
                rtol=self.tol["numerical_rtol"],
                atol=harness.noise_tolerance(noise),
                name=f"{grad_name} . u (u a random direction)",
                labels=("from your backward", "numerically from your forward"),
            )
            if not result.passed:
                passed = False
                lines.append(str(result))
        if passed:
            return Outcome(True, f"ok: {len(check.data['pairs'])} directional derivatives agree")
        return Outcome(False, "\n".join(dict.fromkeys(lines)))

    def check_interleaved(self, check: Check) -> Outcome:
        """The backward of a first forward call, after a second forward with the same param dict,
        against the same backward on the same case run alone (the student's own result: this
        check judges the forward's cache, not the backward)."""
        backward = check.data["backward"]
        alone, problem = call_problem(self.student, check.data["alone"], backward)
        if problem:
            return Outcome(
                True,
                f"not checked (no points lost here): {backward} does not work on this case anyway; see its own tests",
            )
        after = self.student.record(check.data["call"]) or {}
        if after.get("status") in ("crashed", "skipped"):
            return Outcome(
                True,
                f"not checked (no points lost here): {backward} did not run after the second "
                "forward call; see its own tests",
            )
        record, problem = call_problem(self.student, check.data["call"], backward)
        if problem:
            return Outcome(False, f"after a second call of {check.function} with the same param dict, {problem}")
        lines = []
        for k, name in enumerate(self.plan.group.grads):
            like = self.reference_array(check.data["alone"], k)
            expected, problem = returned_array(self.student, alone, k, name, like)
            if problem:
                return Outcome(True, "not checked (no points lost here): the backward's result alone is unusable")
            actual, problem = returned_array(self.student, record, k, name, expected)
            outcome = (
                Outcome(False, problem)
                if problem
                else compare(
                    actual,
                    expected,
                    name,
                    self.tol["backward_rtol"],
                    self.tol["backward_atol"],
                    labels=("after a second forward call", "alone"),
                )
            )
            if not outcome.passed:
                lines.append(outcome.message)
        if lines:
            return Outcome(
                False,
                f"{backward}'s gradients changed when {check.function} was called a second time "
                f"(other inputs, the same param dict) before it:\n"
                + "\n".join(lines)
                + "\nKeep everything the backward needs in the cache you return, as new objects: not "
                "in the param dict and not in module-level variables, which the next call overwrites.",
            )
        return Outcome(True, "ok: the cache is unaffected by a second forward call")

    def compare_traced(self, call_id: str) -> Outcome:
        """A traced call's results against the reference on the same inputs, which the grader
        draws again from the seed the call recorded (see plan.add_vectorized)."""
        function = self._function_of(call_id)
        record, problem = call_problem(self.student, call_id, function)
        if problem:
            return Outcome(False, problem)
        seed = record.get("seed")
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**64:
            return Outcome(False, "the inputs of this call cannot be known (its seed is missing)")
        call = next(c for c in self.plan.calls if c["id"] == call_id)
        forward_id = call_id if function == self.plan.group.forward else call["args"][0]["generated"]
        spec = next(c for c in self.plan.calls if c["id"] == forward_id)["args"][0]["generate"]
        vectorization, reference = trusted.load("vectorization"), trusted.load("conv")
        x, w, b, conv_param, dout = vectorization.conv_case(
            spec["x"], spec["w"], spec["stride"], spec["pad"], spec["dimension"], spec["factor"], seed
        )
        out, cache = getattr(reference, self.plan.group.forward)(x, w, b, conv_param)
        if function == self.plan.group.forward:
            expected, names, rtol, atol = [out], ("out",), self.tol["forward_rtol"], self.tol["forward_atol"]
        else:
            expected = list(getattr(reference, function)(dout, cache))
            names, rtol, atol = self.plan.group.grads, self.tol["backward_rtol"], self.tol["backward_atol"]
        outcome = self._compare_record(record, expected, names, rtol, atol)
        return Outcome(outcome.passed, f"x {'x'.join(map(str, x.shape))}: {outcome.message}")

    def check_second_call(self, check: Check) -> Outcome:
        """A second forward call, on new inputs of the first case's shapes, against the reference.
        Judged only when the first call was right, so that it catches what is remembered
        between calls (a memo keyed by shape), not a forward that is wrong anyway."""
        if not self.compare_call(check.data["first"]).passed:
            return Outcome(
                True,
                "not checked (no points lost here): the first call on these shapes is wrong "
                "anyway; see the output tests",
            )
        outcome = self.compare_call(check.data["call"])
        if outcome.passed:
            return Outcome(True, "ok: right again on new inputs")
        return Outcome(
            False,
            "right on the first inputs of these shapes, wrong on the next ones:\n"
            + outcome.message
            + "\nDoes your function remember results (or intermediate values) "
            "between calls, e.g. in a module-level dict keyed by shape?",
        )

    def check_vectorized(self, check: Check) -> Outcome:
        """No line of the student's file runs more often as N, H' or W' grow (see layers/vectorization.py)."""
        vectorization = trusted.load("vectorization")
        function = check.function
        wrong, growth, tampered, judged = [], [], [], {}
        for dimension, call_ids in check.data["calls"].items():
            per_factor = []
            for call_id in call_ids:
                if call_id not in judged:  # the base call serves every dimension: judge it once
                    judged[call_id] = self.compare_traced(call_id)
                outcome = judged[call_id]
                if not outcome.passed:
                    wrong.append(outcome.message)
                    break
                trace = self.student.record(call_id).get("trace")
                if not isinstance(trace, dict) or not isinstance(trace.get("counts"), list):
                    tampered.append("the line counts of this call are missing")
                    break
                if trace.get("tampered"):
                    tampered += [str(t)[:200] for t in trace["tampered"]][:3]
                    break
                counts = {}
                for entry in trace["counts"]:
                    if (
                        isinstance(entry, list)
                        and len(entry) == 4
                        and isinstance(entry[0], str)
                        and all(isinstance(v, int) and not isinstance(v, bool) for v in (entry[1], entry[3]))
                        and entry[2] in (vectorization.LINE, vectorization.CALL, vectorization.INNER)
                    ):
                        counts[(entry[0], entry[1], entry[2])] = entry[3]
                per_factor.append(counts)
            if wrong or tampered:
                break
            growth += vectorization.find_growth(per_factor, dimension, tuple(check.data["sizes"][dimension]))
        if wrong:
            # Worded without the values: the inputs are drawn anew for every run, and the same
            # code must always get the same results.json.
            return Outcome(
                False,
                f"no vectorization credit: {function} does not give the right results on the "
                "inputs of this check (drawn when each call starts); see its output and gradient "
                "tests",
            )
        if tampered:
            return Outcome(
                False,
                "the vectorization check could not count your code's work: "
                f"{'; '.join(dict.fromkeys(tampered))}. Code that changes the interpreter's "
                "trace or profile hooks gets no vectorization credit.",
            )
        if growth:
            span = function_span(self.sources.get("layers/conv.py", ""), function)
            shown = []
            for dimension in vectorization.DIMENSIONS:
                found = vectorization.rank([g for g in growth if g.dimension == dimension], span)
                for item in found[:2]:
                    lines = self.sources.get(item.file, "").splitlines()
                    text = lines[item.line - 1] if 0 < item.line <= len(lines) else ""
                    shown.append(item.describe(text))
            dimensions = [d for d in vectorization.DIMENSIONS if any(g.dimension == d for g in growth)]
            return Outcome(
                False,
                f"{function} has a Python loop over {', '.join(dimensions)}:\n"
                + "\n".join("  " + line for line in shown)
                + "\nVectorized means no Python loop whose number of iterations grows with N, H' or W' "
                "(loops over F, C, HH and WW are fine). `python -m layers.selfcheck` runs this check.",
            )
        sizes = "; ".join(f"{d} = {', '.join(map(str, v))}" for d, v in check.data["sizes"].items())
        return Outcome(True, f"ok: vectorized (the same lines run for {sizes})")

    def check_purity_forward(self, check: Check) -> Outcome:
        return self._purity(check.data["calls"], check.function, self.plan.group.inputs, check.data["repeat"])

    def check_purity_backward(self, check: Check) -> Outcome:
        return self._purity(check.data["calls"], check.function, ("dout", "cache"), None)

    def _purity(self, call_ids: list[str], function: str, names: tuple[str, ...], repeat) -> Outcome:
        worked = 0
        for call_id in call_ids:
            record = self.student.record(call_id)
            if record is None or record["status"] != "ok":
                continue
            worked += 1
            modified = [
                names[i] if isinstance(i, int) and 0 <= i < len(names) else "?"
                for i in record.get("modified_inputs", [])
            ]
            if modified:
                return Outcome(
                    False,
                    f"{function} modified its input {', '.join(modified)} in place; "
                    f"copy it first (e.g. x = x.copy()) or avoid in-place operations on it.",
                )
        if worked == 0:
            _, problem = call_problem(self.student, call_ids[0], function)
            return Outcome(False, f"not credited until {function} runs: {problem}")
        if repeat:
            first, second = (self.student.record(c) for c in repeat)
            if first and second and first["status"] == second["status"] == "ok":
                a = self.student.array((first.get("returned") or [{}])[0].get("file"))
                b = self.student.array((second.get("returned") or [{}])[0].get("file"))
                if a is not None and b is not None and (a.shape != b.shape or not np.array_equal(a, b)):
                    return Outcome(
                        False,
                        f"two identical calls of {function} gave different outputs: does it keep "
                        "state between calls, or change its inputs?",
                    )
        return Outcome(True, f"ok: inputs unchanged in {worked} calls")

    def _dict_state(self, records: Records, call_id: str) -> dict:
        record = records.record(call_id) or {}
        state = (record.get("dicts") or {}).get("3") or {}
        return state.get("items") if isinstance(state, dict) and isinstance(state.get("items"), dict) else {}

    def _running(self, records: Records, call_id: str, key: str) -> np.ndarray | None:
        item = self._dict_state(records, call_id).get(key)
        if not isinstance(item, dict):
            return None
        return records.array(item.get("file"))

    def check_state(self, check: Check) -> Outcome:
        init = check.data["init"]
        lines = []
        for t, call_id in enumerate(check.data["calls"], start=1):
            _, problem = call_problem(self.student, call_id, check.function)
            if problem:
                return Outcome(False, f"train call {t}: {problem}")
            state = self._dict_state(self.student, call_id)
            for key, value in init.items():
                item = state.get(key)
                if not isinstance(item, dict) or item.get("value") != value:
                    return Outcome(
                        False,
                        f"after train call {t}, bn_param['{key}'] is "
                        f"{item.get('value') if isinstance(item, dict) else 'missing'}; "
                        f"it must stay {value!r}.",
                    )
            for key in ("running_mean", "running_var"):
                expected = self._running(self.reference, call_id, key)
                actual = self._running(self.student, call_id, key)
                if actual is None:
                    return Outcome(False, f"after train call {t}, bn_param['{key}'] is missing or not a float64 array.")
                outcome = compare(
                    actual,
                    expected,
                    f"bn_param['{key}'] after train call {t}",
                    self.tol["forward_rtol"],
                    self.tol["forward_atol"],
                )
                if not outcome.passed:
                    return Outcome(
                        False,
                        outcome.message + "\nrunning = momentum * running + (1 - momentum) * "
                        "batch statistic; variance divides by N.",
                    )
            lines.append(f"train call {t}: running averages ok")
        return Outcome(True, "; ".join(lines))

    def check_test_mode(self, check: Check) -> Outcome:
        call_id, previous = check.data["call"], check.data["previous"]
        outcome = self._compare_returned(call_id, ("out",), self.tol["forward_rtol"], self.tol["forward_atol"])
        if not outcome.passed:
            return Outcome(
                False,
                "test-mode output: "
                + outcome.message
                + "\nTest mode normalizes with the running averages, then applies gamma and beta.",
            )
        for key in ("running_mean", "running_var"):
            before = self._running(self.student, previous, key)
            after = self._running(self.student, call_id, key)
            if before is None or after is None or before.shape != after.shape or not np.array_equal(before, after):
                return Outcome(False, f"the test-mode call changed bn_param['{key}']; test mode must leave it alone.")
        return Outcome(True, "test-mode output ok; running averages unchanged")
