# Every target bootstraps .venv with the machine's python3 the first time.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SCALE ?= 1
SEED ?= 1
HOST ?= 127.0.0.1:8000
PYTEST_WORKERS ?= 2

.PHONY: demo serve test test-postgres test-browser lint format bench browser-deps clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo --seed $(SEED) --scale $(SCALE)
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo ""
	@echo "城乡社区服务体系平台: http://$(HOST)/  (log in with a demo user above, e.g. admin / demo12345)"
	$(BIN)/gunicorn shequ.wsgi --bind $(HOST) --workers 2 --timeout 300 --access-logfile -

serve: $(STAMP)
	$(BIN)/gunicorn shequ.wsgi --bind $(HOST) --workers 2 --timeout 300 --access-logfile -

test: $(STAMP)
	$(BIN)/pytest -n $(PYTEST_WORKERS)

# The same suite on PostgreSQL (DATABASE_URL must point at a server; the test database is created).
test-postgres: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/shequ_ci} $(BIN)/pytest -n $(PYTEST_WORKERS)

browser-deps:
	@command -v chromium >/dev/null 2>&1 && fc-list | grep -qi "wqy\|noto sans cjk" || \
	  (apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null)

test-browser: $(STAMP) browser-deps
	$(BIN)/pytest -m browser -p no:xdist

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python benchmarks/import_persons.py
	$(BIN)/python benchmarks/access_bench.py --quick
	$(BIN)/python benchmarks/care_rate.py
	$(BIN)/python benchmarks/classify.py

clean:
	rm -rf $(VENV) var
