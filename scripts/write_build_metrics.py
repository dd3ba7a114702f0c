"""Rule write_build_metrics: the curated metrics DVC shows, and the tables its plots draw."""

from astrobuild.metrics import write_build_metrics
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    write_build_metrics(quality_report=snakemake.input.quality, quarantine=snakemake.params.quarantine,
                        metrics_path=snakemake.output.metrics, rows_csv=snakemake.output.rows,
                        quality_csv=snakemake.output.quality, quarantine_csv=snakemake.output.quarantine)
