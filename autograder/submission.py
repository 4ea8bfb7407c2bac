"""Read a submission (a collate.sh tarball or a folder) safely into a private folder.

Only the files SPEC section 2 names are taken: `layers/conv.py`,
`layers/norm.py` and top-level `*.ipynb`. Nothing else is extracted, let alone
run. A tarball member is taken only when it is a regular file with a safe
relative name and a bounded size; links, devices, absolute or `..` paths are
refused and reported. Members may sit under one top-level folder (a common
student mistake); that is accepted with a note.

A compressed archive is first decompressed, with a bound, into a plain tar
file, so a small file that unpacks to gigabytes costs at most the bound. A
folder's graded files are taken only when no component of their path is a
symbolic link (a `layers` linked to the reference solutions is refused).
Whatever a damaged or hostile archive makes `tarfile` raise becomes a problem
in words, never an error of the grader.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import stat
import tarfile
import zlib
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


TRUNCATED = "unpacks to more than"
_COMPRESSIONS = ((b"\x1f\x8b", gzip.open, "gzip"), (b"BZh", bz2.open, "bzip2"), (b"\xfd7zXZ\x00", lzma.open, "xz"))


def _decompress(path: Path, dest: Path, submission: Submission) -> Path | None:
    """The archive as a plain tar file of at most MAX_ARCHIVE_BYTES (+1), or None when unreadable.

    Decompressing first, with a bound, keeps a small file that unpacks to
    gigabytes (a member of zeros, or a huge GNU long-name header, which tarfile
    would read into memory) from costing more than that bound.
    """
    with open(path, "rb") as handle:
        magic = handle.read(6)
    if not magic:
        submission.problems.append(
            f"{path.name} is an empty file, not a tar archive. Make it with `bash collate.sh` in the handout folder."
        )
        return None
    opener = next((o for m, o, _ in _COMPRESSIONS if magic.startswith(m)), None)
    if opener is None:  # perhaps an uncompressed tar; tarfile says if not
        if path.stat().st_size > MAX_ARCHIVE_BYTES:
            submission.problems.append(
                f"{path.name} is larger than {MAX_ARCHIVE_BYTES} bytes and not compressed; it was not read."
            )
            return None
        return path
    target = dest / ".archive.tar"
    written = 0
    try:
        with opener(path, "rb") as source, open(target, "wb") as sink:
            while written <= MAX_ARCHIVE_BYTES:
                # read1: a damaged stream keeps what was decompressed before the damage
                chunk = source.read1(min(1 << 16, MAX_ARCHIVE_BYTES + 1 - written))
                if not chunk:
                    break
                sink.write(chunk)
                written += len(chunk)
    except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as error:
        submission.problems.append(f"{path.name} is damaged: it cannot be decompressed past byte {written} ({error}).")
        if written == 0:
            return None
    if written > MAX_ARCHIVE_BYTES:
        submission.problems.append(
            f"the archive {TRUNCATED} {MAX_ARCHIVE_BYTES} bytes; only the members in the first part were looked at."
        )
    return target


def read_tarball(path: Path, dest: Path, name: str) -> Submission:
    submission = Submission(name)
    try:
        plain = _decompress(path, dest, submission)
    except OSError as error:
        submission.problems.append(f"{path.name} cannot be read ({error}).")
        return submission
    if plain is None:
        return submission
    try:
        _read_tar(plain, path, dest, submission)
    except Exception as error:  # whatever a hostile archive makes tarfile do, it is that archive's problem
        submission.problems.append(f"{path.name} could not be read as a tar archive ({type(error).__name__}: {error}).")
    finally:
        if plain != path:
            plain.unlink(missing_ok=True)
    return submission


def _read_tar(plain: Path, path: Path, dest: Path, submission: Submission) -> None:
    try:
        archive = tarfile.open(plain, mode="r:")
    except (tarfile.TarError, OSError, EOFError, ValueError) as error:
        submission.problems.append(
            f"{path.name} is not a readable tar archive ({error}). Make it with "
            "`bash collate.sh` in the handout folder."
        )
        return
    with archive:
        members = []
        try:
            for member in archive:
                members.append(member)
                if len(members) > MAX_MEMBERS:
                    submission.problems.append(
                        f"the archive has more than {MAX_MEMBERS} members; only the first were looked at."
                    )
                    break
        except (tarfile.TarError, OSError, EOFError, ValueError) as error:
            if not any(TRUNCATED in p for p in submission.problems):
                submission.problems.append(
                    f"the archive is damaged ({error}); the members before the damage were used."
                )
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
            submission.notes.append(
                f"the files were inside a folder {prefix!r}; they should be at the top (collate.sh does that)."
            )
        for safe, member in cleaned.items():
            relative = safe[len(prefix) :] if prefix and safe.startswith(prefix) else safe
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


def _plain_file(folder: Path, relative: str) -> tuple[bool, str | None]:
    """(exists, problem): whether FOLDER/RELATIVE exists, and why it cannot be taken.

    Every component is checked, not only the last: a `layers` that is a
    symbolic link to another folder (the reference solutions, say) is refused.
    """
    current = folder
    parts = relative.split("/")
    for i, part in enumerate(parts):
        current = current / part
        try:
            info = current.lstat()
        except FileNotFoundError:
            return False, None
        except OSError as error:
            return True, f"refused {relative}: {error.strerror}."
        if stat.S_ISLNK(info.st_mode):
            return True, f"refused {relative}: {'/'.join(parts[: i + 1])} is a symbolic link."
        last = i == len(parts) - 1
        if not last and not stat.S_ISDIR(info.st_mode):
            return False, None
        if last and not stat.S_ISREG(info.st_mode):
            return True, f"refused {relative}: not a regular file."
        if last and info.st_size > MAX_FILE_BYTES:
            return True, f"refused {relative}: more than {MAX_FILE_BYTES} bytes."
    return True, None


def read_folder(path: Path, dest: Path, name: str) -> Submission:
    submission = Submission(name)
    folder = Path(os.path.realpath(path))  # the folder itself may be a link; what is in it may not
    try:
        notebooks = sorted(entry.name for entry in os.scandir(folder) if entry.name.endswith(".ipynb"))
    except OSError as error:
        submission.problems.append(f"the folder {path.name} cannot be read ({error.strerror}).")
        return submission
    for relative in list(GRADED_FILES) + notebooks:
        exists, problem = _plain_file(folder, relative)
        if problem:
            submission.problems.append(problem)
        if not exists or problem:
            continue
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            # O_NOFOLLOW: a file swapped for a link since the check is refused too.
            fd = os.open(folder / relative, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            with os.fdopen(fd, "rb") as source:
                data = source.read(MAX_FILE_BYTES + 1)
        except OSError as error:
            submission.problems.append(f"refused {relative}: {error.strerror}.")
            continue
        if len(data) > MAX_FILE_BYTES:
            submission.problems.append(f"refused {relative}: more than {MAX_FILE_BYTES} bytes.")
            continue
        target.write_bytes(data)
        submission.files[relative] = target
    return submission


def read_submission(path: Path, dest: Path) -> Submission:
    """Copy the graded files of the submission at `path` into `dest`, checking them."""
    path = Path(path)
    dest.mkdir(parents=True, exist_ok=True)
    name = submission_name(path)
    if path.is_dir():
        submission = read_folder(path, dest, name)
    elif path.is_file():
        submission = read_tarball(path, dest, name)
    else:
        submission = Submission(name, problems=[f"{path.name} is neither a folder nor a file (a device, a pipe?)."])
    for required in GRADED_FILES:
        if required not in submission.files:
            submission.problems.append(f"{required} is missing from the submission; its functions score 0.")
    return submission
