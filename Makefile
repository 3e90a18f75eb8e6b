# Two commands from a fresh clone:
#   make demo   sets everything up, builds the sample city (once) and runs gridmap
#   make test   installs what the tests need and runs them
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DB     := var/gridmap.gpkg

.PHONY: demo test test-fast bench lint format clean translations

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(DB): | $(STAMP)
	GRIDMAP_DATABASE_URL=gpkg://$(abspath $(DB)) $(BIN)/gridmap sample --if-missing --with-reform
	GRIDMAP_DATABASE_URL=gpkg://$(abspath $(DB)) $(BIN)/gridmap user demo

demo: $(STAMP) $(DB)
	GRIDMAP_DATABASE_URL=gpkg://$(abspath $(DB)) $(BIN)/gridmap layers
	GRIDMAP_DATABASE_URL=gpkg://$(abspath $(DB)) $(BIN)/gridmap lookup 125.10 46.59
	GRIDMAP_DATABASE_URL=gpkg://$(abspath $(DB)) $(BIN)/gridmap serve

test: $(STAMP)
	bash scripts/test-deps.sh
	$(BIN)/python -m pytest

# The inner loop: last run's failures first, stop at the first failure, and leave out
# the browser tests and those marked slow (servers, many processes, generated requests);
# `make test` runs everything.  (pytest-xdist is not used: on two cores the session's
# sample city and index would be built once per worker.)
test-fast: $(STAMP)
	bash scripts/test-deps.sh
	$(BIN)/python -m pytest -x --ff -m "not browser and not slow"

bench: $(STAMP)
	bash scripts/test-deps.sh
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/lookup_bench.py
	$(BIN)/python benchmarks/batch_bench.py --sizes 1M,10M
	$(BIN)/python benchmarks/serve_bench.py
	$(BIN)/python benchmarks/rehome_bench.py
	$(BIN)/python benchmarks/map_bench.py
	$(BIN)/python benchmarks/plan_bench.py
	$(BIN)/python benchmarks/anytime_bench.py

# The style (ruff) and the import contract of .importlinter (import-linter): CI runs this
# before the tests; pre-commit runs the same on each commit (.pre-commit-config.yaml).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var test-output .pytest_cache

# After changing text: the catalogue template from the code and templates, then the
# Chinese catalogue brought up to it (new messages empty: translate them;
# tests/web/test_catalogue.py fails while one is missing).  The app compiles the .po
# files itself when it starts.
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k _lp:1c,2 -k say --no-location --sort-output \
		-o var/messages.pot .
	$(BIN)/pybabel update -i var/messages.pot -d web/translations --no-fuzzy-matching \
		--ignore-obsolete -w 100
