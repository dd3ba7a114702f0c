"""What a build is expected to leave in its versioned folders, and the check of what it left.

Snakemake checks an output only when some job asks for it, and looks at a ``directory()`` output's
folder, never at what is inside it. So a product that no later step reads (a quarantine file, a
conversion report, a store only the quality report names) could be deleted and never rebuilt, and a
manifest made by scanning the folders would quietly leave it out, or list a temporary store that a
killed job left behind. Here the expected set comes from the rules instead:

* :func:`rule_products` follows the rules from the build's seeds (its targets, every table and
  store it makes): a rule that makes a wanted file runs, so all of its outputs are products and
  its static inputs are wanted in turn. They are inputs of the target rules (``build``, ``all``),
  where Snakemake does look for missing files, so any that is missing is rebuilt; the versioned
  ones among them are what rule ``write_manifest`` lists.
* :func:`product_files` lists their files (a directory product: the files inside it) and names the
  missing ones; :func:`stray_files` names files in the versioned folders that no rule made, which
  DVC would otherwise version with the data.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from astrobuild.versioning.manifest import PathLike, is_ignored, list_files, outside, write_manifest


class ProductCheckError(ValueError):
    """A build whose versioned folders do not hold exactly its expected products."""


# A Snakemake wildcard: {name} or {name,regex} (the regex may hold one level of braces, e.g. {2,4}).
WILDCARD = re.compile(r"\{\s*(\w+)\s*(?:,([^{}]*(?:\{[^{}]*\}[^{}]*)*))?\}")


def _pattern(path: str) -> re.Pattern[str]:
    """A regex of an output with wildcards (``{name}`` or ``{name,regex}``; a name seen twice must match alike)."""
    out, seen, pos = [], set(), 0
    for match in WILDCARD.finditer(path):
        out.append(re.escape(path[pos:match.start()]))
        name, regex = match.group(1), match.group(2)
        out.append(f"(?P={name})" if name in seen else f"(?P<{name}>{regex or '.+'})")
        seen.add(name)
        pos = match.end()
    out.append(re.escape(path[pos:]))
    return re.compile("".join(out))


def rule_products(rules: Mapping[str, tuple[Sequence[str], Sequence[str]]], seeds: Iterable[str]) -> list[str]:
    """Every output of the rules the build runs, and the ``seeds`` (its targets, tables and stores):
    from the seeds through the rules (name -> (outputs, static inputs)), a rule that makes a wanted
    path is run, so its other outputs are products too and its inputs are wanted. A rule with
    wildcards makes a wanted path its output pattern matches (its other outputs with the same
    wildcard values are products; its inputs with wildcards are left to the seeds). Sorted."""
    producer = {str(out): name for name, (outs, _) in rules.items() for out in outs if "{" not in str(out)}
    patterns = [(name, _pattern(str(out))) for name, (outs, _) in rules.items() for out in outs if "{" in str(out)]
    wanted = {str(s) for s in seeds}
    made = set(wanted)
    todo, done = sorted(wanted), set()

    def want(paths: Iterable[str]) -> None:
        for path in map(str, paths):
            if "{" not in path and path not in wanted:
                wanted.add(path)
                todo.append(path)

    while todo:
        path = todo.pop()
        name = producer.get(path)
        if name is not None:
            if name in done:
                continue
            done.add(name)
            outs, ins = rules[name]
            made.update(str(p) for p in outs if "{" not in str(p))
            want((*outs, *ins))
            continue
        for name, pattern in patterns:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            values = match.groupdict()
            outs, ins = rules[name]
            filled = [_fill(str(p), values) for p in outs]
            made.update(p for p in filled if p is not None)
            want([p for p in filled if p is not None])
            want(p for p in (_fill(str(i), values) for i in ins) if p is not None)
            break
    return sorted(made)


def _fill(path: str, values: dict[str, str]) -> str | None:
    """``path`` with its wildcards replaced by ``values``; None if one has no value."""
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        if match.group(1) not in values:
            missing = True
            return ""
        return values[match.group(1)]

    filled = WILDCARD.sub(value, path)
    return None if missing else filled


def versioned(paths: Iterable[str], roots: Iterable[str], patterns: Sequence[str] = ()) -> list[str]:
    """The ``paths`` that DVC versions: under one of ``roots`` and not ignored (sorted)."""
    paths = {str(p) for p in paths}
    unversioned = set(outside(paths, roots, patterns))
    return sorted(p for p in paths if p not in unversioned and not is_ignored(PurePosixPath(p).as_posix(), patterns))


def product_files(products: Iterable[str], patterns: Sequence[str] = (),
                  exclude: Iterable[str] = ()) -> tuple[list[str], list[str]]:
    """The files of ``products`` (a folder: every file in it, less ignored ones) and the products that
    are not there (a folder without a file counts as missing: a store or graph store is never empty)."""
    files: set[str] = set()
    missing = []
    excluded = {PurePosixPath(p).as_posix() for p in exclude}
    for product in products:
        path = Path(product)
        if path.is_file():
            found = [path.as_posix()]
        elif path.is_dir():
            found = list_files([path], patterns)
        else:
            found = []
        found = [f for f in found if f not in excluded]
        if not found and path.as_posix() not in excluded:
            missing.append(os.fspath(product))
        files.update(found)
    return sorted(files), sorted(missing)


def stray_files(roots: Sequence[str], patterns: Sequence[str], files: Iterable[str],
                exclude: Iterable[str] = ()) -> list[str]:
    """Files under ``roots`` (less ignored and excluded ones) that are none of ``files``."""
    return sorted(set(list_files(roots, patterns, exclude=exclude)) - set(files))


def checked_product_files(products: Sequence[str], roots: Sequence[str], patterns: Sequence[str],
                          exclude: Iterable[str] = ()) -> list[str]:
    """The files of ``products``; raises :class:`ProductCheckError` naming every missing product and
    every stray file (at most 20 of each, with the counts)."""
    exclude = list(exclude)
    files, missing = product_files(products, patterns, exclude)
    strays = stray_files(roots, patterns, files, exclude)
    problems = []
    if missing:
        problems.append(f"{len(missing)} product(s) of this build are missing: {', '.join(missing[:20])}. "
                        "Rerun the build (`snakemake build`): the rules that make them run again")
    if strays:
        problems.append(
            f"{len(strays)} file(s) under the versioned folders are made by no rule of this build, and DVC would "
            f"version them with the data: {', '.join(strays[:20])}. A `.<name>.tmp` is what a killed job "
            "left (rerunning that job removes it); anything else is left by a build with another config or put "
            "there by hand: delete it (`make clean` removes every product) and run the build again")
    if problems:
        raise ProductCheckError("build manifest: " + "\n".join(problems))
    return files


def write_build_manifest(products: Sequence[str], roots: Sequence[str], patterns: Sequence[str],
                         manifest_path: PathLike, input_roots: Sequence[str] = (),
                         state_path: PathLike | None = None) -> dict[str, Any]:
    """Rule write_manifest: the manifest of exactly the files of ``products`` (the versioned products of
    the build's rules), refused while one is missing or a stray file lies in ``roots``."""
    files = checked_product_files(products, roots, patterns, exclude=[os.fspath(manifest_path)])
    return write_manifest(files, patterns, manifest_path, input_roots=input_roots, state_path=state_path)
