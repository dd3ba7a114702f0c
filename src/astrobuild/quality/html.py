"""One self-contained HTML page of the quality report (PNG plots inlined as base64)."""

from __future__ import annotations

import base64
import html
import io
import os
from typing import Any

import numpy as np
import pandas as pd

from astrobuild.quality.grades import GRADES
from astrobuild.quality.stores import LAT_NAMES, LON_NAMES

DIMENSIONS = ("completeness", "validity", "uniqueness", "consistency")
GRADE_COLOURS = {"A+": "#1a9850", "A": "#66bd63", "B": "#fee08b", "C": "#fdae61", "F": "#d73027"}
MAP_PREFERRED = ("TS", "ts", "tas", "T_surf")
NOT_ASSESSED = "not assessed"


def _score_cell(value: float | None) -> str:
    return NOT_ASSESSED if value is None else f"{value:.4f}"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> str:
    plt = _pyplot()
    buf = io.BytesIO()
    # No software/version stamp: the same data gives the same bytes.
    fig.savefig(buf, format="png", dpi=80, metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _img(data: str, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def completeness_plot(title: str, fractions: dict[str, float], required: dict[str, bool] | None = None) -> str:
    plt = _pyplot()
    names = list(fractions)
    fig, ax = plt.subplots(figsize=(6, 0.8 + 0.28 * max(1, len(names))))
    colours = ["#4C72B0" if (required is None or required[n]) else "#AAAAAA" for n in names]
    ax.barh(range(len(names)), [fractions[n] for n in names], color=colours)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.axvline(GRADES["A+"], color="#1a9850", linestyle="--", linewidth=1)
    ax.set_xlabel("non-null fraction" + ("" if required is None else " (grey: nullable by design, not scored)"))
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return _png(fig)


def histogram_plot(name: str, column: str, values: pd.Series) -> str:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(3.2, 2.4))
    data = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    ax.hist(data, bins=min(30, max(1, len(np.unique(data)))), color="#4C72B0")
    ax.set_title(f"{name}.{column}", fontsize=8)
    ax.tick_params(labelsize=6)
    fig.tight_layout()
    return _png(fig)


def numeric_columns(frame: pd.DataFrame, limit: int) -> list[str]:
    cols = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
            and not pd.api.types.is_bool_dtype(frame[c]) and frame[c].notna().any()]
    return cols[:limit]


def _horizontal(ds) -> tuple[str, str] | None:
    lat = next((d for d in LAT_NAMES if d in ds.dims), None)
    lon = next((d for d in LON_NAMES if d in ds.dims), None)
    return (lat, lon) if lat and lon else None


def map_variable(ds) -> str | None:
    """The variable drawn as the store's map: a preferred surface name, else the first (time, lat, lon) one
    that holds values (the store contract refuses an empty dimension; the page is not where to fail on it)."""
    horizontal = _horizontal(ds)
    if horizontal is None:
        return None

    def is_surface(v):
        dims = set(map(str, ds[v].dims))
        return set(horizontal) <= dims and dims <= {"time", *horizontal} and ds[v].size > 0
    candidates = [v for v in MAP_PREFERRED if v in ds.data_vars and is_surface(v)]
    candidates += [str(v) for v in sorted(map(str, ds.data_vars)) if is_surface(v)]
    return candidates[0] if candidates else None


def map_plot(name: str, ds, var: str) -> str:
    plt = _pyplot()
    field = ds[var]
    if "time" in field.dims:
        field = field.isel(time=0)
    lat_dim, lon_dim = _horizontal(ds)
    field = field.transpose(lat_dim, lon_dim)
    fig, ax = plt.subplots(figsize=(6, 3.2))
    lon, lat = np.asarray(ds[lon_dim].values, float), np.asarray(ds[lat_dim].values, float)
    mesh = ax.pcolormesh(lon, lat, np.asarray(field.values, dtype=float), shading="auto", cmap="viridis")
    fig.colorbar(mesh, ax=ax, label=f"{var} [{field.attrs.get('units', '?')}]")
    ax.set_xlabel(lon_dim)
    ax.set_ylabel(lat_dim)
    ax.set_title(f"{name}: {var}, first time step", fontsize=10)
    fig.tight_layout()
    return _png(fig)


def _summary_rows(report: dict[str, Any]) -> str:
    rows = []
    for section in ("tables", "stores"):
        for name, e in report[section].items():
            why = "; ".join(f"{p['dimension']}: {', '.join(p['because']) or p['score']}" for p in e["pulled_down_by"])
            cells = "".join(f"<td>{_score_cell(e['scores'][d])}</td>" for d in DIMENSIONS)
            rows.append(
                f'<tr><td><a href="#{section}-{html.escape(name)}">{html.escape(name)}</a></td><td>{e["kind"]}</td>'
                f'<td style="background:{GRADE_COLOURS[e["grade"]]}"><b>{e["grade"]}</b></td>'
                f"<td>{_score_cell(e['overall'])}</td>{cells}<td>{e['min_grade']}</td>"
                f"<td>{'pass' if e['passed'] else '<b>FAIL</b>'}</td><td>{html.escape(why) or '-'}</td></tr>")
    head = "".join(f"<th>{h}</th>" for h in ("name", "kind", "grade", "overall", *DIMENSIONS, "bar", "status",
                                              "pulled down by"))
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _doubtful(validity: dict[str, Any]) -> str:
    """The rows validity counts besides contract failures: flagged (kept) and quarantined (refused)."""
    parts = [f"{n} flagged {html.escape(flag)} (kept)" for flag, n in validity.get("flagged_rows", {}).items()]
    if "quarantined_rows" in validity:
        parts.append(f"{validity['quarantined_rows']} line(s) quarantined")
    return "; " + ", ".join(parts) if parts else ""


