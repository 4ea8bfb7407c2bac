"""The known answers of layers/selfcheck.py, computed with the reference solution.

`render()` returns the text between `# BEGIN EXPECTED` and `# END EXPECTED`
in solutions/layers/selfcheck.py. tests/test_selfcheck.py compares it with
the file; after changing a public case, regenerate the block with

    python tests/selfcheck_expected.py --write
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SELFCHECK = REPO / "solutions" / "layers" / "selfcheck.py"
BEGIN, END = "# BEGIN EXPECTED\n", "# END EXPECTED\n"


def reference_modules():
    """selfcheck, conv and norm of solutions/layers (the reference), under the grader's private names."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))  # run as a script
    from autograder import trusted

    return tuple(trusted.load(name) for name in ("selfcheck", "conv", "norm"))


def _number(value: float) -> str:
    text = "%.12g" % value
    return "0" if text == "-0" else text


def _entry(array, indent: str) -> str:
    values = ", ".join(_number(v) for v in array.ravel().tolist())
    body = textwrap.fill(values, width=108, initial_indent=indent + "    ", subsequent_indent=indent + "    ")
    return "(%s, [\n%s,\n%s])" % (tuple(array.shape), body, indent)


def answers():
    """{key: array} for every case, {key: {part: array}} for every sequence."""
    selfcheck, conv, norm = reference_modules()
    found = {}
    for name, cases in selfcheck.CASES.items():
        forward = getattr({"conv": conv, "norm": norm}[selfcheck.MODULE_OF[name]], name)
        for case in cases:
            found[case.key] = selfcheck.call_forward(forward, case.arrays(), case)[0]
    for name, sequences in selfcheck.SEQUENCES.items():
        forward = getattr(norm, name)
        for sequence in sequences:
            trains, test, gamma, beta = sequence.make()
            bn_param = dict(sequence.init)
            for x in trains:
                forward(x, gamma, beta, bn_param)
            parts = {"running_mean": bn_param["running_mean"], "running_var": bn_param["running_var"]}
            bn_param["mode"] = "test"
            parts["test_out"] = forward(test, gamma, beta, bn_param)[0]
            found[sequence.key] = parts
    return found


def render() -> str:
    lines = []
    for key, value in answers().items():
        if isinstance(value, dict):
            lines.append('EXPECTED["%s"] = {' % key)
            for part, array in value.items():
                lines.append('    "%s": %s,' % (part, _entry(array, "    ")))
            lines.append("}")
        else:
            lines.append('EXPECTED["%s"] = %s' % (key, _entry(value, "")))
    return "\n".join(lines) + "\n"


def current() -> str:
    text = SELFCHECK.read_text(encoding="utf-8")
    return text[text.index(BEGIN) + len(BEGIN) : text.index(END)]


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        text = SELFCHECK.read_text(encoding="utf-8")
        start, stop = text.index(BEGIN) + len(BEGIN), text.index(END)
        SELFCHECK.write_text(text[:start] + render() + text[stop:], encoding="utf-8")
        print("wrote the expected outputs into", SELFCHECK)
    else:
        sys.stdout.write(render())
