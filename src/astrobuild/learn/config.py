"""The resolved ``train:`` configuration, and where the rule's inputs are.

The defaults live in ``schemas/config.schema.yaml`` (Snakemake fills them in
when it validates the config); :func:`train_config` only turns the validated
mapping into typed, immutable values and checks what a JSON schema cannot
(the split fractions sum to 1, the wavelength range is not empty).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from astrobuild.contracts.catalogue import CATALOGUE
from astrobuild.contracts.products import GRAPH_STORE

MODALITIES = ("climate", "bio_graph", "spectrum", "planet_params")


class TrainConfigError(ValueError):
    """A ``train:`` setting that cannot work; the message names the key."""


@dataclass(frozen=True)
class ClimateVariable:
    name: str  # the channel's name in the model input
    aliases: tuple[str, ...]  # variable names (or CF standard_names) it may have in a store


# No defaults on these classes: the schema holds them (schemas/config.schema.yaml, `train`), and
# train_config fills every field from the validated config, so there is one place to change one.
@dataclass(frozen=True)
class ClimateConfig:
    variables: tuple[ClimateVariable, ...]
    lat: int
    lon: int
    lev: int
    time_steps: int
    time_start: int
    time_stop: int | None

    @property
    def shape(self) -> tuple[int, int, int, int, int]:
        """[vars, time, lat, lon, lev] of one run's cube."""
        return (len(self.variables), self.time_steps, self.lat, self.lon, self.lev)


@dataclass(frozen=True)
class SpectrumConfig:
    min_um: float
    max_um: float
    bins: int
    min_coverage: float
    drop_flagged: bool


@dataclass(frozen=True)
class CVConfig:
    folds: int  # 1: the single train/val/test split
    val_fraction: float
    bootstrap: int


@dataclass(frozen=True)
class TrainConfig:
    modalities: tuple[str, ...]
    climate: ClimateConfig
    spectrum: SpectrumConfig
    planet_columns: tuple[str, ...]
    missing: str
    seed: int
    split: tuple[float, float, float]
    split_seed: int | None  # None: the planet split follows ``seed``
    cv: CVConfig
    epochs: int
    patience: int
    batch_size: int
    lr: float
    weight_decay: float
    hidden: int
    graph_layers: int
    device: str
    num_workers: int

    def uses(self, modality: str) -> bool:
        return modality in self.modalities

    @property
    def fold_seed(self) -> int:
        """The seed of splits, folds, validation slices and the bootstrap."""
        return self.seed if self.split_seed is None else self.split_seed

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (stored in model.pt and the training report)."""
        return asdict(self)


def train_config(section: dict[str, Any]) -> TrainConfig:
    """A :class:`TrainConfig` from the validated ``config["train"]`` mapping (defaults filled in)."""
    modalities = tuple(m for m in MODALITIES if m in section["modalities"])  # canonical order
    unknown = sorted(set(section["modalities"]) - set(MODALITIES))
    if unknown or not modalities:
        raise TrainConfigError(f"train.modalities: {section['modalities']!r}: choose a non-empty subset of "
                               f"{list(MODALITIES)}")
    split = section["split"]
    fractions = (float(split["train"]), float(split["val"]), float(split["test"]))
    if abs(sum(fractions) - 1.0) > 1e-6:
        raise TrainConfigError(f"train.split: fractions {split} sum to {sum(fractions):g}, not 1")
    c = section["climate"]
    names = [v["name"] for v in c["variables"]]
    if len(set(names)) != len(names):
        raise TrainConfigError(f"train.climate.variables: channel names repeat: {names}")
    climate = ClimateConfig(
        variables=tuple(ClimateVariable(v["name"], tuple(v["aliases"])) for v in c["variables"]),
        lat=int(c["grid"]["lat"]), lon=int(c["grid"]["lon"]), lev=int(c["grid"]["lev"]),
        time_steps=int(c["time_steps"]), time_start=int(c["time_window"]["start"]),
        time_stop=None if c["time_window"]["stop"] is None else int(c["time_window"]["stop"]),
    )
    s = section["spectrum"]
    if not s["max_um"] > s["min_um"]:
        raise TrainConfigError(f"train.spectrum: max_um {s['max_um']} is not above min_um {s['min_um']}")
    spectrum = SpectrumConfig(min_um=float(s["min_um"]), max_um=float(s["max_um"]), bins=int(s["bins"]),
                              min_coverage=float(s["min_coverage"]), drop_flagged=bool(s["drop_flagged"]))
    return TrainConfig(
        modalities=modalities, climate=climate, spectrum=spectrum,
        planet_columns=tuple(section["planet_columns"]), missing=section["missing"], seed=int(section["seed"]),
        split=fractions, split_seed=None if section.get("split_seed") is None else int(section["split_seed"]),
        cv=CVConfig(folds=int(section["cv"]["folds"]), val_fraction=float(section["cv"]["val_fraction"]),
                    bootstrap=int(section["cv"]["bootstrap"])),
        epochs=int(section["epochs"]), patience=int(section["patience"]),
        batch_size=int(section["batch_size"]), lr=float(section["lr"]), weight_decay=float(section["weight_decay"]),
        hidden=int(section["hidden"]), graph_layers=int(section["graph_layers"]), device=section["device"],
        num_workers=int(section["num_workers"]),
    )


@dataclass(frozen=True)
class Inputs:
    """Where the products the training reads are (paths relative to the working directory)."""

    registry: str = CATALOGUE["planet_runs"].path
    exoplanets: str = CATALOGUE["exoplanets"].path
    spectra: str = CATALOGUE["spectra"].path
    graphs: str = GRAPH_STORE.path
