# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv demo test example lint bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml runtime/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --config-settings editable_mode=compat -e ./runtime -e '.[dev]'
	touch $(STAMP)

# Regenerate the example into a temporary copy and run it on embedded SQLite.
demo: venv
	@tmp=$$(mktemp -d) && cp -r generated_example/. $$tmp/ && rm -rf $$tmp/shop/db \
	&& cd $$tmp && $(CURDIR)/$(VENV)/bin/sublimate generate && $(CURDIR)/$(PY) demo.py \
	&& rm -rf $$tmp

test: venv
	$(PY) -m pytest -q -ra

# Rewrite the golden record on purpose.
example: venv
	cd generated_example && $(CURDIR)/$(VENV)/bin/sublimate generate --force

lint: venv
	$(VENV)/bin/ruff check sublimate runtime tests generated_example
	$(VENV)/bin/mypy --strict sublimate runtime/sublimate_runtime

bench: venv
	$(PY) bench/runtime.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
