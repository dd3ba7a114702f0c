"""The sample's organisms: who lives in each run's biosphere, and which KOs and EC numbers make a pathway.

Light imports only (the universe, numpy): the climate generator's ``runs.csv``
names each run's organisms, the KEGG generator writes the KO/EC -> pathway
``link`` files, and the organisms generator (:mod:`astrobuild.sample.organisms`)
writes the genomes; all three read this module, so they agree.

A run's biosphere (:attr:`~astrobuild.sample.universe.Run.biosphere`) is the
three core maps (central carbon metabolism), its optional maps and, when
methanogenic, methane metabolism. The community has one **guild** genome per
non-core map of the catalogue: a microbe holding the core maps and that one
(methane metabolism: *Methanosarcina*, an archaeon whose plasmid carries part
of it). A run names the guilds of its non-core maps, so the union of their
present pathways is exactly its biosphere: every guild covers its own maps at
:data:`MIN_OWN_COVERAGE` or more, and no other map beyond a single shared KO
(a tenth of that map at most), so any ``organisms.min_coverage`` between the two gives the
same biosphere as the hand-written one had, and the label's biosphere fact is unchanged.

KO ids follow the sample KGML: reaction ``i`` of map ``n`` is catalysed by
``K(7n + 13i + d)`` for ``d < 1 + i % 3`` (the KO map lists them all, the
reference map the first); its EC number is ``(1 + i % 6).(1 + i // 6 % 3).(1 + n % 9).(n + 1)``,
made up but unique to the map.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from astrobuild.sample.universe import METHANOGENESIS, PATHWAY_CATALOGUE, Run, Universe

CORE = tuple(p for p, _, _ in PATHWAY_CATALOGUE[:3])
MIN_OWN_COVERAGE = 0.75
ACCESSION_PREFIX = "ZZ"  # an INSDC-style two-letter prefix (unassigned) + six digits: no real record's
ASSEMBLY = "GCF_999{n:06d}.1"
# (map, genus, GTDB lineage down to the genus, GC content): one guild per non-core map.
GUILDS: tuple[tuple[str, str, str, float], ...] = (
    ("map00190", "Paracoccus", "d__Bacteria;p__Pseudomonadota;c__Alphaproteobacteria;o__Rhodobacterales;"
     "f__Rhodobacteraceae;g__Paracoccus", 0.66),
    ("map00195", "Synechocystis", "d__Bacteria;p__Cyanobacteriota;c__Cyanobacteriia;o__Cyanobacteriales;"
     "f__Microcystaceae;g__Synechocystis", 0.47),
    ("map00680", "Methanosarcina", "d__Archaea;p__Halobacteriota;c__Methanosarcinia;o__Methanosarcinales;"
     "f__Methanosarcinaceae;g__Methanosarcina", 0.42),
    ("map00720", "Acetobacterium", "d__Bacteria;p__Bacillota_A;c__Clostridia;o__Eubacteriales;"
     "f__Eubacteriaceae;g__Acetobacterium", 0.44),
    ("map00910", "Nitrosomonas", "d__Bacteria;p__Pseudomonadota;c__Gammaproteobacteria;o__Burkholderiales;"
     "f__Nitrosomonadaceae;g__Nitrosomonas", 0.51),
    ("map00920", "Desulfovibrio", "d__Bacteria;p__Desulfobacterota;c__Desulfovibrionia;o__Desulfovibrionales;"
     "f__Desulfovibrionaceae;g__Desulfovibrio", 0.63),
    ("map00061", "Bacillus", "d__Bacteria;p__Bacillota;c__Bacilli;o__Bacillales;f__Bacillaceae;g__Bacillus", 0.44),
    ("map00230", "Lactococcus", "d__Bacteria;p__Bacillota;c__Bacilli;o__Lactobacillales;f__Streptococcaceae;"
     "g__Lactococcus", 0.35),
    ("map00240", "Escherichia", "d__Bacteria;p__Pseudomonadota;c__Gammaproteobacteria;o__Enterobacterales;"
     "f__Enterobacteriaceae;g__Escherichia", 0.51),
    ("map00250", "Corynebacterium", "d__Bacteria;p__Actinomycetota;c__Actinomycetes;o__Mycobacteriales;"
     "f__Mycobacteriaceae;g__Corynebacterium", 0.54),
    ("map00260", "Methylobacterium", "d__Bacteria;p__Pseudomonadota;c__Alphaproteobacteria;o__Rhizobiales;"
     "f__Beijerinckiaceae;g__Methylobacterium", 0.69),
    ("map00270", "Pseudomonas", "d__Bacteria;p__Pseudomonadota;c__Gammaproteobacteria;o__Pseudomonadales;"
     "f__Pseudomonadaceae;g__Pseudomonas", 0.62),
    ("map00620", "Clostridium", "d__Bacteria;p__Bacillota_A;c__Clostridia;o__Clostridiales;f__Clostridiaceae;"
     "g__Clostridium", 0.29),
    ("map00630", "Mycobacterium", "d__Bacteria;p__Actinomycetota;c__Actinomycetes;o__Mycobacteriales;"
     "f__Mycobacteriaceae;g__Mycobacterium", 0.65),
    ("map00640", "Propionibacterium", "d__Bacteria;p__Actinomycetota;c__Actinomycetes;o__Propionibacteriales;"
     "f__Propionibacteriaceae;g__Propionibacterium", 0.66),
    ("map00650", "Butyrivibrio", "d__Bacteria;p__Bacillota_A;c__Clostridia;o__Lachnospirales;"
     "f__Lachnospiraceae;g__Butyrivibrio", 0.40),
    ("map00860", "Rhodobacter", "d__Bacteria;p__Pseudomonadota;c__Alphaproteobacteria;o__Rhodobacterales;"
     "f__Rhodobacteraceae;g__Rhodobacter", 0.68),
    ("map00130", "Shewanella", "d__Bacteria;p__Pseudomonadota;c__Gammaproteobacteria;o__Enterobacterales;"
     "f__Shewanellaceae;g__Shewanella", 0.46),
    ("map00253", "Streptomyces", "d__Bacteria;p__Actinomycetota;c__Actinomycetes;o__Streptomycetales;"
     "f__Streptomycetaceae;g__Streptomyces", 0.72),
    ("map00362", "Thauera", "d__Bacteria;p__Pseudomonadota;c__Gammaproteobacteria;o__Burkholderiales;"
     "f__Rhodocyclaceae;g__Thauera", 0.66),
    ("map00625", "Dehalococcoides", "d__Bacteria;p__Chloroflexota;c__Dehalococcoidia;o__Dehalococcoidales;"
     "f__Dehalococcoidaceae;g__Dehalococcoides", 0.48),
)
# How a genome's KO ids reach the build: in its GenBank CDS (/db_xref="KEGG:K00001"), or in an
# eggNOG-mapper or KofamScan table beside it, which names the CDS by protein id or locus tag.
ANNOTATION_KINDS = ("genbank", "emapper", "kofam")


@dataclass(frozen=True)
class Genome:
    """One sample genome: its records' accessions, names and the maps it has."""

    index: int  # 1-based; the accessions' number
    genus: str
    lineage: str  # GTDB, down to the genus
    gc: float
    maps: tuple[str, ...]
    annotation: str  # one of ANNOTATION_KINDS
    with_ec: bool  # CDS carry /EC_number
    plasmid: bool  # a second record holds part of its own map

    @property
    def accession(self) -> str:
        return f"{ACCESSION_PREFIX}{self.index:06d}"

    @property
    def plasmid_accession(self) -> str:
        return f"{ACCESSION_PREFIX}{500000 + self.index:06d}"

    @property
    def assembly(self) -> str:
        return ASSEMBLY.format(n=self.index)

    @property
    def organism(self) -> str:
        return f"{self.genus} sp. ASB-{self.index}"

    @property
    def gtdb(self) -> str:
        return f"{self.lineage};s__{self.organism}"


