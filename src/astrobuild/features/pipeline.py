"""The features rules' work: pool a batch of runs, merge the batches into the store, check it.

* :func:`pool_features` (rule ``pool_features_<n>``): the registry's runs whose
  climate store is one of the batch's, pooled (:func:`astrobuild.features.pool.pool_runs`)
  into one batch file;
* :func:`build_features` (rule ``build_features``): the batches merged in run order
  into the Zarr store, read back and compared before it is renamed into place;
* :func:`check_features` (rule ``check_features``): the store's contract against
  the registry and the pooling settings; the report is written only when it passes.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from astrobuild.features.config import RawInputs, pooling_config
from astrobuild.features.pool import RUN_COLUMNS, RawSources, pool_runs
from astrobuild.features.store import (
    FeaturesError,
    check_store,
    load_store,
    merge_batches,
    pooling_attrs,
    write_batch,
    write_store,
)
from astrobuild.io import read_parquet, write_json

log = logging.getLogger(__name__)


def registry_runs(registry_path: str | os.PathLike[str], forcings: Sequence[str] = ()):
    """The registry's rows pooling reads, with the ``run:<name>`` columns of ``forcings`` (``RunColumn.channel``)."""
    return read_parquet(registry_path, columns=[*RUN_COLUMNS, *forcings]).to_pandas()


def pool_features(train_section: dict[str, Any], stores: Sequence[str], out_path: str | os.PathLike[str],
                  inputs: RawInputs | None = None, root: str | os.PathLike[str] = ".") -> dict[str, Any]:
    """Pool the registry's runs of the climate ``stores`` into the batch file ``out_path``."""
    config = pooling_config(train_section)
    inputs = inputs or RawInputs()
    runs = registry_runs(os.path.join(root, inputs.registry), [c.channel for c in config.run_columns])
    runs = runs[runs["climate_store"].isin(set(stores))]
    sources = RawSources(config, inputs, root)
    started = time.perf_counter()
    arrays = pool_runs(runs, sources)
    seconds = time.perf_counter() - started
    meta = {**pooling_attrs(config), "compound_ids": sources.graphs.compound_ids,
            "pathway_ids": sources.graphs.pathway_ids,
            # counted over the whole spectra table, so every batch agrees
            "spectrum_points_flagged": _flagged(sources)}
    write_batch(arrays, meta, out_path)
    log.info("pooled %d run(s) of %d store(s) into %s in %.1f s (%.0f runs/s)", len(runs), len(stores), out_path,
             seconds, len(runs) / seconds if seconds > 0 else float("nan"))
    return {"runs": len(runs), "seconds": seconds}


def _flagged(sources: RawSources) -> int:
    sources.spectra.load()  # a batch whose runs have no spectrum never opened the table; the count is the table's
    return sources.spectra.flagged_points


def build_features(batches: Sequence[str | os.PathLike[str]], out_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Merge the batch files into the features store ``out_dir``."""
    arrays, meta = merge_batches(sorted(map(str, batches)))
    attrs = write_store(arrays, meta, out_dir)
    log.info("features store %s: %d run(s) from %d batch(es), %d compound(s), %d pathway(s)", out_dir,
             attrs["runs"], len(batches), attrs["compound_vocabulary"]["size"], len(meta["pathway_ids"]))
    return attrs


def check_features(store_dir: str | os.PathLike[str], registry_path: str | os.PathLike[str],
                   train_section: dict[str, Any], report_path: str | os.PathLike[str]) -> dict[str, Any]:
    """The store's contract; raises naming the first problems, else writes the report."""
    config = pooling_config(train_section)
    store = load_store(store_dir)
    ids = registry_runs(registry_path)["run_id"].astype(str).tolist()
    report = check_store(store, ids, config)
    if not report["valid"]:
        log.error("features store check failed: %s", report["failures"])
        raise FeaturesError(f"{store_dir}: features store check failed ({len(report['failures'])} problem(s)): "
                            + "; ".join(report["failures"][:5]))
    report["climate_cells_unknown"] = int(np.isnan(store.arrays["climate"][store.arrays["climate_present"]]).sum())
    write_json(report, report_path)
    log.info("features store %s: %d run(s) consistent with %s", store_dir, report["runs"], registry_path)
    return report
