"""Run one submission's calls in sandboxes: one, unless student code kills its fork server.

The fork server inside the sandbox (worker.py) already survives a crash or a
hang of one call. What it cannot survive is student code that kills the
server itself (kill(-1), a signal to its parent, memory beyond the limit).
Then this starts a new sandbox for the calls left, in a fresh output folder:
a call that was running at such a death gets one more try, alone; running at
a second death, it is blamed (a "crashed" record written here) and its
function is not run again. At most MAX_SANDBOXES sandboxes per submission.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import defaultdict
from pathlib import Path

from autograder.isolation.child import run_child
from autograder.isolation.folders import prepare_dirs
from autograder.isolation.limits import Limits
from autograder.isolation.records import Records, Streams, read_streams
from autograder.isolation.sandbox import Sandbox
from autograder.isolation.worker import JOB_FILES, SERVER_DONE

# Sandboxes started for one submission at most: the first, and new ones after
# student code killed the fork server itself.
MAX_SANDBOXES = 6


def run_submission(
    calls: dict[str, list[dict]],
    job: Path,
    groups: list[str],
    code: Path,
    root: Path,
    sandbox: Sandbox,
    limits: Limits,
    parallel: int,
) -> dict[str, Records]:
    """Run the calls of GROUPS (names; CALLS: group -> its plan's calls, written to JOB) on the
    student's CODE folder, in sandboxes under ROOT, PARALLEL runners at once; the records per group."""
    if not groups:
        return {}
    _, job_copy, _ = prepare_dirs(root)
    for name in JOB_FILES:
        try:
            os.link(job / name, job_copy / name)
        except OSError:
            shutil.copyfile(job / name, job_copy / name)
    start = {name: 0 for name in groups}
    extra: dict[str, dict[str, dict]] = defaultdict(dict)  # the supervisor's own crash records
    skip: dict[str, set[str]] = defaultdict(set)  # functions not to run again, per group
    retried: set[tuple[str, str]] = set()
    ended, tail, outs = "", "", []
    for attempt in range(MAX_SANDBOXES):
        argument = json.dumps(
            {"start": start, "parallel": parallel, "attempt": attempt, "skip": {g: sorted(f) for g, f in skip.items()}}
        )
        # A fresh output folder each time: what a stopped sandbox left (a flood of files)
        # is not counted against the next one.
        out = root / f"out{attempt}"
        out.mkdir(mode=0o755)
        outs.append(out)
        result = run_child(sandbox, code, job_copy, out, limits, argument)
        tail = (result.stdout_tail + result.stderr_tail)[-1500:]
        streams = read_streams(*outs)
        if (out / SERVER_DONE).is_file() and result.returncode == 0 and not result.timed_out and not result.stopped:
            break
        # The server itself was killed (or stopped at a limit): carry on after the calls
        # it had finished. A call that was running when it happened gets one more try,
        # alone; running at a second death, it is blamed and its function not run again.
        ended = result.describe_end()
        running = streams.started_by_attempt.get(attempt, {})
        start, suspects = {}, set()
        for name, first in resume_points(calls, streams, extra, groups).items():
            call = calls[name][first]
            if call["id"] in running.get(name, []):
                if (name, call["id"]) in retried or attempt == MAX_SANDBOXES - 1:
                    extra[name][call["id"]] = {
                        "status": "crashed",
                        "reason": (
                            f"the whole grading process was stopped twice while it ran ({ended}): does your "
                            "code kill processes, or use too much memory?"
                        ),
                    }
                    skip[name].add(call["func"])
                    first += 1
                else:
                    retried.add((name, call["id"]))
                    suspects.add(name)
            if first < len(calls[name]):
                start[name] = first
        if not start:
            break
        # Groups that were not running a suspect call go first.
        start = dict(sorted(start.items(), key=lambda item: item[0] in suspects))
        parallel = 1  # one group at a time: the next death names its call
    else:
        ended = f"{ended}; your code stopped the grading process {MAX_SANDBOXES} times"
    return {name: streams.group(name, extra[name], ended, tail) for name in groups}


def resume_points(
    calls: dict[str, list[dict]], streams: Streams, extra: dict[str, dict[str, dict]], names: list[str]
) -> dict[str, int]:
    """Per unfinished group of NAMES, the index of its first call without a record."""
    points = {}
    for name in names:
        done = set(streams.records.get(name, {})) | set(extra.get(name, {}))
        for index, call in enumerate(calls[name]):
            if call["id"] not in done:
                points[name] = index
                break
    return points
