"""How long each source notebook takes to run, against the issue-13 target (about a minute each).

    python benchmarks/bench_notebooks.py [NAME.ipynb ...]

Not a test (no test races a clock against the machine's load): each notebook
of solutions/ is copied with the reference layers into a temporary folder and
executed with nbclient, as tests/test_notebooks.py does; the wall time is
printed next to the time of one `python -c "import numpy"` process measured
in the same run, so that a loaded machine shows as such.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from units import numpy_unit

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO / "solutions"
TARGET_SECONDS = 60.0


def run(name: str) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-notebooks-") as folder:
        shutil.copytree(SOLUTIONS / "layers", Path(folder) / "layers")
        (Path(folder) / "collate.sh").write_text("")  # the handout locator looks for it
        notebook = nbformat.read(SOLUTIONS / name, as_version=4)
        client = NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": folder}})
        started = time.perf_counter()
        client.execute()
        return time.perf_counter() - started


def main(argv: list[str]) -> int:
    names = argv or sorted(p.name for p in SOLUTIONS.glob("*.ipynb"))
    unit = numpy_unit()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; one numpy-import process = {unit:.3f} s")
    for name in names:
        seconds = run(name)
        verdict = "PASS" if seconds <= TARGET_SECONDS else "MISS"
        print(f"{name:32s} {seconds:6.1f} s = {seconds / unit:6.0f} units   target <= {TARGET_SECONDS:g} s: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
