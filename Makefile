# takedown-lab: every target creates .venv on first use from the pinned lock.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint venv lock browser wrk clean docs dist-check

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q "uv==$(UV_VERSION)"
	$(BIN)/uv pip sync -q --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

## lock: re-pin every dependency (run after editing pyproject.toml)
lock:
	test -x $(BIN)/uv || { $(PY) -m venv $(VENV) && $(BIN)/python -m pip install -q "uv==$(UV_VERSION)"; }
	$(BIN)/uv pip compile -q pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

## browser: headless Chromium for the report test (Debian package)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing: run 'sudo apt-get install chromium'"; fi; }

## wrk: the HTTP load generator of the service bench (Debian package)
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else echo "wrk missing: run 'sudo apt-get install wrk'"; fi; }

## demo: the main job on the embedded default (SQLite, local processes)
demo: $(STAMP)
	$(BIN)/takedown loadtest --duration 20s --slo loadtest/slos/default.toml --out out/loadtest-demo
	$(BIN)/python -m sim.cli.demo

## test: the test suite and the regression gate (under 15 minutes); property tests run
## derandomized (tests/hypo.py), so the same code gets the same verdict every run; two
## worker processes, each test file on one of them (TEST_WORKERS=0: one process)
TEST_WORKERS ?= 2
test: $(STAMP) browser
	TAKEDOWN_HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest -q -m "not slow and not bench" \
	  -n $(TEST_WORKERS) --dist loadfile

## bench: benchmarks and slow checks, then every property test exploring afresh with ten
## times the examples of make test
bench: $(STAMP) wrk
	$(BIN)/python -m pytest -q -m "slow or bench" -s
	TAKEDOWN_HYPOTHESIS_PROFILE=explore $(BIN)/python -m pytest -q -m "property and not slow" \
	  --hypothesis-show-statistics

## docs: regenerate the references made from the code (scenario keys, metrics)
docs: $(STAMP)
	$(BIN)/python -m sim.schema_doc
	$(BIN)/python -m sim.metrics_doc

## dist-check: build the sdist and wheel, install the wheel into a fresh venv outside the
## checkout and run docs/install.md's commands from an empty folder (about 5 minutes;
## also part of make bench)
dist-check: $(STAMP)
	$(BIN)/python -m pytest -q tests/test_distribution.py

lint: $(STAMP)
	$(BIN)/ruff check sim loadtest reports tests
	$(BIN)/ruff format --check sim loadtest reports tests
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) build *.egg-info
