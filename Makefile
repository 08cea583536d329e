# Two commands do all set-up on a fresh machine: `make run` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test deps system system-test migrate bench clean

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

run: deps system migrate
	$(PY) manage.py collectstatic --noinput -v0
	scripts/run.sh

test: deps system-test
	scripts/test.sh $(ARGS)

bench: deps
	$(PY) -m bench.ingest && $(PY) -m bench.search && $(PY) -m bench.quality

clean:
	rm -rf $(VENV) data test-artifacts
