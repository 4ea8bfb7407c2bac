"""Is a notebook run, saved and completed? One answer, for collate.sh and the autograder.

Given code, standard library only (collate.sh runs it with any Python 3).
collate.sh calls it as

    python layers/handin.py check ROOT FILE...

to check the files it is about to pack (FILE relative to ROOT: layers/*.py
must compile, *.ipynb must be notebooks run, saved and completed); the
autograder imports its own copy and calls `notebook_findings` with the
released notebook, so both say the same thing about the same file.

A notebook is "run, saved and completed" when it has none of these findings
(`Finding.kind`):

    not_run       a code cell with code but no execution count (never run, or
                  not saved after running)
    unfilled      a code cell to write (nbgrader solution cell) still as released
    unanswered    a question (nbgrader answer cell) still "YOUR ANSWER HERE"
    error         a cell whose saved output is an error
    deleted       a released cell that is gone, or whose metadata was lost (a
                  cell copied and pasted, or edited by a tool that drops metadata)
    changed       a read-only cell whose code or text was changed
    no_record     the notebook lost the record of its released cells (its
                  metadata), so deleted cells cannot be checked

The released cells come from the released notebook itself (`released_cells`);
`autograder release` also stores that list in each released notebook's
metadata under RECORD_KEY, which is what collate.sh reads. Cells are named as
a student sees them: the section heading above the cell and the cell's first
line, never nbgrader's internal ids.
"""

import hashlib
import json
import os
import sys

# Notebook metadata key under which the release records its cells.
RECORD_KEY = "handin"
# nbgrader's stub for an unanswered question.
ANSWER_STUB = "YOUR ANSWER HERE"
# Largest notebook read (bytes).
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
# How many not-run cells a finding names before it says "and N more".
NAMED_CELLS = 3
KINDS = ("not_run", "unfilled", "unanswered", "error", "deleted", "changed", "no_record")


class Finding:
    """One thing missing from a notebook.

    kind: one of KINDS. text: a sentence for the student, naming the section
    and the cell's first line. grade_id: nbgrader's id of the cell concerned
    (for instructors' tools; None when there is no single cell). ename: the
    error's name, for kind "error".
    """

    def __init__(self, kind, text, grade_id=None, ename=None):
        self.kind, self.text, self.grade_id, self.ename = kind, text, grade_id, ename

    def as_dict(self):
        return {"kind": self.kind, "text": self.text, "grade_id": self.grade_id, "ename": self.ename}

    def __repr__(self):
        return "Finding(%r, %r)" % (self.kind, self.text)


# ------------------------------------------------------------------ cells


def source_text(cell):
    """A cell's source as one string (nbformat stores a string or a list of lines)."""
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    if isinstance(source, list):
        return "".join(str(part) for part in source)
    return str(source)


