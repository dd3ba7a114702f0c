"""Organism sample files: GenBank genomes (written by Biopython), GTDB tables, annotation tables.

Written (the community is :mod:`astrobuild.sample.community`):

* ``genomes/GCF_999000NNN.1_ASBNv1_genomic.gbff`` — one file per guild genome,
  every other one gzipped: a circular chromosome (source, gene, CDS with
  translation, rRNA and tRNA features), ``DBLINK`` with its assembly; the
  methanogen's file holds a second record, a plasmid with part of methane
  metabolism. KO ids are in the CDS's ``/db_xref="KEGG:K....."`` for a third
  of the genomes; every other genome's CDS carry ``/EC_number``.
* ``annotations/<assembly>.emapper.annotations`` (eggNOG-mapper v2, by protein
  id) and ``annotations/<assembly>.ko.txt`` (KofamScan mapper output, by locus
  tag) for the others.
* ``gtdb/bac120_taxonomy_r220.tsv`` and ``gtdb/ar53_taxonomy_r220.tsv`` — GTDB
  lineages (``RS_`` accessions) of the genomes and of a few genomes of no run.
* ``genomes/bystanders.gbk`` — ``scale - 1`` genomes of no run, in one
  multi-record file (the sample grows with the scale).
* edge cases: ``genomes/edge_cases/short_sequence.gbk`` (a complete record
  whose sequence is half what its LOCUS line says: quarantined; a file cut
  without ``//`` would stop the build, see organisms.genbank),
  ``genomes/edge_cases/no_features.gb`` (a record
  without features), a made-up qualifier on one genome's CDS, an annotation
  line for a protein no record has, a GTDB line with six ranks.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
from Bio import SeqIO
from Bio.Seq import Seq
from Bio.SeqFeature import SeqFeature, SimpleLocation
from Bio.SeqRecord import SeqRecord

from astrobuild.sample.community import CORE, GUILDS, Genome, guilds, reaction_ec, reaction_kos
from astrobuild.sample.kegg import REACTIONS
from astrobuild.sample.universe import PATHWAY_CATALOGUE

DATE = "01-JAN-2025"
STOPS = {"TAA", "TAG", "TGA"}
CODONS = [a + b + c for a in "ACGT" for b in "ACGT" for c in "ACGT" if a + b + c not in STOPS]
ODD_QUALIFIER = "kegg_pathway"  # what a home-made annotation script might write: no INSDC qualifier
EMAPPER_COLUMNS = ("#query", "seed_ortholog", "evalue", "score", "eggNOG_OGs", "max_annot_lvl", "COG_category",
                   "Description", "Preferred_name", "GOs", "EC", "KEGG_ko", "KEGG_Pathway", "KEGG_Module",
                   "KEGG_Reaction", "KEGG_rclass", "BRITE", "KEGG_TC", "CAZy", "BiGG_Reaction", "PFAMs")


def _bases(rng: np.random.Generator, n: int, gc: float) -> str:
    p = [(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]
    return "".join(np.array(list("ACGT"))[rng.choice(4, size=n, p=p)])


def _codon_weights(gc: float) -> np.ndarray:
    """Codon frequencies of a genome of GC content ``gc`` (bases independent), stops left out."""
    base = {"A": (1 - gc) / 2, "T": (1 - gc) / 2, "G": gc / 2, "C": gc / 2}
    weights = np.array([base[c[0]] * base[c[1]] * base[c[2]] for c in CODONS])
    return weights / weights.sum()


def _cds(rng: np.random.Generator, gc: float) -> str:
    n = int(rng.integers(80, 220))
    return "ATG" + "".join(CODONS[j] for j in rng.choice(len(CODONS), size=n, p=_codon_weights(gc))) + "TAA"


class _Builder:
    """Lays genes end to end on one record, alternating strands, with spacers of random bases."""

    def __init__(self, rng: np.random.Generator, gc: float, locus: str):
        self.rng, self.gc, self.locus = rng, gc, locus
        self.parts: list[str] = []
        self.features: list[SeqFeature] = []
        self.at = 0
        self.genes = 0

    def _place(self, seq: str) -> SimpleLocation:
        spacer = _bases(self.rng, int(self.rng.integers(30, 120)), self.gc)
        self.parts.append(spacer)
        self.at += len(spacer)
        strand = 1 if self.genes % 3 else -1
        self.parts.append(seq if strand == 1 else str(Seq(seq).reverse_complement()))
        location = SimpleLocation(self.at, self.at + len(seq), strand)
        self.at += len(seq)
        return location

    def gene(self, kind: str, seq: str, qualifiers: dict) -> dict:
        self.genes += 1
        tag = f"{self.locus}_{self.genes:05d}"
        location = self._place(seq)
        self.features.append(SeqFeature(location, type="gene", qualifiers={"locus_tag": [tag]}))
        feature = {"locus_tag": [tag], **qualifiers}
        self.features.append(SeqFeature(location, type=kind, qualifiers=feature))
        return feature

    def record(self, accession: str, genome: Genome, description: str, plasmid: bool) -> SeqRecord:
        self.parts.append(_bases(self.rng, 80, self.gc))
        seq = Seq("".join(self.parts))
        source = {"organism": [genome.organism], "mol_type": ["genomic DNA"],
                  "strain": [f"ASB-{genome.index}"], "db_xref": [f"taxon:{2_000_000 + genome.index}"]}
        if plasmid:
            source["plasmid"] = [f"pASB{genome.index}"]
        features = [SeqFeature(SimpleLocation(0, len(seq), 1), type="source", qualifiers=source), *self.features]
        ranks = [r.split("__", 1)[1] for r in genome.lineage.split(";")]
        record = SeqRecord(seq, id=f"{accession}.1", name=accession, description=description,
                           dbxrefs=["BioProject:PRJNA999999", f"Assembly:{genome.assembly}"], features=features)
        record.annotations = {"molecule_type": "DNA", "topology": "circular", "data_file_division": "BCT",
                              "date": DATE, "accessions": [accession], "sequence_version": 1,
                              "keywords": ["RefSeq"], "source": genome.organism, "organism": genome.organism,
                              "taxonomy": ranks}
        return record


def _genes(genome: Genome, rng: np.random.Generator) -> list[tuple[str, int, list[str], str | None]]:
    """(map, reaction, KOs, EC) of every enzyme gene the genome keeps: most of each of its maps."""
    genes = []
    for pathway in genome.maps:
        specs = REACTIONS[pathway]
        keep = [i for i in range(len(specs)) if rng.random() >= 0.12]
        if len(keep) < 0.85 * len(specs):  # keeps the genome's coverage of its own maps well above any threshold
            keep = list(range(len(specs)))
        genes += [(pathway, i, reaction_kos(pathway, i), reaction_ec(pathway, i)) for i in keep]
    return genes


def _write_genome(genome: Genome, rng: np.random.Generator, odd_qualifier: bool = False,
                  kegg_gene_xref: bool = False) -> tuple[list[SeqRecord], list[tuple[str, str, list[str], str | None]]]:
    """The genome's records, and (protein id, locus tag, KOs, EC) of its annotated CDS."""
    locus = f"ASB{genome.index:02d}"
    chromosome = _Builder(rng, genome.gc, locus)
    plasmid = _Builder(rng, genome.gc, f"{locus}P") if genome.plasmid else None
    annotated = []
    for pathway, i, kos, ec in _genes(genome, rng):
        # the methanogen's plasmid carries the second half of methane metabolism
        builder = plasmid if plasmid is not None and pathway not in CORE and i >= len(REACTIONS[pathway]) // 2 \
            else chromosome
        for ko in kos:
            protein = f"WP_9{genome.index:03d}{len(annotated) + 1:05d}.1"
            qualifiers = {"codon_start": ["1"], "transl_table": ["11"],
                          "product": [f"enzyme of {pathway} (reaction {i + 1})"], "protein_id": [protein]}
            if genome.with_ec and ec:
                qualifiers["EC_number"] = [ec]
            if genome.annotation == "genbank":
                qualifiers["db_xref"] = [f"KEGG:{ko}"]
            if odd_qualifier:
                qualifiers[ODD_QUALIFIER] = [f"map{pathway[3:]}"]
            seq = _cds(rng, genome.gc)
            qualifiers["translation"] = [str(Seq(seq).translate(to_stop=True))]
            feature = builder.gene("CDS", seq, qualifiers)
            annotated.append((protein, feature["locus_tag"][0], [ko], ec))
    for _ in range(int(rng.integers(8, 16))):  # proteins of unknown function: no KO
        seq = _cds(rng, genome.gc)
        protein = f"WP_9{genome.index:03d}{len(annotated) + 1:05d}.1"
        qualifiers = {"codon_start": ["1"], "transl_table": ["11"], "product": ["hypothetical protein"],
                      "protein_id": [protein], "translation": [str(Seq(seq).translate(to_stop=True))]}
        if kegg_gene_xref:  # a KEGG *gene* id: names no orthology group
            qualifiers["db_xref"] = [f"KEGG:asb:{locus}_{len(annotated) + 1:05d}"]
            kegg_gene_xref = False
        feature = chromosome.gene("CDS", seq, qualifiers)
        annotated.append((protein, feature["locus_tag"][0], [], None))
    for product, length in (("16S ribosomal RNA", 1500), ("23S ribosomal RNA", 2900), ("5S ribosomal RNA", 116)):
        chromosome.gene("rRNA", _bases(rng, length, genome.gc), {"product": [product]})
    for amino in ("Ala", "Gly", "Leu", "Met", "Phe", "Ser", "Trp", "Val"):
        chromosome.gene("tRNA", _bases(rng, 76, genome.gc), {"product": [f"tRNA-{amino}"]})
    records = [chromosome.record(genome.accession, genome, f"{genome.organism} chromosome, complete genome", False)]
    if plasmid is not None:
        records.append(plasmid.record(genome.plasmid_accession, genome,
                                      f"{genome.organism} plasmid pASB{genome.index}, complete sequence", True))
    return records, annotated


