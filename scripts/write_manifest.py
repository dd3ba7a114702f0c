"""Rule write_manifest: size and SHA-256 of every versioned file of the build."""

from astrobuild.rulelog import rule_logging
from astrobuild.versioning.manifest import write_manifest

with rule_logging(snakemake.log[0]):
    write_manifest(roots=snakemake.params.roots, patterns=snakemake.params.ignore,
                   manifest_path=snakemake.output[0], input_roots=snakemake.params.input_roots,
                   state_path=snakemake.params.state)
