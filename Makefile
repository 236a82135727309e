# The two commands of the README: `make demo` and `make test`. Both set up
# the virtualenv (.venv) from the pinned constraints on first use.

VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: demo test lint check bench bench-report reliability reliability-ci clean

$(BIN)/sinkron: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $@

# The demo lives in demo/ next to standins/, outside the product (app/), so it is
# started from the checkout; DEMO_ARGS=--once runs the sync and exits.
demo: $(BIN)/sinkron  ## stand-in E-Program and E-Planning, SQLite, a full sync, the service on :8000
	$(BIN)/python -m demo $(DEMO_ARGS)

# A test process per core (pytest-xdist); a module's tests stay in one process, so
# its module-wide set-up (a demo, a 100,000-row report) is made once.
test: $(BIN)/sinkron  ## the whole suite; PostgreSQL too when SINKRON_TEST_POSTGRES_URL is set
	$(BIN)/pytest --numprocesses auto --dist loadscope $(PYTEST_ARGS)

lint: $(BIN)/sinkron
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

check: lint test

$(BIN)/dlt: $(BIN)/sinkron
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,bench]'
	@touch $@

bench: $(BIN)/dlt  ## sync benchmark with its references; writes docs/performance.md. BENCH_ARGS="--sizes 3000 100000 --postgres URL --limits off on"
	$(BIN)/python bench/sync_bench.py --mapping --profile $(BENCH_ARGS)

bench-report: $(BIN)/sinkron  ## the planners' report at 100,000 mismatches; BENCH_ARGS="--postgres URL" for PostgreSQL
	$(BIN)/python bench/report_bench.py $(BENCH_ARGS)

# The reliability matrix (issue 10): faults injected into real syncs, what must hold, figures.
reliability: $(BIN)/sinkron  ## the full matrix by hand; writes docs/reliability.md. RELIABILITY_ARGS="--only sigkill"
	$(BIN)/python -m reliability --size full $(RELIABILITY_ARGS)

reliability-ci: $(BIN)/sinkron  ## the small matrix (a few minutes); fails when a row does not hold
	$(BIN)/python -m reliability --size small --out "$$(mktemp --suffix=.md)" $(RELIABILITY_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache sinkron.db sinkron.db-*
