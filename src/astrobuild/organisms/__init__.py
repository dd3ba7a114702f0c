"""The organisms chain: microbial genomes -> an organisms table -> the KEGG pathways each genome has.

Readers (:mod:`genbank` with Biopython's SeqIO, :mod:`taxonomy` for GTDB,
:mod:`annotations` for eggNOG-mapper and KofamScan/KAAS tables) are plain
functions over one file; :mod:`pathways` measures a genome's coverage of each
pathway from KEGG's ``link`` output; :mod:`pipeline` holds one function per
Snakemake rule (``genomes_table``, ``organisms_to_pathways``). The planet-run
registry turns a run's organisms into its biosphere
(:func:`astrobuild.planet_runs.resolve_organisms`).
"""
