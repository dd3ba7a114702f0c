"""The build manifest, and restoring build timestamps of DVC-restored files.

DVC versions the build's products (the ``build`` stage's ``outs`` in
``dvc.yaml``: whole directories, so a new chain's products are picked up
without edits). Snakemake decides what to rerun by modification times. The
two meet badly: ``dvc pull``/``dvc checkout`` write files in no particular
order and stamp them with the time of the checkout, so an input can look
newer than the output made from it, and Snakemake would rebuild products
that are byte-for-byte what it would make.

The design here keeps both tools honest:

* At the end of every build, rule ``write_manifest`` records every versioned
  file with its size and SHA-256 (:func:`build_manifest`): the files of the
  products the rules make, checked to be there and to be all that is there
  (:mod:`astrobuild.versioning.products`). The manifest is a
  deterministic build product itself, so it is versioned and pulled with the
  data it describes.
* When Snakemake starts (rules/versioning.smk), :func:`restore_build_times`
  looks at the files the manifest lists that are *not* as a build left them
  (a small state file in .snakemake/ remembers size, mtime and inode of
  those that are). Such a file, written by ``dvc pull``/``dvc checkout``, is
  hashed; if its bytes are exactly what the build recorded, it gets the
  oldest modification time among the verified files. Timestamps only move
  back; a file whose bytes differ (a real change: an edit, a partial
  rebuild, a new local input) is left alone and triggers the reruns it
  should; files Snakemake made keep their true times, so edits of scripts or
  raw inputs are seen as usual. Equal timestamps make no restored file look
  newer than another, whatever order DVC wrote them in.

Nothing here reads DVC's internals: the manifest works the same for a copy
made by rsync, tar or a CI artifact store.
"""

from __future__ import annotations

import fcntl
import fnmatch
import json
import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from astrobuild.io import sha256_file, write_json
from astrobuild.pausepoints import pause_point

log = logging.getLogger(__name__)
PathLike = str | os.PathLike[str]

MANIFEST_VERSION = 1


def stage_outs(dvc_yaml: PathLike, stage: str = "build", kinds: Sequence[str] = ("outs",)) -> list[str]:
    """The ``outs`` paths of ``stage`` in ``dvc.yaml`` (the single list of what DVC versions).

    ``kinds`` adds the stage's other outputs, e.g. ``("outs", "metrics", "plots")``.
    """
    with open(dvc_yaml, encoding="utf-8") as handle:
        spec = yaml.safe_load(handle) or {}
    try:
        entry = spec["stages"][stage]
    except KeyError as exc:
        raise KeyError(f"{dvc_yaml}: no stage {stage!r}") from exc
    paths = []
    for kind in kinds:
        for out in entry.get(kind) or []:
            path = next(iter(out)) if isinstance(out, dict) else out
            paths.append(str(PurePosixPath(path)))
    return paths


def outside(paths: Iterable[str], roots: Iterable[str], patterns: Sequence[str] = ()) -> list[str]:
    """The ``paths`` (relative POSIX) under none of ``roots`` and not ignored: products DVC would not version."""
    roots = [PurePosixPath(r) for r in roots]
    return sorted(p for p in map(str, paths) if not is_ignored(p, patterns)
                  and not any(PurePosixPath(p) == r or r in PurePosixPath(p).parents for r in roots))


def ignore_patterns(dvcignore: PathLike) -> list[str]:
    """Patterns of a ``.dvcignore`` file (comments and blank lines dropped).

    Negations (``!pattern``) are refused rather than half-understood.
    """
    path = Path(dvcignore)
    if not path.is_file():
        return []
    patterns = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("!"):
            raise ValueError(f"{path}: negated pattern {line!r} is not supported by the build manifest")
        patterns.append(line)
    return patterns


def is_ignored(relpath: str, patterns: Sequence[str]) -> bool:
    """Whether POSIX ``relpath`` (or one of its parent directories) matches a gitignore-style pattern.

    Supports what a ``.dvcignore`` for build products needs: anchored
    (``/results/benchmarks/``) and unanchored (``*.tmp``) patterns, with
    shell wildcards, matched against the path and each of its parents.
    """
    parts = PurePosixPath(relpath).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        pat = pattern.rstrip("/")
        dir_only = pattern.endswith("/")
        anchored = pat.startswith("/") or "/" in pat
        pat = pat.lstrip("/")
        candidates = prefixes[:-1] if dir_only else prefixes
        for candidate in candidates:
            subject = candidate if anchored else candidate.rsplit("/", 1)[-1]
            if fnmatch.fnmatchcase(subject, pat):
                return True
    return False


def list_files(roots: Iterable[PathLike], patterns: Sequence[str] = (), exclude: Iterable[PathLike] = ()) -> list[str]:
    """Every file under ``roots`` (relative POSIX paths, sorted), minus ignored and excluded ones."""
    excluded = {PurePosixPath(p).as_posix() for p in exclude}
    found: set[str] = set()
    for root in roots:
        root = Path(root)
        if root.is_file():
            items: Iterable[Path] = [root]
        elif root.is_dir():
            items = (p for p in root.rglob("*") if p.is_file())
        else:
            continue
        for item in items:
            rel = item.as_posix()
            if rel not in excluded and not is_ignored(rel, patterns):
                found.add(rel)
    return sorted(found)


