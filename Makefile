# Tanya SPBE developer commands. Python 3.11+; pip only (uv/poetry would pull a CUDA torch).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch must be installed before sentence-transformers, or pip pulls a multi-GB CUDA build.
# Outside this workplace add the CPU wheel index: make install TORCH_ARGS="--index-url https://download.pytorch.org/whl/cpu"
TORCH_ARGS ?=
# Use the shared corpus beside the checkout when it is there; otherwise the documents folder.
export SPBE_DOCUMENTS_DIR ?= $(if $(wildcard ../shared/corpus/*),../shared/corpus,knowledge/documents)

.PHONY: install test lint run ingest bench lock clean

install:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install torch==2.13.0 $(TORCH_ARGS)
	$(BIN)/pip install -c constraints.txt -e '.[dev]'

test:
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint:
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

run:
	$(BIN)/spbe-bot chat

ingest:
	$(BIN)/spbe-bot ingest

# Every benchmark under bench/ (each writes bench/results/NAME.json), then BENCHMARKS.md from them.
# A glob, so a new bench script is run without changing this; load_common.py is shared code, table.py the report.
BENCH_SCRIPTS := $(filter-out bench/load_common.py bench/table.py,$(sort $(wildcard bench/*.py)))
# What else ran on the machine while measuring, written under the table (e.g. "2 cores shared with ...").
BENCH_NOTE ?=

bench:
	@$(BIN)/spbe-bot status > /dev/null 2>&1 || $(BIN)/spbe-bot ingest
	@failed=""; for script in $(BENCH_SCRIPTS); do \
	  echo "== $$script"; $(BIN)/python $$script || failed="$$failed $$script"; \
	done; \
	$(BIN)/python bench/table.py --note "$(BENCH_NOTE)"; \
	if [ -n "$$failed" ]; then echo "bench: failed:$$failed"; exit 1; fi

# Re-pin the whole dependency tree from a fresh environment (run after changing pyproject.toml).
lock:
	rm -rf /tmp/spbe-lock && $(PYTHON) -m venv /tmp/spbe-lock
	/tmp/spbe-lock/bin/pip install --quiet --upgrade pip
	/tmp/spbe-lock/bin/pip install --quiet torch==2.13.0 $(TORCH_ARGS)
	/tmp/spbe-lock/bin/pip install --quiet -e '.[dev]'
	( echo "# Pins for the whole tree, made by 'make lock'; 'make install' installs with these constraints."; \
	  /tmp/spbe-lock/bin/pip freeze --exclude-editable | sed -E 's/^torch==([0-9.]+)\+cpu$$/torch==\1/' ) > constraints.txt

clean:
	rm -rf $(VENV) .spbe .pytest_cache .ruff_cache
