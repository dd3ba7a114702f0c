# Figures of the Snakemake report (`snakemake --report report.html`) drawn from finished
# products of the climate, KEGG and registry chains (logic: src/astrobuild/plots/). The
# 1000 Genomes, exoplanet and spectra figures are drawn by their chains' own rules.
# Captions: report/*.rst; one report category per chain. What is drawn: config `report:`.
FIGURES = config["report"]


# The climate store the map shows: report.climate_store, else the first stem. Checked here, so that
# a wrong name stops the run before any job starts.
if FIGURES["climate_store"] is not None and FIGURES["climate_store"] not in CLIMATE_CUBES:
    raise ValueError(
        f"config: report.climate_store: {FIGURES['climate_store']!r} is not a climate store of this build; "
        f"stores: {sorted(CLIMATE_CUBES)}"
    )
MAPPED_STEM = FIGURES["climate_store"] or min(CLIMATE_CUBES, default=None)


rule plot_climate_map:
    input:
        # Functions: with no cube at all (a local folder may hold none) the rule is defined but never asked for.
        store=lambda wc: CLIMATE_STORES[MAPPED_STEM],
        conversion=lambda wc: f"results/reports/nc_to_zarr/{MAPPED_STEM}.json",
        store_ok=lambda wc: validation_report(f"climate_{MAPPED_STEM}"),
    output:
        plot=report("results/climate/climate_map.png", caption="../report/climate_map.rst", category="Climate"),
    params:
        stem=MAPPED_STEM,
        variable=FIGURES["climate_variable"],
    threads: rule_threads("plot_climate_map")
    resources:
        **rule_resources("plot_climate_map"),
    log:
        "logs/plot_climate_map.log",
    benchmark:
        "results/benchmarks/plot_climate_map.tsv"
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/plot_climate_map.py"


rule plot_pathway_graph:
    input:
        store=rules.edges_to_graphs.output.files,
        store_ok=rules.check_kegg_graphs.output,
    output:
        plot=report("results/kegg/pathway_graph.png", caption="../report/pathway_graph.rst", category="KEGG"),
    params:
        store=lambda wc, input: os.path.dirname(input.store[0]),
        pathway=FIGURES["pathway"],
        max_nodes=FIGURES["max_graph_nodes"],
    threads: rule_threads("plot_pathway_graph")
    resources:
        **rule_resources("plot_pathway_graph"),
    log:
        "logs/plot_pathway_graph.log",
    benchmark:
        "results/benchmarks/plot_pathway_graph.tsv"
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/plot_pathway_graph.py"


rule plot_planet_runs:
    input:
        table=rules.planet_runs.output.table,
        table_ok=validation_report("planet_runs"),
    output:
        plot=report("results/planet_runs/runs_per_planet.png", caption="../report/planet_runs.rst",
                    category="Registry"),
    threads: rule_threads("plot_planet_runs")
    resources:
        **rule_resources("plot_planet_runs"),
    log:
        "logs/plot_planet_runs.log",
    benchmark:
        "results/benchmarks/plot_planet_runs.tsv"
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/plot_planet_runs.py"


if MAPPED_STEM is not None:
    FINAL += rules.plot_climate_map.output
FINAL += rules.plot_pathway_graph.output
FINAL += rules.plot_planet_runs.output
