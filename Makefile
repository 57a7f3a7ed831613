# The commands a developer runs are the ones CI runs (.ci/run calls `make test`).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: help serve test lint check bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(BIN)/wanstack: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@touch $@

# The test suite runs the diffusers engines on tiny random pipelines on the CPU: it needs the gpu
# extra (torch's CPU wheel where no CUDA is present), though no GPU.
$(VENV)/.dev: $(BIN)/wanstack
	$(BIN)/pip install --quiet -e '.[dev,gpu]'
	@touch $@

serve: $(BIN)/wanstack  ## start the service on its embedded defaults (SQLite, local files, workers)
	$(BIN)/wanstack serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.dev  ## ruff, mypy (strict), the import contracts, module sizes
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python scripts/module_sizes.py --over 450

test: lint  ## the whole suite: lint, then every test tier on SQLite and PostgreSQL
	$(BIN)/pytest -q

bench: $(VENV)/.dev  ## API throughput and pickup latency (see docs/performance.md)
	$(BIN)/python bench/api_bench.py

clean:  ## remove the virtual environment and caches (not .wanstack data)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
