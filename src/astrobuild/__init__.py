"""astrobuild: the library behind the Snakemake workflow.

Every step of the build is a plain function here; the rules in ``rules/`` and
the thin entry points in ``scripts/`` only wire files to these functions.
"""

__version__ = "0.1.0"
