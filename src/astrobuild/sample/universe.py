"""One coherent sample universe shared by every source's generator.

N planets (``4 * scale``), each with K = 3 climate-scenario runs; each run has
a climate cube, a spectrum and a biosphere (a subset of the sample's KEGG
pathway maps). Every tenth planet (the first of each ten) has a fourth run,
scenario ``outlook`` (1,000 ppmv CO2), drawn like the others but after all of
them, whose label ``runs.csv`` leaves empty: training leaves such runs out and
rule ``predict`` scores them (20 runs at scale 50, one at scale 1).

The label
---------
Each run has four latent facts. Each is shown in full by one modality and by
no other in full, so a model that drops any one modality loses information:

* ``rocky`` (planet parameters; per planet, shared by its three runs): the
  radius is below :data:`ROCKY_MAX_RADIUS` (1.6 R_earth, the radius valley).
  70 % of planets are rocky (0.6-1.5 R_earth, Earth-like mass R^3.7); the
  others are mini-Neptunes (1.9-3.2 R_earth, mass 2.69 R^0.93) without a
  surface. Common enough that ``rocky`` weighs about as much as the other
  facts (with 85 % rocky it was worth 0.05 AUROC to a perfect score).
* ``habitable`` (climate cube): at least :data:`HABITABLE_FRACTION` (20 %) of
  the surface, by area over one seasonal cycle, is liquid ocean: ocean
  (``OCNFRAC``) at temperatures between 273.15 and 373.15 K (``TS``;
  :func:`~astrobuild.sample.observables.habitable_fraction`). The planets are
  tidally locked, the star over longitude 0, with a day/night contrast of
  :data:`~astrobuild.sample.observables.DAY_NIGHT_K` (70 K): a cold planet has
  liquid-water temperatures on its day side, a hot one on its night side. The
  ocean is one hemisphere centred on a longitude drawn per run, so half the
  surface is sea on every run and *where* it lies decides the fact: turned by
  180 degrees, which leaves every per-variable summary of the cube (mean,
  quantiles, extremes) as it was, it flips ``habitable`` on 47 % of the runs
  (scale 50, seed 0). Only TS and OCNFRAC read together, cell by cell, tell it.
  The global mean ``TS`` is T_eq + the scenario's greenhouse warming + a
  per-run offset (normal, sd 30 K, clipped at +-40 K), and the
  equator-to-pole contrast is drawn per run (25-60 K).
* ``methanogenic`` (bio graph): the biosphere holds :data:`METHANOGENESIS`
  (map00680, methane metabolism); 70 % of runs.
* ``active`` (spectrum): the methanogens are active enough for CH4 to build
  up in the atmosphere; 65 % of runs, drawn independently. Only the
  spectrum shows it, and not as proof (below).

::

    biosignature = rocky AND habitable AND methanogenic AND active
    label        = biosignature, flipped with probability LABEL_NOISE (5 %)

About 20 % of runs are biosignatures, 22 % are labelled positive (scale 50,
seed 0: 70 % of planets rocky, 67 % of runs habitable). Each fact is false
often (30-35 %), so each carries a comparable share of the label: a score
that knows all four facts exactly (the band for ``active``) reaches AUROC
0.93 on the label; without ``rocky``, ``habitable``, ``methanogenic`` or the
band it loses 0.09, 0.08, 0.04 and 0.05. Four facts ANDed, each false that
often, leave fewer than a quarter of the runs positive.

The spectrum shows CH4 bands (1.7, 2.3 and 3.3 µm, each peaking at
``ch4_strength``, 2-5 % of the continuum depth, drawn per run) whenever the
atmosphere holds CH4: biotic (``methanogenic AND active``) or abiotic
(outgassing on 40 % of rocky runs, the hydrogen envelope on 80 % of
mini-Neptune runs). Each point has the run's noise
``sigma(λ) = noise_ppm * (1 + λ / 10 µm)``, with
``noise_ppm = 0.5 ppm * sqrt(distance / 10 pc) / sqrt(transits)`` and 1-6
transits per run. The band is *visible* (``ch4_band``) when its
signal-to-noise over the whole spectrum
(:func:`~astrobuild.sample.observables.band_snr`, the matched filter)
reaches :data:`SNR_VISIBLE` (5). A band that is there is nearly always
visible (99 % at seed 0, scale 50; only a small planet before a large star, far away
and seen in few transits, hides it), so the spectrum tells ``active`` on a
methanogenic run; but a visible band may be abiotic: on rocky, habitable,
methanogenic runs with a visible band, 16 % are inactive. The spectrum file
carries its noise (error column) and continuum depth, so it tells when a
missing band means something.

Why the other three cannot stand in for a modality
(``tests/unit/test_sample_signal.py`` measures it on 600 runs):

* planet parameters: a mini-Neptune looks like a positive in the other three
  (its band is even likelier); the spectrum's continuum depth (Rp/R*)^2 hints
  at the radius only as far as the star's radius, which it lacks, allows;
* climate: T_eq (planet) and the scenario (the spectrum's CO2 band) give the
  mean temperature within +-40 K, not the habitable fraction (nor where the
  ocean lies);
* biosphere: a visible band on a rocky planet may be outgassing, a hidden
  band says nothing;
* spectrum: nothing else shows whether the biosphere is active.

Even all four modalities leave some runs undecided (a hidden band on a rocky,
habitable, methanogenic run: active or not? a visible band there that may be
outgassing), on top of the label noise.

Everything is derived from ``numpy.random.Generator(PCG64(seed))`` in a fixed
order (per planet: T_eff, T_eq, rocky, radius, density, distance, discovery
year; then per run, planets and scenarios in order: climate offset, pole
contrast, ocean centre, methanogenic, optional pathways (how many, which), active, abiotic
CH4, CH4 strength, transits, label flip; every draw is made whatever the
branch), so each generator can rebuild the universe on its own and agree with
the others. :mod:`astrobuild.sample.observables` holds the formulas the
universe and the generators share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from astrobuild.sample.observables import band_snr, habitable_fraction, transit_depth_ppm

LABEL_NOISE = 0.05
SCENARIOS: tuple[tuple[str, float, float], ...] = (
    # name, CO2 (ppmv), greenhouse warming (K) over the equilibrium temperature
    ("present_day", 400.0, 33.0),
    ("high_co2", 4000.0, 58.0),
    ("snowball", 100.0, 8.0),
)
# Every UNLABELLED_EVERY-th planet (the first of each ten) has a fourth run whose label runs.csv leaves
# empty: the runs a trained model is for (rule predict). Drawn after every labelled run, so adding
# them changed none of the others.
OUTLOOK: tuple[str, float, float] = ("outlook", 1000.0, 45.0)
UNLABELLED_EVERY = 10
METHANOGENESIS = "map00680"  # Methane metabolism: its presence is the biological signal

ROCKY_MAX_RADIUS = 1.6  # Earth radii: the radius valley between rocky planets and mini-Neptunes
P_ROCKY = 0.7
ROCKY_RADIUS = (0.6, 1.5)  # Earth radii
MINI_NEPTUNE_RADIUS = (1.9, 3.2)
EQT_RANGE = (230.0, 280.0)  # K; the surface is T_eq + warming, and TS must stay inside OLR's int16 packing (top)
CLIMATE_OFFSET_SD, CLIMATE_OFFSET_MAX = 30.0, 40.0  # K, per run, on the global mean surface temperature
POLE_CONTRAST = (25.0, 60.0)  # K, equator minus pole, per run
HABITABLE_FRACTION = 0.2  # of the surface: liquid ocean (half the surface is ocean)
P_METHANOGENIC = 0.7
P_ACTIVE = 0.65
P_ABIOTIC_CH4 = {True: 0.4, False: 0.8}  # rocky: outgassing; mini-Neptune: the hydrogen envelope
CH4_STRENGTH = (0.02, 0.05)  # band peak relative to the continuum depth
NOISE_PPM_10PC = 0.5  # depth noise of one transit of a star at 10 pc (ppm per point, blue end)
TRANSITS = (1, 6)
SNR_VISIBLE = 5.0  # a 5-sigma detection
# Main-sequence radius and mass against effective temperature (interpolated): M dwarfs are small,
# so a rocky planet's (Rp/R*)^2, and its band's visibility, spans decades.
STAR_TEFF = (2700.0, 3000.0, 3500.0, 4000.0, 5000.0, 5772.0, 6300.0)
STAR_RADIUS = (0.13, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25)
STAR_MASS = (0.1, 0.18, 0.4, 0.6, 0.82, 1.0, 1.2)

# KEGG reference maps the sample's biospheres draw from: (map id, title, BRITE path).
PATHWAY_CATALOGUE: tuple[tuple[str, str, str], ...] = (
    ("map00010", "Glycolysis / Gluconeogenesis", "Metabolism/Carbohydrate metabolism"),
    ("map00020", "Citrate cycle (TCA cycle)", "Metabolism/Carbohydrate metabolism"),
    ("map00030", "Pentose phosphate pathway", "Metabolism/Carbohydrate metabolism"),
    ("map00190", "Oxidative phosphorylation", "Metabolism/Energy metabolism"),
    ("map00195", "Photosynthesis", "Metabolism/Energy metabolism"),
    ("map00680", "Methane metabolism", "Metabolism/Energy metabolism"),
    ("map00720", "Carbon fixation pathways in prokaryotes", "Metabolism/Energy metabolism"),
    ("map00910", "Nitrogen metabolism", "Metabolism/Energy metabolism"),
    ("map00920", "Sulfur metabolism", "Metabolism/Energy metabolism"),
    ("map00061", "Fatty acid biosynthesis", "Metabolism/Lipid metabolism"),
    ("map00230", "Purine metabolism", "Metabolism/Nucleotide metabolism"),
    ("map00240", "Pyrimidine metabolism", "Metabolism/Nucleotide metabolism"),
    ("map00250", "Alanine, aspartate and glutamate metabolism", "Metabolism/Amino acid metabolism"),
    ("map00260", "Glycine, serine and threonine metabolism", "Metabolism/Amino acid metabolism"),
    ("map00270", "Cysteine and methionine metabolism", "Metabolism/Amino acid metabolism"),
    ("map00620", "Pyruvate metabolism", "Metabolism/Carbohydrate metabolism"),
    ("map00630", "Glyoxylate and dicarboxylate metabolism", "Metabolism/Carbohydrate metabolism"),
    ("map00640", "Propanoate metabolism", "Metabolism/Carbohydrate metabolism"),
    ("map00650", "Butanoate metabolism", "Metabolism/Carbohydrate metabolism"),
    ("map00860", "Porphyrin metabolism", "Metabolism/Metabolism of cofactors and vitamins"),
    ("map00130", "Ubiquinone and other terpenoid-quinone biosynthesis", "Metabolism/Metabolism of cofactors and vitamins"),
    ("map00253", "Tetracycline biosynthesis", "Metabolism/Biosynthesis of other secondary metabolites"),
    ("map00362", "Benzoate degradation", "Metabolism/Xenobiotics biodegradation and metabolism"),
    ("map00625", "Chloroalkane and chloroalkene degradation", "Metabolism/Xenobiotics biodegradation and metabolism"),
)


@dataclass(frozen=True)
class Planet:
    name: str
    host: str
    st_teff: float  # K
    st_rad: float  # solar radii
    st_mass: float  # solar masses
    orbsmax: float  # au
    orbper: float  # days
    rade: float  # Earth radii
    masse: float  # Earth masses
    eqt: float  # K, albedo 0.3, full redistribution: see equilibrium_temperature
    sy_dist: float  # pc
    disc_year: int

    @property
    def slug(self) -> str:
        return self.name.lower().replace(" ", "_").replace("-", "")

    @property
    def rocky(self) -> bool:
        return self.rade < ROCKY_MAX_RADIUS

    @property
    def insolation(self) -> float:
        """Instellation relative to Earth's, S/S_earth = (R*/R_sun)^2 (T_eff/5772 K)^4 / (a/au)^2 (no draw)."""
        return (self.st_rad ** 2) * (self.st_teff / 5772.0) ** 4 / self.orbsmax ** 2