def reaction_kos(pathway: str, i: int) -> list[str]:
    """The KO ids of reaction ``i`` of sample map ``pathway`` (the KO map lists them all)."""
    n = int(pathway[3:])
    return [f"K{(n * 7 + i * 13 + d) % 99999:05d}" for d in range(1 + i % 3)]


def reaction_ec(pathway: str, i: int) -> str:
    n = int(pathway[3:])
    return f"{1 + i % 6}.{1 + (i // 6) % 3}.{1 + n % 9}.{n + 1}"


def guilds() -> tuple[Genome, ...]:
    """The guild genomes, one per non-core map, numbered from 1 in catalogue order of :data:`GUILDS`."""
    out = []
    for k, (pathway, genus, lineage, gc) in enumerate(GUILDS):
        out.append(Genome(index=k + 1, genus=genus, lineage=lineage, gc=gc, maps=(*CORE, pathway),
                          annotation=ANNOTATION_KINDS[k % 3], with_ec=k % 2 == 0,
                          plasmid=pathway == METHANOGENESIS))
    return tuple(out)


def guild_of() -> dict[str, Genome]:
    """Non-core map -> its guild genome."""
    return {g.maps[-1]: g for g in guilds()}


def run_organisms(run: Run) -> list[str]:
    """The accessions ``runs.csv`` names for a run: its guilds', written the ways a user may write them
    (the methanogen by its assembly, the others by record accession, every other one versioned)."""
    by_map = guild_of()
    names = []
    for pathway in run.biosphere:
        if pathway in CORE:
            continue
        genome = by_map[pathway]
        if genome.plasmid:
            names.append(genome.assembly)
        else:
            names.append(f"{genome.accession}.1" if genome.index % 2 else genome.accession)
    return names


