"""Dataset versions: the build manifest and what DVC-restored files need from Snakemake."""
