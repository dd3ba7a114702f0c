"""Figures of the Snakemake report (``snakemake --report``) that no chain's own rule draws.

One module per figure, each a plain function from a finished product to a PNG:

* :mod:`~astrobuild.plots.climate_map`: one variable of one climate store, first and last time step;
* :mod:`~astrobuild.plots.pathway_graph`: one pathway of the KEGG graph store, drawn as a graph;
* :mod:`~astrobuild.plots.planet_runs`: runs per planet and scenario in the planet-run registry.

:mod:`~astrobuild.plots.png` holds what they share: a headless backend and byte-stable PNGs.
"""
