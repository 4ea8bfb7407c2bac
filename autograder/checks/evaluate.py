"""What every check is made of: a plan's records, the student's and the reference's, compared.

Everything a child wrote is untrusted: its record streams are read and
validated by `autograder.isolation.records`, and every field of a record is
validated before use. `Evaluator` holds one plan's records and compares calls
with the reference; the checks built on it are in checks/methods.py (the
table) and the modules it names. A check returns an Outcome (passed, message);
the message is what the student reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autograder import trusted
from autograder.checks.plan import Plan
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


class Evaluator:
    """The records of one plan's calls, the student's and the reference's, and the comparisons
    every check is made of (the checks themselves: checks/methods.py METHODS)."""

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

    def function_of(self, call_id: str) -> str:
        return next(call["func"] for call in self.plan.calls if call["id"] == call_id)

    def compare_returned(self, call_id: str, names: tuple[str, ...], rtol: float, atol: float) -> Outcome:
        record, problem = call_problem(self.student, call_id, self.function_of(call_id))
        if problem:
            return Outcome(False, problem)
        expected = [self.reference_array(call_id, k) for k in range(len(names))]
        return self.compare_record(record, expected, names, rtol, atol)

    def compare_record(
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
        if self.function_of(call_id) == self.plan.group.forward:
            return self.compare_returned(call_id, ("out",), self.tol["forward_rtol"], self.tol["forward_atol"])
        return self.compare_returned(
            call_id, self.plan.group.grads, self.tol["backward_rtol"], self.tol["backward_atol"]
        )
