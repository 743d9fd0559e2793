# Two commands matter: `make run` (everything, on embedded defaults) and `make test`.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install run test lint format bench eval lock clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	# torch first, pinned to the CPU build that lies on disk: nothing else may pull a CUDA one.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -c requirements.lock -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/servicedesk ingest --sample
	$(BIN)/servicedesk serve

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/servicedesk bench

eval: install
	$(BIN)/servicedesk eval retrieval --dataset sample --thresholds evals/thresholds.json

# Re-pin every dependency after changing pyproject.toml.
lock: install
	$(BIN)/python -m pip freeze --exclude-editable | sed -e 's/+cpu//' > requirements.lock

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
