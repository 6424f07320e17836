# geoservice: two commands on a fresh machine with Python 3.11+
#   make serve   create .venv, install, build the sample store if missing, serve on :8000
#   make test    install what the tests need (Python, Debian, npm), then run them

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= $(or $(GEOSERVICE_PORT),8000)
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
VENDOR_DIR := geoservice/static/vendor
VENDOR := $(VENDOR_DIR)/maplibre-gl
MAPLIBRE := node_modules/maplibre-gl/dist
LEAFLET := $(VENDOR_DIR)/leaflet/dist/leaflet.js
NPM_STAMP := node_modules/.package-lock.json

.PHONY: serve test test-slow test-all fuzz lint lock lock-upgrade bench bench-deps bench-tiles bench-maps load data web system-deps clean help

help:
	@echo "make serve    - install and serve on http://127.0.0.1:$(PORT)"
	@echo "make test     - install test dependencies (incl. PostGIS, Chromium) and run the tests"
	@echo "make test-slow - the slow tests (a 100 000-cell grid in both stores)"
	@echo "make bench    - benchmarks against peers (see bench/README.md)"
	@echo "make bench-tiles - tile benchmark: geoservice vs tipg, TiTiler and the floors (PostGIS, wrk)"
	@echo "make bench-maps - web-map load time: 100 000-cell grid vs district (Chromium)"
	@echo "make fuzz     - schemathesis over /api: every identity, both stores, ~60 000 cases"
	@echo "make load     - 50 clients on a multi-worker server, both stores; fails on errors or leaks"
	@echo "make lock     - re-lock requirements/*.txt after changing pyproject.toml's dependencies"
	@echo "make lock-upgrade - move every locked version to the newest pyproject.toml allows"

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Installs come from the locks (requirements/*.txt: exact versions and their hashes,
# made from pyproject.toml's ranges by `make lock`), then the project itself without
# dependencies, so every machine runs the versions the tests ran.
$(STAMP): requirements/serve.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/serve.txt
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

$(TEST_STAMP): requirements/test.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/test.txt
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@ $(STAMP)

# Re-lock after changing pyproject.toml's dependencies (current pins kept where they
# still fit), or move every pin to the newest version the ranges allow; then
# `make test` installs and tests what was locked. uv resolves; pip installs.
UV_VERSION := 0.13.9
$(BIN)/uv: | $(BIN)/python
	$(BIN)/pip install --quiet 'uv==$(UV_VERSION)'

lock: $(BIN)/uv
	$(BIN)/python requirements/lock.py --uv $(BIN)/uv

lock-upgrade: $(BIN)/uv
	$(BIN)/python requirements/lock.py --uv $(BIN)/uv --upgrade

# Browser libraries from npm (pinned in package-lock.json), served by geoservice itself:
# MapLibre GL JS for /map; Leaflet and its plugins for the Folium maps (also inlined into
# standalone exports), copied with their licences as geoservice/maps/vendor.py lists them.
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

$(VENDOR)/maplibre-gl.mjs: $(NPM_STAMP)
	mkdir -p $(VENDOR)
	cp $(MAPLIBRE)/maplibre-gl.mjs $(MAPLIBRE)/maplibre-gl-worker.mjs \
	   $(MAPLIBRE)/maplibre-gl-shared.mjs $(MAPLIBRE)/maplibre-gl.css $(VENDOR)/

$(LEAFLET): $(NPM_STAMP) geoservice/maps/vendor.py
	$(PYTHON) geoservice/maps/vendor.py node_modules $(VENDOR_DIR)

web: $(VENDOR)/maplibre-gl.mjs $(LEAFLET)

data: $(STAMP)
	$(BIN)/geoservice data build --if-missing

serve: $(STAMP) data web
	GEOSERVICE_PORT=$(PORT) $(BIN)/geoservice serve --port $(PORT)

system-deps:
	.ci/system-deps

lint: $(TEST_STAMP)
	$(BIN)/ruff check geoservice tests bench requirements
	$(BIN)/ruff format --check geoservice tests bench requirements
	$(BIN)/lint-imports
	$(BIN)/geoservice check-layers

test: $(TEST_STAMP) system-deps web lint
	GEOSERVICE_REQUIRE_POSTGIS=1 $(BIN)/pytest -m "not slow"

test-slow: $(TEST_STAMP) system-deps web
	GEOSERVICE_REQUIRE_POSTGIS=1 $(BIN)/pytest -m slow

test-all: test test-slow

# Schemathesis over the whole OpenAPI document (/api), in-process, on both stores, with
# no key and a reader, editor and admin key: the coverage phase plus FUZZ_EXAMPLES
# generated cases per operation; fails on any 5xx or response that breaks the
# document; prints the cases sent. `make test` runs a bounded run (3 cases per
# operation, no key and admin). FUZZ_STRICT=1 also checks that every status code and
# rejected value is documented.
FUZZ_EXAMPLES ?= 25
fuzz: $(TEST_STAMP) system-deps
	GEOSERVICE_REQUIRE_POSTGIS=1 GEOSERVICE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
	GEOSERVICE_FUZZ_COVERAGE=1 GEOSERVICE_FUZZ_IDENTITIES=all \
	GEOSERVICE_FUZZ_STRICT=$(FUZZ_STRICT) $(BIN)/pytest -m fuzz tests/api/fuzz

bench: $(TEST_STAMP) system-deps bench-deps bench-tiles bench-maps
	$(BIN)/python bench/features.py
	$(BIN)/python bench/analysis.py
	$(BIN)/python bench/ingest.py

# What the peers need from Debian: wrk (the load tool for every server) and
# SpatiaLite (pygeoapi's GeoPackage provider loads mod_spatialite).
bench-deps:
	command -v wrk >/dev/null || apt-get install -y -qq wrk
	dpkg -s libsqlite3-mod-spatialite >/dev/null 2>&1 || apt-get install -y -qq libsqlite3-mod-spatialite

# Web-map load time in headless Chromium: the 100 000-cell grid vs the district.
bench-maps: $(TEST_STAMP) system-deps web
	$(BIN)/python bench/maps.py --postgis
	$(BIN)/python bench/maps.py

# Peers (tipg, TiTiler) go to their own venv under bench/.work; the load tool is wrk.
bench-tiles: $(TEST_STAMP) system-deps bench-deps
	$(BIN)/python bench/tiles.py

# 50 concurrent clients (items, tiles, maps, uploads) against `geoservice serve
# --workers 2` on each store; exits non-zero on any error, or if the workers' RSS or
# open handles are not back within 10 % after a rest. LOAD_ARGS="--seconds 120" etc.
load: $(TEST_STAMP) system-deps web
	$(BIN)/python bench/load.py $(LOAD_ARGS)

clean:
	rm -rf $(VENV) data/geoservice.gpkg data/geoservice.gpkg-* .pytest_cache node_modules $(VENDOR_DIR)
