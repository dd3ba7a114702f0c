"""Rule quality_report: grade every table and store; fail on a grade below its bar."""

from astrobuild.quality import quality_report
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    quality_report(tables=snakemake.params.tables, stores=snakemake.params.stores,
                   validations=snakemake.params.validations, config=snakemake.params.quality,
                   json_path=snakemake.output.json, html_path=snakemake.output.html,
                   albedo=snakemake.params.albedo, quarantines=snakemake.params.quarantines)
