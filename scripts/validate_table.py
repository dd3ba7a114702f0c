"""Rule validate_table: check a table against its Pandera contract."""

from astrobuild.contracts.validate import check_and_report
from astrobuild.rulelog import rule_logging

with rule_logging(snakemake.log[0]):
    check_and_report(name=snakemake.wildcards.table, path=snakemake.input.table, report_path=snakemake.output[0])