def build_manifest(products: Iterable[str], inputs: Iterable[str] = ()) -> dict[str, Any]:
    """Size and SHA-256 of every product (and tracked raw input) file: a deterministic record of a build."""

    def describe(paths: Iterable[str]) -> dict[str, dict[str, Any]]:
        return {p: {"bytes": os.path.getsize(p), "sha256": sha256_file(p)} for p in sorted(paths)}

    described = describe(products)
    return {
        "version": MANIFEST_VERSION,
        "files": described,
        "inputs": describe(inputs),
        "totals": {"files": len(described), "bytes": sum(v["bytes"] for v in described.values())},
    }


def write_manifest(products: Sequence[str], patterns: Sequence[str], manifest_path: PathLike,
                   input_roots: Sequence[str] = (), state_path: PathLike | None = None) -> dict[str, Any]:
    """Write the manifest of the product files ``products`` (and of the files under ``input_roots``).

    The build's list comes checked from :func:`astrobuild.versioning.products.write_build_manifest`.
    With ``state_path``, the files as Snakemake just left them are recorded as
    consistent, so that :func:`restore_build_times` never moves their times.
    """
    inputs = list_files(input_roots, patterns)
    manifest = build_manifest(products, inputs)
    pause_point("write_manifest")  # every file hashed, the manifest not yet written
    write_json(manifest, manifest_path)
    log.info("manifest: %d product file(s), %d byte(s); %d tracked input file(s)",
             manifest["totals"]["files"], manifest["totals"]["bytes"], len(inputs))
    if state_path is not None:
        entries = {**manifest["inputs"], **manifest["files"]}
        state = {p: _stat_key(os.stat(p)) + [e["sha256"]] for p, e in entries.items()}
        state[Path(manifest_path).as_posix()] = _stat_key(os.stat(manifest_path)) + [sha256_file(manifest_path)]
        _save_state(state_path, state)
    return manifest


