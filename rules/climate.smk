# Climate: GCM NetCDF cubes -> verified, validated Zarr v3 stores (one per cube), the table of cubes.
#
# Conversion runs in batches: each job converts and validates about `climate.batch_size` cubes,
# since starting the interpreter of a job (xarray, zarr, netCDF4) costs more than converting a
# small cube. Each cube keeps its own store, reports and log. A batch is an ordinary job: when any
# of its cubes changes, or any of its outputs is missing, Snakemake deletes its outputs and reruns
# it whole, and a killed batch is incomplete, so `--rerun-incomplete` redoes it. (Outputs flagged
# `update` would keep unchanged stores, but Snakemake then copies every store to
# .snakemake/backups before the job, never notices a missing one, and wedges on the backups a
# killed job leaves.) The batches are cut by content (astrobuild.climate.stems.conversion_batches),
# so a cube added or removed reruns its own batch, not every batch after it. A cube above
# `climate.dask_threshold_mb` gets a job of its own.
import os

# The DAG needs the stems; they come from this checkout's package (rules/common.smk puts it on the path).
from astrobuild.climate.stems import CUBE_PATTERNS, STORE_PATTERN, conversion_batches, local_cubes, stems_of
from astrobuild.sample import planned_files
from astrobuild.sources import refuse_braced_files, remote_entries

CLIMATE = config["climate"]
CLIMATE_SAMPLE = source_mode("climate") == "sample"
CLIMATE_BIG = []  # stems of cubes converted alone (above the Dask threshold)
# Remote mode: the files of the manifest (or of sources.climate.files), fetched by fetch_gcm_cubes
# (rules/fetch.smk) to the same relative paths under data/raw/remote/climate.
CLIMATE_MANIFEST = REGISTRY["climate"].manifest_path
CLIMATE_REMOTE = None
if CLIMATE_SAMPLE:
    # The cubes the generator will write, so the DAG is known before the sample is generated.
    CLIMATE_ROOT = SAMPLE_DIR.format(source="climate")
    CLIMATE_CUBES = stems_of(
        planned_files("climate", CLIMATE_ROOT, config["sample"]["scale"], config["sample"]["seed"])
    )
elif source_mode("climate") == "remote":
    # The cubes are those the manifest lists, so it must be here while the DAG is built: from the
    # config's `files`, or fetched by `snakemake fetch_gcm_manifest` first. Until then only the
    # jobs that need the cubes fail, saying so (found_or_raise).
    CLIMATE_ROOT = REMOTE_DIR.format(source="climate")
    CLIMATE_REMOTE = remote_entries("climate", config["sources"]["climate"], CLIMATE_MANIFEST)
    CLIMATE_PROBLEM = (
        f"config: sources.climate: the cube manifest ({CLIMATE_MANIFEST}) has not been fetched yet: "
        "run `snakemake fetch_gcm_manifest` first, or list the cubes in sources.climate.files"
        if CLIMATE_REMOTE is None
        else f"config: sources.climate: the manifest lists no NetCDF file ({', '.join(CUBE_PATTERNS)})"
    )
    CLIMATE_CUBES = stems_of(f"{CLIMATE_ROOT}/{e.path}" for e in CLIMATE_REMOTE or [])
    CLIMATE_BIG = [
        stem
        for stem, path in CLIMATE_CUBES.items()
        for e in CLIMATE_REMOTE
        if f"{CLIMATE_ROOT}/{e.path}" == path
        and (e.expected.size or 0) > CLIMATE["dask_threshold_mb"] * 1024 * 1024
    ]
else:
    # The cubes are found while the DAG is built; but a folder without them fails only
    # the jobs that need them (found_or_raise).
    CLIMATE_ROOT = config["sources"]["climate"]["path"]
    CLIMATE_PROBLEM = None
    try:
        CLIMATE_CUBES = local_cubes(CLIMATE_ROOT)
        refuse_braced_files("climate", CLIMATE_ROOT, CLIMATE_CUBES.values())
    except ValueError as _no_cubes:
        CLIMATE_CUBES, CLIMATE_PROBLEM = {}, str(_no_cubes)
    CLIMATE_BIG = [
        stem
        for stem, path in CLIMATE_CUBES.items()
        if os.path.getsize(path) > CLIMATE["dask_threshold_mb"] * 1024 * 1024
    ]
CLIMATE_STORES = {stem: STORE_PATTERN.format(stem=stem) for stem in CLIMATE_CUBES}


# The batches, in order: rules/features.smk pools the runs of each batch in one job too.
CLIMATE_BATCHES = conversion_batches(CLIMATE_CUBES, CLIMATE["batch_size"], CLIMATE_BIG)


for _index, _stems in enumerate(CLIMATE_BATCHES, 1):
    _alone = _stems[0] in CLIMATE_BIG
    _group = "nc_to_zarr_alone" if _alone else "nc_to_zarr"  # their key of config `resources`

    rule:
        name:
            f"nc_to_zarr_{_index}"
        input:
            # Sample mode: the generated directory (the files appear when it is generated).
            [CLIMATE_ROOT] if CLIMATE_SAMPLE else [CLIMATE_CUBES[s] for s in _stems],
        output:
            stores=[directory(CLIMATE_STORES[s]) for s in _stems],
            reports=[f"results/reports/nc_to_zarr/{s}.json" for s in _stems],
            validations=[f"results/validation/climate_{s}.json" for s in _stems],
            # Seconds and MB/s are not deterministic: kept beside the benchmark files, not among the products.
            timings=[f"results/benchmarks/nc_to_zarr/{s}.timing.json" for s in _stems],
        params:
            source=source_root("climate"),
            cubes=[CLIMATE_CUBES[s] for s in _stems],
            options=CLIMATE,
        threads: rule_threads(_group)
        resources:
            **rule_resources(_group),
        log:
            batch=f"logs/nc_to_zarr/batch_{_index}.log",
            cubes=[f"logs/nc_to_zarr/{s}.log" for s in _stems],
        benchmark:
            f"results/benchmarks/nc_to_zarr/batch_{_index}.tsv"
        conda:
            "../envs/astrobuild.yaml"
        script:
            "../scripts/nc_to_zarr.py"


rule index_climate_runs:
    input:
        cubes=[CLIMATE_ROOT] if CLIMATE_SAMPLE else found_or_raise(sorted(CLIMATE_CUBES.values()), CLIMATE_PROBLEM),
        runs_csv=[]
        if CLIMATE_SAMPLE
        else (
            [f"{CLIMATE_ROOT}/{e.path}" for e in CLIMATE_REMOTE or [] if e.rel.name in ("runs.csv", "planets.csv")]
            if source_mode("climate") == "remote"
            else optional_raw_inputs("climate", source_patterns("climate", "runs"))
        ),
        valid=expand("results/validation/climate_{stem}.json", stem=sorted(CLIMATE_CUBES)),
    output:
        table=TABLE_PATHS["climate_runs"],
        quarantine=QUARANTINE_PATHS["climate_runs"],
        report="results/reports/index_climate_runs.json",
    params:
        source=source_root("climate"),
        cubes=CLIMATE_CUBES,
        stores=CLIMATE_STORES,
        roots=[CLIMATE_ROOT],
        # the forcing columns of runs.csv the model sees (a pooling key): read as numbers, carried as run:<name>
        run_columns=[c["name"] for c in config["train"]["run_columns"]],
    threads: rule_threads("index_climate_runs")
    resources:
        **rule_resources("index_climate_runs"),
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
FINAL += expand("results/validation/climate_{stem}.json", stem=sorted(CLIMATE_CUBES))
