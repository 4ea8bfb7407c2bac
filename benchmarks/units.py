"""The unit the benchmarks count in: one fresh `python -c "import numpy"` process.

These machines are shared and noisy, so absolute times drift; a cost given in
this unit, measured in the same run, says more.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def numpy_unit(repeats: int = 7) -> float:
    """Median wall time of a fresh `python -c "import numpy"` process, in seconds."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import numpy"], check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)
