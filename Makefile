# Quick start: `make demo` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint bench clean services

# Debian packages the tests run for real: a Prometheus server and promtool (which backfills it),
# and Chromium with an emoji font (the site's browser tests and their screenshots). Installed when
# missing (as root, or through sudo); the tests start and stop the server on 127.0.0.1 and the
# browser themselves. axe-core's package comes from the npm registry, pinned and checked against
# its sha512 integrity (tests/browser.py), into tests/.cache/ (git-ignored).
services: $(STAMP)
	@missing=""; \
	  command -v prometheus >/dev/null && command -v promtool >/dev/null || missing="$$missing prometheus"; \
	  command -v chromium >/dev/null || missing="$$missing chromium"; \
	  [ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || missing="$$missing fonts-noto-color-emoji"; \
	  [ -z "$$missing" ] || { \
	  echo "installing$$missing (Debian) for the tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    $$missing >/dev/null; }
	@$(PY) tests/browser.py fetch-axe

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "error: Python >= 3.11 is required ($(PYTHON) is older)" >&2; exit 2; }
	@# Debian ships venv's pip bootstrap separately (python3-venv); install it when missing.
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || \
	  { echo "installing python3-venv (Debian)"; apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

demo: $(STAMP)
	@$(PY) scripts/demo.py

test: $(STAMP) services
	$(PY) -m pytest

lint: $(STAMP)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/pre-commit run --all-files

bench: $(STAMP) services
	$(PY) benchmarks/bench_validate.py --repeat 5
	$(PY) benchmarks/bench_gate.py --repeat 5
	$(PY) benchmarks/bench_slo.py
	$(PY) benchmarks/bench_bad_input.py
	$(PY) benchmarks/bench_import.py
	$(PY) benchmarks/bench_site.py --repeat 3

clean:
	rm -rf $(VENV) .demo .pytest_cache .mypy_cache .ruff_cache
