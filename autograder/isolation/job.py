"""The job folder a sandbox reads: every group's calls and their float64 inputs.

Written once per batch, hard-linked into each submission's sandbox; read by
worker.py's `Inputs` (inside the sandbox) and by the in-process reference run.

    JOB/plan.json    {"groups": {group: [call, ...]}, "arrays": {"group:name": [offset, shape]},
                      "call_seconds": seconds}
    JOB/arrays.bin   the arrays' float64 values, C order, one after another (offsets in values)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol

import numpy as np

from autograder.isolation.worker import ARRAYS_FILE, PLAN_FILE


class Planned(Protocol):
    """What the job needs of a plan (checks/plan.py Plan): its calls and its named inputs."""

    calls: list[dict]
    arrays: dict[str, np.ndarray]


def write_job(plans: dict[str, Planned], job: Path, call_seconds: float) -> None:
    """JOB/plan.json and JOB/arrays.bin for PLANS (group name -> plan); CALL_SECONDS: one call's limit."""
    job.mkdir(parents=True, exist_ok=True)
    index, offset = {}, 0
    with open(job / ARRAYS_FILE, "wb") as handle:
        for group, plan in plans.items():
            for name, value in plan.arrays.items():
                index[f"{group}:{name}"] = [offset, list(value.shape)]
                handle.write(value.tobytes())
                offset += value.size
    job_data = {
        "groups": {group: plan.calls for group, plan in plans.items()},
        "arrays": index,
        "call_seconds": call_seconds,
    }
    (job / PLAN_FILE).write_text(json.dumps(job_data))