def _checks_list(entry: dict[str, Any]) -> str:
    consistency = entry["consistency"]
    if entry["kind"] == "table":
        items = [f"<li>{html.escape(c['name'])}: "
                 + (f"{c['passed']}/{c['checked']}" if c["score"] is not None else f"{NOT_ASSESSED} (nothing to check)")
                 + f" &mdash; {html.escape(c['description'])}</li>" for c in consistency["checks"]]
        items += [f"<li>{html.escape(c['name'])}: skipped &mdash; {html.escape(c['reason'])}</li>"
                  for c in consistency.get("skipped", [])]
    else:
        items = [f"<li>{html.escape(c['name'])}: {'ok' if c['passed'] else 'FAILED'} &mdash; {html.escape(c['detail'])}</li>"
                 for c in consistency["checks"]]
    verdict = f"<p>Consistency: {NOT_ASSESSED} (no rule checked anything; not scored).</p>" \
        if consistency["score"] is None else ""
    return verdict + ("<ul>" + "".join(items) + "</ul>" if items else "")


def stores_to_draw(entries: dict[str, dict[str, Any]], limit: int) -> set[str]:
    """Stores whose figures the page draws: every one graded below A+ (what a reader must look at),
    then the first by name up to ``limit`` in all. Hundreds of maps would make the page slow to
    build and to read; the others keep their row in the summary and a line of figures-free detail."""
    flagged = [n for n, e in sorted(entries.items()) if e["grade"] != "A+"]
    rest = [n for n in sorted(entries) if n not in flagged]
    return set(flagged) | set(rest[: max(0, limit - len(flagged))])


def render_html(report: dict[str, Any], frames: dict[str, pd.DataFrame], stores: dict[str, os.PathLike | str],
                max_histograms: int = 6, max_store_figures: int = 6) -> str:
    from astrobuild.quality.stores import read_store

    grades = ", ".join(f"{g} &ge; {low:.2f}" for g, low in GRADES.items() if g != "F")
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>astrobuild quality report</title>",
        "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px}img{margin:4px}</style></head><body>",
        "<h1>astrobuild quality report</h1>",
        f"<p>Grades: {grades}, F below. Overall = {html.escape(report['grading']['overall'])}. "
        f"Default bar: {report['grading']['default_min_grade']}.</p>",
        '<h2 id="summary">Summary</h2>', _summary_rows(report),
        '<h2 id="tables">Tables</h2>',
    ]
    for name, e in report["tables"].items():
        cols = e["completeness"]["columns"]
        parts.append(f'<h3 id="tables-{html.escape(name)}">{html.escape(name)} &mdash; {e["grade"]}</h3>')
        parts.append(f"<p>{e['rows']} rows; key {html.escape(str(e['uniqueness']['key']))} "
                     f"({e['uniqueness']['key_source']}), {e['uniqueness']['duplicate_rows']} duplicate(s); "
                     f"{e['validity']['failing_rows']} row(s) break the contract{_doubtful(e['validity'])}.</p>")
        parts.append("<h4>Completeness per column</h4>")
        if e["rows"]:
            parts.append(_img(completeness_plot(name, {c: v["non_null"] for c, v in cols.items()},
                                                {c: v["required"] for c, v in cols.items()}), f"{name} completeness"))
        else:
            parts.append(f"<p>{NOT_ASSESSED}: the table has no rows.</p>")
        numeric = numeric_columns(frames[name], max_histograms) if name in frames else []
        if numeric:
            parts.append("<h4>Value distributions</h4>")
            parts.extend(_img(histogram_plot(name, c, frames[name][c]), f"{name}.{c}") for c in numeric)
        parts.append("<h4>Consistency</h4>" + _checks_list(e))
    parts.append('<h2 id="stores">Stores</h2>')
    if not report["stores"]:
        parts.append("<p>No array stores in this build.</p>")
    drawn = stores_to_draw(report["stores"], max_store_figures)
    if len(drawn) < len(report["stores"]):
        parts.append(f"<p>Figures are drawn for {len(drawn)} of {len(report['stores'])} stores (every store "
                     f"below A+, then the first by name; <code>quality.max_store_figures</code>); the others "
                     f"are all A+ and listed with their checks.</p>")
    for name, e in report["stores"].items():
        parts.append(f'<h3 id="stores-{html.escape(name)}">{html.escape(name)} &mdash; {e["grade"]}</h3>')
        parts.append(f"<p>dims {html.escape(str(e['dims']))}</p>")
        if name not in drawn:
            parts.append("<h4>Consistency</h4>" + _checks_list(e))
            continue
        parts.append("<h4>Completeness per variable</h4>")
        variables = {v: c["non_nan"] for v, c in e["completeness"]["variables"].items()}
        parts.append(_img(completeness_plot(name, variables), f"{name} completeness") if variables
                     else f"<p>{NOT_ASSESSED}: the store has no data variables.</p>")
        ds = read_store(stores[name])
        try:
            var = map_variable(ds)
            parts.append("<h4>Climate map</h4>")
            parts.append(_img(map_plot(name, ds, var), f"{name} map") if var
                         else "<p>No (time, lat, lon) variable with values to draw.</p>")
        finally:
            ds.close()
        parts.append("<h4>Consistency</h4>" + _checks_list(e))
    parts.append("</body></html>\n")
    return "\n".join(parts)
