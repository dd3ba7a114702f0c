"""Rule verify: every versioned file against results/manifest.json, every store chunk against its crc32c."""

from astrobuild.rulelog import rule_logging
from astrobuild.versioning.verify import verify_build_and_stores

with rule_logging(snakemake.log[0]):
    verify_build_and_stores(manifest_path=snakemake.params.manifest, roots=snakemake.params.roots,
                            patterns=snakemake.params.ignore)
