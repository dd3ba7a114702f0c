"""The planet-run registry: deterministic ids, modality keys, unresolved references."""

from __future__ import annotations

import hashlib

import pandas as pd
import pyarrow.parquet as pq
import pytest

from astrobuild.contracts.validate import validate_table
from astrobuild.io import write_parquet
from astrobuild.planet_runs import OrganismIndex, RegistryError, build_registry, run_id

SHA = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(4)]


def _climate(**overrides) -> pd.DataFrame:
    rows = [
        {"file": "a_b__hot.nc", "stem": "a_b__hot", "source_sha256": SHA[0], "store": "s/a_b__hot.zarr",
         "planet": "A b", "scenario": "hot", "label": True, "biosphere": "map00020 map00010"},
        {"file": "a_b__cold.nc", "stem": "a_b__cold", "source_sha256": SHA[1], "store": "s/a_b__cold.zarr",
         "planet": "A b", "scenario": "cold", "label": False, "biosphere": "map00010"},
        {"file": "loose.nc", "stem": "loose", "source_sha256": SHA[2], "store": "s/loose.zarr",
         "planet": None, "scenario": None, "label": None, "biosphere": None},
    ]
    for key, value in overrides.items():
        rows[0][key] = value
    return pd.DataFrame(rows)


SPECTRA = pd.DataFrame({"spectrum": ["a_b__hot", "zz_planet_level", "aa_planet_level"],
                        "planet": ["A b", "A b", "A b"]})


def _build(climate=None, planets=("A b", "C d"), spectra=SPECTRA, pathways=("map00010", "map00020")):
    return build_registry(_climate() if climate is None else climate, planets, spectra, pathways,
                          store_exists=lambda p: True)


def test_run_id_is_content_derived_and_stable():
    assert run_id("A b", "hot", SHA[0]) == run_id("A b", "hot", SHA[0])
    assert run_id("A b", "hot", SHA[0]).startswith("run-") and len(run_id("A b", "hot", SHA[0])) == 20
    assert len({run_id("A b", "hot", SHA[0]), run_id("A b", "cold", SHA[0]), run_id("A c", "hot", SHA[0]),
                run_id("A b", "hot", SHA[1]), run_id(None, None, SHA[0])}) == 5
    with pytest.raises(ValueError, match="hash"):
        run_id("A b", "hot", "")


def test_registry_links_every_modality():
    table, report = _build()
    rows = {r["climate_file"]: r for r in table.to_pylist()}
    hot, cold, loose = rows["a_b__hot.nc"], rows["a_b__cold.nc"], rows["loose.nc"]
    assert hot["spectrum"] == "a_b__hot" and hot["spectrum_match"] == "run"
    assert cold["spectrum"] == "aa_planet_level" and cold["spectrum_match"] == "planet"  # lowest id of the planet
    assert loose["spectrum"] is None and loose["planet"] is None and loose["label"] is None
    assert hot["pathways"] == "map00010 map00020" and hot["n_pathways"] == 2 and loose["n_pathways"] == 0
    assert hot["run_id"] == run_id("A b", "hot", SHA[0])
    assert table.column("run_id").to_pylist() == sorted(table.column("run_id").to_pylist())
    assert report["runs"] == 3 and report["runs_without_planet"] == 1 and report["planets"] == 1
    assert report["spectrum_match"] == {"run": 1, "planet": 1, "none": 1}
    assert report["planets_in_archive_without_runs"] == 1


def test_row_order_of_the_input_does_not_matter():
    a, _ = _build()
    b, _ = _build(climate=_climate().iloc[::-1].reset_index(drop=True))
    assert a.equals(b)


@pytest.mark.parametrize(("override", "message"), [
    ({"planet": "Nowhere b"}, "planet 'Nowhere b' is not in the exoplanet table"),
    ({"biosphere": "map00010 map99999"}, "map99999 have no graph"),
])
def test_unresolved_references_stop_the_build_naming_run_and_key(override, message):
    with pytest.raises(RegistryError, match=message) as err:
        _build(climate=_climate(**override))
    assert "a_b__hot" in str(err.value)


def test_missing_store_is_an_error():
    with pytest.raises(RegistryError, match="climate store s/a_b__hot.zarr does not exist"):
        build_registry(_climate(), ["A b"], SPECTRA, ["map00010", "map00020"], store_exists=lambda p: False)


def test_identical_runs_are_refused():
    climate = _climate()
    climate.loc[1, ["planet", "scenario", "source_sha256"]] = ["A b", "hot", SHA[0]]
    with pytest.raises(RegistryError, match="identical defining content"):
        _build(climate=climate)


def test_registry_satisfies_its_contract(tmp_path):
    table, _ = _build()
    path = tmp_path / "planet_runs.parquet"
    write_parquet(table, path)
    assert validate_table("planet_runs", path)["valid"]
    broken = pq.read_table(path).to_pandas()
    broken.loc[0, "run_id"] = broken.loc[1, "run_id"]
    write_parquet(__import__("pyarrow").Table.from_pandas(broken, preserve_index=False), path)
    report = validate_table("planet_runs", path)
    assert not report["valid"] and {f["column"] for f in report["failures"]} == {"run_id"}


