"""Rule write_manifest: size and SHA-256 of every file of the build's versioned products."""

from astrobuild.rulelog import rule_logging
from astrobuild.versioning.products import write_build_manifest

with rule_logging(snakemake.log[0]):
    write_build_manifest(products=list(snakemake.input.products), roots=snakemake.params.roots,
                         patterns=snakemake.params.ignore, manifest_path=snakemake.output[0],
                         input_roots=snakemake.params.input_roots, state_path=snakemake.params.state)
