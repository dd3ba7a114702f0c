"""Rule write_provenance: the Provenance Run Crate, the dataset card and the run times of the build."""

from astrobuild.provenance.build import write_build_provenance
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    write_build_provenance(
        outputs={name: snakemake.output[name] for name in ("crate", "card", "card_html", "times")},
        tables=snakemake.params.tables, metrics_path=snakemake.input.metrics, quarantine=snakemake.params.quarantine,
        jobs=snakemake.params.plan["jobs"], rules=snakemake.params.plan["rules"], config=snakemake.config,
        pooling_keys=snakemake.params.pooling_keys, installed=snakemake.params.installed,
        python=snakemake.params.python, snakemake_version=snakemake.params.snakemake_version,
        workflow_files=snakemake.params.workflow_files, manifest=snakemake.input.manifest,
        run_specific_patterns=snakemake.params.run_specific, threads=snakemake.threads)
