"""The learning stage: planet-run registry -> multi-modal dataset -> model, metrics and curves.

Modules, in the order data flows through them:

* :mod:`config`   the resolved ``train:`` config (defaults live in schemas/config.schema.yaml);
* :mod:`splits`   planet-grouped, seeded train/val/test splits;
* :mod:`climate`, :mod:`graphs`, :mod:`spectra`, :mod:`params`: one run's raw input of each
  modality (cube pooled to the model grid, union graph of its pathways, spectrum binned on the
  common grid, planet parameters), each reading its own source lazily;
* :mod:`norm`     normalisation statistics, fitted on the training split alone;
* :mod:`dataset`  the ``torch.utils.data.Dataset`` and ``collate``;
* :mod:`model`    one encoder per modality, fusion with missing-modality masking, a binary head;
* :mod:`metrics`  AUROC/accuracy/F1/loss and the baselines;
* :mod:`compat`   what model.pt keeps to stand alone (compound vocabulary, feature layout) and
  the check that refuses data it does not fit;
* :mod:`train`    the seeded training loop (CPU, or CUDA with bf16 autocast);
* :mod:`pipeline` rule ``train``: everything above, and the files it writes.
"""