@dataclass(frozen=True)
class Run:
    run_name: str  # readable: <planet slug>__<scenario>
    planet: str
    scenario: str
    co2_ppmv: float
    # climate: what the cube shows
    surface_temp: float  # K, area-weighted global mean of the cube's TS
    pole_contrast: float  # K, equator minus pole in TS
    ocean_centre: float  # degrees east: the centre of the ocean hemisphere (the cube's OCNFRAC)
    habitable_fraction: float  # share of the surface with liquid-water temperatures
    habitable: bool
    # biosphere: what the bio graph shows
    biosphere: tuple[str, ...]  # pathway map ids
    methanogenic: bool
    # atmosphere: what the spectrum shows
    active: bool  # methanogens active enough for CH4 to build up
    abiotic_ch4: bool  # outgassing (rocky) or the hydrogen envelope (mini-Neptune)
    ch4_strength: float  # CH4 band peak relative to the continuum; 0 without CH4
    noise_ppm: float  # depth noise per point at the blue end
    band_snr: float  # the CH4 bands' signal-to-noise over the spectrum (0 without CH4)
    ch4_band: bool  # the band is visible: CH4 present and band_snr >= SNR_VISIBLE
    biosignature: bool  # the rule, before label noise
    label: bool  # after label noise
    labelled: bool = True  # False: runs.csv leaves the label empty (the sample's runs to predict)


