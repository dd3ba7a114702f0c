"""Rule verify: every versioned file against results/manifest.json; fails naming each mismatch."""

from astrobuild.rulelog import rule_logging
from astrobuild.versioning.verify import verify_build

with rule_logging(snakemake.log[0]):
    verify_build(snakemake.params.manifest, roots=snakemake.params.roots, patterns=snakemake.params.ignore)