def _genbank(records: list[SeqRecord]) -> str:
    out = io.StringIO()
    SeqIO.write(records, out, "genbank")
    return out.getvalue()


def _emapper(annotated: list) -> str:
    lines = ["## Thu Jan  1 00:00:00 2025", "## emapper-2.1.12", "## command: emapper.py -i proteins.faa -o sample",
             "##", "\t".join(EMAPPER_COLUMNS)]
    for protein, _, kos, ec in annotated:
        if not kos:
            continue
        row = [protein, f"1234.{protein}", "1.2e-80", "250.0", "COG0001@1|root", "2|Bacteria", "C", "enzyme", "-",
               "-", ec or "-", ",".join(f"ko:{k}" for k in kos)] + ["-"] * (len(EMAPPER_COLUMNS) - 12)
        lines.append("\t".join(row))
    lines += ["## 0 queries scanned", "## Total time (seconds): 1.0"]
    return "\n".join(lines) + "\n"


def _kofam(annotated: list) -> str:
    return "".join(f"{tag}\t{kos[0]}\n" if kos else f"{tag}\n" for _, tag, kos, _ in annotated)


def _bystanders(scale: int, rng: np.random.Generator) -> list[Genome]:
    """Genomes no run names: ``scale - 1`` of them, each with the core and one to four other maps."""
    others = [p for p, _, _ in PATHWAY_CATALOGUE if p not in CORE]
    out = []
    for b in range(scale - 1):
        k = int(rng.integers(0, len(GUILDS)))
        extra = sorted(others[j] for j in rng.choice(len(others), size=int(rng.integers(1, 5)), replace=False))
        out.append(Genome(index=100 + b, genus=GUILDS[k][1], lineage=GUILDS[k][2], gc=GUILDS[k][3],
                          maps=(*CORE, *extra), annotation="genbank", with_ec=bool(b % 2), plasmid=False))
    return out


