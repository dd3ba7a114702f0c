"""The KEGG chain: KGML -> reaction edges -> environment vectors -> per-pathway graphs.

Parsers (:mod:`kgml`, :mod:`brite`, :mod:`lists`) are plain functions over one
file; :mod:`env` resolves environment vectors from a documented mapping;
:mod:`graphs` writes and loads the tensor-ready graph store; :mod:`pipeline`
holds one function per Snakemake rule.
"""
