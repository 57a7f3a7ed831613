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

# The browser tests (tests/browser) drive Debian's chromium headless through Playwright, which
# never downloads a browser of its own: installed here when missing, as root or through `sudo -n`.
# Without it the browser tier skips locally and fails under CI=true, saying why.
$(VENV)/.browser: $(VENV)/.dev
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	  echo "installing Debian's chromium for the browser tests"; \
	  { $$SUDO apt-get update -qq && \
	    $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	  || echo "could not install chromium: the browser tests will say so" >&2; \
	fi
	@if [ -x /usr/bin/chromium ]; then touch $@; fi

serve: $(BIN)/wanstack  ## start the service on its embedded defaults (SQLite, local files, workers)
	$(BIN)/wanstack serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.dev  ## ruff, mypy (strict), the import contracts, module sizes
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python scripts/module_sizes.py --over 450

test: lint $(VENV)/.browser  ## the whole suite: lint, then every test tier on SQLite and PostgreSQL
	$(BIN)/pytest -q

bench: $(VENV)/.dev  ## API throughput and pickup latency (see docs/performance.md)
	$(BIN)/python bench/api_bench.py

clean:  ## remove the virtual environment and caches (not .wanstack data)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
