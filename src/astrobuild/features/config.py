"""The pooling settings: how each run's raw products become its model inputs.

They are the part of ``config["train"]`` that decides the features store's
bytes (``train.climate``, ``train.spectrum``, ``train.planet_columns``,
``train.run_columns``), so they
are parameters of the data build (the DVC ``build`` stage), and every other
``train`` key is the training's alone: changing the model's width re-pools
nothing. The defaults live in ``schemas/config.schema.yaml``; these classes
have none, so there is one place to change one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from astrobuild.contracts.catalogue import CATALOGUE
from astrobuild.contracts.products import GRAPH_STORE, HYPOTHETICAL_PLANETS
from astrobuild.features.climate_time import MODE_STEPS, MODES, mode_steps, parse_spinup

MODALITIES = ("climate", "bio_graph", "spectrum", "planet_params")
# The train keys the features store is pooled with (DVC: params of the build stage).
POOLING_KEYS = ("climate", "spectrum", "planet_columns", "run_columns")
TRANSFORMS = ("none", "log10")


class PoolingConfigError(ValueError):
    """A pooling setting that cannot work; the message names the key."""


@dataclass(frozen=True)
class ClimateVariable:
    name: str  # the channel's name in the model input
    aliases: tuple[str, ...]  # variable names (or CF standard_names) it may have in a store


@dataclass(frozen=True)
class ClimateConfig:
    variables: tuple[ClimateVariable, ...]
    lat: int
    lon: int
    lev: int
    time_steps: int
    time_start: int
    time_stop: int | None
    time: str  # auto | seasons | months | annual | steps (astrobuild.features.climate_time)
    spinup: str | None  # a duration ("10Y", "6M", "30D") dropped from the start; None: none

    @property
    def shape(self) -> tuple[int, int, int, int, int]:
        """[vars, time, lat, lon, lev] of one run's cube."""
        return (len(self.variables), mode_steps(self.time, self.time_steps), self.lat, self.lon, self.lev)


@dataclass(frozen=True)
class SpectrumConfig:
    min_um: float
    max_um: float
    bins: int
    min_coverage: float
    drop_flagged: bool


@dataclass(frozen=True)
class RunColumn:
    """A numeric forcing column of runs.csv the model sees, after the planet columns of ``planet_params``."""

    name: str  # the runs.csv column (the registry's run:<name>)
    units: str  # said in the config, so the model's layout records what a value means
    transform: str  # "none" or "log10"

    @property
    def channel(self) -> str:
        """Its name among the ``planet_params`` channels: ``run:<name>``, apart from a planet column's."""
        return f"run:{self.name}"


@dataclass(frozen=True)
class PoolingConfig:
    """Every modality is pooled (the store serves any ablation), so ``uses`` is always true."""

    climate: ClimateConfig
    spectrum: SpectrumConfig
    planet_columns: tuple[str, ...]
    run_columns: tuple[RunColumn, ...] = ()
    modalities: tuple[str, ...] = MODALITIES

    def uses(self, modality: str) -> bool:
        return modality in self.modalities

    @property
    def param_columns(self) -> tuple[str, ...]:
        """The ``planet_params`` channels: the planet columns, then the run columns (``run:<name>``)."""
        return (*self.planet_columns, *(c.channel for c in self.run_columns))

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k in POOLING_KEYS}


def climate_config(c: dict[str, Any]) -> ClimateConfig:
    names = [v["name"] for v in c["variables"]]
    if len(set(names)) != len(names):
        raise PoolingConfigError(f"train.climate.variables: channel names repeat: {names}")
    mode = str(c["time"])
    if mode not in MODES:
        raise PoolingConfigError(f"train.climate.time: {mode!r} is not one of {list(MODES)}")
    # auto gives 4 seasons, or 4 equal steps when a cube has no dates: one shape either way
    if mode == "auto" and int(c["time_steps"]) != MODE_STEPS["auto"]:
        raise PoolingConfigError(f"train.climate.time_steps: {c['time_steps']} with time: auto, which gives "
                                 f"{MODE_STEPS['auto']} steps (seasons, else {MODE_STEPS['auto']} equal parts); "
                                 "set time: steps for another number of equal parts")
    try:
        parse_spinup(c["spinup"])
    except ValueError as error:
        raise PoolingConfigError(f"train.climate.spinup: {error}") from None
    return ClimateConfig(
        variables=tuple(ClimateVariable(v["name"], tuple(v["aliases"])) for v in c["variables"]),
        lat=int(c["grid"]["lat"]), lon=int(c["grid"]["lon"]), lev=int(c["grid"]["lev"]),
        time_steps=int(c["time_steps"]), time_start=int(c["time_window"]["start"]),
        time_stop=None if c["time_window"]["stop"] is None else int(c["time_window"]["stop"]),
        time=mode, spinup=None if c["spinup"] is None else str(c["spinup"]),
    )


def spectrum_config(s: dict[str, Any]) -> SpectrumConfig:
    if not s["max_um"] > s["min_um"]:
        raise PoolingConfigError(f"train.spectrum: max_um {s['max_um']} is not above min_um {s['min_um']}")
    return SpectrumConfig(min_um=float(s["min_um"]), max_um=float(s["max_um"]), bins=int(s["bins"]),
                          min_coverage=float(s["min_coverage"]), drop_flagged=bool(s["drop_flagged"]))


def run_columns_config(columns: list[dict[str, Any]]) -> tuple[RunColumn, ...]:
    names = [c["name"] for c in columns]
    if len(set(names)) != len(names):
        raise PoolingConfigError(f"train.run_columns: names repeat: {names}")
    bad = [c["transform"] for c in columns if c.get("transform", "none") not in TRANSFORMS]
    if bad:
        raise PoolingConfigError(f"train.run_columns: transform {bad} is not one of {list(TRANSFORMS)}")
    return tuple(RunColumn(str(c["name"]), str(c["units"]), str(c.get("transform", "none"))) for c in columns)


def pooling_config(section: dict[str, Any]) -> PoolingConfig:
    """A :class:`PoolingConfig` from the validated ``config["train"]`` mapping (defaults filled in)."""
    return PoolingConfig(climate=climate_config(section["climate"]), spectrum=spectrum_config(section["spectrum"]),
                         planet_columns=tuple(section["planet_columns"]),
                         run_columns=run_columns_config(section.get("run_columns", [])))


@dataclass(frozen=True)
class RawInputs:
    """Where the products pooling reads are (paths relative to the working directory)."""

    registry: str = CATALOGUE["planet_runs"].path
    exoplanets: str = CATALOGUE["exoplanets"].path
    hypothetical_planets: str = HYPOTHETICAL_PLANETS.path
    spectra: str = CATALOGUE["spectra"].path
    graphs: str = GRAPH_STORE.path