@dataclass(frozen=True)
class Universe:
    scale: int
    seed: int
    planets: tuple[Planet, ...]
    runs: tuple[Run, ...] = field(default=())

    @property
    def pathways(self) -> tuple[str, ...]:
        return tuple(p[0] for p in PATHWAY_CATALOGUE)


def equilibrium_temperature(st_teff: float, st_rad_sun: float, orbsmax_au: float, albedo: float = 0.3) -> float:
    """T_eq = T_eff * sqrt(R_star / 2a) * (1 - A)^(1/4), full heat redistribution."""
    r_star_au = st_rad_sun * 0.00465047
    return st_teff * math.sqrt(r_star_au / (2.0 * orbsmax_au)) * (1.0 - albedo) ** 0.25


_CATALOGUE = [p[0] for p in PATHWAY_CATALOGUE]
_CORE = _CATALOGUE[:3]  # every biosphere has central carbon metabolism
_OPTIONAL = [p for p in _CATALOGUE[3:] if p != METHANOGENESIS]


def _planet(i: int, rng: np.random.Generator) -> Planet:
    st_teff = float(rng.uniform(2700.0, 6300.0))
    st_rad = float(np.interp(st_teff, STAR_TEFF, STAR_RADIUS))
    st_mass = float(np.interp(st_teff, STAR_TEFF, STAR_MASS))
    target_eqt = float(rng.uniform(*EQT_RANGE))
    # invert T_eq(a) for the target with albedo 0.3
    r_star_au = st_rad * 0.00465047
    orbsmax = r_star_au / 2.0 * (st_teff * 0.7 ** 0.25 / target_eqt) ** 2
    orbper = 365.25 * math.sqrt(orbsmax ** 3 / st_mass)
    rocky = bool(rng.random() < P_ROCKY)
    lo, hi = ROCKY_RADIUS if rocky else MINI_NEPTUNE_RADIUS
    rade = lo + (hi - lo) * float(rng.random())
    density = float(rng.uniform(0.85, 1.15))
    masse = (rade ** 3.7 if rocky else 2.69 * rade ** 0.93) * density
    host = f"ASB-{i + 1:04d}"
    return Planet(
        name=f"{host} b", host=host, st_teff=round(st_teff, 1), st_rad=round(st_rad, 4),
        st_mass=round(st_mass, 4), orbsmax=round(orbsmax, 6), orbper=round(orbper, 5),
        rade=round(rade, 3), masse=round(masse, 3),
        eqt=round(equilibrium_temperature(st_teff, st_rad, orbsmax), 1),
        sy_dist=round(float(rng.uniform(2.0, 40.0)), 3), disc_year=int(rng.integers(2010, 2026)),
    )


