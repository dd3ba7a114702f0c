"""The contract of a converted store (the xarray counterpart of a table's Pandera contract).

Pandera checks DataFrames; a cube is not one. :func:`check_store` checks what a
contract would, on the store as the loader opens it, against the source's
header: every chunk matches its crc32c, the source's dimensions are present
with their lengths (none of them 0), every variable has its expected dtype
(the source's, or the decoded float for packing decoded on purpose) and the
source's units where it has them, and no variable is entirely NaN. NaN
fractions are computed chunk by chunk (Dask), so a store larger than memory is
checked in bounded memory.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np

from astrobuild.climate.shards import verify_store_checksums
from astrobuild.climate.source import plain, read_header
from astrobuild.climate.store import META_PREFIX, open_store

log = logging.getLogger(__name__)


class StoreContractError(ValueError):
    """A store broke its contract; the message names the store, the variable and the check."""


def check_store(store: str | os.PathLike[str], source: str | os.PathLike[str]) -> dict[str, Any]:
    """Check ``store`` (converted from ``source``); returns the report (``valid`` says whether it passed)."""
    store, source = os.fspath(store), os.fspath(source)
    info = read_header(source)
    checks: list[dict[str, Any]] = []

    def check(name: str, passed: bool, detail: str) -> None:
        checks.append({"name": name, "passed": bool(passed), "detail": detail})

    report: dict[str, Any] = {"store": store, "source": source, "valid": False, "dims": {}, "variables": {},
                              "checks": checks}
    corrupt = verify_store_checksums(store)
    check("checksums", not corrupt, "; ".join(corrupt) if corrupt else "every chunk matches its crc32c")
    if corrupt:
        return report  # values of a corrupt store mean nothing: the rest is not checked
    try:
        ds = open_store(store)
    except Exception as exc:  # noqa: BLE001  (any failure to open is the finding, reported as such)
        check("opens", False, f"{type(exc).__name__}: {exc}")
        return report
    with ds:
        check("opens", True, "opened with xarray (zarr v3, consolidated metadata)")
        report["dims"] = {str(k): int(v) for k, v in sorted(ds.sizes.items())}
        for dim, size in sorted(info.dims.items()):
            got = report["dims"].get(dim)
            # A dimension no variable uses does not exist in xarray; it is not data.
            used = any(dim in dims for dims in (ds[v].dims for v in ds.variables))
            if used or got is not None:
                # An empty dimension is refused too: its variables hold no values, and every reader of a
                # first time step would fail on it (the conversion refuses such a source already).
                check(f"dims:{dim}", got == size and bool(got),
                      f"length {got} (source {size})" + ("" if got else ": empty, no values along it"))
        expected_vars = set(info.var_attrs)
        check("variables", expected_vars == set(map(str, ds.variables)),
              f"missing {sorted(expected_vars - set(map(str, ds.variables)))}, "
              f"unexpected {sorted(set(map(str, ds.variables)) - expected_vars)}")
        for name in sorted(map(str, ds.variables)):
            var = ds[name]
            src_attrs = info.var_attrs.get(name, {})
            packing = var.attrs.get(f"{META_PREFIX}packing")
            expected = _expected_dtype(info.var_dtypes.get(name), src_attrs, packing, var.encoding)
            stored = str(var.encoding.get("dtype", var.dtype))
            check(f"dtype:{name}", expected is None or stored == expected, f"stored {stored}, expected {expected}")
            units = plain(src_attrs["units"]) if "units" in src_attrs else None
            if units is not None:
                got_units = plain(var.attrs.get("units"))
                check(f"units:{name}", got_units == units, f"units {got_units!r} (source {units!r})")
            fraction = _nan_fraction(var)
            report["variables"][name] = {"dtype": str(var.dtype), "stored_dtype": stored,
                                         "units": None if units is None else str(units), "dims": list(var.dims),
                                         "nan_fraction": fraction, "packing": packing}
            if var.size:
                check(f"not_all_nan:{name}", fraction is None or fraction < 1.0, f"NaN fraction {fraction}")
    report["valid"] = all(c["passed"] for c in checks)
    return report


def _expected_dtype(raw: str | None, attrs: dict[str, Any], packing: str | None, encoding: dict[str, Any]
                    ) -> str | None:
    if raw is None or raw == "str" or np.dtype(raw).kind in "SU":
        return None  # char arrays are joined into strings along their last dimension: the length changes
    if packing == "decoded":
        wanted = np.result_type(*(np.asarray(attrs[k]).dtype for k in ("scale_factor", "add_offset") if k in attrs))
        # xarray's rule: integers wider than 16 bits need float64 to be decoded without loss.
        return "float64" if np.dtype(raw).itemsize > 2 else str(wanted)
    return str(np.dtype(raw))


def _nan_fraction(var, block_bytes: int = 256 * 1024 * 1024) -> float | None:
    """Share of NaN, read block by block along the first dimension (bounded memory)."""
    if var.dtype.kind not in "fc" or not var.size:
        return 0.0 if var.size else None
    if var.ndim == 0:
        return float(np.isnan(var.values))
    rows = max(1, block_bytes // max(1, var.dtype.itemsize * (var.size // max(1, var.shape[0]))))
    nans = 0
    for start in range(0, var.shape[0], rows):
        nans += int(np.isnan(var[start:start + rows].values).sum())
    return round(nans / var.size, 6)


def failing(report: dict[str, Any]) -> list[str]:
    """One line per failed check: store, variable (in the check name) and detail."""
    return [f"store {report['store']}: check {c['name']} failed: {c['detail']}" for c in report["checks"]
            if not c["passed"]]


