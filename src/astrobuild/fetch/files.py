"""Where downloads go before they are outputs: the staging area, partial files, verification.

A fetch rule downloads into ``data/raw/remote/.staging/<rule>/`` and, once every file is there and
verified, moves them into its outputs (:meth:`Staging.publish`): a rule's outputs only ever hold
complete files. Inside the staging area a file being written is ``<name>.part`` and becomes
``<name>`` by an atomic rename after its checks, so nothing that looks complete is ever partial.

The staging area is no output of any rule, so it survives a failed or killed job (Snakemake deletes
a failed job's outputs): the next run keeps every staged file that still verifies and resumes
every ``.part`` file where it stopped (HTTP Range, FTP REST). A successful job leaves it empty.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

log = logging.getLogger(__name__)

PART_SUFFIX = ".part"
BLOCK = 1 << 20


class VerifyError(ValueError):
    """A downloaded file whose size or md5 differs from what upstream published (the file is deleted)."""


@dataclass(frozen=True)
class Expected:
    """What upstream says a file is: its size in bytes and md5 (hex), each when published."""

    size: int | None = None
    md5: str | None = None

    def __post_init__(self) -> None:
        if self.md5 is not None:
            object.__setattr__(self, "md5", self.md5.lower())


# Nothing published upstream: the download is checked against the server's own size only.
NOTHING_EXPECTED = Expected()


def md5_file(path: str | os.PathLike[str], digest=None):
    """md5 of a file's bytes (updating ``digest`` when given; returned)."""
    digest = digest or hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while block := handle.read(BLOCK):
            digest.update(block)
    return digest


class BackgroundDigest:
    """Feeds chunks of a stream to ``digest`` on a second thread, so that hashing overlaps the network
    reads and disk writes of the calling thread (hashlib, sockets and file writes all release the
    GIL): a download runs at the pace of its slowest stage, not at the sum of the three. A context
    manager; the digest is complete once the block exits."""

    def __init__(self, digest) -> None:
        self.digest = digest
        self._chunks: queue.Queue = queue.Queue(maxsize=8)
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while (chunk := self._chunks.get()) is not None:
            self.digest.update(chunk)

    def update(self, chunk: bytes) -> None:
        self._chunks.put(chunk)

    def __enter__(self) -> BackgroundDigest:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._chunks.put(None)
        self._thread.join()


def verify(path: Path, expected: Expected, origin: str, md5_hex: str | None = None) -> None:
    """Raise :class:`VerifyError` naming ``origin`` and both values, after deleting ``path``, when
    its size or md5 is not the expected one. ``md5_hex``: the md5 already computed while streaming."""
    size = path.stat().st_size
    problem = None
    if expected.size is not None and size != expected.size:
        problem = f"size mismatch: expected {expected.size} bytes, got {size}"
    elif expected.md5 is not None:
        got = md5_hex or md5_file(path).hexdigest()
        if got != expected.md5:
            problem = f"md5 mismatch: expected {expected.md5}, got {got}"
    if problem:
        path.unlink(missing_ok=True)
        raise VerifyError(f"{origin}: {problem} (the download was deleted; it will be fetched again on the next run)")


def is_verified(path: Path, expected: Expected, origin: str) -> bool:
    """Whether a staged ``path`` exists and passes its checks (a failing one is deleted and logged)."""
    if not path.is_file():
        return False
    try:
        verify(path, expected, origin)
    except VerifyError as exc:
        log.warning("staged file no longer verifies, fetching it again: %s", exc)
        return False
    return True


class Staging:
    """The staging folder of one fetch rule; files are addressed by their relative path."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, rel: PurePosixPath) -> Path:
        return self.root.joinpath(*rel.parts)

    def part(self, rel: PurePosixPath) -> Path:
        target = self.path(rel)
        return target.with_name(target.name + PART_SUFFIX)

    def complete(self, part: Path, rel: PurePosixPath) -> Path:
        """Rename a verified ``.part`` file to its staged name (atomic: same folder)."""
        target = self.path(rel)
        os.replace(part, target)
        return target

    def staged(self) -> list[PurePosixPath]:
        """Relative paths of the complete files staged, sorted (partial files left out)."""
        if not self.root.is_dir():
            return []
        return sorted(PurePosixPath(p.relative_to(self.root).as_posix()) for p in self.root.rglob("*")
                      if p.is_file() and not p.name.endswith(PART_SUFFIX))

    def publish(self, rels: list[PurePosixPath], dest: str | os.PathLike[str]) -> list[Path]:
        """Move the staged files ``rels`` under folder ``dest`` (same relative paths); then clear the
        staging folder. Refuses when a partial file is left (a job that failed should not publish)."""
        partial = [p for p in self.root.rglob(f"*{PART_SUFFIX}")] if self.root.is_dir() else []
        if partial:
            raise RuntimeError(f"{self.root}: partial downloads left, nothing published: {partial[:5]}")
        dest = Path(dest)
        moved = []
        for rel in rels:
            target = dest.joinpath(*rel.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.path(rel), target)
            moved.append(target)
        dest.mkdir(parents=True, exist_ok=True)
        self.clear()
        return moved

    def publish_file(self, rel: PurePosixPath, dest: str | os.PathLike[str]) -> Path:
        """Move one staged file to the output file ``dest``; then clear the staging folder."""
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path(rel), dest)
        self.clear()
        return dest

    def clear(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
