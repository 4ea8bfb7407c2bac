"""Read a submission (a collate.sh tarball or a folder) safely into a private folder.

Only the files SPEC section 2 names are taken: `layers/conv.py`,
`layers/norm.py` and top-level `*.ipynb`. Nothing else is extracted, let alone
run. A tarball member is taken only when it is a regular file with a safe
relative name and a bounded size; links, devices, absolute or `..` paths are
refused and reported. Members may sit under one top-level folder (a common
student mistake); that is accepted with a note.
"""
from __future__ import annotations

import shutil
import tarfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder import paths

MAX_FILE_BYTES = 5 * 1024 * 1024  # one graded file (a notebook with plots fits)
MAX_MEMBERS = 10_000
MAX_ARCHIVE_BYTES = 200 * 1024 * 1024  # everything in the archive, unpacked
GRADED_FILES = tuple(f"{paths.LAYERS_PACKAGE}/{name}" for name in paths.STUDENT_MODULES)


@dataclass
class Submission:
    """What was read: graded files by relative path, and problems/notes in words."""

    name: str
    files: dict[str, Path] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # reasons files could not be taken
    notes: list[str] = field(default_factory=list)  # harmless observations

    def module(self, file_name: str) -> Path | None:
        return self.files.get(f"{paths.LAYERS_PACKAGE}/{file_name}")

    @property
    def notebooks(self) -> dict[str, Path]:
        return {k: v for k, v in self.files.items() if k.endswith(".ipynb")}


def submission_name(path: Path) -> str:
    name = path.name
    for suffix in (".tar.gz", ".tgz"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _wanted(relative: str) -> bool:
    return relative in GRADED_FILES or ("/" not in relative and relative.endswith(".ipynb"))


def _strip_prefix(names: list[str]) -> tuple[str, list[str]]:
    """If every member sits under one folder and no graded file is at the top, that folder."""
    if any(_wanted(n) for n in names):
        return "", names
    tops = {n.split("/", 1)[0] for n in names if "/" in n}
    if len(tops) == 1:
        top = tops.pop()
        inner = [n.split("/", 1)[1] for n in names if "/" in n]
        if any(_wanted(n) for n in inner):
            return top + "/", inner
    return "", names


def _clean(name: str) -> str | None:
    """A member name as a safe relative POSIX path, or None when it is unsafe."""
    if name.startswith("/") or "\\" in name or "\x00" in name:
        return None
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        return None
    return "/".join(parts)


def read_tarball(path: Path, dest: Path, name: str) -> Submission:
    submission = Submission(name)
    try:
        archive = tarfile.open(path, mode="r:*")
    except (tarfile.TarError, OSError, EOFError) as error:
        submission.problems.append(f"{path.name} is not a readable tar archive ({error}). Make it with "
                                   "`bash collate.sh` in the handout folder.")
        return submission
    with archive:
        try:
            members, total = [], 0
            for member in archive:
                members.append(member)
                total += max(member.size, 0)
                if total > MAX_ARCHIVE_BYTES:
                    submission.problems.append(f"the archive unpacks to more than {MAX_ARCHIVE_BYTES} bytes; "
                                               "only the members before that were looked at.")
                    break
                if len(members) > MAX_MEMBERS:
                    submission.problems.append(f"the archive has more than {MAX_MEMBERS} members; only the first "
                                               "were looked at.")
                    break
        except (tarfile.TarError, OSError, EOFError, ValueError) as error:
            submission.problems.append(f"the archive is damaged ({error}); the members before the damage were used.")
        if not members and not submission.problems:
            submission.problems.append(f"{path.name} is an empty archive.")
        cleaned = {}
        for member in members:
            safe = _clean(member.name)
            if safe is None:
                submission.problems.append(f"refused member {member.name!r}: absolute or '..' path.")
                continue
            cleaned[safe] = member
        prefix, _ = _strip_prefix(list(cleaned))
        if prefix:
            submission.notes.append(f"the files were inside a folder {prefix!r}; they should be at the top "
                                    "(collate.sh does that).")
        for safe, member in cleaned.items():
            relative = safe[len(prefix):] if prefix and safe.startswith(prefix) else safe
            if not _wanted(relative):
                continue
            if not member.isfile():
                kind = "a link" if member.issym() or member.islnk() else "not a regular file"
                submission.problems.append(f"refused {relative}: it is {kind}.")
                continue
            if member.size > MAX_FILE_BYTES:
                submission.problems.append(f"refused {relative}: {member.size} bytes, more than {MAX_FILE_BYTES}.")
                continue
            try:
                source = archive.extractfile(member)
                data = source.read(MAX_FILE_BYTES + 1) if source else None
            except (tarfile.TarError, OSError, EOFError, ValueError) as error:
                submission.problems.append(f"could not read {relative} from the archive ({error}).")
                continue
            if data is None or len(data) > MAX_FILE_BYTES:
                submission.problems.append(f"refused {relative}: unreadable or too large.")
                continue
            target = dest / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            submission.files[relative] = target
    return submission


def read_folder(path: Path, dest: Path, name: str) -> Submission:
    submission = Submission(name)
    candidates = list(GRADED_FILES) + sorted(p.name for p in path.glob("*.ipynb"))
    for relative in candidates:
        source = path / relative
        if not source.exists() and not source.is_symlink():
            continue
        if source.is_symlink() or not source.is_file():
            submission.problems.append(f"refused {relative}: it is a link or not a regular file.")
            continue
        if source.stat().st_size > MAX_FILE_BYTES:
            submission.problems.append(f"refused {relative}: more than {MAX_FILE_BYTES} bytes.")
            continue
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target, follow_symlinks=False)
        submission.files[relative] = target
    return submission


def read_submission(path: Path, dest: Path) -> Submission:
    """Copy the graded files of the submission at `path` into `dest`, checking them."""
    path = Path(path)
    dest.mkdir(parents=True, exist_ok=True)
    name = submission_name(path)
    if path.is_dir():
        submission = read_folder(path, dest, name)
    else:
        submission = read_tarball(path, dest, name)
    for required in GRADED_FILES:
        if required not in submission.files:
            submission.problems.append(f"{required} is missing from the submission; its functions score 0.")
    return submission
