"""1000 Genomes reference metadata: directory listings, index files, population tables."""
