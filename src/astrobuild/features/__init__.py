"""The features store: every run's model inputs, pooled once by the build (rules/features.smk).

* :mod:`config`   the pooling settings (``train.climate``, ``train.spectrum``, ``train.planet_columns``);
* :mod:`climate`, :mod:`graphs`, :mod:`spectra`, :mod:`params`: one run's input of each
  modality (cube pooled to the model grid, union graph of its pathways, spectrum binned on the
  common grid, planet parameters), each reading its own product lazily;
* :mod:`pool`     a batch of registry rows -> the store's arrays;
* :mod:`store`    the Zarr store: batches, merge, read back, contract;
* :mod:`pipeline` what the rules call.

The training (:mod:`astrobuild.learn`) reads only the store.
"""
