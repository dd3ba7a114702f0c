# Climate: GCM NetCDF cubes -> verified Zarr v3 stores (one per cube), their contracts, the table of cubes.
import re
import sys

# The DAG needs the stems; they come from this checkout's package (as the scripts do, via _SRC).
if _SRC not in sys.path:
    sys.path.insert(0, _SRC)
from astrobuild.climate.stems import STORE_PATTERN, cubes_for
from astrobuild.sources import refuse_braced_files

CLIMATE = config.get("climate", {})
CLIMATE_SAMPLE = source_mode("climate") == "sample"
if CLIMATE_SAMPLE:
    # Stems come from the universe, so the DAG is known before the sample is generated.
    CLIMATE_ROOT = SAMPLE_DIR.format(source="climate")
    CLIMATE_CUBES = cubes_for("sample", CLIMATE_ROOT, config["sample"]["scale"], config["sample"]["seed"])
else:
    # The stems are wildcards, so the cubes are found while the DAG is built; but a
    # folder without them fails only the jobs that need them (found_or_raise).
    CLIMATE_ROOT = config["sources"]["climate"]["path"]
    CLIMATE_PROBLEM = None
    try:
        CLIMATE_CUBES = cubes_for("local", CLIMATE_ROOT, config["sample"]["scale"], config["sample"]["seed"])
        refuse_braced_files("climate", CLIMATE_ROOT, CLIMATE_CUBES.values())
    except ValueError as _no_cubes:
        CLIMATE_CUBES, CLIMATE_PROBLEM = {}, str(_no_cubes)
CLIMATE_STORES = {stem: STORE_PATTERN.format(stem=stem) for stem in CLIMATE_CUBES}


rule nc_to_zarr:
    input:
        # Sample mode: the generated directory is the input (the file appears when it is generated).
        lambda wc: CLIMATE_ROOT if CLIMATE_SAMPLE else CLIMATE_CUBES[wc.stem],
    output:
        store=directory("data/processed/climate/{stem}.zarr"),
        report="results/reports/nc_to_zarr/{stem}.json",
        # Seconds and MB/s are not deterministic: kept beside the benchmark file, not among the products.
        timing="results/benchmarks/nc_to_zarr/{stem}.timing.json",
    params:
        source=source_root("climate"),
        cube=lambda wc: CLIMATE_CUBES[wc.stem],
        options=CLIMATE,
    threads: CLIMATE.get("threads", 2)
    resources:
        mem_mb=CLIMATE.get("mem_mb", 4000),
    log:
        "logs/nc_to_zarr/{stem}.log",
    benchmark:
        "results/benchmarks/nc_to_zarr/{stem}.tsv"
    wildcard_constraints:
        stem="|".join(re.escape(s) for s in CLIMATE_CUBES) or "NO_CUBES",
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/nc_to_zarr.py"


rule validate_climate_store:
    input:
        store=rules.nc_to_zarr.output.store,
        source=lambda wc: CLIMATE_ROOT if CLIMATE_SAMPLE else CLIMATE_CUBES[wc.stem],
    output:
        "results/validation/climate_{stem}.json",
    params:
        source=source_root("climate"),
        cube=lambda wc: CLIMATE_CUBES[wc.stem],
    log:
        "logs/validate_climate_store/{stem}.log",
    benchmark:
        "results/benchmarks/validate_climate_store/{stem}.tsv"
    wildcard_constraints:
        stem="|".join(re.escape(s) for s in CLIMATE_CUBES) or "NO_CUBES",
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/validate_climate_store.py"


rule index_climate_runs:
    input:
        cubes=[CLIMATE_ROOT] if CLIMATE_SAMPLE else found_or_raise(sorted(CLIMATE_CUBES.values()), CLIMATE_PROBLEM),
        runs_csv=[] if CLIMATE_SAMPLE else optional_raw_inputs("climate", ["runs.csv"]),
        valid=expand("results/validation/climate_{stem}.json", stem=sorted(CLIMATE_CUBES)),
    output:
        table="data/interim/climate_runs.parquet",
        quarantine="data/interim/climate_runs.quarantine.tsv",
        report="results/reports/index_climate_runs.json",
    params:
        source=source_root("climate"),
        cubes=CLIMATE_CUBES,
        stores=CLIMATE_STORES,
        roots=[CLIMATE_ROOT],
    log:
        "logs/index_climate_runs.log",
    benchmark:
        "results/benchmarks/index_climate_runs.tsv"
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/index_climate_runs.py"


for _stem, _store in CLIMATE_STORES.items():
    STORES[f"climate_{_stem}"] = _store
TABLES["climate_runs"] = rules.index_climate_runs.output.table
FINAL += expand("results/validation/climate_{stem}.json", stem=sorted(CLIMATE_CUBES))
