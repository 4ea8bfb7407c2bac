"""One known mistake: its id, the functions where it is named, words for the instructor and the
student, and the variant implementations that make it (see the package's docstring)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from autograder.contract import GROUPS


@dataclass(frozen=True)
class Mistake:
    id: str
    functions: tuple[str, ...]
    title: str
    hint: str
    implementations: dict[str, Callable] = field(default_factory=dict, compare=False, hash=False)
    raises: tuple[str, ...] = ()
    telltale: tuple[str, ...] = ()

    @property
    def group(self):
        """The contract group of this mistake's functions (all of them are in one group)."""
        return next(g for g in GROUPS if self.functions[0] in g.functions)
