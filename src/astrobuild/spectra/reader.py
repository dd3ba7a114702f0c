"""Read one spectrum file (CSV with ``#`` lines, or a whitespace table) into tidy rows.

Formats met in the wild and read here:

* CSV after ``#`` comment lines, with a header line (the JWST NIRISS/SOSS
  release: ``wave,wave_error,dppm,dppm_err,order,quality``, orders one after
  the other, so wavelengths are not monotonic);
* CSV with a space after each comma, padded values and names that end in a
  unit word (``Wavelength microns, Wavelength bin size microns, Rp/R*,
  Rp/R* error``);
* whitespace-separated columns, padded, with the column names only in a
  ``#`` comment line (the last comment line with as many names as the first
  data row has fields), or in a plain first line;
* whitespace tables without a header whose columns are named one per
  comment line, ``# Column N: <name> (<unit>)`` (N counts from 1, or from 0
  when a ``Column 0`` line is there).

Columns are recognised by name (:func:`column_role`); units come from the
name (``dppm``, ``depth_percent``, ``wave_nm``, ``depth[ppm]``,
``(Rp/Rs)^2`` is a fraction) or from a comment (``# depth unit: percent``,
``# units: wavelength micron, depth fraction``). Depths end in ppm
(percent x 1e4, fraction x 1e6), wavelengths in µm (nm / 1e3, Å / 1e4; a
wavelength without a stated unit is taken as µm, the convention of
exoplanet spectra). A depth without a recognisable unit is an error naming
the file and column: guessing from magnitudes would silently scale a spectrum
by 10^4. A radius ratio (``Rp/R*``, ``Rp/Rs``, ``RpRs``, not squared) is
turned into a depth, ``depth = (Rp/R*)^2``, its error propagated to first
order, ``sigma_depth = 2 (Rp/R*) sigma_ratio``.

The wavelength error is stored as a half-width: a column named as an error,
uncertainty or half-width (``wave_error``, ``Bin half-width``) is kept as it
is; one named as a bin size or width without "half" (``Wavelength bin size``,
``bin_width``) is a full width and is halved.

Metadata comes from ``# key: value`` comments: planet (``planet``, ``target``,
``object``), instrument (``instrument``; else an instrument name such as
NIRISS in the comments or file name), kind (``kind``/``type``; else the words
transmission / emission / eclipse in the comments or file name).

Malformed data lines (wrong field count, a value that is not a number, a
missing wavelength or depth, a non-positive wavelength, a negative error) go
to the quarantine with file:line and the reason.

A depth (or Rp/R*) below zero within its errors is noise, beyond them a broken
point (a sign or unit error, a failed fit): more than ``spectra.negative_sigma``
errors below zero, the line is quarantined (the reason names file, wavelength,
depth and error); within them it is kept, signed (``-(Rp/R*)^2`` for a ratio),
and flagged in the table (``depth_negative``). Without an error it is
quarantined: nothing tells noise from a broken point. A ratio is judged
against its own error, before squaring.
"""

from __future__ import annotations

import functools
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from astrobuild.configschema import defaults
from astrobuild.quarantine import Quarantine

DEPTH_UNITS = {"ppm": 1.0, "percent": 1.0e4, "fraction": 1.0e6}
# Rp/R*: not a scale but a square (see _depth_ppm); a unit of its own so it is never scaled linearly.
RADIUS_RATIO = "radius_ratio"
WAVE_UNITS = {"um": 1.0, "nm": 1.0e-3, "angstrom": 1.0e-4}
_UNIT_WORDS = {
    "ppm": "ppm", "dppm": "ppm", "percent": "percent", "pct": "percent", "%": "percent",
    "fraction": "fraction", "frac": "fraction", "relative": "fraction",
    "um": "um", "µm": "um", "micron": "um", "microns": "um", "micrometer": "um", "micrometre": "um",
    "nm": "nm", "nanometer": "nm", "a": "angstrom", "å": "angstrom", "angstrom": "angstrom", "angstroms": "angstrom",
}
INSTRUMENTS = ("NIRISS", "NIRSpec", "NIRCam", "MIRI", "WFC3", "STIS", "IRAC", "MIRI-LRS", "CRIRES", "ESPRESSO")
_NAME_TOKEN = re.compile(r"[^\s,\[(]+(?:\s*[\[(][^\])]*[\])])?|[\[(][^\])]*[\])]\S*")
_KEY_VALUE = re.compile(r"^\s*([A-Za-z][A-Za-z _/-]*?)\s*[:=]\s*(.+?)\s*$")
_BRACKET_UNIT = re.compile(r"[\[(]([^\])]*)[\])]\s*$")
_NUMBERED_COLUMN = re.compile(r"^#\s*col(?:umn)?\.?\s*(\d+)\s*[:=.)-]\s*(.+?)\s*$", re.IGNORECASE)
_SQUARED_RATIO = re.compile(r"\(?rp/r[s*]\)?(?:\^?2|²)|rprs2|fp/f[s*]|fpfs")
_RADIUS_RATIO = re.compile(r"rp/r(?:s|\*|star)|rprs|rp_rs")


