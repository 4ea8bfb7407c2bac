"""The resource limits of one child process, and setting them in the child.

`Limits` comes from the rubric (`[limits]`). `set_in_child` runs in the
forked child between fork and exec (Popen's preexec_fn), so the limits hold
for the worker and everything it starts.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Resource limits of one child process."""

    seconds: float = 30.0
    memory_mb: int = 4096
    cpu_seconds: int = 120
    file_mb: int = 256
    processes: int = 256
    output_mb: int = 512  # output folder plus stdout and stderr, all files together


def set_in_child(limits: Limits) -> None:
    """Set LIMITS on the calling process: address space, CPU seconds, file size, process count, no core files.

    Runs in the child between fork and exec."""
    mb = 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mb, limits.memory_mb * mb))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_mb * mb, limits.file_mb * mb))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
