"""Climate chain: GCM NetCDF cubes -> verified Zarr v3 stores, their contracts and the table of cubes."""