def normalized(source):
    """Source for comparisons: trailing spaces of every line and blank lines at both ends dropped."""
    if not isinstance(source, str):
        source = source_text({"source": source})
    lines = [line.rstrip() for line in source.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


def digest(source):
    """SHA-256 (hex) of the normalized source: what "unchanged since the release" compares."""
    return hashlib.sha256(normalized(source).encode("utf-8")).hexdigest()


def first_line(source, width=100):
    """The first non-blank line, stripped, cut to `width` characters."""
    for line in normalized(source).split("\n"):
        if line.strip():
            line = line.strip()
            return line if len(line) <= width else line[: width - 3] + "..."
    return ""


def nbgrader_meta(cell):
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return meta if isinstance(meta, dict) else {}


def grade_id(cell):
    value = nbgrader_meta(cell).get("grade_id")
    return value if isinstance(value, str) and value else None


def kind_of(cell):
    """'solution' (code to write), 'answer' (question answered in text), 'locked' (read-only), or None."""
    meta = nbgrader_meta(cell)
    if meta.get("solution") and meta.get("grade") and cell.get("cell_type") == "markdown":
        return "answer"
    if meta.get("solution"):
        return "solution"
    if meta.get("locked"):
        return "locked"
    return None


def heading(cell):
    """The text of a markdown cell's first heading line ('## 2. The forward pass' -> '2. The forward pass')."""
    if cell.get("cell_type") != "markdown":
        return None
    for line in normalized(source_text(cell)).split("\n"):
        stripped = line.strip()
        if stripped.startswith("#"):
            text = stripped.lstrip("#").strip()
            if text:
                return text
    return None


def sections(cells):
    """The section heading each cell is under (its own heading for a heading cell), '' before any."""
    current, found = "", []
    for cell in cells:
        title = heading(cell) if isinstance(cell, dict) else None
        if title:
            current = title
        found.append(current)
    return found


def is_code(cell):
    return cell.get("cell_type") == "code" and bool(normalized(source_text(cell)))


def was_run(cell):
    count = cell.get("execution_count")
    return isinstance(count, int) and not isinstance(count, bool)


def describe(section, kind, first, cell_type):
    """'section "3. Backward": the code cell starting "def f(x):"' as a student reads it."""
    where = 'section "%s"' % section if section else "the top of the notebook"
    if kind == "answer" or first == ANSWER_STUB:
        return "%s: the answer cell" % where
    what = "code cell" if cell_type == "code" else "text cell"
    return '%s: the %s starting "%s"' % (where, what, first) if first else "%s: an empty %s" % (where, what)


def released_cells(notebook):
    """The record of a released notebook's nbgrader cells, in order: a list of dicts with

    id (nbgrader grade_id), kind ('solution', 'answer', 'locked'), cell_type,
    section (heading above it), first_line (as released) and sha256 (of the
    normalized released source).
    """
    cells = [cell for cell in notebook.get("cells", []) if isinstance(cell, dict)]
    record = []
    for cell, section in zip(cells, sections(cells)):
        cell_id, kind = grade_id(cell), kind_of(cell)
        if cell_id is None or kind is None:
            continue
        source = source_text(cell)
        record.append(
            {
                "id": cell_id,
                "kind": kind,
                "cell_type": cell.get("cell_type"),
                "section": section,
                "first_line": first_line(source),
                "sha256": digest(source),
            }
        )
    return record


def recorded_cells(notebook):
    """The record the release stored in the notebook's metadata, or None when it is gone or damaged."""
    metadata = notebook.get("metadata") if isinstance(notebook, dict) else None
    entry = metadata.get(RECORD_KEY) if isinstance(metadata, dict) else None
    cells = entry.get("cells") if isinstance(entry, dict) else None
    if not isinstance(cells, list) or not all(isinstance(c, dict) and isinstance(c.get("id"), str) for c in cells):
        return None
    return cells


# --------------------------------------------------------------- findings


def notebook_findings(notebook, released=None):
    """Everything that keeps `notebook` (a parsed .ipynb, a dict) from being run, saved and completed.

    `released` is the record of the released cells (`released_cells` of the
    released notebook); None reads the record stored in the notebook itself.
    Returns a list of Finding, in notebook order within each kind.
    """
    cells = [cell for cell in notebook.get("cells", []) if isinstance(cell, dict)]
    places = sections(cells)
    findings = []

    unrun = [(cell, section) for cell, section in zip(cells, places) if is_code(cell) and not was_run(cell)]
    code_count = sum(1 for cell in cells if is_code(cell))
    if unrun:
        named = "; ".join(
            describe(section, None, first_line(source_text(cell)), "code") for cell, section in unrun[:NAMED_CELLS]
        )
        more = " and %d more" % (len(unrun) - NAMED_CELLS) if len(unrun) > NAMED_CELLS else ""
        if len(unrun) == code_count:
            text = "has NOT BEEN RUN (no code cell has been run and saved): run all its cells in Jupyter, then save"
        else:
            text = (
                "%d of %d code cells have not been run (or not saved after running): %s%s. Run them all, then "
                "save" % (len(unrun), code_count, named, more)
            )
        findings.append(Finding("not_run", text))

    for cell, section in zip(cells, places):
        outputs = cell.get("outputs") if isinstance(cell.get("outputs"), list) else []
        for output in outputs:
            if isinstance(output, dict) and output.get("output_type") == "error":
                ename, evalue = str(output.get("ename", "")), str(output.get("evalue", ""))
                error = ename + (": " + first_line(evalue, 80) if evalue.strip() else "")
                findings.append(
                    Finding(
                        "error",
                        "%s shows an error (%s): fix it, run it again and save"
                        % (describe(section, None, first_line(source_text(cell)), "code"), error),
                        grade_id(cell),
                        ename,
                    )
                )
                break

    record = released if released is not None else recorded_cells(notebook)
    if record is None:
        findings.append(
            Finding(
                "no_record",
                "has lost its record of the released cells (its metadata was "
                "rewritten, by an editor other than Jupyter perhaps), so collate.sh "
                "cannot tell whether a cell was deleted; the autograder still checks "
                "it against the handout's copy: make sure every cell of the handout's "
                "copy is still there",
            )
        )
        record = []
    present = {}
    for cell in cells:
        cell_id = grade_id(cell)
        if cell_id is not None and cell_id not in present:
            present[cell_id] = cell
    for entry in record:
        cell = present.get(entry.get("id"))
        label = describe(
            entry.get("section", ""), entry.get("kind"), entry.get("first_line", ""), entry.get("cell_type")
        )
        if cell is None:
            findings.append(
                Finding(
                    "deleted",
                    "%s is missing (deleted, or its metadata was lost when it was "
                    "copied): restore it from the handout's copy" % label,
                    entry.get("id"),
                )
            )
            continue
        same = digest(source_text(cell)) == entry.get("sha256")
        kind = entry.get("kind")
        if kind == "solution" and same:
            findings.append(Finding("unfilled", "%s is still to fill in (it is as handed out)" % label, entry["id"]))
        elif kind == "answer" and same:
            findings.append(
                Finding("unanswered", '%s still says "%s": write your answer there' % (label, ANSWER_STUB), entry["id"])
            )
        elif kind == "locked" and (not same or cell.get("cell_type") != entry.get("cell_type")):
            findings.append(
                Finding(
                    "changed",
                    "%s is read-only but was changed: restore it from the handout's copy" % label,
                    entry["id"],
                )
            )
    order = {kind: index for index, kind in enumerate(KINDS)}
    return sorted(findings, key=lambda finding: order[finding.kind])


def read_notebook(path):
    """(notebook dict, None) or (None, why it is not a saved notebook)."""
    try:
        size = os.path.getsize(path)
        if size > MAX_NOTEBOOK_BYTES:
            return None, "the notebook is too large (%d bytes, at most %d)" % (size, MAX_NOTEBOOK_BYTES)
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        return None, "cannot read the notebook (%s)" % (error.strerror or error)
    try:
        notebook = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "not a JSON file (not UTF-8 text), so not a saved notebook"
    except (ValueError, RecursionError) as error:
        return None, "not a JSON file (%s): it was not saved completely, or was edited by hand" % error
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list) or "nbformat" not in notebook:
        return None, "not a notebook: no list of cells (or no nbformat)"
    return notebook, None


