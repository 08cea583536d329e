# Two commands do all set-up on a fresh machine: `make run` and `make test` (`make check` is the quick loop).
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run dev test check lint deps system system-test migrate bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

deps: $(VENV)/.installed

.env:
	@echo "SECRET_KEY=$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')" > .env
	@echo "Wrote .env with a random SECRET_KEY"

system:
	scripts/ensure-system.sh

system-test:
	scripts/ensure-system.sh --test

migrate: deps .env
	$(PY) manage.py migrate --noinput

# Production-like (gunicorn, DEBUG off) and supervised; scripts/run.sh migrates and collects static files first.
run: deps system .env
	scripts/run.sh

# The same processes with Django's development server and DEBUG on.
dev: deps system .env
	scripts/run.sh --dev

# The suite on SQLite, then on a throwaway PostgreSQL cluster (see scripts/test.sh): the gate (.ci/run).
test: deps system-test
	TEST_DATABASES="sqlite postgres" scripts/test.sh $(ARGS)

# The loop to run many times an hour: lint, then the unit and API tests on SQLite with the run's one real worker;
# no browser, no PostgreSQL, no `make run` copy, no nginx front, no test that starts workers of its own, no benchmark
# run. Prints the slowest 15.
check: lint system
	TEST_DATABASES=sqlite scripts/test.sh -m "not browser and not stack and not own_workers and not bench and not front" \
	  --durations=15 -q $(ARGS)

bench: deps
	$(PY) -m bench.ingest && $(PY) -m bench.search && $(PY) -m bench.quality

clean:
	rm -rf $(VENV) data test-artifacts

# ruff, configured in pyproject.toml: lint rules and the formatter (`.venv/bin/ruff format .` applies it).
lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
