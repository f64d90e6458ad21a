# Summit: `make run` to try it, `make test` to check it. Both set up what they need.
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PYTHON ?= python3

.PHONY: install run test lint format bench bench-curves clean browser-deps chart-fonts bench-deps chaos messages

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# the message catalogs are compiled here, never committed (translations/*/LC_MESSAGES/*.mo),
# each only when its .po is newer (CI's two runs at once never rewrite one the other reads)
CATALOGS := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))
install: $(STAMP) $(CATALOGS)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel -q compile -d translations -l $*

# extract every marked string into translations/messages.pot and merge it into each .po;
# translators then work in translations/<locale>/LC_MESSAGES/messages.po
# pybabel's default also skips folders starting with "_": the email layout (_layout) is text too
MESSAGES_IGNORE_DIRS = .* ._ _test __pycache__ node_modules
messages: install
	$(BIN)/pybabel -q extract -F translations/babel.cfg -k lazy_gettext -k translate -k pgettext:1c,2 --add-comments=TRANSLATORS: \
	  --ignore-dirs="$(MESSAGES_IGNORE_DIRS)" --add-location=file --sort-output --no-wrap --project=Summit \
	  -o translations/messages.pot .
	$(BIN)/pybabel -q update -i translations/messages.pot -d translations --no-wrap --ignore-obsolete \
	  --no-fuzzy-matching

# the development sign-in and the generated instance/secret_key exist only in development
run: export SUMMIT_ENV = development
run: install chart-fonts
	$(BIN)/summit db upgrade
	$(BIN)/summit regions sync
	$(BIN)/summit demo
	$(BIN)/python -m app.ops.runner

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# the CJK font of the sponsor report's chart (Japanese and Chinese words, not empty boxes):
# Debian's fonts-wqy-microhei, 1.6 MB, the lightest one that covers both (README, Deployment)
chart-fonts:
	@test -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null; \
	  else echo "fonts-wqy-microhei is missing: Japanese and Chinese chart labels will show boxes (sudo apt-get install fonts-wqy-microhei)"; fi; }

# Debian's Chromium for the browser tests (Playwright never downloads a browser here) and
# Debian's nginx, the TLS proxy of the HTTPS journeys (tests/https, deploy/nginx/summit.conf),
# and axe-core from the npm registry for the accessibility checks.
browser-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	{ command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx; } || missing="$$missing nginx"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing:$$missing; browser/HTTPS tests will be skipped (sudo apt-get install$$missing)"; fi; \
	fi
	@test -f node_modules/axe-core/axe.min.js || npm ci --no-audit --no-fund --silent

test: lint browser-deps chart-fonts
	$(BIN)/pytest

# The chaos suite at full volume: every fault (SMTP 4xx/5xx/421/drop/slow, a worker paused
# past its lease, Redis restarted empty, connections terminated, concurrent term closes);
# it prints lost / repeated / stuck / seconds to terminal per fault. A short set runs in `make test`.
chaos: install
	CHAOS_SCALE=full $(BIN)/pytest tests/chaos -s -p no:cacheprovider

# wrk from Debian's packages, the load tool of the web benchmark (bench/web_load.py).
bench-deps:
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else echo "wrk is missing: the web benchmark will fail (sudo apt-get install wrk)"; fi; }

bench: install bench-deps
	$(BIN)/python -m bench

# every benchmark at 30,000, 300,000 and 1,000,000 learners, the growth per 10× (issue 26)
bench-curves: install bench-deps
	$(BIN)/python -m bench curves

clean:
	rm -rf $(VENV) instance/summit.db* .pytest_cache
