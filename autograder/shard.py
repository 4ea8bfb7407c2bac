"""Grading on many machines: `grade ... --shard K/N` and `merge DIR... --out DIR` (SPEC section 4).

A sharded run grades the submissions whose (unique) name falls in share K of
N: share = sha256(name) mod N, plus 1. It depends on the name only, never on
the list's order, the machine or Python's hash seed, so N machines given the
same list grade disjoint shares that together cover it. Names are made unique
over the whole list before the split (`batch.unique_names`), so every machine
gives a duplicate the same `-2` suffix.

Each sharded run writes `DIR/shard.json` once its share is graded: K, N, the
whole ordered list of names, its share of it, the seed and the sha256 of the
rubric file. `merge` reads only those manifests and each submission's
results.json and feedback.md. It refuses (exit 2) shards that leave a share
out, give one twice or disagree on the list, the seed or the rubric. It then
writes grades.csv, summary.md, score_distribution.png and the gradebook with
the very functions an unsharded run uses, so the merged folder holds the files
one run over the whole list would have written.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from autograder.reports.files import remove_stale_temporaries, write_atomic

MANIFEST_NAME = "shard.json"
MANIFEST_FORMAT = 1
SHARD_SYNTAX = re.compile(r"(\d+)/(\d+)")


class ShardError(ValueError):
    """A --shard value, or shards that cannot be merged; the message says why."""


@dataclass(frozen=True)
class Manifest:
    folder: Path
    index: int  # K, 1-based
    count: int  # N
    names: list[str]  # the whole list, in order, made unique
    share: list[str]  # the names this shard graded, in the list's order
    seed: int
    rubric_sha256: str


def parse_shard(text: str) -> tuple[int, int]:
    """'K/N' -> (K, N), with whole numbers 1 <= K <= N."""
    match = SHARD_SYNTAX.fullmatch(text.strip())
    if not match:
        raise ShardError(f"--shard must be K/N with whole numbers, like --shard 2/4, not {text!r}")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise ShardError(f"--shard {text}: K/N needs 1 <= K <= N (shares are numbered 1 to N)")
    return index, count


def share_of(name: str, count: int) -> int:
    """The share (1..count) that grades the submission called NAME."""
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def select_share(submissions: list[Path], names: list[str], index: int, count: int) -> tuple[list[Path], list[str]]:
    """The submissions (and their names) of share INDEX of COUNT, in the list's order."""
    chosen = [(path, name) for path, name in zip(submissions, names) if share_of(name, count) == index]
    return [path for path, _ in chosen], [name for _, name in chosen]


def write_manifest(out_dir: Path, index: int, count: int, names: list[str], seed: int, rubric_file: Path) -> None:
    share = [name for name in names if share_of(name, count) == index]
    manifest = {
        "format": MANIFEST_FORMAT,
        "shard": index,
        "of": count,
        "seed": seed,
        "rubric_sha256": file_sha256(rubric_file),
        "names": names,
        "share": share,
    }
    remove_stale_temporaries(out_dir, (MANIFEST_NAME,))
    write_atomic(out_dir / MANIFEST_NAME, json.dumps(manifest, indent=2) + "\n")


