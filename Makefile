# cardkit — two commands set everything up on a fresh Debian/Ubuntu machine:
#   make demo   installs what is needed, then reads the embedded virtual card (no reader needed)
#   make test   installs what is needed, then runs the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.install-stamp

.PHONY: install demo test fuzz lint bench udev-install clean

install: $(STAMP)

$(STAMP): pyproject.toml scripts/install-system-deps.sh
	bash scripts/install-system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip setuptools wheel
	$(BIN)/pip install -q -e '.[face,finger,scanner,counter,dev]'
	touch $(STAMP)

demo: install
	$(BIN)/cardkit read --sim default
	$(BIN)/cardkit read --fixture fixtures/default-bac.json --trust sim-test

test: install
	$(BIN)/ruff check cardkit cli tests bench scripts
	$(BIN)/pytest -q

fuzz: install
	$(BIN)/python scripts/fuzz.py --seconds $${FUZZ_SECONDS:-1800}

lint: install
	$(BIN)/ruff check cardkit cli tests bench scripts

bench: install
	$(BIN)/python bench/read_bench.py
	$(BIN)/python bench/pa_bench.py
	$(BIN)/python bench/batch_bench.py
	$(BIN)/python bench/startup_bench.py
	$(BIN)/python bench/eac_bench.py
	$(BIN)/python bench/face_bench.py
	$(BIN)/python bench/serve_bench.py
	$(BIN)/python bench/workflow_bench.py
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/finger_bench.py

udev-install:
	sudo bash udev/install.sh

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