def test_runs_csv_targets_reach_the_registry_typed(tmp_path):
    climate = _climate().assign(fraction=[0.5, None, 0.1], kind=["habitable", None, "biosignature"])
    climate["fraction"] = climate["fraction"].astype("float64")
    table, _ = _build(climate)
    assert table.schema.field("fraction").type == __import__("pyarrow").float64()
    assert table.schema.field("kind").type == __import__("pyarrow").string()
    by_stem = dict(zip(table.column("climate_file").to_pylist(), table.column("kind").to_pylist(), strict=True))
    assert by_stem == {"a_b__hot.nc": "habitable", "a_b__cold.nc": None, "loose.nc": "biosignature"}
    path = tmp_path / "planet_runs.parquet"
    write_parquet(table, path)
    assert validate_table("planet_runs", path)["valid"]
    mixed = pq.read_table(path).to_pandas().assign(bad=[1, 2, 3])
    write_parquet(__import__("pyarrow").Table.from_pandas(mixed, preserve_index=False), path)
    assert not validate_table("planet_runs", path)["valid"]


def _organisms(present=True):
    organisms = pd.DataFrame({"accession": ["NC_1", "NC_2", "NC_3", "NC_3"], "version": [1, 1, 1, 2],
                              "genome": ["GCF_1.1", "GCF_1.1", "NC_3.1", "NC_3.2"]})
    pathways = pd.DataFrame({"genome": ["GCF_1.1", "GCF_1.1", "NC_3.1", "NC_3.2", "GCF_1.1"],
                             "pathway": ["map00010", "map00680", "map00020", "map00030", "map00999"],
                             "present": [True, True, True, True, False]})
    return OrganismIndex(organisms, pathways if present else None)


def _with_organisms(hot=None, cold=None, **kwargs):
    climate = _climate().assign(organisms=[hot, cold, None])
    return build_registry(climate, ["A b"], SPECTRA, ["map00010", "map00020", "map00030"],
                          store_exists=lambda p: True, **kwargs)


def test_a_runs_organisms_give_the_union_of_their_present_pathways():
    # hot: biosphere map00010 map00020 + the assembly GCF_1.1 (map00010; map00680, which has no graph);
    # cold: biosphere map00010 + NC_3.2 (map00030), named by a record's accession.version
    table, report = _with_organisms(hot="GCF_1.1", cold="NC_3.2", organisms=_organisms())
    rows = {r["climate_file"]: r for r in table.to_pylist()}
    hot, cold, loose = rows["a_b__hot.nc"], rows["a_b__cold.nc"], rows["loose.nc"]
    assert hot["pathways"] == "map00010 map00020" and hot["organisms"] == "GCF_1.1"
    assert hot["biosphere_source"] == "both"
    assert cold["pathways"] == "map00010 map00030" and cold["organisms"] == "NC_3.2"
    assert loose["biosphere_source"] is None and loose["organisms"] is None
    # map00680 is present in GCF_1.1 but the graph store has no graph of it: left out, counted
    assert report["organism_pathways_without_graph"] == {"map00680": 1}
    assert report["biosphere_source"] == {"both": 2, "none": 1}


def test_organisms_alone_make_the_biosphere():
    climate = _climate().assign(biosphere=None, organisms=["NC_1.1 NC_2", None, None])
    table, report = build_registry(climate, ["A b"], SPECTRA, ["map00010", "map00680"],
                                   store_exists=lambda p: True, organisms=_organisms())
    hot = {r["climate_file"]: r for r in table.to_pylist()}["a_b__hot.nc"]
    assert hot["pathways"] == "map00010 map00680" and hot["biosphere_source"] == "organisms"
    assert report["organism_pathways_without_graph"] == {}


@pytest.mark.parametrize(("hot", "kwargs", "message"), [
    ("GCF_1.1 NZ_404", {"organisms": "index"}, "run 'a_b__hot': organism\\(s\\) NZ_404 are not in the organisms table"),
    ("NC_3", {"organisms": "index"}, "run 'a_b__hot': organism\\(s\\) NC_3 \\(NC_3.1, NC_3.2\\) name several genomes"),
    ("GCF_1.1", {"organisms": "unmapped"}, "run 'a_b__hot': organisms given, but this build maps no organism"),
    ("GCF_1.1", {}, "run 'a_b__hot': organisms \\['GCF_1.1'\\] given, but the registry has no organisms table"),
])
def test_unresolved_organisms_stop_the_build_naming_the_run(hot, kwargs, message):
    index = {"index": _organisms(), "unmapped": _organisms(present=False)}.get(kwargs.get("organisms"))
    with pytest.raises(RegistryError, match=message):
        _with_organisms(hot=hot, organisms=index)
