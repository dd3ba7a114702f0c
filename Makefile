# One entry point for users and CI: everything installs itself from nothing.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CORES  ?= all
EXTRAS ?= dev
STAMP  := $(VENV)/.installed
SLURM_STAMP := $(VENV)/.installed-slurm

.PHONY: install run verify test test-browser test-slurm test-resume lint bench ablate schemas docs rulegraph clean help

help:
	@echo "make run    build everything from the built-in sample (snakemake --cores $(CORES))"
	@echo "make verify check every versioned file against results/manifest.json (snakemake verify)"
	@echo "make test   lint + unit and integration tests"
	@echo "make test-browser   the Snakemake report of a sample build, opened in headless chromium"
	@echo "make test-slurm     the sample built through the SLURM profile on a one-node SLURM started here"
	@echo "make test-resume    builds killed (SIGKILL) at three points resume to a clean build's bytes"
	@echo "make bench  run every benchmark under benchmarks/"
	@echo "make ablate leave-one-modality-out DVC experiments over the CV folds: pooled AUROC and paired difference vs all"
	@echo "make docs   regenerate docs/outputs.md and docs/configuration.md (python -m astrobuild.docs docs)"
	@echo "make rulegraph      redraw docs/images/rulegraph.svg from snakemake --rulegraph (needs Graphviz's dot)"
	@echo "make schemas        regenerate the YAML copies of the contracts in schemas/contracts"

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[$(EXTRAS)]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/snakemake --cores $(CORES)

verify: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) verify

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/snakemake --lint

# Two workers (pytest-xdist), a test file at a time; the files on the shared sample build go to one
# worker together (tests/conftest.py says why). TEST_WORKERS=0 runs them all in this process.
TEST_WORKERS ?= 2

test: lint
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadscope

# Needs Debian's chromium (apt-get install chromium); its tests skip, saying so, without it.
test-browser: $(STAMP)
	$(BIN)/pytest -q -m browser tests/report

# Real builds killed with SIGKILL while converting, checking stores and writing the manifest, each
# resumed by `snakemake --unlock` and one rerun (tests/resume; about 3 minutes).
test-resume: $(STAMP)
	$(BIN)/pytest -q -m resume tests/resume

# The SLURM executor plugin (pip extra `slurm`, pinned in constraints.txt), over the usual install.
$(SLURM_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[$(EXTRAS),slurm]'
	touch $(SLURM_STAMP)

# Starts munged, slurmctld and slurmd itself (tests/slurm/cluster.py): needs root and Debian's
# slurm-wlm and munge (apt-get install slurm-wlm munge; .ci/run does it); skips, saying so, without.
test-slurm: $(SLURM_STAMP)
	$(BIN)/pytest -q -m slurm tests/slurm

schemas: $(STAMP)
	$(BIN)/python -m astrobuild.contracts.export schemas/contracts

# The reference pages generated from the catalogue, the contracts, the quality rules and the config
# schema; tests/unit/test_docs.py fails when a committed page differs from what this writes.
docs: $(STAMP)
	$(BIN)/python -m astrobuild.docs docs

# The picture of the DAG in the README: the rule graph of the tests' sample config, drawn by Graphviz
# (apt-get install graphviz). The test suite never needs dot: the SVG is committed.
rulegraph: $(STAMP)
	@command -v dot >/dev/null || { echo "Graphviz's dot is missing: apt-get install graphviz"; exit 1; }
	$(BIN)/snakemake --rulegraph --configfile config/test.yaml > docs/images/.rulegraph.dot
	dot -Tsvg docs/images/.rulegraph.dot > docs/images/rulegraph.svg
	rm -f docs/images/.rulegraph.dot

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

# Queues "all" and every leave-one-modality-out variant of train.modalities as DVC experiments
# (ablate-all, ablate-no-<modality>: the train stage alone), runs the queue, and prints a Markdown
# table: each variant's pooled out-of-fold AUROC and its paired difference from "all", with 95%
# host-star bootstrap intervals (src/astrobuild/learn/ablate.py). ABLATE_ARGS: e.g. --jobs 2,
# --no-run (print the last run's experiments again), --bootstrap N, --json PATH.
ablate: $(STAMP)
	$(BIN)/python -m astrobuild.learn.ablate $(ABLATE_ARGS)

clean:
	rm -rf data/raw/sample data/interim data/processed results logs .snakemake
