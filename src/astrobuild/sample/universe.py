"""One coherent sample universe shared by every source's generator.

N planets (``4 * scale``), each with K climate-scenario runs; each run has a
climate cube, a spectrum and a biosphere (a subset of the sample's KEGG
pathway maps). Each run carries a documented label:

    biosignature = methanogenesis in the biosphere
                   AND the surface keeps liquid water (273.15 K < T_surface < 373.15 K)
                   AND the spectrum shows the CH4 band (it does exactly when the first
                       two hold: an active methanogenic biosphere fills the atmosphere)

then flipped with probability ``LABEL_NOISE``. Every modality carries part of
the signal: the biosphere (pathways), the climate (surface temperature), the
spectrum (band), the planet parameters (equilibrium temperature).

Everything is derived from ``numpy.random.Generator(PCG64(seed))`` in a fixed
order, so each generator can rebuild the universe on its own and agree with
the others.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

LABEL_NOISE = 0.05
SCENARIOS: tuple[tuple[str, float, float], ...] = (
    # name, CO2 (ppmv), greenhouse warming (K) over the equilibrium temperature
    ("present_day", 400.0, 33.0),
    ("high_co2", 4000.0, 58.0),
    ("snowball", 100.0, 8.0),
)
METHANOGENESIS = "map00680"  # Methane metabolism: its presence is the biological signal

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
    eqt: float  # K, zero albedo... see equilibrium_temperature
    sy_dist: float  # pc
    disc_year: int

    @property
    def slug(self) -> str:
        return self.name.lower().replace(" ", "_").replace("-", "")


@dataclass(frozen=True)
class Run:
    run_name: str  # readable: <planet slug>__<scenario>
    planet: str
    scenario: str
    co2_ppmv: float
    surface_temp: float  # K, global mean of the climate cube's surface temperature
    biosphere: tuple[str, ...]  # pathway map ids
    methanogenic: bool
    liquid_water: bool
    ch4_band: bool
    label: bool  # after label noise


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


@lru_cache(maxsize=16)
def build_universe(scale: int = 1, seed: int = 0) -> Universe:
    rng = np.random.Generator(np.random.PCG64(seed))
    n_planets = 4 * scale
    planets = []
    for i in range(n_planets):
        st_teff = float(rng.uniform(2700.0, 6300.0))
        st_rad = float(np.clip(st_teff / 5772.0, 0.12, 1.4) ** 1.3)
        st_mass = float(np.clip(st_rad ** 1.1, 0.09, 1.3))
        target_eqt = float(rng.uniform(190.0, 330.0))
        # invert T_eq(a) for the target with albedo 0.3
        r_star_au = st_rad * 0.00465047
        orbsmax = r_star_au / 2.0 * (st_teff * 0.7 ** 0.25 / target_eqt) ** 2
        orbper = 365.25 * math.sqrt(orbsmax ** 3 / st_mass)
        rade = float(rng.uniform(0.7, 2.2))
        masse = float(rade ** 3.0 * rng.uniform(0.8, 1.2)) if rade < 1.5 else float(2.7 * rade ** 1.3)
        host = f"ASB-{i + 1:04d}"
        planets.append(
            Planet(
                name=f"{host} b", host=host, st_teff=round(st_teff, 1), st_rad=round(st_rad, 4),
                st_mass=round(st_mass, 4), orbsmax=round(orbsmax, 6), orbper=round(orbper, 5),
                rade=round(rade, 3), masse=round(masse, 3),
                eqt=round(equilibrium_temperature(st_teff, st_rad, orbsmax), 1),
                sy_dist=round(float(rng.uniform(2.0, 40.0)), 3), disc_year=int(rng.integers(2010, 2026)),
            )
        )
    catalogue = [p[0] for p in PATHWAY_CATALOGUE]
    core = catalogue[:3]  # every biosphere has central carbon metabolism
    optional = [p for p in catalogue[3:] if p != METHANOGENESIS]
    runs = []
    for planet in planets:
        for scenario, co2, warming in SCENARIOS:
            surface = planet.eqt + warming + float(rng.normal(0.0, 6.0))
            methanogenic = bool(rng.random() < 0.5)
            extra = rng.choice(len(optional), size=int(rng.integers(3, 9)), replace=False)
            biosphere = core + sorted(optional[j] for j in extra) + ([METHANOGENESIS] if methanogenic else [])
            liquid = 273.15 < surface < 373.15
            band = methanogenic and liquid
            label = band if rng.random() >= LABEL_NOISE else not band
            runs.append(
                Run(
                    run_name=f"{planet.slug}__{scenario}", planet=planet.name, scenario=scenario,
                    co2_ppmv=co2, surface_temp=round(surface, 2), biosphere=tuple(sorted(biosphere)),
                    methanogenic=methanogenic, liquid_water=liquid, ch4_band=band, label=bool(label),
                )
            )
    return Universe(scale=scale, seed=seed, planets=tuple(planets), runs=tuple(runs))


RUNS_CSV_COLUMNS = ("file", "planet", "scenario", "label", "biosphere")


def runs_csv_text(universe: Universe, suffix: str = ".nc") -> str:
    """The ``runs.csv`` that sits beside the climate cubes: one line per run.

    Columns: file (the cube's file name), planet, scenario, label (0/1, after
    label noise) and biosphere (space-separated KEGG map ids). Local mode reads
    the same file; there label and biosphere may be empty.
    """
    lines = [",".join(RUNS_CSV_COLUMNS)]
    for run in universe.runs:
        lines.append(f"{run.run_name}{suffix},{run.planet},{run.scenario},{int(run.label)},{' '.join(run.biosphere)}")
    return "\n".join(lines) + "\n"