class SpectrumError(ValueError):
    """A spectrum file cannot be used; the message names the file (and column)."""


@dataclass
class Spectrum:
    spectrum: str
    file: str
    planet: str | None
    instrument: str | None
    kind: str | None
    depth_unit: str
    wave_unit: str
    wave_err_unit: str
    wave_err_is_full_width: bool  # a bin size/width: halved on reading (the table stores half-widths)
    columns: dict[str, str]  # role -> column name in the file
    ignored_columns: list[str]
    rows: list[tuple] = field(default_factory=list)  # (wavelength_um, wavelength_err_um, depth_ppm, depth_err_ppm, order, quality)


def _words(name: str) -> list[str]:
    """The words of a column name, lower case, a trailing bracketed unit and a trailing unit word left out
    (``Wavelength bin size microns`` -> wavelength, bin, size)."""
    words = _BRACKET_UNIT.sub("", name).strip().lower().split()
    if len(words) > 1 and words[-1] in _UNIT_WORDS:
        words.pop()
        if len(words) > 1 and words[-1] == "in":  # "wavelength in microns"
            words.pop()
    return words


def _norm(name: str) -> str:
    # Words joined by "_" so "Rp/R* error" reads like rp/r*_error; none around / ^ ( ) ("( Rp / Rs )^2" is (rp/rs)^2).
    return re.sub(r"_*([/^()])_*", r"\1", "_".join(_words(name)))


def explicit_unit(name: str, ratio_is_fraction: bool = True) -> str | None:
    """A unit written in the column name: ``depth[ppm]``, ``wave (nm)``, ``Wavelength microns``,
    ``depth_percent``, ``dppm``; ``(Rp/Rs)^2`` and ``Fp/Fs`` are fractions unless ``ratio_is_fraction`` is
    false (a comment may say otherwise); ``Rp/R*`` (not squared) is a radius ratio, whatever comments say."""
    match = _BRACKET_UNIT.search(name)
    if match and "/" not in match.group(1) and match.group(1).strip():
        word = match.group(1).strip().lower()
        return _UNIT_WORDS.get(word, f"?{match.group(1).strip()}")
    words = _BRACKET_UNIT.sub("", name).strip().lower().split()
    if len(words) > 1 and words[-1] in _UNIT_WORDS:
        return _UNIT_WORDS[words[-1]]
    base = _norm(name)
    if base.startswith("dppm"):
        return "ppm"
    # only the last word's parts: in "half width of a bin" the "a" is not Angstrom
    for part in reversed(re.split(r"[_\-.]", words[-1] if words else "")[1:]):
        if part in _UNIT_WORDS:
            return _UNIT_WORDS[part]
    if _SQUARED_RATIO.search(base):
        return "fraction" if ratio_is_fraction else None
    if _RADIUS_RATIO.search(base):
        return RADIUS_RATIO
    return None


def column_role(name: str) -> str | None:
    """wavelength | wavelength_err | depth | depth_err | order | quality | instrument | None."""
    base = _norm(name)
    is_err = bool(re.search(r"err|unc|sigma|width|size|std", base))
    if re.match(r"^(wave|wavelength|wl|wav|lambda|lam)(?![a-z])", base) or base in {"wave", "wavelength"}:
        return "wavelength_err" if is_err else "wavelength"
    if re.search(r"depth|dppm|^td(_|$)|rp/r|rprs|rp_rs|fp/f|fpfs|transit|eclipse|^flux_?ratio", base):
        return "depth_err" if is_err else "depth"
    if re.search(r"(^|_)(bin|half)", base) and re.search(r"width|size", base):  # "Bin half-width"
        return "wavelength_err"
    if base in {"err", "error", "sigma", "uncertainty", "unc", "e_depth", "edepth"}:
        return "depth_err"
    if base in {"order", "spectral_order", "spec_order"}:
        return "order"
    if base in {"quality", "quality_flag", "flag", "dq"}:
        return "quality"
    if base in {"instrument", "inst"}:
        return "instrument"
    return None


