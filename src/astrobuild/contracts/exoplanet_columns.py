"""Archive column names -> documented names with units (one table, used by the parser and the contract).

The NASA Exoplanet Archive names columns tersely (``pl_orbper``); the
processed table uses names that carry their unit (``orbital_period_days``).
Uncertainty and limit columns follow their base column: ``<base>err1`` ->
``<name>_err_upper``, ``<base>err2`` -> ``<name>_err_lower`` (negative, as
upstream), ``<base>lim`` -> ``<name>_limit`` (1: the value is an upper limit,
-1: a lower limit, 0: a measurement).

Each entry: archive name, documented name, kind (str, int, float), unit, and
the contract's sanity range (lo, hi; None = open). The range only refuses
impossible values (a negative radius); unusual but possible values pass and
are flagged as outliers by :mod:`astrobuild.exoplanets.derive`.
"""

from __future__ import annotations

from typing import NamedTuple


class Column(NamedTuple):
    archive: str
    name: str
    kind: str  # "str" | "int" | "float"
    unit: str
    lo: float | None = None
    hi: float | None = None
    description: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("pl_name", "planet", "str", "", description="planet name (primary key)"),
    Column("hostname", "host", "str", "", description="host star name"),
    Column("default_flag", "default_flag", "int", "", 0, 1, "PS table: 1 marks the default parameter set of a planet"),
    Column("soltype", "solution_type", "str", "", description="solution type (published confirmed, TESS project candidate, ...)"),
    Column("pl_refname", "planet_reference", "str", "", description="reference of the planet parameters (HTML link)"),
    Column("sy_snum", "n_stars", "int", "", 0, None, "number of stars in the system"),
    Column("sy_pnum", "n_planets", "int", "", 0, None, "number of planets in the system"),
    Column("sy_mnum", "n_moons", "int", "", 0, None, "number of moons in the system"),
    Column("discoverymethod", "discovery_method", "str", "", description="discovery method"),
    Column("disc_year", "discovery_year", "int", "", 1980, 2100, "discovery year"),
    Column("disc_refname", "discovery_reference", "str", ""),
    Column("disc_pubdate", "discovery_pubdate", "str", "", description="publication date (YYYY-MM)"),
    Column("disc_locale", "discovery_locale", "str", "", description="Ground, Space or Multiple Locales"),
    Column("disc_facility", "discovery_facility", "str", "", description="discovery facility"),
    Column("disc_telescope", "discovery_telescope", "str", ""),
    Column("disc_instrument", "discovery_instrument", "str", ""),
    Column("pl_controv_flag", "controversial", "int", "", 0, 1, "1: the planet's existence is questioned in the literature"),
    Column("pl_orbper", "orbital_period_days", "float", "days", 0.0, None, "orbital period"),
    Column("pl_orbsmax", "semi_major_axis_au", "float", "au", 0.0, None, "orbit semi-major axis"),
    Column("pl_rade", "radius_earth", "float", "Earth radius", 0.0, None, "planet radius"),
    Column("pl_radj", "radius_jupiter", "float", "Jupiter radius", 0.0, None, "planet radius"),
    Column("pl_masse", "mass_true_earth", "float", "Earth mass", 0.0, None, "planet mass"),
    Column("pl_massj", "mass_true_jupiter", "float", "Jupiter mass", 0.0, None, "planet mass"),
    Column("pl_msinie", "msini_earth", "float", "Earth mass", 0.0, None, "planet M*sin(i)"),
    Column("pl_msinij", "msini_jupiter", "float", "Jupiter mass", 0.0, None, "planet M*sin(i)"),
    Column("pl_bmasse", "mass_earth", "float", "Earth mass", 0.0, None, "planet mass or M*sin(i), best available"),
    Column("pl_bmassj", "mass_jupiter", "float", "Jupiter mass", 0.0, None, "planet mass or M*sin(i), best available"),
    Column("pl_bmassprov", "mass_provenance", "str", "", description="Mass, Msini, M-R relationship, ..."),
    Column("pl_dens", "density_g_cm3", "float", "g/cm**3", 0.0, None, "planet density"),
    Column("pl_orbeccen", "eccentricity", "float", "", 0.0, 1.0, "orbital eccentricity"),
    Column("pl_insol", "insolation_earth", "float", "Earth flux", 0.0, None, "insolation flux"),
    Column("pl_eqt", "eq_temp_k", "float", "K", 0.0, None,
           "equilibrium temperature (archive value, or derived where missing: see eqt_derived)"),
    Column("pl_orbincl", "inclination_deg", "float", "deg", 0.0, 180.0, "orbital inclination"),
    Column("pl_tranmid", "transit_midpoint_bjd", "float", "days (BJD)", 0.0, None, "transit midpoint"),
    Column("pl_imppar", "impact_parameter", "float", "", None, None, "impact parameter"),
    Column("pl_trandep", "transit_depth_percent", "float", "%", None, None, "transit depth"),
    Column("pl_trandur", "transit_duration_hours", "float", "hours", 0.0, None, "transit duration"),
    Column("pl_ratdor", "a_over_rstar", "float", "", 0.0, None, "semi-major axis / stellar radius"),
    Column("pl_ratror", "rp_over_rstar", "float", "", 0.0, None, "planet radius / stellar radius"),
    Column("pl_orblper", "periastron_arg_deg", "float", "deg", None, None, "argument of periastron"),
    Column("ttv_flag", "ttv", "int", "", 0, 1, "1: transit timing variations"),
    Column("st_refname", "star_reference", "str", ""),
    Column("st_spectype", "star_spectral_type", "str", "", description="spectral type"),
    Column("st_teff", "star_teff_k", "float", "K", 0.0, None, "stellar effective temperature"),
    Column("st_rad", "star_radius_sun", "float", "Solar radius", 0.0, None, "stellar radius"),
    Column("st_mass", "star_mass_sun", "float", "Solar mass", 0.0, None, "stellar mass"),
    Column("st_met", "star_metallicity_dex", "float", "dex", None, None, "stellar metallicity"),
    Column("st_metratio", "star_metallicity_ratio", "str", "", description="[Fe/H] or [M/H]"),
    Column("st_lum", "star_luminosity_log_sun", "float", "log10(Solar)", None, None, "stellar luminosity"),
    Column("st_logg", "star_logg_cgs", "float", "log10(cm/s**2)", None, None, "stellar surface gravity"),
    Column("st_age", "star_age_gyr", "float", "Gyr", 0.0, None, "stellar age"),
    Column("st_dens", "star_density_g_cm3", "float", "g/cm**3", 0.0, None, "stellar density"),
    Column("st_vsin", "star_vsini_km_s", "float", "km/s", None, None, "stellar rotational velocity"),
    Column("st_rotp", "star_rotation_days", "float", "days", 0.0, None, "stellar rotation period"),
    Column("st_radv", "star_radial_velocity_km_s", "float", "km/s", None, None, "systemic radial velocity"),
    Column("sy_refname", "system_reference", "str", ""),
    Column("rastr", "ra_sexagesimal", "str", "", description="right ascension (sexagesimal)"),
    Column("ra", "ra_deg", "float", "deg", 0.0, 360.0, "right ascension"),
    Column("decstr", "dec_sexagesimal", "str", "", description="declination (sexagesimal)"),
    Column("dec", "dec_deg", "float", "deg", -90.0, 90.0, "declination"),
    Column("glat", "galactic_lat_deg", "float", "deg", -90.0, 90.0, "galactic latitude"),
    Column("glon", "galactic_lon_deg", "float", "deg", 0.0, 360.0, "galactic longitude"),
    Column("sy_dist", "distance_pc", "float", "pc", 0.0, None, "distance"),
    Column("sy_plx", "parallax_mas", "float", "mas", None, None, "parallax"),
    Column("sy_pm", "proper_motion_mas_yr", "float", "mas/yr", 0.0, None, "total proper motion"),
    Column("sy_vmag", "v_mag", "float", "mag", None, None, "V (Johnson) magnitude"),
    Column("sy_jmag", "j_mag", "float", "mag", None, None, "J (2MASS) magnitude"),
    Column("sy_hmag", "h_mag", "float", "mag", None, None, "H (2MASS) magnitude"),
    Column("sy_kmag", "ks_mag", "float", "mag", None, None, "Ks (2MASS) magnitude"),
    Column("sy_gaiamag", "gaia_mag", "float", "mag", None, None, "Gaia G magnitude"),
    Column("sy_tmag", "tess_mag", "float", "mag", None, None, "TESS magnitude"),
    Column("pl_nnotes", "n_notes", "int", "", 0, None, "number of notes"),
    Column("rowupdate", "row_update", "str", "", description="date of the last row update (YYYY-MM-DD)"),
    Column("pl_pubdate", "planet_pubdate", "str", "", description="publication date of the parameters"),
    Column("releasedate", "release_date", "str", "", description="archive release date"),
)
BY_ARCHIVE: dict[str, Column] = {c.archive: c for c in COLUMNS}
SUFFIXES = (("err1", "_err_upper", "upper uncertainty"), ("err2", "_err_lower", "lower uncertainty (negative)"),
            ("lim", "_limit", "limit flag: 1 upper limit, -1 lower limit, 0 measured"))