def link_text(kind: str, reactions: Mapping[str, Sequence[str]]) -> str:
    """KEGG REST ``link/pathway/ko`` (kind ``ko``) or ``link/pathway/ec`` (``ec``) output for the sample maps:
    each member with its reference map and its ``ko``/``ec`` copy, sorted as KEGG sorts it."""
    pairs = set()
    for pathway, specs in reactions.items():
        for i in range(len(specs)):
            members = reaction_kos(pathway, i) if kind == "ko" else [reaction_ec(pathway, i)]
            for member in members:
                pairs.update({(member, f"map{pathway[3:]}"), (member, f"{kind}{pathway[3:]}")})
    return "".join(f"{kind}:{m}\tpath:{p}\n" for m, p in sorted(pairs))


RUNS_CSV_COLUMNS = ("file", "planet", "scenario", "label", "organisms", "co2_ppm", "instellation_earth",
                    "habitable_fraction", "habitability")


def runs_csv_text(universe: Universe, suffix: str = ".nc") -> str:
    """The ``runs.csv`` that sits beside the climate cubes: one line per run.

    Columns: file (the cube's file name), planet, scenario, label (0/1, after
    label noise; empty for the runs the sample leaves to predict), organisms (space-separated accessions of the genomes of
    the organisms sample whose pathways make up the run's biosphere: see
    this module), then two forcings (``train.run_columns``): co2_ppm (the
    scenario's CO2, ppmv) and instellation_earth (the planet's instellation,
    S/S_earth, as the archive table's insolation), and two more targets, empty where the label is:
    habitable_fraction (the liquid-ocean share of the surface, 0-1: a regression target) and
    habitability (uninhabitable / habitable / biosignature:
    :func:`astrobuild.sample.universe.habitability`). No column draws the universe's random numbers,
    so no label changes. Local mode reads the same file;
    there label and organisms may be empty, and a ``biosphere`` column may
    give KEGG map ids instead of, or as well as, organisms.
    """
    from astrobuild.sample.universe import habitability

    planets = {p.name: p for p in universe.planets}
    lines = [",".join(RUNS_CSV_COLUMNS)]
    for run in universe.runs:
        label = int(run.label) if run.labelled else ""
        # two more targets (train.target): the liquid-ocean share of the surface (regression) and
        # a class from the facts; unlabelled runs leave them empty like the label
        targets = f"{run.habitable_fraction!r},{habitability(run, planets[run.planet].rocky)}" if run.labelled else ","
        lines.append(f"{run.run_name}{suffix},{run.planet},{run.scenario},{label},"
                     f"{' '.join(run_organisms(run))},{run.co2_ppmv:g},{planets[run.planet].insolation:.4f},{targets}")
    return "\n".join(lines) + "\n"
