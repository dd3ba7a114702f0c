"""Transmission/emission spectra: readers of the common text formats, one tidy table."""
