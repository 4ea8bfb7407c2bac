"""Known mistakes: variants of the reference with one classic student mistake each.

Trusted grader code: never released, never run in a student's process. The
diagnosis (`autograder/checks/diagnosis.py`) runs every mistake on the hidden cases
in the grader's process, once per batch, and names a mistake in a
submission's feedback only when the submission's results match that
mistake's on every case (and not the reference's).

A `Mistake` has

- `id`: stable, short, used in results.json (`extra_data["diagnosis"]`),
  grades.csv and the class summary; never renamed once released;
- `functions`: the graded functions where it is named (the ones whose
  results it changes);
- `title`: a few words for the instructor ("eps outside the square root");
- `hint`: what the student reads: what their code does, and what to do
  instead, concrete, never a guess;
- `implementations`: replacements for functions of the student module, by
  name; every other function is the reference's. A backward mistake replaces
  only the backward, so it runs on the reference forward's cache; a mistake
  of the forward that spoils the cache replaces only the forward but is
  named on the backward (the reference backward then runs on its cache);
- `raises`: exception types the mistake may raise on some cases (a window
  that does not fit); any other exception while the grader computes its
  results disables the mistake for the batch. Where it raises, a
  submission raising the same type is no evidence either way (a broadcast
  ValueError has many causes), unless the type is also in
- `telltale`: exception types that are the mistake itself (AssertionError
  for an `assert` that the stride divides evenly): the same exception on the
  same case counts as a match that differs from the reference.

Array shapes follow SPEC section 1 (x (N, C, H, W) or (N, D), ...).
"""

from __future__ import annotations

from autograder.mistakes import conv, norm
from autograder.mistakes.mistake import Mistake

__all__ = ["BY_ID", "MISTAKES", "Mistake", "title"]


def _catalogue() -> tuple[Mistake, ...]:
    mistakes = tuple(conv.MISTAKES) + tuple(norm.MISTAKES)
    seen = set()
    for mistake in mistakes:
        if mistake.id in seen:
            raise ValueError(f"two known mistakes share the id {mistake.id}")
        seen.add(mistake.id)
        group = mistake.group
        if not mistake.functions or not set(mistake.functions) <= set(group.functions):
            raise ValueError(f"{mistake.id}: its functions {mistake.functions} are not one group's")
        if not mistake.implementations or not set(mistake.implementations) <= set(group.functions):
            raise ValueError(f"{mistake.id}: it must replace functions of group {group.name}")
        if not set(mistake.telltale) <= set(mistake.raises):
            raise ValueError(f"{mistake.id}: its telltale exceptions must be among those it raises")
        if not mistake.hint.strip() or not mistake.title.strip():
            raise ValueError(f"{mistake.id}: a known mistake needs a title and a hint")
    return mistakes


MISTAKES: tuple[Mistake, ...] = _catalogue()
BY_ID: dict[str, Mistake] = {m.id: m for m in MISTAKES}


def title(mistake_id: str) -> str:
    """The instructor's words for a mistake id (the id itself when unknown, e.g. from an older run)."""
    mistake = BY_ID.get(mistake_id)
    return mistake.title if mistake else mistake_id
