"""The learning stage: planet-run registry -> multi-modal dataset -> model, metrics and curves.

Modules, in the order data flows through them:

* :mod:`config`   the resolved ``train:`` config (defaults live in schemas/config.schema.yaml);
* :mod:`splits`   planet-grouped, seeded train/val/test splits;
* the inputs come pooled from the features store (:mod:`astrobuild.features`, built by the data build);
* :mod:`norm`     normalisation statistics, fitted on the training split alone;
* :mod:`dataset`  the ``torch.utils.data.Dataset`` and ``collate``;
* :mod:`model`    one encoder per modality, fusion with missing-modality masking, a binary head;
* :mod:`metrics`  AUROC/AUPRC/Brier, host-star bootstrap intervals (paired too) and the baselines;
* :mod:`summary`  the boosted-trees yardstick on generic per-modality summaries;
* :mod:`compat`   what model.pt keeps to stand alone (compound vocabulary, feature layout) and
  the check that refuses data it does not fit;
* :mod:`train`    the seeded training loop (CPU, or CUDA with bf16 autocast);
* :mod:`pipeline` rule ``train``: everything above, and the files it writes;
* :mod:`ablate`   ``make ablate``: leave-one-modality-out variants as queued DVC experiments.
"""