def resolve(archive_name: str) -> Column | None:
    """The documented column for an archive column (uncertainties and limits included), or None."""
    if archive_name in BY_ARCHIVE:
        return BY_ARCHIVE[archive_name]
    for suffix, tail, what in SUFFIXES:
        base = BY_ARCHIVE.get(archive_name[: -len(suffix)]) if archive_name.endswith(suffix) else None
        if base is not None and base.kind == "float":
            if suffix == "lim":
                return Column(archive_name, base.name + tail, "int", "", -1, 1, f"{base.description}: {what}")
            return Column(archive_name, base.name + tail, "float", base.unit, None, None, f"{base.description}: {what}")
    return None


def all_columns() -> list[Column]:
    """Every documented column a processed table may hold, uncertainties and limits included (for the contract)."""
    out = []
    for col in COLUMNS:
        out.append(col)
        if col.kind == "float":
            out.extend(resolve(col.archive + suffix) for suffix, _, _ in SUFFIXES)
    return out


# The columns the planet-run model reads (documented names) and the archive columns each comes from
# (alternatives, each a tuple that is enough): always in the table, null when none was downloaded.
MODEL_COLUMNS: dict[str, tuple[tuple[str, ...], ...]] = {
    "radius_earth": (("pl_rade",),),
    "semi_major_axis_au": (("pl_orbsmax",), ("pl_orbper", "st_mass")),
    "eq_temp_k": (("pl_eqt",), ("pl_insol",), ("st_teff", "st_rad", "pl_orbsmax"), ("st_teff", "st_rad", "pl_orbper", "st_mass")),
    "star_teff_k": (("st_teff",),),
    "star_radius_sun": (("st_rad",),),
}
# Physical bounds of plausible planets and hosts (inclusive); outside them a value is flagged.
BOUNDS: dict[str, tuple[float, float]] = {
    "radius_earth": (0.1, 30.0),  # ~2.7 Jupiter radii: beyond the most inflated hot Jupiters
    "mass_earth": (0.01, 9535.0),  # 30 Jupiter masses: past that it is a brown dwarf or a star
    "orbital_period_days": (0.05, 1.0e8),
    "semi_major_axis_au": (0.003, 1.0e4),
    "eq_temp_k": (30.0, 4500.0),
    "star_teff_k": (1000.0, 50000.0),
    "star_radius_sun": (0.005, 300.0),
    "star_mass_sun": (0.01, 150.0),
    "distance_pc": (1.0, 1.0e5),
}
