"""Reading a worker's record streams back, validating every entry (the writer is worker.py's RecordStream).

Everything a child wrote is untrusted: each entry's JSON line is size-limited
and must have the expected fields and types, its arrays must be plain number
dtypes (worker.SAVED_KINDS) of at most worker.MAX_ARRAY_BYTES each, and all
streams together at most MAX_STREAM_BYTES. A stream is read up to its first
damaged entry. The result is one `Records` per group: records by call id,
and the returned arrays by "ID#K" (the K-th array of call ID, of the dtype
and shape its entry gave).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from autograder.isolation.worker import MAX_ARRAY_BYTES, RECORD_SUFFIX, SAVED_KINDS, SERVER_PREFIX, STATUSES

MAX_HEADER_BYTES = 1_000_000  # one entry's JSON line
MAX_STREAM_BYTES = 1024 * 1024 * 1024  # all the streams of one submission together


class Records:
    """One group's records and returned arrays, by call id.

    `ended` says how the process ended, for calls that have no record at all
    (rare: the per-call crash records cover crashes and hangs).
    """

    def __init__(
        self,
        records: dict[str, dict] | None = None,
        arrays: dict[str, np.ndarray] | None = None,
        ended: str = "",
        output_tail: str = "",
    ):
        self.records = records if records is not None else {}
        self.arrays = arrays if arrays is not None else {}
        self.ended = ended
        self.output_tail = output_tail

    def record(self, call_id: str) -> dict | None:
        """The record of CALL_ID, or None when there is none or its status is not one of STATUSES."""
        data = self.records.get(call_id)
        if not isinstance(data, dict) or data.get("status") not in STATUSES:
            return None
        return data

    def array(self, key) -> np.ndarray | None:
        """The returned array KEY ("ID#K"), or None."""
        return self.arrays.get(key) if isinstance(key, str) else None


@dataclass
class Streams:
    """Everything parsed from a worker's output folders: per group, records and arrays,
    and per sandbox attempt the calls that were started (in order)."""

    records: dict[str, dict[str, dict]] = field(default_factory=dict)
    arrays: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    started_by_attempt: dict[int, dict[str, list[str]]] = field(default_factory=dict)

    def group(self, name: str, extra: dict[str, dict] | None = None, ended: str = "", output_tail: str = "") -> Records:
        """Group NAME's records; EXTRA (the supervisor's crash records) for calls without one of their own."""
        records = dict(self.records.get(name, {}))
        for call_id, record in (extra or {}).items():
            records.setdefault(call_id, record)
        return Records(records, self.arrays.get(name, {}), ended, output_tail)


def _array_spec(spec) -> tuple[np.dtype, tuple[int, ...], int] | None:
    """(dtype, shape, bytes) of an entry's array description, or None when it is unusable."""
    if not isinstance(spec, list) or len(spec) != 2 or not isinstance(spec[0], str) or not isinstance(spec[1], list):
        return None
    try:
        dtype = np.dtype(spec[0])
    except (TypeError, ValueError):
        return None
    if dtype.hasobject or dtype.kind not in SAVED_KINDS or dtype.fields is not None or len(spec[1]) > 8:
        return None
    shape = spec[1]
    if not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= MAX_ARRAY_BYTES for n in shape):
        return None
    size = dtype.itemsize
    for n in shape:
        size *= n
    if size > MAX_ARRAY_BYTES:
        return None
    return dtype, tuple(shape), size


def read_streams(*out_dirs: Path) -> Streams:
    """Parse every `*.rec` stream a worker wrote (see worker.py), validating each entry.

    A stream is read up to its first damaged or truncated entry. For a call
    with several records, a runner's record beats the server's "crashed"
    record (the call finished; the process died after it); otherwise the last
    one counts.
    """
    streams = Streams()
    total = 0
    files = sorted(
        p for out_dir in out_dirs for p in Path(out_dir).glob("*" + RECORD_SUFFIX) if p.is_file() and not p.is_symlink()
    )
    # The server's crash records first, so that a runner's record of the same call wins.
    files.sort(key=lambda p: not p.name.startswith(SERVER_PREFIX))
    for path in files:
        try:
            size = path.stat().st_size
            if total + size > MAX_STREAM_BYTES:
                break
            total += size
            data = path.read_bytes()
        except OSError:
            continue
        parts = path.name.split(".")
        attempt = int(parts[1]) if len(parts) == 4 and parts[1].isdigit() else -1
        _parse_stream(data, streams, streams.started_by_attempt.setdefault(attempt, {}))
    return streams


def _parse_stream(data: bytes, streams: Streams, started: dict[str, list[str]]) -> None:
    """Add the entries of one stream's DATA to STREAMS (and the ids of the calls it started to STARTED),
    up to the first damaged or truncated entry."""
    position = 0
    while position < len(data):
        end = data.find(b"\n", position, position + MAX_HEADER_BYTES)
        if end < 0:
            return
        try:
            header = json.loads(data[position:end].decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return
        position = end + 1
        if not isinstance(header, dict) or not isinstance(header.get("group"), str):
            return
        group = header["group"]
        if "start" in header:
            if isinstance(header["start"], str):
                started.setdefault(group, []).append(header["start"])
            continue
        call_id, record, specs = header.get("id"), header.get("record"), header.get("arrays")
        if not isinstance(call_id, str) or not isinstance(record, dict) or not isinstance(specs, list):
            return
        arrays = {}
        for k, spec in enumerate(specs):
            parsed = _array_spec(spec)
            if parsed is None:
                return
            dtype, shape, size = parsed
            if position + size > len(data):
                return
            arrays[f"{call_id}#{k}"] = (
                np.frombuffer(data, dtype=dtype, count=size // dtype.itemsize if dtype.itemsize else 0, offset=position)
                .reshape(shape)
                .copy()
            )
            position += size
        previous = streams.records.setdefault(group, {}).get(call_id)
        if previous is not None and previous.get("status") != "crashed" and record.get("status") == "crashed":
            continue
        streams.records[group][call_id] = record
        streams.arrays.setdefault(group, {}).update(arrays)
