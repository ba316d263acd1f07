# One entry point for developer tasks (STYLE.md rule 12).
# Every target creates or updates the local virtual environment from the package registry.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run demo test lint fmt typecheck pytest bench bench-peers clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## run: the main job: the clinic server with a SQLite demo clinic (see `serve`)
run: serve

## demo: the engine demo (0.5 mg/kg over 40 min, 70 kg, default adult model): table + plot
demo: $(STAMP)
	$(BIN)/ketaclinic demo --plot demo-depression-infusion.png

## serve: the clinic service on http://127.0.0.1:8000 with a demo clinic (SQLite in out/,
## a simulated chair monitor on the session in progress); prints the demo logins
.PHONY: serve
serve: $(STAMP)
	$(BIN)/ketaclinic serve --demo --database-url sqlite:///out/demo-clinic.db

## test: lint + format check + mypy on the domain packages + pytest
test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

fmt: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -n 2 -q

## bench: ketaclinic's own benchmarks (prints figures)
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

## bench-clinic: the clinic service's speed (readings from 30 chairs over loopback, the
## dashboard, every page on a 10,000-patient / 1,000,000-reading clinic); prints figures
.PHONY: bench-clinic
bench-clinic: $(STAMP)
	$(BIN)/python -m benchmarks.clinic_load

## bench-peers: side-by-side with opentiva, PyTCI and anasim in a separate environment
bench-peers: $(STAMP)
	bash benchmarks/peers/setup.sh
	$(BIN)/python -m benchmarks.run --peers

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