def _split_names(text: str) -> list[str]:
    text = text.strip().lstrip("#").strip()
    head = text.split(maxsplit=1)
    if head and head[0].endswith(":"):  # "# columns: wave depth err"
        text = text.split(":", 1)[1]
    if "," in text:
        return [t.strip() for t in text.split(",") if t.strip()]
    return [t.strip() for t in _NAME_TOKEN.findall(text)]


def is_full_width(name: str) -> bool:
    """A wavelength-error column named as a bin size or width, not a half-width or an uncertainty."""
    base = _norm(name)
    return bool(re.search(r"width|size", base)) and not re.search(r"half|err|unc|sigma|std", base)


def _numbered_names(comments: list[str], n_fields: int) -> tuple[list[str], str | None]:
    """Names from ``# Column N: <name>`` lines -> (one name per field, or [] and why not)."""
    numbered: dict[int, str] = {}
    for line in comments:
        match = _NUMBERED_COLUMN.match(line)
        if match:
            numbered.setdefault(int(match.group(1)), match.group(2))
    if not numbered:
        return [], None
    first = 0 if 0 in numbered else 1
    if max(numbered) - first >= n_fields:
        return [], (f"'# Column N' lines name column {max(numbered)}, the data rows have {n_fields} fields")
    return [numbered.get(i + first, f"column {i + first}") for i in range(n_fields)], None


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _comment_hints(comments: list[str]) -> dict[str, str]:
    hints: dict[str, str] = {}
    for line in comments:
        match = _KEY_VALUE.match(line.lstrip("#"))
        if match:
            key = match.group(1).strip().lower()
            hints.setdefault(key, match.group(2).strip())
    return hints


def _unit_from_comments(comments: list[str], role: str) -> str | None:
    """``# depth unit: percent``, ``# units: wavelength micron, depth fraction``, ``# depth in ppm``."""
    word = "wave" if role == "wavelength" else "depth"
    for line in comments:
        text = line.lstrip("#").lower()
        if "unit" not in text and not re.search(rf"{word}\w*\s+(?:in|\[)", text):
            continue
        # the unit word closest after the role's word
        for match in re.finditer(rf"{word}\w*\s*(?:units?)?\s*[:=\[(]?\s*(?:in\s+)?([a-zµå%]+)", text):
            unit = _UNIT_WORDS.get(match.group(1))
            if unit:
                return unit
        if role == "depth" and word not in text and "unit" in text:
            found = {_UNIT_WORDS[w] for w in re.findall(r"[a-z%]+", text) if _UNIT_WORDS.get(w) in DEPTH_UNITS}
            if len(found) == 1:
                return found.pop()
    return None


def _instrument(hints: dict[str, str], comments: list[str], stem: str) -> str | None:
    for key in ("instrument", "instrument/mode", "mode"):
        if key in hints:
            return hints[key]
    haystack = " ".join(comments) + " " + stem
    for name in INSTRUMENTS:
        if re.search(rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z])", haystack, flags=re.IGNORECASE):
            return name
    return None


def _kind(hints: dict[str, str], comments: list[str], stem: str, depth_name: str) -> str | None:
    for key in ("kind", "type", "spectrum type", "spectrum"):
        value = hints.get(key, "").lower()
        for word, kind in (("transmission", "transmission"), ("emission", "emission"), ("eclipse", "emission")):
            if word in value:
                return kind
    haystack = (" ".join(comments) + " " + stem).lower()
    if "transmission" in haystack or re.search(r"rp/r|rprs", depth_name.lower()):
        return "transmission"
    if re.search(r"emission|eclipse|dayside", haystack) or re.search(r"fp/f|fpfs", depth_name.lower()):
        return "emission"
    return None


