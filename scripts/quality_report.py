"""Rule quality_report: grade every table and store; fail on a grade below its bar."""

from astrobuild.quality import quality_report
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    quality_report(snakemake.params.tables, snakemake.params.stores, snakemake.params.validations,
                   snakemake.params.quality, snakemake.output.json, snakemake.output.html,
                   albedo=snakemake.params.albedo)
