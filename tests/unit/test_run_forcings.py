"""Issue 18, item 2: runs.csv forcings (train.run_columns) and planets the archive lacks.

runs.csv's forcing columns are read as numbers (a bad cell quarantines its row, naming line and column)
and carried by the registry as ``run:<name>``; a planet absent from the exoplanet table is accepted when
runs.csv or the planets.csv beside it give every train.planet_columns value, and a run whose planet is
in neither place is quarantined while the registry is still written.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from astrobuild.climate.runs import climate_runs_frame, number
from astrobuild.contracts.arrow import arrow_schema
from astrobuild.contracts.catalogue import CONTRACTS
from astrobuild.contracts.planet_runs import HypotheticalPlanets, PlanetRuns
from astrobuild.features.config import PoolingConfigError, RunColumn, run_columns_config
from astrobuild.features.params import PlanetParams
from astrobuild.hypothetical_planets import DIFFERS, NOT_GIVEN, hypothetical_table, resolve_planets
from astrobuild.io import write_parquet
from astrobuild.planet_runs import build_registry
from astrobuild.quarantine import Quarantine

PLANET_COLUMNS = ("radius_earth", "mass_earth", "insolation_earth")
FORCINGS = ("co2_ppm", "instellation_earth")


def _cubes(root, names):
    root.mkdir(exist_ok=True)
    for name in names:
        (root / f"{name}.nc").write_bytes(name.encode())  # only hashed here
    cubes = {name: str(root / f"{name}.nc") for name in names}
    return cubes, {s: f"data/processed/climate/{s}.zarr" for s in cubes}


def _frame(tmp_path, runs_csv: str, planets_csv: str | None = None, names=("a", "b", "c", "d")):
    root = tmp_path / "cubes"
    cubes, stores = _cubes(root, names)
    (root / "runs.csv").write_text(runs_csv, encoding="utf-8")
    if planets_csv is not None:
        (root / "planets.csv").write_text(planets_csv, encoding="utf-8")
    quarantine = Quarantine()
    frame, report = climate_runs_frame(cubes, stores, [root], quarantine, FORCINGS)
    CONTRACTS["climate_runs"].validate(frame)
    return frame.set_index("stem"), report, {(r.line, r.reason) for r in quarantine.records}


def test_numbers_are_finite_or_empty_and_a_bad_one_names_its_column():
    assert number(" 400 ", "co2_ppm") == 400.0 and number("", "co2_ppm") is None and number("1e3", "x") == 1000.0
    for text, message in (("lots", "'lots' is not a number"), ("inf", "'inf' is not a finite number"),
                          ("nan", "'nan' is not a finite number")):
        with pytest.raises(ValueError, match=f"column 'co2_ppm': {message}"):
            number(text, "co2_ppm")


def test_forcing_columns_are_carried_and_a_bad_value_is_quarantined_with_line_and_column(tmp_path):
    frame, report, rejected = _frame(tmp_path, (
        "file,planet,scenario,label,co2_ppm,notes\n"
        "a.nc,A b,hot,1,400,first\n"
        "b.nc,A b,cold,0,,no CO2 given\n"
        "c.nc,A b,mid,0,four hundred,typo\n"))
    assert frame.loc["a", "run:co2_ppm"] == 400.0 and np.isnan(frame.loc["b", "run:co2_ppm"])
    assert frame["run:instellation_earth"].isna().all()  # declared, in no runs.csv: null, and reported
    assert frame["run:co2_ppm"].dtype == "float64" and pd.isna(frame.loc["c", "planet"])
    assert rejected == {(4, "column 'co2_ppm': 'four hundred' is not a number")}
    assert report["run_columns_in_no_runs_csv"] == ["instellation_earth"]
    # a column neither forcing nor planet column is carried as a possible target (train.target)
    assert report["extra_columns"] == {"notes": "string"} and frame.loc["a", "notes"] == "first"


def test_planet_columns_come_from_runs_csv_and_planets_csv_and_must_agree(tmp_path):
    frame, report, rejected = _frame(tmp_path, (
        "file,planet,scenario,radius_earth\n"
        "a.nc,Sweep 0.8,s,1.0\n"
        "b.nc,Sweep 1.2,s,\n"
        "c.nc,Sweep 1.2,t,1.5\n"), (
        "planet,radius_earth,mass_earth,insolation_earth,host\n"
        "Sweep 1.2,1.0,1.0,1.2,Sun\n"
        "Sweep 0.8,,1.0,0.8,Sun\n"
        "Bad,x,1,1,Sun\n"))
    assert frame.loc["a", ["planet:radius_earth", "planet:mass_earth", "planet:insolation_earth"]].tolist() == \
        [1.0, 1.0, 0.8]
    assert frame.loc["b", "planet:insolation_earth"] == 1.2
    assert rejected == {(4, "planet 'Sweep 1.2': radius_earth is 1.5 here, 1 in planets.csv"),
                        (4, "column 'radius_earth': 'x' is not a number")}
    assert report["planet_columns_given"] == ["insolation_earth", "mass_earth", "radius_earth"]


def _climate(rows):
    base = []
    for i, row in enumerate(rows):
        stem = f"r{i}"
        base.append({"file": f"{stem}.nc", "stem": stem, "source_sha256": hashlib.sha256(stem.encode()).hexdigest(),
                     "store": f"data/processed/climate/{stem}.zarr", "scenario": "s", "label": True,
                     "biosphere": None, "organisms": None, "run:co2_ppm": 280.0 * (i + 1), **row})
    return pd.DataFrame(base)


def test_hypothetical_planets_are_accepted_and_an_unknown_planet_is_quarantined_not_fatal():
    full = {"planet:radius_earth": 1.0, "planet:mass_earth": 1.0, "planet:insolation_earth": 0.9}
    climate = _climate([
        {"planet": "Archive b", "planet:radius_earth": 9.0},  # the archive's values win: counted
        {"planet": "Earth at 0.9 S", **full},
        {"planet": "Earth at 0.9 S", **full},
        {"planet": "Earth at 0.9 S", **{**full, "planet:mass_earth": 2.0}},  # differs from r1's
        {"planet": "Nowhere b"},
        {"planet": "Half b", "planet:radius_earth": 1.0},
        {"planet": None},
    ])
    quarantine = Quarantine()
    kept, planets, facts = resolve_planets(climate, ["Archive b"], PLANET_COLUMNS, quarantine)
    assert list(kept["stem"]) == ["r0", "r1", "r2", "r6"]
    assert planets.to_dict("records") == [{"planet": "Earth at 0.9 S", "radius_earth": 1.0, "mass_earth": 1.0,
                                           "insolation_earth": 0.9}]
    reasons = {r.file: (r.reason, r.text) for r in quarantine.records}
    assert reasons == {"r3.nc": (DIFFERS, "run r3: planet 'Earth at 0.9 S': mass_earth differ from run r1's"),
                       "r4.nc": (NOT_GIVEN, "run r4: planet 'Nowhere b': no radius_earth, mass_earth, insolation_earth"),
                       "r5.nc": (NOT_GIVEN, "run r5: planet 'Half b': no mass_earth, insolation_earth")}
    assert facts == {"hypothetical_planets": 1, "runs_quarantined": 3,
                     "planet_values_ignored_for_archive_planets": {"Archive b": 1}}
    # the registry takes the kept runs, carries their forcings and knows the hypothetical planet
    spectra = pd.DataFrame({"spectrum": [], "planet": []})
    table, report = build_registry(kept, ["Archive b", *planets["planet"]], spectra, [], store_exists=lambda p: True)
    assert table.schema.names[-1] == "run:co2_ppm" and report["runs"] == 4
    PlanetRuns.validate(table.to_pandas())
    by_stem = {r["climate_file"]: r for r in table.to_pylist()}
    assert by_stem["r1.nc"]["run:co2_ppm"] == 560.0 and by_stem["r1.nc"]["planet"] == "Earth at 0.9 S"
    assert "planet:radius_earth" not in table.schema.names  # the planet's values live in its own table
    HypotheticalPlanets.validate(hypothetical_table(planets).to_pandas())


def test_no_hypothetical_planet_gives_a_header_only_table():
    quarantine = Quarantine()
    kept, planets, _ = resolve_planets(_climate([{"planet": "Archive b"}]), ["Archive b"], PLANET_COLUMNS, quarantine)
    table = hypothetical_table(planets)
    assert table.num_rows == 0 and table.schema.names == ["planet", *PLANET_COLUMNS] and not len(quarantine)


def test_pooling_reads_hypothetical_planets_beside_the_archive_and_the_forcings(tmp_path):
    write_parquet(pa.table({"planet": ["Archive b"], "radius_earth": [10.0], "mass_earth": [None],
                            "insolation_earth": [1.0]}), tmp_path / "exoplanets.parquet")
    write_parquet(hypothetical_table(pd.DataFrame({"planet": ["Dream b"], "radius_earth": [1.0], "mass_earth": [1.0],
                                                   "insolation_earth": [100.0]})), tmp_path / "hypo.parquet")
    params = PlanetParams(tmp_path / "exoplanets.parquet", PLANET_COLUMNS, hypothetical_path=tmp_path / "hypo.parquet",
                          run_columns=run_columns_config([{"name": "co2_ppm", "units": "ppmv", "transform": "log10"},
                                                          {"name": "obliquity_deg", "units": "deg"}]))
    values, present = params.values("Dream b", {"run:co2_ppm": 1000.0, "run:obliquity_deg": -23.0})
    assert values.tolist() == [0.0, 0.0, 2.0, 3.0, -23.0] and present.all()  # log10 where configured
    values, present = params.values("Archive b", {"run:co2_ppm": float("nan"), "run:obliquity_deg": None})
    assert present.tolist() == [True, False, True, False, False] and values[0] == 1.0
    assert params.values(None, {}) is None  # nothing known: the modality is absent
    values, present = params.values(None, {"run:co2_ppm": 10.0})
    assert present.tolist() == [False, False, False, True, False]


def test_run_columns_config_is_checked_and_names_its_channels():
    columns = run_columns_config([{"name": "co2_ppm", "units": "ppmv"}])
    assert columns == (RunColumn("co2_ppm", "ppmv", "none"),) and columns[0].channel == "run:co2_ppm"
    with pytest.raises(PoolingConfigError, match="names repeat"):
        run_columns_config([{"name": "a", "units": "1"}, {"name": "a", "units": "1"}])


def test_a_pattern_column_takes_its_type_from_the_contract():
    schema = arrow_schema(PlanetRuns, ["run:co2_ppm"])
    assert schema.field("run:co2_ppm").type == pa.float64() and schema.field("run:co2_ppm").nullable
    with pytest.raises(ValueError, match="no pattern column"):
        arrow_schema(PlanetRuns, ["co2_ppm"])
