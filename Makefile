# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv demo serve serve-fastapi test example golden lint bench bench-queries bench-regenerate bench-generate bench-mypy clean

venv: $(STAMP)

$(STAMP): pyproject.toml runtime/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ./runtime -e '.[dev]'
	touch $(STAMP)

# Regenerate the example into a temporary copy and run it on embedded SQLite.
demo: venv
	@tmp=$$(mktemp -d) && cp -r generated_example/. $$tmp/ && rm -rf $$tmp/shop/db \
	&& cd $$tmp && $(CURDIR)/$(VENV)/bin/sublimate generate && $(CURDIR)/$(PY) demo.py \
	&& rm -rf $$tmp

# Serve the example's Litestar app on SQLite (needs uvicorn): http://127.0.0.1:8000/schema
serve: venv
	@tmp=$$(mktemp -d) && cp -r generated_example/. $$tmp/ && rm -rf $$tmp/shop/db && cd $$tmp \
	&& sed -i '/^out = /a litestar = true' pyproject.toml \
	&& $(CURDIR)/$(VENV)/bin/sublimate generate \
	&& $(CURDIR)/$(VENV)/bin/sublimate db revision -m init --autogenerate --url sqlite:///app.db \
	&& $(CURDIR)/$(VENV)/bin/sublimate db upgrade --url sqlite:///app.db \
	&& SUBLIMATE_DATABASE_URL=sqlite+aiosqlite:///app.db \
	   $(CURDIR)/$(PY) -m uvicorn --factory shop.db.app:create_app --port 8000

# The same with the example's FastAPI app: http://127.0.0.1:8000/docs
serve-fastapi: venv
	@tmp=$$(mktemp -d) && cp -r generated_example/. $$tmp/ && rm -rf $$tmp/shop/db && cd $$tmp \
	&& sed -i '/^out = /a fastapi = true' pyproject.toml \
	&& $(CURDIR)/$(VENV)/bin/sublimate generate \
	&& $(CURDIR)/$(VENV)/bin/sublimate db revision -m init --autogenerate --url sqlite:///app.db \
	&& $(CURDIR)/$(VENV)/bin/sublimate db upgrade --url sqlite:///app.db \
	&& SUBLIMATE_DATABASE_URL=sqlite+aiosqlite:///app.db \
	   $(CURDIR)/$(PY) -m uvicorn --factory shop.db.fastapi_app:create_app --port 8000

test: venv
	$(PY) -m pytest -q -ra

# Rewrite the golden record on purpose.
example: venv
	cd generated_example && $(CURDIR)/$(VENV)/bin/sublimate generate --force

# Rewrite the committed output of every golden case (tests/golden/<case>/) on purpose.
golden: venv
	$(PY) tests/golden/cases.py

lint: venv
	$(VENV)/bin/ruff check sublimate runtime tests generated_example bench
	$(VENV)/bin/mypy --strict sublimate runtime/sublimate_runtime

bench: venv
	$(PY) bench/runtime.py

# Typed SQL: a generated query function vs the same statement in SQLAlchemy Core + msgspec, on
# SQLite, PostgreSQL and MariaDB (the servers of SUBLIMATE_TEST_PG_URL / _MYSQL_URL, if they answer).
bench-queries: venv
	$(PY) bench/queries.py $(BACKENDS)

# Cold generation vs regeneration after one column change, 300 tables (FORMATTER=ruff to compare).
bench-regenerate: venv
	$(PY) bench/regenerate.py --formatter $(or $(FORMATTER),black) --source $(or $(SOURCE),models)

# `sublimate generate --url` on a 300-table database (SQLite and PostgreSQL) next to sqlacodegen,
# which gets a venv of its own so that it never touches the project's dependencies.
BENCH_VENV ?= .venv-bench

$(BENCH_VENV)/.installed:
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet sqlacodegen 'psycopg[binary]'
	touch $@

bench-generate: venv $(BENCH_VENV)/.installed
	$(PY) bench/generate.py --sqlacodegen $(BENCH_VENV)/bin/sqlacodegen $(BENCH_ARGS)

# `mypy --strict` on the 300-table output, cold, beside a reference run that measures the
# machine's speed in the same rounds (BENCH_ARGS="--runs 5 --baseline <other runtime/>").
bench-mypy: venv
	$(PY) bench/mypy_output.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(BENCH_VENV) .mypy_cache .ruff_cache .pytest_cache