# -------------------------------------------------------- collate.sh's check


def say(kind, text):
    """One finding for collate.sh: 'O' fine, 'E' error, 'W' warning, 'N' note; '+' continues a line."""
    lines = str(text).splitlines() or [""]
    print(kind + " " + lines[0])
    for line in lines[1:]:
        print("+ " + line)


def check_python(rel, path):
    with open(path, "rb") as handle:
        source = handle.read()
    try:
        compile(source, rel, "exec", dont_inherit=True)
    except SyntaxError as error:
        where = "%s:%s" % (rel, error.lineno) if error.lineno else rel
        text = "%s: %s: %s" % (where, type(error).__name__, error.msg)
        if error.text and error.text.strip():
            line = error.text.rstrip("\r\n").expandtabs()
            text += "\n    " + line
            if error.offset and 0 < error.offset <= len(line) + 1:
                text += "\n    " + " " * (error.offset - 1) + "^"
        say("E", text + "\nFix it (python -m py_compile %s shows it too), then run collate.sh again" % rel)
        return
    except (ValueError, TypeError) as error:
        say("E", "%s cannot be compiled: %s" % (rel, error))
        return
    say("O", rel + ": compiles")


def check_notebook(rel, path):
    notebook, problem = read_notebook(path)
    if notebook is None:
        say("E", "%s: %s. Open it in Jupyter and save it, or restore it from the handout" % (rel, problem))
        return
    findings = notebook_findings(notebook)
    for finding in findings:
        say(
            "W",
            "%s %s" % (rel, finding.text)
            if finding.kind in ("not_run", "no_record")
            else "%s, %s" % (rel, finding.text),
        )
    if not findings:
        runs = sum(1 for cell in notebook["cells"] if isinstance(cell, dict) and is_code(cell))
        say("O", "%s: run, saved and completed (%d code cells)" % (rel, runs))


def main(argv):
    if len(argv) < 2 or argv[0] != "check":
        print("usage: python layers/handin.py check ROOT FILE...  (collate.sh runs it)", file=sys.stderr)
        return 2
    root = argv[1]
    for rel in argv[2:]:
        path = os.path.join(root, rel)
        try:
            if rel.endswith(".py"):
                check_python(rel, path)
            else:
                check_notebook(rel, path)
        except Exception as error:  # an unreadable file, say
            say("E", "%s could not be checked: %s: %s" % (rel, type(error).__name__, error))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
