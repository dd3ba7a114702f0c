"""The feature qualifiers a GenBank record may carry.

The INSDC Feature Table Definition (DDBJ/ENA/GenBank, version 11, appendix
"Summary of qualifiers for feature keys") lists them; NCBI's own records add a
few (the Gene Ontology terms of RefSeq, ``transcript_id``), and older records
keep some the definition has since retired (``country``, ``label``,
``citation``, ``evidence``). A qualifier outside this set is not an error of
the file, but its values are not read, so each one is reported (quarantine row
naming file, record and qualifier) instead of passing unseen: a tool that
writes KO ids under a made-up name would otherwise look like a genome
without them.
"""

from __future__ import annotations

INSDC = frozenset({
    "allele", "altitude", "anticodon", "artificial_location", "bio_material", "bound_moiety", "cell_line",
    "cell_type", "chromosome", "circular_RNA", "citation", "clone", "clone_lib", "codon_start", "collected_by",
    "collection_date", "compare", "country", "cultivar", "culture_collection", "db_xref", "dev_stage",
    "direction", "EC_number", "ecotype", "environmental_sample", "estimated_length", "exception",
    "experiment", "focus", "frequency", "function", "gap_type", "gene", "gene_synonym", "geo_loc_name",
    "germline", "haplogroup", "haplotype", "host", "identified_by", "inference", "isolate",
    "isolation_source", "lab_host", "lat_lon", "linkage_evidence", "locus_tag", "macronuclear", "map",
    "mating_type", "metagenome_source", "mobile_element_type", "mod_base", "mol_type", "ncRNA_class",
    "note", "number", "old_locus_tag", "operon", "organelle", "organism", "partial", "PCR_conditions",
    "PCR_primers", "phenotype", "plasmid", "pop_variant", "product", "protein_id", "proviral", "pseudo",
    "pseudogene", "rearranged", "recombination_class", "regulatory_class", "replace", "ribosomal_slippage",
    "rpt_family", "rpt_type", "rpt_unit_range", "rpt_unit_seq", "satellite", "segment", "serotype",
    "serovar", "sex", "specimen_voucher", "standard_name", "strain", "sub_clone", "sub_species",
    "sub_strain", "submitter_seqid", "tag_peptide", "tissue_lib", "tissue_type", "trans_splicing",
    "transgenic", "transl_except", "transl_table", "translation", "type_material", "variety",
})
# In NCBI's records although not (or no longer) in the definition.
NCBI = frozenset({"GO_component", "GO_function", "GO_process", "transcript_id", "nomenclature", "label",
                  "evidence", "cons_splice", "usedin", "UniProtKB_evidence", "ribosomal_slippage"})

KNOWN = INSDC | NCBI