def read_manifest(folder: Path) -> Manifest:
    path = folder / MANIFEST_NAME
    if not folder.is_dir():
        raise ShardError(f"{folder}: no such folder")
    if not path.is_file():
        raise ShardError(
            f"{folder}: no {MANIFEST_NAME}, so it is not the output of a finished "
            "`autograder grade --shard K/N` (did that shard run to the end?)"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        version = data.get("format")
    except (ValueError, AttributeError) as error:
        raise ShardError(f"{path} is damaged: {type(error).__name__}: {error}") from error
    if version != MANIFEST_FORMAT:
        raise ShardError(f"{path}: format {version!r}, this autograder reads format {MANIFEST_FORMAT}")
    try:
        manifest = Manifest(
            folder,
            int(data["shard"]),
            int(data["of"]),
            [str(n) for n in data["names"]],
            [str(n) for n in data["share"]],
            int(data["seed"]),
            str(data["rubric_sha256"]),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise ShardError(f"{path} is damaged: {type(error).__name__}: {error}") from error
    expected = [name for name in manifest.names if share_of(name, manifest.count) == manifest.index]
    if manifest.share != expected:
        raise ShardError(
            f"{path}: its share {manifest.index}/{manifest.count} does not hold the names this "
            "autograder puts in it (graded by another version of the split?)"
        )
    return manifest


def _describe(manifest: Manifest) -> str:
    return f"{manifest.folder} (share {manifest.index}/{manifest.count})"


def _listing(manifests: list[Manifest], most: int = 10) -> str:
    shown = ", ".join(_describe(m) for m in manifests[:most])
    return shown + (f" and {len(manifests) - most} more" if len(manifests) > most else "")


def check_shards(manifests: list[Manifest]) -> None:
    """Refuse shards that are not exactly the N shares of one list, seed and rubric."""
    first = manifests[0]
    for other in manifests[1:]:
        if other.count != first.count:
            raise ShardError(
                f"the shards split the list differently: {_describe(first)} is one of "
                f"{first.count}, {_describe(other)} one of {other.count}"
            )
        if other.names != first.names:
            theirs, ours = set(other.names), set(first.names)
            missing = [n for n in first.names if n not in theirs]
            extra = [n for n in other.names if n not in ours]
            detail = (
                (
                    f"only in the first: {', '.join(missing[:5]) or '-'}; only in the second: "
                    f"{', '.join(extra[:5]) or '-'}"
                )
                if missing or extra
                else "same names in another order"
            )
            raise ShardError(
                f"the shards were given different lists of submissions: {_describe(first)} and "
                f"{_describe(other)} ({detail}); give every shard the same list, in the same order"
            )
        if other.seed != first.seed:
            raise ShardError(
                f"the shards used different seeds: {_describe(first)} seed {first.seed}, "
                f"{_describe(other)} seed {other.seed}"
            )
        if other.rubric_sha256 != first.rubric_sha256:
            raise ShardError(f"the shards used different rubric files: {_describe(first)} and {_describe(other)}")
    by_index: dict[int, list[Manifest]] = {}
    for manifest in manifests:
        by_index.setdefault(manifest.index, []).append(manifest)
    twice = {index: found for index, found in by_index.items() if len(found) > 1}
    if twice:
        index, found = min(twice.items())
        raise ShardError(
            f"share {index}/{first.count} is given more than once: " + ", ".join(str(m.folder) for m in found)
        )
    missing = [index for index in range(1, first.count + 1) if index not in by_index]
    if missing:
        which = ", ".join(f"{index}/{first.count}" for index in missing)
        raise ShardError(
            f"{'shares' if len(missing) > 1 else 'share'} {which} missing: no folder given holds "
            f"{'them' if len(missing) > 1 else 'it'} (got {_listing(manifests)})"
        )
    for manifest in manifests:
        for name in manifest.share:
            for wanted in ("results.json", "feedback.md"):
                if not (manifest.folder / name / wanted).is_file():
                    raise ShardError(f"{_describe(manifest)}: no {name}/{wanted} (did that shard run to the end?)")


def _read_exact(path: Path) -> str:
    with open(path, encoding="utf-8", newline="") as stream:  # byte for byte: no newline translation
        return stream.read()


def merge_shards(
    folders: list[Path], out_dir: Path, rubric_file: Path | None = None
) -> tuple[Manifest, dict[str, dict]]:
    """Copy every share's reports into OUT_DIR; return the common manifest and every submission's results.

    Raises ShardError, before writing anything, when the folders are not exactly one list's N shares
    (or, given RUBRIC_FILE, when the shards were graded with another rubric).
    """
    if not folders:
        raise ShardError("no shard folders given")
    manifests = [read_manifest(Path(folder)) for folder in folders]
    out_resolved = out_dir.resolve()
    for manifest in manifests:
        if manifest.folder.resolve() == out_resolved:
            raise ShardError(f"--out {out_dir} is one of the shard folders; merge into another folder")
    if (out_dir / MANIFEST_NAME).is_file():
        raise ShardError(f"--out {out_dir} holds a {MANIFEST_NAME}: it is a shard folder; merge into another folder")
    check_shards(manifests)
    if rubric_file is not None and file_sha256(rubric_file) != manifests[0].rubric_sha256:
        raise ShardError(
            f"the shards were graded with another rubric than {rubric_file}; pass the one they used with --rubric"
        )
    results: dict[str, dict] = {}
    texts: dict[str, tuple[str, str]] = {}
    for manifest in manifests:
        for name in manifest.share:
            folder = manifest.folder / name
            try:
                text = _read_exact(folder / "results.json")
                results[name] = json.loads(text)
                texts[name] = (text, _read_exact(folder / "feedback.md"))
            except (OSError, ValueError) as error:
                raise ShardError(
                    f"{_describe(manifest)}: cannot read {name}/results.json or feedback.md: {error}"
                ) from error
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out_dir, ("grades.csv",))  # as grade_all does
    for name in manifests[0].names:
        if name not in texts:
            continue  # a duplicated name: written once
        results_text, feedback_text = texts.pop(name)
        remove_stale_temporaries(out_dir / name)
        write_atomic(out_dir / name / "feedback.md", feedback_text)
        write_atomic(out_dir / name / "results.json", results_text)  # last, as grade does
    return manifests[0], results
