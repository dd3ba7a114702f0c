"""Outputs name input files relative to their source's root, so two machines build the same bytes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from astrobuild.genomes.pipeline import dirlists_to_master
from astrobuild.kegg.pipeline import brite_to_env_tags, kegg_to_edges, parse_kegg_lists
from astrobuild.paths import SourceRoot, source_label
from astrobuild.quarantine import Quarantine
from astrobuild.sample import generate
from astrobuild.spectra.pipeline import spectra_table


def test_label_is_the_source_and_the_path_under_its_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "mirror" / "kegg"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "map00010.xml").write_text("<pathway/>")
    source = SourceRoot("kegg", root)
    assert source.label(root / "sub" / "map00010.xml") == "kegg:sub/map00010.xml"
    assert source.label(os.fspath(root / "sub" / "map00010.xml")) == "kegg:sub/map00010.xml"
    # The sample directory is a relative root, and so are the files found under it.
    monkeypatch.chdir(tmp_path)
    assert SourceRoot("kegg", "mirror/kegg").label("mirror/kegg/sub/map00010.xml") == "kegg:sub/map00010.xml"
    # A resolved path (runs.csv targets are resolved) is matched through the resolved root.
    (tmp_path / "link").symlink_to(tmp_path / "mirror")
    linked = SourceRoot("kegg", tmp_path / "link" / "kegg")
    assert linked.label((root / "sub" / "map00010.xml").resolve()) == "kegg:sub/map00010.xml"
    # Not under the root: kept as given, never silently renamed; no source: as given.
    assert source.label("/elsewhere/x.xml") == "/elsewhere/x.xml"
    assert source_label(None, root / "sub" / "map00010.xml") == os.fspath(root / "sub" / "map00010.xml")


def test_quarantine_of_two_machines_is_byte_identical(tmp_path: Path) -> None:
    written = []
    for name in ("alpha", "a/much/longer/home"):
        root = tmp_path / name / "kegg"
        quarantine = Quarantine(source=SourceRoot("kegg", root))
        quarantine.add(root / "b.xml", 3, "not well-formed XML", "<a")
        quarantine.add(root / "sub" / "a.xml", None, "root element is <html>, not <pathway>")
        quarantine.write(tmp_path / f"{len(written)}.tsv")
        written.append((tmp_path / f"{len(written)}.tsv").read_bytes())
    assert written[0] == written[1]
    assert written[0].decode().splitlines()[1:] == ["kegg:b.xml\t3\tnot well-formed XML\t<a",
                                                    "kegg:sub/a.xml\t\troot element is <html>, not <pathway>\t"]


def _outputs(tmp_path: Path, source: str, root: Path, out: Path) -> dict[str, bytes]:
    """Run the source's parsing steps on ``root`` the way their rules do; the bytes of every output."""
    out.mkdir(parents=True)
    named = SourceRoot(source, root)
    if source == "kegg":
        kegg_to_edges([root], ["*.xml", "*.kgml"], out / "e.parquet", out / "e.tsv", out / "e.json", source=named)
        brite_to_env_tags([root], ["*.keg", "br[0-9]*.json"], out / "t.parquet", out / "t.tsv", out / "t.json",
                          source=named)
        parse_kegg_lists([root], ["list_*"], out / "p.parquet", out / "g.parquet", out / "l.tsv", out / "l.json",
                         source=named)
    elif source == "genomes_1000g":
        dirlists_to_master([root], ["ls-lR", "*.md5"], out / "m.parquet", out / "m.tsv", out / "m.json", source=named)
    else:
        spectra_table([root], ["*.csv", "*.txt", "*.dat"], out / "s.parquet", out / "s.tsv", out / "s.json",
                      source=named)
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


@pytest.mark.parametrize("source", ["kegg", "genomes_1000g", "spectra"])
def test_local_mode_from_two_directory_names_gives_the_same_bytes(tmp_path: Path, source: str) -> None:
    first = tmp_path / "machine1" / "data" / source
    generate(source, first)
    second = tmp_path / "other-machine" / "mirrors" / "x" / source
    shutil.copytree(first, second)
    one = _outputs(tmp_path, source, first, tmp_path / "out1")
    two = _outputs(tmp_path, source, second, tmp_path / "out2")
    assert one == two
    text = b"".join(v for k, v in one.items() if k.endswith((".tsv", ".json")))
    assert b"machine1" not in text and os.fspath(tmp_path).encode() not in text
    assert f"{source}:".encode() in text  # the quarantine names at least one file, by source
