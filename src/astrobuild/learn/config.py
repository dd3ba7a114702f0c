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
from astrobuild.contracts.products import FEATURES_STORE
from astrobuild.features.config import (  # noqa: F401  (re-exported: the train config's parts)
    MODALITIES,
    ClimateConfig,
    ClimateVariable,
    PoolingConfig,
    PoolingConfigError,
    RunColumn,
    SpectrumConfig,
    climate_config,
    run_columns_config,
    spectrum_config,
)


class TrainConfigError(ValueError):
    """A ``train:`` setting that cannot work; the message names the key."""


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
    run_columns: tuple[RunColumn, ...]
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
    lr_schedule: str
    grad_clip: float
    modality_dropout: float
    hidden: int
    graph_layers: int
    device: str
    num_workers: int
    target: str = "label"  # the registry column (a runs.csv column) the network predicts
    task: str = "binary"  # binary | multiclass | regression (astrobuild.learn.tasks)
    loss: str = "mse"  # regression: mse | huber

    def uses(self, modality: str) -> bool:
        return modality in self.modalities

    @property
    def fold_seed(self) -> int:
        """The seed of splits, folds, validation slices and the bootstrap."""
        return self.seed if self.split_seed is None else self.split_seed

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (stored in model.pt and the training report)."""
        return asdict(self)

    @property
    def pooling(self) -> PoolingConfig:
        """The settings the features store was pooled with (the build's part of ``train``)."""
        return PoolingConfig(climate=self.climate, spectrum=self.spectrum, planet_columns=self.planet_columns,
                             run_columns=self.run_columns)

    @property
    def param_columns(self) -> tuple[str, ...]:
        """The ``planet_params`` channels: planet columns, then ``run:<name>`` per run column."""
        return self.pooling.param_columns


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
    try:
        climate, spectrum = climate_config(section["climate"]), spectrum_config(section["spectrum"])
        run_columns = run_columns_config(section.get("run_columns", []))
    except PoolingConfigError as error:
        raise TrainConfigError(str(error)) from error
    return TrainConfig(
        modalities=modalities, climate=climate, spectrum=spectrum,
        planet_columns=tuple(section["planet_columns"]), run_columns=run_columns, missing=section["missing"],
        seed=int(section["seed"]),
        split=fractions, split_seed=None if section.get("split_seed") is None else int(section["split_seed"]),
        cv=CVConfig(folds=int(section["cv"]["folds"]), val_fraction=float(section["cv"]["val_fraction"]),
                    bootstrap=int(section["cv"]["bootstrap"])),
        epochs=int(section["epochs"]), patience=int(section["patience"]),
        batch_size=int(section["batch_size"]), lr=float(section["lr"]), weight_decay=float(section["weight_decay"]),
        lr_schedule=section["lr_schedule"], grad_clip=float(section["grad_clip"]),
        modality_dropout=float(section["modality_dropout"]),
        hidden=int(section["hidden"]), graph_layers=int(section["graph_layers"]), device=section["device"],
        num_workers=int(section["num_workers"]),
        target=str(section.get("target", "label")), task=section.get("task", "binary"),
        loss=section.get("loss", "mse"),
    )


@dataclass(frozen=True)
class Inputs:
    """Where the products the training reads are (paths relative to the working directory)."""

    registry: str = CATALOGUE["planet_runs"].path  # the labels
    exoplanets: str = CATALOGUE["exoplanets"].path  # the host stars (the folds' groups)
    features: str = FEATURES_STORE.path  # every model input, pooled by the build