def read_spectrum(path: str | os.PathLike[str], quarantine: Quarantine,
                  negative_sigma: float | None = None) -> Spectrum | None:
    """One spectrum file -> :class:`Spectrum`; None (and a quarantine record) if it holds no spectrum columns.

    ``negative_sigma``: config ``spectra.negative_sigma`` (None: the schema's default)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpectrumError(f"{path}: cannot read the spectrum file: {exc}") from exc
    comments: list[str] = []
    data: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            if not data:
                comments.append(stripped)
            continue
        data.append((number, stripped))
    if not data:
        quarantine.add(path, None, "no data lines (not a spectrum)")
        return None
    delimiter = "," if "," in data[0][1] else None
    first = [t.strip() for t in data[0][1].split(delimiter)]
    if not all(_is_number(t) for t in first if t):
        names, data = first, data[1:]
        n_fields = len(names)
    else:
        n_fields = len(first)
        names, problem = _numbered_names(comments, n_fields)
        if problem:
            quarantine.add(path, data[0][0], f"no column names: {problem}")
            return None
        for line in reversed(comments if not names else []):
            candidate = _split_names(line)
            if len(candidate) == n_fields and any(column_role(c) == "wavelength" for c in candidate):
                names = candidate
                break
        if not names:
            quarantine.add(path, data[0][0], f"no column names: no header line, no '# Column N:' lines and no "
                                             f"'#' line naming {n_fields} columns")
            return None
    roles: dict[str, int] = {}
    ignored = []
    for index, name in enumerate(names):
        role = column_role(name)
        if role is None or role in roles:
            ignored.append(name)
        else:
            roles[role] = index
    if "wavelength" not in roles or "depth" not in roles:
        quarantine.add(path, None, f"not a spectrum: no wavelength and depth columns among {names}")
        return None
    depth_name = names[roles["depth"]]
    depth_unit = (explicit_unit(depth_name, ratio_is_fraction=False) or _unit_from_comments(comments, "depth")
                  or explicit_unit(depth_name))
    if depth_unit not in DEPTH_UNITS and depth_unit != RADIUS_RATIO:
        stated = f"unit {depth_unit.lstrip('?')!r} unknown" if depth_unit else "no unit stated"
        raise SpectrumError(f"{path}: column {depth_name!r}: {stated}; depths must be ppm, percent or fraction "
                            f"(in the name, e.g. depth_ppm, or a comment '# depth unit: ppm')")
    err_unit = depth_unit
    if "depth_err" in roles:
        err_name = names[roles["depth_err"]]
        err_unit = explicit_unit(err_name) or depth_unit
        if err_unit == RADIUS_RATIO and depth_unit != RADIUS_RATIO:
            raise SpectrumError(f"{path}: column {err_name!r} is a radius-ratio error but the depth column "
                                f"{depth_name!r} is not a radius ratio")
        if err_unit not in DEPTH_UNITS and err_unit != RADIUS_RATIO:
            raise SpectrumError(f"{path}: column {err_name!r}: unit {err_unit.lstrip('?')!r} unknown")
    wave_name = names[roles["wavelength"]]
    wave_unit = explicit_unit(wave_name) or _unit_from_comments(comments, "wavelength") or "um"
    if wave_unit not in WAVE_UNITS:
        raise SpectrumError(f"{path}: column {wave_name!r}: wavelength unit {wave_unit.lstrip('?')!r} unknown "
                            f"(um, nm or angstrom)")
    wave_err_unit, full_width = wave_unit, False
    if "wavelength_err" in roles:
        werr_name = names[roles["wavelength_err"]]
        wave_err_unit, full_width = explicit_unit(werr_name) or wave_unit, is_full_width(werr_name)
        if wave_err_unit not in WAVE_UNITS:
            raise SpectrumError(f"{path}: column {werr_name!r}: wavelength unit {wave_err_unit.lstrip('?')!r} "
                                f"unknown (um, nm or angstrom)")
    hints = _comment_hints(comments)
    planet = next((hints[k] for k in ("planet", "target", "object", "planet name") if k in hints), None)
    spectrum = Spectrum(
        spectrum=path.stem, file=os.fspath(path), planet=planet,
        instrument=_instrument(hints, comments, path.stem), kind=_kind(hints, comments, path.stem, depth_name),
        depth_unit=depth_unit, wave_unit=wave_unit, wave_err_unit=wave_err_unit,
        wave_err_is_full_width=full_width, columns={r: names[i] for r, i in roles.items()},
        ignored_columns=ignored)
    _read_rows(path, data, delimiter, n_fields, roles, names, spectrum, err_unit, quarantine,
               default_negative_sigma() if negative_sigma is None else negative_sigma)
    return spectrum


def _read_rows(path: Path, data: list[tuple[int, str]], delimiter: str | None, n_fields: int, roles: dict[str, int],
               names: list[str], spectrum: Spectrum, err_unit: str, quarantine: Quarantine,
               negative_sigma: float) -> None:
    wave_scale = WAVE_UNITS[spectrum.wave_unit]
    werr_scale = WAVE_UNITS[spectrum.wave_err_unit] * (0.5 if spectrum.wave_err_is_full_width else 1.0)
    numeric = [r for r in ("wavelength", "wavelength_err", "depth", "depth_err", "order", "quality") if r in roles]
    for number, line in data:
        fields = [t.strip() for t in line.split(delimiter)]
        if len(fields) != n_fields:
            quarantine.add(path, number, f"{len(fields)} fields, expected {n_fields}", line)
            continue
        values: dict[str, float | None] = {}
        reason = None
        for role in numeric:
            token = fields[roles[role]]
            if token == "" or token.lower() in {"nan", "na", "null", "--", "-"}:
                values[role] = None
                continue
            try:
                values[role] = float(token)
            except ValueError:
                reason = f"not a number in column {names[roles[role]]!r}"
                break
        if reason is None:
            reason = _row_problem(values, names, roles)
        if reason is None and values["depth"] < 0:
            reason = _negative_depth(values, spectrum, err_unit, negative_sigma, path.name, wave_scale)
        if reason is not None:
            quarantine.add(path, number, reason, line)
            continue
        order = values.get("order")
        quality = values.get("quality")
        err = values.get("depth_err")
        werr = values.get("wavelength_err")
        depth_ppm, err_ppm = _depth_ppm(values["depth"], err, spectrum.depth_unit, err_unit)
        spectrum.rows.append((
            values["wavelength"] * wave_scale, None if werr is None else werr * werr_scale,
            depth_ppm, err_ppm, None if order is None else int(order), None if quality is None else int(quality)))
    if "instrument" in roles and spectrum.instrument is None:
        spectrum.instrument = fields[roles["instrument"]] if data else None


def _depth_ppm(depth: float, err: float | None, depth_unit: str, err_unit: str) -> tuple[float, float | None]:
    """Depth and its error in ppm. A radius ratio r gives r^2, its error 2 |r| sigma_r (first-order propagation);
    a negative r (kept within its errors) gives -r^2, so the depth keeps the sign the ratio has."""
    if depth_unit != RADIUS_RATIO:
        return depth * DEPTH_UNITS[depth_unit], None if err is None else err * DEPTH_UNITS[err_unit]
    depth_ppm = math.copysign(depth * depth * 1.0e6, depth)
    if err is None:
        return depth_ppm, None
    if err_unit == RADIUS_RATIO:
        return depth_ppm, 2.0 * abs(depth) * err * 1.0e6
    return depth_ppm, err * DEPTH_UNITS[err_unit]  # an error column with its own depth unit (e.g. err_ppm)


@functools.cache
def default_negative_sigma() -> float:
    """``spectra.negative_sigma`` of the config schema, for calls made outside the workflow."""
    return float(defaults("spectra")["negative_sigma"])


def _negative_depth(values: dict[str, float | None], spectrum: Spectrum, err_unit: str, sigma: float,
                    file_name: str, wave_scale: float) -> str | None:
    """Why a negative depth is refused (more than ``sigma`` errors below zero, or no error), else None."""
    depth, err = values["depth"], values.get("depth_err")
    if spectrum.depth_unit == RADIUS_RATIO and err_unit == RADIUS_RATIO:
        what, shown = "radius ratio", f"{depth:g}" + ("" if err is None else f" ± {err:g}")
    else:
        depth, err = _depth_ppm(depth, err, spectrum.depth_unit, err_unit)
        what, shown = "depth", f"{depth:g} ppm" + ("" if err is None else f" ± {err:g} ppm")
    where = f"{what} {shown} at {values['wavelength'] * wave_scale:g} µm in {file_name}"
    if err is None:
        return f"negative {where}, without an error to tell noise from a broken point"
    if -depth <= sigma * err:
        return None
    below = f"{-depth / err:.1f} errors below zero" if err > 0 else "below zero with a zero error"
    return f"negative {where}: {below}, more than spectra.negative_sigma = {sigma:g}"


def _row_problem(values: dict[str, float | None], names: list[str], roles: dict[str, int]) -> str | None:
    for role in ("wavelength", "depth"):
        value = values.get(role)
        if value is None or not math.isfinite(value):
            return f"missing {role} in column {names[roles[role]]!r}"
    if values["wavelength"] <= 0:
        return "wavelength not positive"
    for role in ("depth_err", "wavelength_err"):
        value = values.get(role)
        if value is not None and (not math.isfinite(value) or value < 0):
            return f"{role.replace('_', ' ')} negative or infinite in column {names[roles[role]]!r}"
    for role in ("order", "quality"):
        value = values.get(role)
        if value is not None and value != int(value):
            return f"{role} not a whole number in column {names[roles[role]]!r}"
    return None
