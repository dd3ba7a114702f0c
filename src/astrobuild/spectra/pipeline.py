"""The spectra chain's steps: spectrum files -> one tidy table; its summary plot."""

from __future__ import annotations

import logging
import os
from collections import Counter
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from astrobuild.contracts.arrow import arrow_schema
from astrobuild.contracts.spectra import Spectra
from astrobuild.io import atomic_path, read_parquet, write_json, write_parquet
from astrobuild.paths import SourceRoot, collect_files
from astrobuild.progress import progress
from astrobuild.quarantine import Quarantine
from astrobuild.spectra.reader import Spectrum, SpectrumError, read_spectrum

log = logging.getLogger(__name__)
SCHEMA = arrow_schema(Spectra)
COLUMNS = SCHEMA.names
SORT_KEYS = [("spectrum", "ascending"), ("wavelength_um", "ascending"), ("order", "ascending")]
# Files named one by one in the error when no file holds a spectrum; the log names every one.
MAX_REASONS_IN_ERROR = 20


def spectra_frame(spectra: list[Spectrum]) -> pa.Table:
    """Spectra -> one table sorted by spectrum then wavelength (then order), stable and deterministic."""
    columns: dict[str, list] = {name: [] for name in COLUMNS}
    for s in spectra:
        n = len(s.rows)
        for key, value in (("spectrum", s.spectrum), ("planet", s.planet), ("kind", s.kind),
                           ("instrument", s.instrument)):
            columns[key].extend([value] * n)
        for row in s.rows:
            wave, werr, depth, derr, order, quality = row
            columns["wavelength_um"].append(wave)
            columns["wavelength_err_um"].append(werr)
            columns["depth_ppm"].append(depth)
            columns["depth_err_ppm"].append(derr)
            columns["order"].append(order)
            columns["quality"].append(quality)
            # Negative depths beyond their errors were quarantined by the reader: those left are within them.
            columns["depth_negative"].append(depth < 0)
    table = pa.table({name: pa.array(columns[name], SCHEMA.field(name).type) for name in COLUMNS}, schema=SCHEMA)
    # Arrow's sort is stable: rows with equal keys keep the file order.
    return table.sort_by(SORT_KEYS)


def read_spectra(files: list, quarantine: Quarantine, show_progress: bool = True,
                 negative_sigma: float | None = None) -> list[Spectrum]:
    """Every file's spectrum; ``negative_sigma`` is config ``spectra.negative_sigma`` (None: its default)."""
    spectra, seen = [], {}
    items = progress(files, desc="spectra_table", unit="file") if show_progress else files
    for path in items:
        spectrum = read_spectrum(path, quarantine, negative_sigma)
        if spectrum is None:
            continue
        if not spectrum.rows:  # every data line quarantined: a file with no spectrum in it, said as such
            quarantine.add(path, None, "no usable data line (every one quarantined)")
            continue
        if spectrum.spectrum in seen:
            raise SpectrumError(f"two spectrum files with the id {spectrum.spectrum!r}: {seen[spectrum.spectrum]} "
                                f"and {os.fspath(path)} (the id is the file name without its suffix)")
        seen[spectrum.spectrum] = os.fspath(path)
        spectra.append(spectrum)
    return spectra


def rejection_reasons(quarantine: Quarantine) -> list[str]:
    """One line per rejected file, ``file: reason`` (the file-level reason, else its first rejected line)."""
    by_file: dict[str, list] = {}
    for record in sorted(quarantine.records, key=lambda r: (r.file, r.line is not None, r.line or 0)):
        by_file.setdefault(record.file, []).append(record)
    lines = []
    for file, records in by_file.items():
        first = records[0]
        where = "" if first.line is None else f"line {first.line}: "
        rows = [r for r in records if r.line is not None]
        extra = f" ({len(rows)} line(s) quarantined, first: line {rows[0].line}: {rows[0].reason})" if (
            rows and first.line is None) else ""
        lines.append(f"{file}: {where}{first.reason}{extra}")
    return lines


def spectra_table(inputs: list[str], patterns: list[str], table_path: str, quarantine_path: str,
                  report_path: str, source: SourceRoot | None = None,
                  negative_sigma: float | None = None) -> dict[str, Any]:
    """Rule spectra_table; ``negative_sigma``: config ``spectra.negative_sigma`` (None: the schema's default)."""
    files = collect_files(inputs, patterns)
    if not files:
        raise SpectrumError(f"spectra_table: no files matching {patterns} in {inputs}")
    quarantine = Quarantine(source=source)
    spectra = read_spectra(files, quarantine, negative_sigma=negative_sigma)
    if not spectra:
        # The quarantine TSV is an output of this failing job, so Snakemake deletes it: the reasons go in
        # the error and the log, the one place that stays.
        reasons = rejection_reasons(quarantine)
        for line in reasons:
            log.error("no spectrum: %s", line)
        shown = reasons[:MAX_REASONS_IN_ERROR]
        more = f"\n  ... and {len(reasons) - len(shown)} more (every one in the rule's log)" if len(reasons) > len(
            shown) else ""
        raise SpectrumError(f"spectra_table: none of the {len(files)} file(s) holds a spectrum:\n  "
                            + "\n  ".join(shown) + more)
    table = spectra_frame(spectra)
    write_parquet(table, table_path, dictionary=["spectrum", "planet", "kind", "instrument"])
    quarantine.write(quarantine_path)
    report = {
        "files": len(files), "spectra": len(spectra), "rows": table.num_rows,
        "files_without_spectrum": len(files) - len(spectra),
        "depth_units": dict(sorted(Counter(s.depth_unit for s in spectra).items())),
        "wavelength_units": dict(sorted(Counter(s.wave_unit for s in spectra).items())),
        "kinds": dict(sorted(Counter(s.kind or "unknown" for s in spectra).items())),
        "instruments": dict(sorted(Counter(s.instrument or "unknown" for s in spectra).items())),
        "with_planet": sum(s.planet is not None for s in spectra),
        "ignored_columns": {s.spectrum: s.ignored_columns for s in spectra if s.ignored_columns},
        "quarantine": quarantine.counts(),
    }
    write_json(report, report_path)
    log.info("%d file(s) -> %d spectra, %d rows (%d negative depth(s) within their errors, flagged); "
             "quarantined: %s", len(files), len(spectra), table.num_rows,
             pc.sum(table["depth_negative"]).as_py() or 0, quarantine.counts())
    return report


def plot_spectra(table_path: str, plot_path: str, max_spectra: int = 12) -> None:
    """Overlay of the first spectra, each relative to its median depth, so bands of different planets compare."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frame = read_parquet(table_path, columns=["spectrum", "wavelength_um", "depth_ppm"]).to_pandas()
    ids = sorted(frame["spectrum"].unique())
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for sid in ids[:max_spectra]:
        rows = frame[frame["spectrum"] == sid]
        ax.plot(rows["wavelength_um"], rows["depth_ppm"] - rows["depth_ppm"].median(), lw=0.8, label=sid)
    ax.set_xlabel("wavelength [µm]")
    ax.set_ylabel("depth - median depth [ppm]")
    ax.set_title(f"Spectra: {len(ids)} (first {min(len(ids), max_spectra)} shown)")
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    with atomic_path(plot_path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