def _run(planet: Planet, scenario: tuple[str, float, float], rng: np.random.Generator) -> Run:
    name, co2, warming = scenario
    offset = float(np.clip(rng.normal(0.0, CLIMATE_OFFSET_SD), -CLIMATE_OFFSET_MAX, CLIMATE_OFFSET_MAX))
    surface = round(planet.eqt + warming + offset, 2)
    contrast = round(float(rng.uniform(*POLE_CONTRAST)), 2)
    ocean_centre = round(float(rng.uniform(0.0, 360.0)), 2)
    fraction = habitable_fraction(surface, contrast, ocean_centre)
    methanogenic = bool(rng.random() < P_METHANOGENIC)
    extra = rng.choice(len(_OPTIONAL), size=int(rng.integers(3, 9)), replace=False)
    biosphere = _CORE + sorted(_OPTIONAL[j] for j in extra) + ([METHANOGENESIS] if methanogenic else [])
    active = bool(rng.random() < P_ACTIVE)
    abiotic = bool(rng.random() < P_ABIOTIC_CH4[planet.rocky])
    strength = float(rng.uniform(*CH4_STRENGTH))
    transits = int(rng.integers(TRANSITS[0], TRANSITS[1] + 1))
    flip = bool(rng.random() < LABEL_NOISE)
    has_ch4 = (methanogenic and active) or abiotic
    ch4_strength = round(strength, 5) if has_ch4 else 0.0
    noise = round(NOISE_PPM_10PC * math.sqrt(planet.sy_dist / 10.0) / math.sqrt(transits), 5)
    snr = band_snr(transit_depth_ppm(planet.rade, planet.st_rad), ch4_strength, noise)
    habitable = fraction >= HABITABLE_FRACTION
    biosignature = planet.rocky and habitable and methanogenic and active
    return Run(
        run_name=f"{planet.slug}__{name}", planet=planet.name, scenario=name, co2_ppmv=co2,
        surface_temp=surface, pole_contrast=contrast, ocean_centre=ocean_centre,
        habitable_fraction=round(fraction, 4), habitable=habitable,
        biosphere=tuple(sorted(biosphere)), methanogenic=methanogenic, active=active, abiotic_ch4=abiotic,
        ch4_strength=ch4_strength, noise_ppm=noise, band_snr=round(snr, 3), ch4_band=snr >= SNR_VISIBLE,
        biosignature=biosignature, label=biosignature != flip,
    )


HABITABILITY = ("uninhabitable", "habitable", "biosignature")


def habitability(run: Run, rocky: bool) -> str:
    """The run's 3-class target (runs.csv ``habitability``), from its facts, drawing nothing:
    ``biosignature`` (the rule, before label noise), else ``habitable`` (a rocky planet with at least
    :data:`HABITABLE_FRACTION` of liquid-ocean surface), else ``uninhabitable``. About 53/27/20 %."""
    if run.biosignature:
        return "biosignature"
    return "habitable" if rocky and run.habitable else "uninhabitable"


@lru_cache(maxsize=16)
def build_universe(scale: int = 1, seed: int = 0) -> Universe:
    rng = np.random.Generator(np.random.PCG64(seed))
    planets = tuple(_planet(i, rng) for i in range(4 * scale))
    runs = tuple(_run(planet, scenario, rng) for planet in planets for scenario in SCENARIOS)
    runs += tuple(replace(_run(planet, OUTLOOK, rng), labelled=False) for planet in planets[::UNLABELLED_EVERY])
    return Universe(scale=scale, seed=seed, planets=planets, runs=runs)
