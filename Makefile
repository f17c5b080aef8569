# Two commands matter: `make run` and `make test` (see README.md).
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-$(shell cat setup.py | sha1sum | cut -c1-12)
PYTHON  ?= python3
LOCALES := views/locale
PO      := $(wildcard $(LOCALES)/*/LC_MESSAGES/*.po)
MO      := $(PO:.po=.mo)
# Debian packages: a font with Vietnamese glyphs (sample scans) for running;
# Debian's chromium for the end-to-end browser tests.
DEBS_RUN  := fonts-dejavu-core
DEBS_TEST := $(DEBS_RUN) chromium

.PHONY: run test setup stop debs-run debs-test clean catalogues

run: setup debs-run
	$(BIN)/archive-run development.ini

# Stops a ZEO server left running by `make run` (Ctrl-C normally stops both).
stop:
	-$(BIN)/archive-zeo development.ini --stop

test: setup debs-test
	$(BIN)/pytest $(PYTEST_ARGS)

setup: $(STAMP) catalogues

$(STAMP): setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip==25.3
	$(BIN)/pip install -q -e '.[test]'
	touch $@

catalogues: $(MO)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile -q -i $< -o $@

define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

debs-run:
	$(call apt_install,$(DEBS_RUN))

debs-test:
	$(call apt_install,$(DEBS_TEST))

clean:
	rm -rf $(VENV) $(MO) build src/*.egg-info
