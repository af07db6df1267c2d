# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
# Each creates .venv if it is missing and installs the project with its extras first.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint bench clean

# Re-install only when the project's metadata changed.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,vision]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/safeconduct demo --out demo-out

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

test: $(STAMP) lint
	$(BIN)/pytest

# Benchmarks need GRASS GIS and GDAL's tools; install them (Debian) if they are missing.
bench: $(STAMP)
	@command -v grass >/dev/null && command -v gdal_viewshed >/dev/null || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq grass-core gdal-bin)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) demo-out bench/out .pytest_cache .ruff_cache
