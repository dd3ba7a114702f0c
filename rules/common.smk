# Shared configuration handling and input functions (no rules here).
import os
import sys
from pathlib import Path

from snakemake.utils import validate

validate(config, schema="../schemas/config.schema.yaml")

# The package is taken from this checkout, whatever environment runs Snakemake or a job (the
# project's venv, a --use-conda env, a SLURM node), so that no installed copy runs stale code.
# Set up here once, for every .smk file: PYTHONPATH for the scripts, which run in processes of
# their own and inherit it; sys.path for this process, since the workflow's own files import
# the package while the DAG is built (the table catalogue, climate stems, the manifest).
_SRC = str(Path(workflow.basedir) / "src")
os.environ.update(PYTHONPATH=os.pathsep.join(p for p in (_SRC, os.environ.get("PYTHONPATH", "")) if p))
if _SRC not in sys.path:
    sys.path.insert(0, _SRC)
from astrobuild.contracts.catalogue import CATALOGUE
from astrobuild.resources import check_resource_names, job_resources, job_threads
from astrobuild.resources import learn_env as job_learn_env
from astrobuild.registry import REMOTE_ROOT, SAMPLE_ROOT, STAGING_ROOT
from astrobuild.registry import SOURCES as REGISTRY
from astrobuild.sources import check_config_paths, check_remote_config, find_source_files

check_config_paths(config)
check_remote_config(config)

# Every source is declared once, in astrobuild.registry (modes, sample generator, file patterns,
# remote parts, default URL, terms of use); the names, folders and remote parts here derive from it.
SOURCES = tuple(REGISTRY)
SAMPLE_DIR = f"{SAMPLE_ROOT}/{{source}}"
REMOTE_DIR = f"{REMOTE_ROOT}/{{source}}"
# Remote mode: what the fetch rules (rules/fetch.smk) write, per source and part; the parsing
# rules read these folders (and files) as they read a local source's.
REMOTE_PARTS = {name: src.remote_paths(config) for name, src in REGISTRY.items()}


def source_patterns(source, *kinds):
    """The registry's local file patterns of ``source`` for ``kinds`` (astrobuild.registry)."""
    return REGISTRY[source].pattern_list(*kinds)


# Every table is declared once, in astrobuild.contracts.catalogue (path, contract, key, stage):
# the chains' rules write to these paths, validate_table checks the tables of TABLES.
TABLE_PATHS = {name: table.path for name, table in CATALOGUE.items()}
QUARANTINE_PATHS = {name: table.quarantine for name, table in CATALOGUE.items() if table.quarantine}
# Array stores (Zarr) checked by their own validation rule (store name -> store
# directory, e.g. "climate_<stem>" -> data/processed/climate/<stem>.zarr); the
# climate chain fills it, the quality report reads every one.
STORES = {}
# Products that rule all builds, added by each chain's .smk.
FINAL = []


def source_mode(source):
    return config["sources"][source]["mode"]


def raw_inputs(source, patterns, required=True, remote=None):
    """Input function of a step's raw input: the generated sample directory, the
    fetch rules' outputs in remote mode (those of the parts named by `remote`, default
    all of the source's), or the user's matching files in local mode (listed, so that
    Snakemake sees every file as an input and reruns when one changes). Snakemake
    calls it only for jobs in the DAG, so a target that needs no such file never asks
    for one; a job that does fails naming the config key, the directory and the patterns."""

    def discover(wildcards):
        if source_mode(source) == "sample":
            return [SAMPLE_DIR.format(source=source)]
        if source_mode(source) == "remote":
            parts = REMOTE_PARTS[source]
            return [parts[p] for p in (remote or sorted(parts))]
        return find_source_files(source, config["sources"][source]["path"], patterns, required=required)

    return discover


def optional_raw_inputs(source, patterns, remote=None):
    """Like raw_inputs, but an empty list (not an error) when a local source has no such file."""
    return raw_inputs(source, patterns, required=False, remote=remote)


def found_or_raise(files, problem):
    """Input function of files found while the DAG was built (climate cubes, whose stems are
    wildcards): when there are none, the discovery error, raised only for jobs that need them."""

    def inputs(wildcards):
        if not files:
            raise ValueError(problem)
        return files

    return inputs


def source_has_files(source, patterns):
    """Whether a source has files of a kind (sample mode: always); for declaring optional tables."""
    if source_mode(source) in ("sample", "remote"):
        # Remote: the fetch rules write every kind of file the optional tables are parsed from.
        return True
    root = Path(config["sources"][source]["path"])
    return root.is_dir() and any(p.is_file() for pat in patterns for p in root.rglob(pat))


def is_built(table):
    """Whether this config builds a table of the catalogue: an optional one only where its
    source (table.files_source) has the files it is parsed from."""
    return not table.optional or source_has_files(table.files_source, table.only_with_files)


# The tables this config builds (name -> Parquet file); the `all` rule asks for every report.
TABLES = {name: table.path for name, table in CATALOGUE.items() if is_built(table)}


def source_root(source):
    """Name and root directory of a source (the sample directory, data/raw/remote/<source>, or the
    local `path`), for
    astrobuild.paths.SourceRoot: outputs name input files relative to it, the same on every machine."""
    if source_mode(source) == "sample":
        return {"name": source, "root": SAMPLE_DIR.format(source=source)}
    if source_mode(source) == "remote":
        return {"name": source, "root": REMOTE_DIR.format(source=source)}
    return {"name": source, "root": config["sources"][source]["path"]}


def validation_report(table):
    return f"results/validation/{table}.json"


def final_targets():
    return FINAL + [validation_report(t) for t in sorted(TABLES)]


def rule_threads(name):
    """Threads of the jobs of `name` (a rule, or a group of generated rules), from config
    `resources` (schemas/config.schema.yaml)."""
    return job_threads(config["resources"], name)


def rule_resources(name):
    """Resources of the jobs of `name` as keywords, `resources` being followed by
    `**rule_resources("x")`: mem_mb, runtime in minutes, gpu where configured. From config
    `resources`, so that no number lives in the .smk files."""
    return job_resources(config["resources"], name)


def learn_env(name):
    """The conda env of the learning step `name`, from astrobuild.resources.learn_env. It is torch's CUDA
    build when its jobs ask for a GPU (config `resources`, or set-resources from the command line or a
    profile, as config/profiles/slurm does for train), else the CPU wheel."""
    return job_learn_env(config["resources"], name, workflow.resource_settings.overwrite_resources)


def organism_pathways_inputs(wildcards):
    """The pathways of the organisms, where this config builds them (the planet-run registry's input)."""
    if "organism_pathways" not in TABLES:
        return {}
    return {"organism_pathways": TABLE_PATHS["organism_pathways"],
            "organism_pathways_ok": validation_report("organism_pathways")}


def fetch_what(source, *keys):
    """The keys of sources.<source> that decide what a fetch job (rules/fetch.smk) downloads, as its
    params, so that a change reruns it. How politely (rate_limit, token, the fetch section) its
    script reads from the config, so changing that fetches nothing again."""
    src = config["sources"][source]
    return {key: src.get(key) for key in ("url", *keys)}


def fetch_staging(job):
    """The staging folder of a fetch job (astrobuild.fetch.files), partial and unpublished
    downloads, kept across failed runs so that the next one resumes."""
    return f"{STAGING_ROOT}/{job}"
