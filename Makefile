# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
# Each creates .venv if it is missing and installs the project with its extras first.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install static vision-models demo test lint oracles browser bench clean

# Re-install only when the project's metadata changed.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,vision]"
	@touch $(STAMP)

install: $(STAMP) static vision-models

# htmx and Leaflet for the board, from the npm registry (pinned, SHA-256 checked), into the
# package's static files; not committed. npm is installed with apt when missing and we are root.
static: $(STAMP)
	@command -v npm >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		echo "installing npm for the board's static files" && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null; } || \
		echo "npm missing and cannot install it: the board will lack htmx and Leaflet"
	$(BIN)/python -m safeconduct.entrypoints.web.pages.vendor

# BlazePose Heavy's weights (the mediapipe wheel has only Full), from the npm registry
# (@mediapipe/pose, pinned, SHA-256 checked) into mediapipe's own folder, so mediapipe never
# tries to download them. npm is installed with apt when missing and we are root; without it
# the signals fall back to BlazePose Full, and this target does not fail.
vision-models: $(STAMP)
	@command -v npm >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		echo "installing npm for BlazePose Heavy's weights" && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null; } || true
	@$(BIN)/python -m safeconduct.adapters.vision.heavy_weights || \
		echo "BlazePose Heavy not installed: signals will use BlazePose Full"

demo: $(STAMP) static
	$(BIN)/safeconduct demo --out demo-out

# ruff for style; import-linter for the layer contracts in pyproject.toml.
lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

# The GRASS r.walk / r.viewshed and GDAL oracle tests need those tools: install them first.
# The tests run on every CPU (at most 4 workers, pytest-xdist; groups: tests/conftest.py).
test: $(STAMP) static vision-models lint oracles browser
	$(BIN)/pytest -n logical --maxprocesses=4

# GRASS GIS and GDAL's tools, the peers the oracle tests and benchmarks compare against, and
# 7-Zip, which must open the encrypted exports. Installed with apt (Debian/Ubuntu) when
# missing and we are root; otherwise left alone, and the pytest summary says in one line how
# many oracle tests skipped.
oracles:
	@if command -v grass >/dev/null && command -v gdal_viewshed >/dev/null && \
		command -v 7z >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing GRASS GIS, GDAL and 7-Zip (grass-core, gdal-bin, p7zip-full) for the oracle tests"; \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			grass-core gdal-bin p7zip-full >/dev/null || \
		echo "apt-get could not install grass-core gdal-bin p7zip-full: the oracle tests will skip"; \
	else \
		echo "GRASS GIS or gdal_viewshed missing and cannot install them (not root, or no apt):"; \
		echo "the oracle tests will skip"; \
	fi

# Debian's Chromium for the browser tests (Playwright drives it; `playwright install` cannot
# download browsers here). Installed with apt when missing and we are root; otherwise the
# browser tests skip, saying why (and fail where CI is set).
browser:
	@if command -v chromium >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing chromium for the browser tests"; \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			chromium >/dev/null || \
		echo "apt-get could not install chromium: the browser tests will fail in CI, skip elsewhere"; \
	else \
		echo "chromium missing and cannot install it (not root, or no apt): the browser tests will skip"; \
	fi

# Benchmarks need GRASS GIS and GDAL's tools as well.
bench: $(STAMP) oracles
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) demo-out bench/out .pytest_cache .ruff_cache