def _gzip(text: str) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as out:  # no name, no time: same bytes
        out.write(text.encode("utf-8"))
    return buffer.getvalue()


def write(outdir: Path, scale: int = 1, seed: int = 0) -> list[Path]:
    rng = np.random.Generator(np.random.PCG64([seed, 14]))
    outdir = Path(outdir)
    written: list[Path] = []

    def emit(name: str, data: str | bytes) -> None:
        path = outdir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        written.append(path)

    community = guilds()
    gtdb = {"bac120": [], "ar53": []}
    for genome in community:
        records, annotated = _write_genome(genome, rng, odd_qualifier=genome.index == 5,
                                           kegg_gene_xref=genome.index == 1)
        name = f"genomes/{genome.assembly}_ASB{genome.index}v1_genomic.gbff"
        text = _genbank(records)
        if genome.index % 2 == 0:
            emit(name + ".gz", _gzip(text))
        else:
            emit(name, text)
        if genome.annotation == "emapper":
            if genome.index == 2:  # a protein the genome's GenBank file does not have
                annotated = [*annotated, ("WP_999999999.1", "none", ["K00001"], None)]
            emit(f"annotations/{genome.assembly}.emapper.annotations", _emapper(annotated))
        elif genome.annotation == "kofam":
            emit(f"annotations/{genome.assembly}.ko.txt", _kofam(annotated))
        gtdb["ar53" if genome.lineage.startswith("d__Archaea") else "bac120"].append(
            f"RS_{genome.assembly}\t{genome.gtdb}")
    bystanders = _bystanders(scale, rng)
    if bystanders:
        emit("genomes/bystanders.gbk", _genbank([r for g in bystanders for r in _write_genome(g, rng)[0]]))
        gtdb["bac120"] += [f"RS_{g.assembly}\t{g.gtdb}" for g in bystanders]
    # GTDB lists far more genomes than a user has, and a line may be damaged
    gtdb["bac120"] += [f"RS_GCF_99800000{j}.1\t{GUILDS[j][2]};s__{GUILDS[j][1]} sp. elsewhere" for j in range(3)]
    gtdb["bac120"].append(f"RS_GCF_998000009.1\t{GUILDS[0][2].rsplit(';', 1)[0]}")  # six ranks
    for domain, lines in gtdb.items():
        emit(f"gtdb/{domain}_taxonomy_r220.tsv", "".join(f"{line}\n" for line in sorted(lines)))

    # edge cases: a record whose sequence is shorter than its LOCUS line says, a record without features
    lost = Genome(index=900, genus="Bacillus", lineage=GUILDS[6][2], gc=0.44, maps=CORE, annotation="genbank",
                  with_ec=False, plasmid=False)
    text = _genbank(_write_genome(lost, rng)[0])
    half = text[: text.index("ORIGIN") + len(text[text.index("ORIGIN"):]) // 2]
    emit("genomes/edge_cases/short_sequence.gbk", half[: half.rindex("\n") + 1] + "//\n")
    bare = SeqRecord(Seq(_bases(rng, 600, 0.5)), id="ZZ000901.1", name="ZZ000901", description="unannotated contig",
                     annotations={"molecule_type": "DNA", "topology": "linear", "data_file_division": "BCT",
                                  "date": DATE, "accessions": ["ZZ000901"], "sequence_version": 1})
    emit("genomes/edge_cases/no_features.gb", _genbank([bare]))
    return written
