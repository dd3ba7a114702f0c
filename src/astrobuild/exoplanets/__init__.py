"""NASA Exoplanet Archive tables: parsing, documented names with units, derived values, outlier flags."""