def _stat_key(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def _safe_relpath(path: str) -> bool:
    pure = PurePosixPath(path)
    return not pure.is_absolute() and ".." not in pure.parts and bool(pure.parts)


def _manifest_or_none(manifest_file: Path, kind: str) -> dict[str, dict[str, Any]] | None:
    """A manifest's ``files`` and ``inputs`` (empty when it has none); None, with a warning, when it is
    absent or unreadable: timestamps are then left as they are, which only costs a rebuild."""
    if not manifest_file.is_file():
        return None
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        return {"files": dict(manifest["files"]), "inputs": dict(manifest.get("inputs", {}))}
    except (ValueError, KeyError, AttributeError, TypeError) as exc:
        log.warning("%s is not a %s manifest (%s): timestamps left as they are", manifest_file, kind, exc)
        return None


def restore_build_times(manifest_path: PathLike, state_path: PathLike | None = None) -> dict[str, int]:
    """Give files that are byte-identical to the manifest, but not as the build left them, a common older time.

    ``state_path`` remembers files in a known-consistent state (as the last
    build left them, or as this function aligned them) by size, mtime and
    inode: those are neither hashed again nor retimed, so files Snakemake
    makes keep their true times. A file DVC wrote (new inode or time) is
    hashed; if its bytes are the recorded ones it gets the oldest time among
    all verified files. Returns counts: ``verified`` (bytes match),
    ``changed`` (present, bytes differ: left alone), ``missing`` and
    ``retimed``. Nothing happens without a manifest.
    """
    counts = {"verified": 0, "changed": 0, "missing": 0, "retimed": 0}
    manifest_file = Path(manifest_path)
    manifest = _manifest_or_none(manifest_file, "build")
    if manifest is None:
        return counts
    entries = {**manifest["inputs"], **manifest["files"]}

    state = _load_state(state_path)
    known: list[tuple[str, os.stat_result]] = []  # verified, in a recorded consistent state
    restored: list[tuple[str, os.stat_result, str]] = []  # verified, written by something else (DVC)
    for path, entry in sorted(entries.items()):
        if not _safe_relpath(path):
            log.warning("%s: skipping unsafe path %r", manifest_file, path)
            continue
        try:
            st = os.stat(path)
        except FileNotFoundError:
            counts["missing"] += 1
            continue
        if st.st_size != entry.get("bytes"):
            counts["changed"] += 1
            continue
        record = state.get(path)
        if record and record[:3] == _stat_key(st) and record[3] == entry.get("sha256"):
            known.append((path, st))
            continue
        digest = sha256_file(path)
        if digest == entry.get("sha256"):
            restored.append((path, st, digest))
        else:
            counts["changed"] += 1
    counts["verified"] = len(known) + len(restored)
    if not restored:
        return counts
    # The manifest itself belongs to the recorded build when everything it lists is as recorded.
    if counts["changed"] == 0 and counts["missing"] == 0:
        mst = os.stat(manifest_file)
        record = state.get(manifest_file.as_posix())
        if not (record and record[:3] == _stat_key(mst)):
            restored.append((manifest_file.as_posix(), mst, sha256_file(manifest_file)))
    oldest = min(st.st_mtime_ns for _, st in known + [(p, st) for p, st, _ in restored])
    for path, st, digest in restored:
        if st.st_mtime_ns != oldest:
            os.utime(path, ns=(st.st_atime_ns, oldest))
            counts["retimed"] += 1
        state[path] = _stat_key(os.stat(path)) + [digest]
    if state_path is not None:
        _save_state(state_path, state)
    return counts


def write_stage_manifest(products: Sequence[str], input_roots: Sequence[str], manifest_path: PathLike,
                         patterns: Sequence[str] = ()) -> dict[str, Any]:
    """The manifest of a stage that consumes the build's products (the train stage): its own files
    (``files``) and every file it read (``inputs``: directories expanded), for :func:`restore_stage_times`."""
    manifest = build_manifest(products, list_files(input_roots, patterns))
    write_json(manifest, manifest_path)
    return manifest


def _verified(path: str, entry: dict[str, Any], state: dict[str, list]) -> tuple[str, os.stat_result | None]:
    """``missing``, ``changed``, ``known`` (as recorded in the state) or ``restored`` (same bytes, new file)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "missing", None
    if st.st_size != entry.get("bytes"):
        return "changed", st
    record = state.get(path)
    if record and record[:3] == _stat_key(st) and record[3] == entry.get("sha256"):
        return "known", st
    return ("restored", st) if sha256_file(path) == entry.get("sha256") else ("changed", st)


def restore_stage_times(manifest_path: PathLike, state_path: PathLike | None = None) -> dict[str, int]:
    """After :func:`restore_build_times`: give a stage's files that DVC wrote the time of their newest input.

    Only when every input and every file of the stage is byte-identical to its
    manifest, i.e. the pulled model was trained on exactly the data now here; a
    changed or missing input leaves every time alone, so Snakemake reruns the
    stage as it should. Times only move forward to the newest input's, never past it, so a stage
    output already newer than its inputs (a finished run) is never touched.
    """
    counts = {"verified": 0, "changed": 0, "missing": 0, "retimed": 0}
    manifest_file = Path(manifest_path)
    manifest = _manifest_or_none(manifest_file, "stage")
    if manifest is None:
        return counts
    inputs, files = manifest["inputs"], manifest["files"]
    state = _load_state(state_path)
    checked = {path: _verified(path, entry, state) for path, entry in sorted({**inputs, **files}.items())
               if _safe_relpath(path)}
    for status, _ in checked.values():
        if status in ("changed", "missing"):
            counts[status] += 1
    counts["verified"] = len(checked) - counts["changed"] - counts["missing"]
    if counts["changed"] or counts["missing"] or not inputs:
        return counts
    newest_input = max(checked[p][1].st_mtime_ns for p in inputs if p in checked)
    # Files in a known state are aligned too: an input restored after them (same bytes, newer time)
    # would otherwise make a model trained on exactly these bytes look out of date.
    for path in [*files, manifest_file.as_posix()]:
        st = os.stat(path)
        if st.st_mtime_ns < newest_input:
            os.utime(path, ns=(st.st_atime_ns, newest_input))
            counts["retimed"] += 1
        if path in files:
            state[path] = _stat_key(os.stat(path)) + [files[path]["sha256"]]
    for path in inputs:
        if checked[path][0] == "restored":
            state[path] = _stat_key(os.stat(path)) + [inputs[path]["sha256"]]
    if state_path is not None:
        _save_state(state_path, state)
    return counts


_HELD_LOCKS: dict[str, int] = {}  # lock path -> open descriptor


def hold_workdir_lock(lock_path: PathLike) -> bool:
    """Take an exclusive lock on ``lock_path`` for the rest of this process's life; False, at once, when
    another process holds it.

    The timestamp restore runs while Snakemake reads the workflow, before Snakemake takes its own
    locks, so without this a second run started beside a running build would retime files that
    build is writing. Each main Snakemake process holds this lock while it lives and restores only
    when it got it. ``flock`` is released by the kernel when the process ends, however it ends
    (a SIGKILL included), so a killed build never leaves it stale, unlike a lock file.
    """
    key = os.path.realpath(lock_path)
    if key in _HELD_LOCKS:  # the workflow read twice by one process
        return True
    Path(lock_path).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False
    _HELD_LOCKS[key] = fd  # kept open: closing it would release the lock
    return True


def _load_state(state_path: PathLike | None) -> dict[str, list]:
    if state_path is None or not Path(state_path).is_file():
        return {}
    try:
        data = json.loads(Path(state_path).read_text(encoding="utf-8"))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _save_state(state_path: PathLike, state: dict[str, list]) -> None:
    write_json(state, state_path)
