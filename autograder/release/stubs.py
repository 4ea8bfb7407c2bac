"""Turn reference source into student stubs by removing solution regions.

A solution region is every line strictly between a line `### BEGIN SOLUTION`
and a line `### END SOLUTION` (nbgrader's markers, any indentation). In a
function body the region becomes

    # YOUR CODE HERE
    raise NotImplementedError

at the marker's indentation. At module level (indentation 0, e.g. a helper
function of the reference) it becomes the comment alone, so the stub module
still imports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BEGIN_MARKER = "### BEGIN SOLUTION"
END_MARKER = "### END SOLUTION"
_MARKER_LINE = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>### (BEGIN|END) SOLUTION)[ \t]*$")


class MarkerError(ValueError):
    """The solution markers of a source file are unbalanced or nested."""


@dataclass(frozen=True)
class Region:
    """One solution region: 1-based line numbers of its markers and its body lines."""

    begin_line: int
    end_line: int
    indent: str
    body: tuple[str, ...]


def find_regions(source: str, filename: str = "<source>") -> list[Region]:
    """Return the solution regions of `source`, checking that markers pair up."""
    regions: list[Region] = []
    open_at: int | None = None
    open_indent = ""
    body: list[str] = []
    for number, line in enumerate(source.splitlines(), start=1):
        match = _MARKER_LINE.match(line)
        if match is None:
            if BEGIN_MARKER in line or END_MARKER in line:
                raise MarkerError(f"{filename}:{number}: a solution marker must stand alone on its line")
            if open_at is not None:
                body.append(line)
            continue
        if match["marker"] == BEGIN_MARKER:
            if open_at is not None:
                raise MarkerError(f"{filename}:{number}: BEGIN SOLUTION inside the region opened at line {open_at}")
            open_at, open_indent, body = number, match["indent"], []
        else:
            if open_at is None:
                raise MarkerError(f"{filename}:{number}: END SOLUTION without a BEGIN SOLUTION")
            if match["indent"] != open_indent:
                raise MarkerError(f"{filename}:{number}: END SOLUTION indented differently from line {open_at}")
            regions.append(Region(open_at, number, open_indent, tuple(body)))
            open_at = None
    if open_at is not None:
        raise MarkerError(f"{filename}:{open_at}: BEGIN SOLUTION is never closed")
    return regions


def make_stub(source: str, filename: str = "<source>") -> str:
    """Return `source` with every solution region replaced by a stub (see module docstring)."""
    regions = {region.begin_line: region for region in find_regions(source, filename)}
    out: list[str] = []
    skip_until = 0
    for number, line in enumerate(source.splitlines(), start=1):
        if number <= skip_until:
            continue
        region = regions.get(number)
        if region is None:
            out.append(line)
            continue
        out.append(f"{region.indent}# YOUR CODE HERE")
        if region.indent:
            out.append(f"{region.indent}raise NotImplementedError")
        skip_until = region.end_line
    text = "\n".join(out)
    return text + "\n" if source.endswith("\n") else text


def solution_lines(source: str, filename: str = "<source>") -> set[str]:
    """The distinctive lines inside solution regions (stripped), for leak checks.

    Lines too generic to prove a leak (blank, comments, lone brackets, `pass`,
    `return out, cache`-sized boilerplate is kept: it is specific enough) are left out.
    """
    lines: set[str] = set()
    for region in find_regions(source, filename):
        for line in region.body:
            text = line.strip()
            if len(text) < 8 or text.startswith("#") or text in {"pass", "else:", "return", "continue"}:
                continue
            lines.add(text)
    return lines
