"""Quality scores of one array store (Zarr) and its validation report."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from astrobuild.climate.store import open_store
from astrobuild.quality.grades import GRADES, grade, overall_of, pulled_down_by, score

LAT_NAMES = ("lat", "latitude")
LON_NAMES = ("lon", "longitude")


def read_store(path: str | os.PathLike[str]) -> xr.Dataset:
    """A store as the loader decodes it (:func:`astrobuild.climate.store.open_store`), with Dask
    arrays (scores read variables in bounded memory) and each array's own metadata (consolidated
    metadata is zarr-python's extension to Zarr v3: a store written without it is read too)."""
    return open_store(path, chunks={}, consolidated=False)


def _nan_fraction(ds: xr.Dataset, var: str, validation: dict[str, Any]) -> float:
    given = (validation.get("variables") or {}).get(var, {}).get("nan_fraction")
    if given is not None:
        return float(given)
    data = ds[var]
    if data.size == 0 or not np.issubdtype(data.dtype, np.floating):
        return 0.0
    return float(data.isnull().mean().compute())


def completeness(ds: xr.Dataset, validation: dict[str, Any]) -> dict[str, Any]:
    variables = {v: score(1.0 - _nan_fraction(ds, v, validation)) for v in sorted(map(str, ds.data_vars))}
    value = score(sum(variables.values()) / len(variables)) if variables else None
    return {"score": value, "variables": {v: {"non_nan": f} for v, f in variables.items()}}


def validity(validation: dict[str, Any]) -> dict[str, Any]:
    checks = validation.get("checks") or []
    if not checks:
        return {"score": 1.0 if validation.get("valid", False) else 0.0, "checks": 0, "failed": []}
    failed = [c for c in checks if not c.get("passed")]
    return {"score": score(1.0 - len(failed) / len(checks)), "checks": len(checks),
            "failed": [{"name": c.get("name"), "detail": c.get("detail", "")} for c in failed]}


def _monotonic(values: np.ndarray) -> bool:
    index = pd.Index(values)
    return index.is_unique and (index.is_monotonic_increasing or index.is_monotonic_decreasing)


def uniqueness(ds: xr.Dataset) -> dict[str, Any]:
    coords = {str(d): _monotonic(ds[d].values) for d in sorted(map(str, ds.dims)) if d in ds.coords}
    # No coordinate variables (tiny.nc has none): nothing to hold to uniqueness, so not assessed.
    value = score(sum(coords.values()) / len(coords)) if coords else None
    return {"score": value, "coordinates": {d: {"unique_and_monotonic": ok} for d, ok in coords.items()}}


def _dim_order(ds: xr.Dataset) -> list[str]:
    # Sorted names: Zarr lists a store's arrays in no fixed order, and ties must not depend on it.
    longest = max((ds[v].dims for v in sorted(map(str, ds.data_vars))), key=len, default=())
    return [str(d) for d in longest] + sorted(str(d) for d in ds.dims if d not in longest)


def consistency(ds: xr.Dataset, validation: dict[str, Any]) -> dict[str, Any]:
    checks: list[dict[str, Any]] = []
    order = _dim_order(ds)
    # CF bounds variables take their parent's units, and text variables have none.
    bounds = {str(ds[v].attrs["bounds"]) for v in ds.variables if "bounds" in ds[v].attrs}
    for var in sorted(map(str, ds.data_vars)):
        units = ds[var].attrs.get("units")
        if var not in bounds and np.issubdtype(ds[var].dtype, np.number):
            checks.append({"name": f"units:{var}", "passed": bool(units and str(units).strip()),
                           "detail": f"units={units!r}"})
        dims = [str(d) for d in ds[var].dims]
        positions = [order.index(d) for d in dims]
        checks.append({"name": f"dim_order:{var}", "passed": positions == sorted(positions),
                       "detail": f"{dims} vs store order {order}"})
    if validation.get("dims"):
        sizes = {str(k): int(v) for k, v in sorted(ds.sizes.items())}
        given = {str(k): int(v) for k, v in sorted(validation["dims"].items())}
        checks.append({"name": "dims_match_validation", "passed": given == sizes,
                       "detail": f"validation {given} vs store {sizes}"})
    if validation.get("variables"):
        absent = sorted(set(validation["variables"]) - {str(v) for v in ds.variables})
        checks.append({"name": "validated_variables_present", "passed": not absent, "detail": f"absent: {absent}"})
    for names, low, high in ((LAT_NAMES, -90.0, 90.0), (LON_NAMES, -360.0, 360.0)):
        for name in names:
            if name in ds.coords and ds[name].size:
                values = np.asarray(ds[name].values, dtype=float)
                ok = bool(np.all((values >= low) & (values <= high)))
                checks.append({"name": f"range:{name}", "passed": ok,
                               "detail": f"[{values.min():g}, {values.max():g}] within [{low:g}, {high:g}]"})
    passed = sum(c["passed"] for c in checks)
    return {"score": score(passed / len(checks)) if checks else None, "rules": len(checks), "checks": checks}


def score_store(name: str, path: str | os.PathLike[str], validation: dict[str, Any]) -> dict[str, Any]:
    ds = read_store(path)
    try:
        dims = {
            "completeness": completeness(ds, validation),
            "validity": validity(validation),
            "uniqueness": uniqueness(ds),
            "consistency": consistency(ds, validation),
        }
        sizes = {str(k): int(v) for k, v in sorted(ds.sizes.items())}
    finally:
        ds.close()
    scores = {d: v["score"] for d, v in dims.items()}
    bar = GRADES["A+"]
    reasons = {
        "completeness": [f"variable {v!r}: {c['non_nan']:.1%} non-NaN"
                         for v, c in dims["completeness"]["variables"].items() if c["non_nan"] < bar],
        "validity": [f"check {c['name']!r} failed: {c['detail']}" for c in dims["validity"]["failed"]]
        or ([] if validation.get("checks") else ["validation report says valid=false and lists no checks"]),
        "uniqueness": [f"coordinate {d!r} is not unique and monotonic"
                       for d, c in dims["uniqueness"]["coordinates"].items() if not c["unique_and_monotonic"]],
        "consistency": [f"{c['name']}: {c['detail']}" for c in dims["consistency"]["checks"] if not c["passed"]],
    }
    pulled = pulled_down_by(scores, reasons)
    overall = overall_of(scores)
    if not dims["completeness"]["variables"]:
        # Like an empty table: a store without data variables holds no data, so it is graded F.
        overall = None
        pulled.insert(0, {"dimension": "variables", "score": None, "because": ["the store has no data variables"]})
    return {
        "kind": "store",
        "dims": sizes,
        "scores": scores,
        "not_assessed": sorted(d for d, v in scores.items() if v is None),
        "overall": overall,
        "grade": grade(overall),
        "pulled_down_by": pulled,
        **dims,
    }
