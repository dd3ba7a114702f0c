"""Contract of the tidy spectra table (``data/processed/spectra.parquet``)."""

from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import Series

# Units as field metadata of the Parquet file (astrobuild.contracts.arrow), for readers that look them up.
UM, PPM = {"unit": "um"}, {"unit": "ppm"}


class Spectra(pa.DataFrameModel):
    """One row per wavelength point of every spectrum; depths in ppm, wavelengths in µm."""

    spectrum: Series[str] = pa.Field(str_length={"min_value": 1},
                                     description="spectrum id: the file name without suffix (in the sample, the run name, "
                                                 "which is also the climate cube's stem)")
    planet: Series[str] = pa.Field(nullable=True, description="planet from a '# planet:'/'# target:' comment")
    kind: Series[str] = pa.Field(nullable=True, isin=["transmission", "emission"],
                                 description="transmission or emission, when stated")
    instrument: Series[str] = pa.Field(nullable=True, description="instrument, when stated")
    order: Series[pa.typing.Int64] = pa.Field(nullable=True, ge=0, description="spectral order, when given")
    wavelength_um: Series[float] = pa.Field(gt=0.0, le=1000.0, description="wavelength [µm]", metadata=UM)
    wavelength_err_um: Series[float] = pa.Field(nullable=True, ge=0.0, metadata=UM,
                                                description="wavelength uncertainty or bin half-width [µm]")
    depth_ppm: Series[float] = pa.Field(ge=-1.0e6, le=1.0e6, metadata=PPM,
                                        description="transit depth (Rp/Rs)^2 or eclipse depth Fp/Fs [ppm]; "
                                                    "noise may make it negative, within its errors (depth_negative)")
    depth_err_ppm: Series[float] = pa.Field(nullable=True, ge=0.0, metadata=PPM,
                                            description="depth uncertainty, 1 sigma [ppm]")
    depth_negative: Series[bool] = pa.Field(description="depth below zero within spectra.negative_sigma errors: "
                                                        "kept, flagged (deeper ones are quarantined)")
    quality: Series[pa.typing.Int64] = pa.Field(nullable=True, description="the file's quality flag (0: good), when given")

    class Config:
        strict = True
        coerce = True
        unique = ["spectrum", "wavelength_um", "order"]
