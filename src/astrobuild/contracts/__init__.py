"""Data contracts (Pandera) for every table that leaves a rule, and their checker.

One module per chain holds its tables' DataFrameModels; :mod:`~astrobuild.contracts.catalogue`
names every table once, with its contract, key, stage and path. Models are ``strict`` (no
unexpected column) and ``coerce`` (types are enforced, not guessed); validation is lazy, so a
report lists every failure at once.
"""
