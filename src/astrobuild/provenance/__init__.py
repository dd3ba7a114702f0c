"""Provenance of a dataset version: a Provenance Run Crate and a dataset card, built by the workflow.

Rule ``write_provenance`` (rules/provenance.smk) runs last, after the build manifest, and writes
``results/provenance/`` (:data:`astrobuild.contracts.products.PROVENANCE_OUTPUTS`):

- ``ro-crate-metadata.json``: a Workflow Run RO-Crate of the Provenance Run Crate profile
  (https://w3id.org/ro/wfrun/provenance/0.5), made with ro-crate-py (:mod:`.crate`): the workflow
  with its git commit, one action per job of the build with its inputs and outputs (size, sha256),
  the effective config, the software, and each source's origin and terms of use;
- ``DATASET.md`` (and ``DATASET.html`` for the Snakemake report): the dataset card (:mod:`.card`);
- ``run-times.json``: when each job ran (:mod:`.times`), kept out of the crate so that two builds of
  one commit give the same crate bytes.

Modules: :mod:`.jobs` (which jobs the build runs, from its rules), :mod:`.files` (sizes and
checksums), :mod:`.facts` (everything else the crate and card say: git, config, software,
sources), :mod:`.crate`, :mod:`.card`, :mod:`.times`, :mod:`.check` (the profile's required
properties and the checksums of a written crate), :mod:`.build` (the rule's entry point),
:mod:`.snakemake_rules` (the one module that asks Snakemake's rule objects, for rules/provenance.smk).
"""
