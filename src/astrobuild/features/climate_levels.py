"""A cube's vertical axis as layers of an atmosphere: weights by pressure thickness, the surface first.

:func:`vertical` finds what the levels are, and so what a layer weighs:

* **hybrid sigma-pressure** (CESM, ExoCAM): the level coordinate's CF
  ``formula_terms`` (``a: hyam b: hybm p0: P0 ps: PS``, or ``ap: .. b: .. ps: ..``)
  or, without them, variables named ``hyam``/``hybm``/``PS`` (``P0``: 1e5 Pa when
  absent), any case. Pressure is ``a*P0 + b*PS`` (``ap + b*PS``), so it differs
  from column to column and step to step: weights are per column, from each
  step's ``PS``. Layer bounds are the interfaces (``hyai``/``hybi``) when the store
  has them, else midway between levels; a column whose ``PS`` is missing has no
  valid layer.
* **pressure levels**: units Pa, hPa, mbar/mb, kPa, bar, atm, or standard_name
  ``air_pressure``; **sigma levels**: standard_name ``atmosphere_sigma_coordinate``,
  or a ``sigma`` axis within 0..1 (pressure is ``ptop + sigma*(PS - ptop)``, so
  sigma thickness is pressure thickness, the same in every column). Bounds are
  the coordinate's ``bounds`` variable, else midway between levels.
* anything else (heights, model level numbers, no coordinate): **index** weights,
  each level the same.

With pressure, the model's ``lev`` layers are equal parts of the column in
pressure (of mass), from its highest to its lowest pressure, layer 0 at the
surface; the weight of a level in a layer is the pressure overlap, so top-down
and bottom-up files give the same layers. With index weights, layer 0 is still
the end nearest the surface where the coordinate's ``positive`` attribute says
which (``up``: the smallest value, as are depths and heights in m; ``down``: the
largest); without it, the file's first level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from astrobuild.features.climate_grid import cell_bounds, index_weights

PRESSURE_UNITS = {"pa": 1.0, "hpa": 100.0, "mbar": 100.0, "mb": 100.0, "millibar": 100.0, "millibars": 100.0,
                  "kpa": 1000.0, "bar": 1e5, "bars": 1e5, "atm": 101325.0}
LENGTH_UNITS = {"m", "km", "cm", "meter", "meters", "metre", "metres"}
HYBRID = "atmosphere_hybrid_sigma_pressure_coordinate"
SIGMA = "atmosphere_sigma_coordinate"
P0_DEFAULT = 1e5  # Pa: CESM's reference pressure, when a store leaves P0 out


def pressure_overlap(lo: np.ndarray, hi: np.ndarray, n_dst: int) -> np.ndarray:
    """[n_dst, n_src, ...] pressure overlap of source layers [lo, hi] (shape [n_src, ...]) with ``n_dst``
    equal parts of the column from its highest pressure (part 0) to its lowest."""
    bottom, top = hi.max(axis=0), lo.min(axis=0)
    f = np.linspace(0.0, 1.0, n_dst + 1).reshape((-1,) + (1,) * bottom.ndim)
    edges = bottom[None] - (bottom - top)[None] * f  # decreasing
    upper = np.minimum(edges[:-1, None], hi[None])
    lower = np.maximum(edges[1:, None], lo[None])
    return np.clip(upper - lower, 0.0, None)


@dataclass(frozen=True)
class Vertical:
    """The levels' kind and weights: ``weights`` [n_dst, n_src] the same in every column, or (hybrid)
    interface pressures ``a_int + b_int * ps`` (Pa) for :meth:`column_weights`."""

    kind: str  # hybrid | pressure | sigma | index | none (no vertical axis)
    weights: np.ndarray | None = None
    a_int: np.ndarray | None = None
    b_int: np.ndarray | None = None
    ps: str | None = None  # the surface-pressure variable
    ps_scale: float = 1.0  # its units to Pa

    def column_weights(self, ps: np.ndarray, n_dst: int) -> np.ndarray:
        """[n_dst, n_src, *ps.shape] for surface pressure ``ps`` (the store's units); 0 where it is missing."""
        ps_pa = np.asarray(ps, dtype=np.float64) * self.ps_scale
        shape = (-1,) + (1,) * ps_pa.ndim
        p = self.a_int.reshape(shape) + self.b_int.reshape(shape) * ps_pa[None]
        p = np.clip(p, 0.0, ps_pa[None])  # interfaces extrapolated past the surface or the top
        lo, hi = np.minimum(p[:-1], p[1:]), np.maximum(p[:-1], p[1:])
        with np.errstate(invalid="ignore"):
            return np.nan_to_num(pressure_overlap(lo, hi, n_dst), nan=0.0)


def find(ds, name: str) -> str | None:
    """The variable called ``name``, in any case (the exact name first)."""
    if name in ds.variables:
        return name
    low = name.lower()
    return next((str(v) for v in sorted(map(str, ds.variables)) if v.lower() == low), None)


def formula_terms(text: str) -> dict[str, str]:
    """CF ``formula_terms`` ("a: hyam b: hybm p0: P0 ps: PS") as {term: variable}, terms in lower case."""
    tokens = str(text).replace(":", ": ").split()
    return {tokens[i][:-1].lower(): tokens[i + 1] for i in range(len(tokens) - 1)
            if tokens[i].endswith(":") and not tokens[i + 1].endswith(":")}


def _scale(attrs: dict, default: float | None = None) -> float | None:
    return PRESSURE_UNITS.get(str(attrs.get("units", "")).strip().lower(), default)


def _edges(mid: np.ndarray) -> np.ndarray:
    """Interfaces midway between levels, the ends half a spacing out (a linear map keeps them midway)."""
    if mid.size == 1:
        return np.array([mid[0], mid[0]])
    half = (mid[1:] + mid[:-1]) / 2.0
    return np.concatenate([[2 * mid[0] - half[0]], half, [2 * mid[-1] - half[-1]]])


def _hybrid(ds, levdim: str, attrs: dict, other_dims: set[str]) -> Vertical | None:
    """Hybrid levels, when the store has their coefficients and a surface pressure on the variable's other dims."""
    terms = {k: find(ds, v) for k, v in formula_terms(attrs.get("formula_terms", "")).items()}
    if not terms:
        terms = {"a": find(ds, "hyam"), "b": find(ds, "hybm"), "p0": find(ds, "P0"), "ps": find(ds, "PS")}
    a_name, b_name, ps = terms.get("a") or terms.get("ap"), terms.get("b"), terms.get("ps")
    if not (a_name and b_name and ps) or ds[a_name].dims != (levdim,) or ds[b_name].dims != (levdim,) \
            or set(ds[ps].dims) != other_dims:
        return None
    if terms.get("a"):
        p0 = float(np.asarray(ds[terms["p0"]].values)) * _scale(ds[terms["p0"]].attrs, 1.0) \
            if terms.get("p0") else P0_DEFAULT
        a_mid = np.asarray(ds[a_name].values, dtype=np.float64) * p0
    else:
        p0 = P0_DEFAULT
        a_mid = np.asarray(ds[a_name].values, dtype=np.float64) * _scale(ds[a_name].attrs, 1.0)
    b_mid = np.asarray(ds[b_name].values, dtype=np.float64)
    a_int, b_int = _edges(a_mid), _edges(b_mid)
    ai, bi = find(ds, "hyai"), find(ds, "hybi")
    if a_name.lower() == "hyam" and ai and bi and ds[ai].size == a_mid.size + 1 == ds[bi].size:
        a_i = np.asarray(ds[ai].values, dtype=np.float64).reshape(-1) * p0
        b_i = np.asarray(ds[bi].values, dtype=np.float64).reshape(-1)
        p_mid, p_int = a_mid + b_mid * p0, a_i + b_i * p0
        # used only when each level lies between its two interfaces (same orientation as the levels)
        if np.all((p_mid - p_int[:-1]) * (p_int[1:] - p_mid) >= 0):
            a_int, b_int = a_i, b_i
    return Vertical("hybrid", a_int=a_int, b_int=b_int, ps=ps, ps_scale=_scale(ds[ps].attrs, 1.0))


def _bounds(ds, attrs: dict, values: np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    name = attrs.get("bounds")
    if name in ds.variables and ds[name].shape == (values.size, 2):
        b = np.asarray(ds[name].values, dtype=np.float64)
        if np.isfinite(b).all():
            return b.min(axis=1), b.max(axis=1)
    order = np.argsort(values, kind="stable")
    a, b = cell_bounds(values[order], lo, hi)
    out_lo, out_hi = np.empty_like(a), np.empty_like(b)
    out_lo[order], out_hi[order] = a, b
    return out_lo, out_hi


def surface_first(values: np.ndarray | None, attrs: dict, n: int) -> np.ndarray:
    """The source levels in model order (the end nearest the surface first), as indices."""
    positive = str(attrs.get("positive", "")).strip().lower()
    if values is None or positive not in ("up", "down"):
        return np.arange(n)
    order = np.argsort(values, kind="stable")
    smallest = positive == "up" or str(attrs.get("units", "")).strip().lower() in LENGTH_UNITS
    return order if smallest else order[::-1]


def vertical(ds, levdim: str, var_dims: tuple[str, ...], n_src: int, n_dst: int) -> Vertical:
    """How the ``n_src`` levels of dimension ``levdim`` become ``n_dst`` layers (see the module's docstring)."""
    attrs = dict(ds[levdim].attrs) if levdim in ds.variables else {}
    hybrid = _hybrid(ds, levdim, attrs, set(var_dims) - {levdim})
    if hybrid is not None:
        return hybrid
    values = None
    if levdim in ds.variables and np.issubdtype(ds[levdim].dtype, np.number) and ds[levdim].shape == (n_src,):
        values = np.asarray(ds[levdim].values, dtype=np.float64)
        values = values if np.isfinite(values).all() else None
    if values is not None:
        standard = str(attrs.get("standard_name", "")).strip().lower()
        scale = _scale(attrs)
        if scale is not None or standard == "air_pressure":
            lo, hi = _bounds(ds, attrs, values, 0.0, np.inf)
            return Vertical("pressure", pressure_overlap(lo * (scale or 1.0), hi * (scale or 1.0), n_dst))
        named = f"{levdim} {attrs.get('long_name', '')}".lower()
        if standard == SIGMA or ("sigma" in named and values.min() >= 0.0 and values.max() <= 1.0):
            lo, hi = _bounds(ds, attrs, values, 0.0, 1.0)
            return Vertical("sigma", pressure_overlap(lo, hi, n_dst))
    w = index_weights(n_src, n_dst)
    weights = np.empty_like(w)
    weights[:, surface_first(values, attrs, n_src)] = w
    return Vertical("index", weights)
