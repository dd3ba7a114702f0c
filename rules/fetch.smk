# Remote acquisition (sources.<name>.mode: remote): one rule per upstream service, named after the
# original scripts. Each downloads into its staging folder (data/raw/remote/.staging/<rule>/) and
# moves into its outputs, under data/raw/remote/<source>/, only complete and verified files
# (src/astrobuild/fetch); the chains' parsing rules read those as they read a local source.
#
# A network resource per host (igsr=1, kegg_api=1, ...) counts a job as one client of that host:
# `--resources kegg_api=1` (set in config/profiles/local) keeps two jobs from hitting KEGG at once.
# Within a job, sources.<name>.rate_limit paces the requests.
rule fetch_1000g_dirlists:
    output:
        directory(REMOTE_PARTS["genomes_1000g"]["dirlists"]),
    params:
        what=fetch_what("genomes_1000g", "dirlists"),
        staging=fetch_staging("fetch_1000g_dirlists"),
    threads: rule_threads("fetch_1000g_dirlists")
    resources:
        **rule_resources("fetch_1000g_dirlists"),
        igsr=1,
    log:
        "logs/fetch_1000g_dirlists.log",
    benchmark:
        "results/benchmarks/fetch_1000g_dirlists.tsv"
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/fetch_1000g_dirlists.py"


rule fetch_1000g_indices:
    input:
        # Each index file is checked against the size its tree's listing gives it.
        listings=REMOTE_PARTS["genomes_1000g"]["dirlists"],
    output:
        directory(REMOTE_PARTS["genomes_1000g"]["indices"]),
    params:
        what=fetch_what("genomes_1000g", "indices"),
        staging=fetch_staging("fetch_1000g_indices"),
    threads: rule_threads("fetch_1000g_indices")
    resources:
        **rule_resources("fetch_1000g_indices"),
        igsr=1,
    log:
        "logs/fetch_1000g_indices.log",
    benchmark:
        "results/benchmarks/fetch_1000g_indices.tsv"
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/fetch_1000g_indices.py"


rule fetch_kegg_lists:
    output:
        directory(REMOTE_PARTS["kegg"]["lists"]),
    params:
        what=fetch_what("kegg", "organisms", "brite"),
        staging=fetch_staging("fetch_kegg_lists"),
    threads: rule_threads("fetch_kegg_lists")
    resources:
        **rule_resources("fetch_kegg_lists"),
        kegg_api=1,
    log:
        "logs/fetch_kegg_lists.log",
    benchmark:
        "results/benchmarks/fetch_kegg_lists.tsv"
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/fetch_kegg_lists.py"


rule fetch_kegg_pathways:
    input:
        lists=rules.fetch_kegg_lists.output[0],
    output:
        directory(REMOTE_PARTS["kegg"]["pathways"]),
    params:
        what=fetch_what("kegg", "kgml_prefixes", "pathways"),
        staging=fetch_staging("fetch_kegg_pathways"),
    threads: rule_threads("fetch_kegg_pathways")
    resources:
        **rule_resources("fetch_kegg_pathways"),
        kegg_api=1,
    log:
        "logs/fetch_kegg_pathways.log",
    benchmark:
        "results/benchmarks/fetch_kegg_pathways.tsv"
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/fetch_kegg_pathways.py"


# The cube manifest is needed while the DAG is built (one conversion job input per cube): fetched
# on its own, `snakemake fetch_gcm_manifest`, before the build (unless sources.climate.files lists them).
rule fetch_gcm_manifest:
    output:
        CLIMATE_MANIFEST,
    params:
        what=fetch_what("climate", "manifest"),
        staging=fetch_staging("fetch_gcm_manifest"),
    threads: rule_threads("fetch_gcm_manifest")
    resources:
        **rule_resources("fetch_gcm_manifest"),
        gcm_host=1,
    log:
        "logs/fetch_gcm_manifest.log",
    benchmark:
        "results/benchmarks/fetch_gcm_manifest.tsv"
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/fetch_gcm_manifest.py"


if CLIMATE_REMOTE is not None:

    rule fetch_gcm_cubes:
        input:
            manifest=[] if config["sources"]["climate"]["files"] is not None else CLIMATE_MANIFEST,
        output:
            [f"{CLIMATE_ROOT}/{entry.path}" for entry in CLIMATE_REMOTE],
        params:
            what=fetch_what("climate", "manifest", "files"),
            source=source_root("climate"),
            staging=fetch_staging("fetch_gcm_cubes"),
        threads: rule_threads("fetch_gcm_cubes")
        resources:
            **rule_resources("fetch_gcm_cubes"),
            gcm_host=1,
        log:
            "logs/fetch_gcm_cubes.log",
        benchmark:
            "results/benchmarks/fetch_gcm_cubes.tsv"
        conda:
            "../envs/astrobuild.yaml"
        script:
            "../scripts/fetch_gcm_cubes.py"


rule fetch_exoplanet_archive:
    output:
        REMOTE_PARTS["exoplanets"]["archive"],
    params:
        what=fetch_what("exoplanets", "query"),
        table=config["exoplanets"]["table"],
        staging=fetch_staging("fetch_exoplanet_archive"),
    threads: rule_threads("fetch_exoplanet_archive")
    resources:
        **rule_resources("fetch_exoplanet_archive"),
        exoplanet_archive=1,
    log:
        "logs/fetch_exoplanet_archive.log",
    benchmark:
        "results/benchmarks/fetch_exoplanet_archive.tsv"
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/fetch_exoplanet_archive.py"


rule fetch_spectra:
    output:
        directory(REMOTE_PARTS["spectra"]["files"]),
    params:
        what=fetch_what("spectra", "manifest", "files"),
        staging=fetch_staging("fetch_spectra"),
    threads: rule_threads("fetch_spectra")
    resources:
        **rule_resources("fetch_spectra"),
        spectra_host=1,
    log:
        "logs/fetch_spectra.log",
    benchmark:
        "results/benchmarks/fetch_spectra.tsv"
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/fetch_spectra.py"


# NCBI E-utilities efetch, batch_size accessions per request, at NCBI's limit (3 requests/s, 10 with
# the API key of $NCBI_API_KEY, read by the script: never a param, so never in Snakemake's records).
rule fetch_genbank_records:
    output:
        directory(REMOTE_PARTS["organisms"]["genbank"]),
    params:
        what=fetch_what("organisms", "accessions"),
        staging=fetch_staging("fetch_genbank_records"),
    threads: rule_threads("fetch_genbank_records")
    resources:
        **rule_resources("fetch_genbank_records"),
        ncbi_eutils=1,
    log:
        "logs/fetch_genbank_records.log",
    benchmark:
        "results/benchmarks/fetch_genbank_records.tsv"
    conda:
        "../envs/astrobuild.yaml"
    script:
        "../scripts/fetch_genbank_records.py"
