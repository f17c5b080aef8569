# Two commands matter: `make run` and `make test` (see README.md).
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-$(shell cat setup.py constraints.txt | sha1sum | cut -c1-12)
PYTHON  ?= python3
LOCALES := views/locale
PO      := $(wildcard $(LOCALES)/*/LC_MESSAGES/*.po)
MO      := $(PO:.po=.mo)
# Debian packages: a font with Vietnamese glyphs (sample scans, PDF reports),
# Tesseract with Vietnamese and English, ghostscript (PDF/A), pngquant and
# unpaper (OCRmyPDF's optimisers), poppler-utils (pdftotext), LibreOffice
# Writer and Calc without GUI (PDF/A renditions of DOCX, ODT and XLSX; the
# tests also open XLSX reports with Calc) for running; Debian's chromium for
# the end-to-end browser tests.
DEBS_RUN  := fonts-dejavu-core tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng ghostscript pngquant unpaper poppler-utils libreoffice-writer-nogui libreoffice-calc-nogui
DEBS_TEST := $(DEBS_RUN) chromium

.PHONY: run test setup stop debs-run debs-test clean catalogues catalogues-update pot

run: setup debs-run
	$(BIN)/archive-run development.ini

# Stops a ZEO server left running by `make run` (Ctrl-C normally stops both).
stop:
	-$(BIN)/archive-zeo development.ini --stop

test: setup debs-test
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

setup: $(STAMP) catalogues

$(STAMP): setup.py constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip==25.3
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $@

# Compiles every catalogue: views/locale/en/LC_MESSAGES/archive.po (our
# Vietnamese message ids in English) and vi/LC_MESSAGES/{colander,deform}.po
# (colander's and deform's own messages in Vietnamese).  Fuzzy entries are left
# out, as gettext does.
catalogues: $(MO)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel -q compile -i $< -o $@

# Re-extracts the "archive" domain (Python and Chameleon templates, with lingva's
# pot-create) into views/locale/archive.pot and merges it into every archive.po;
# also merges the colander and deform .pot files of the installed versions into
# the Vietnamese colander.po and deform.po.  New or changed messages come out
# untranslated (or fuzzy, with a guess): translate them, then `make catalogues`.
# tests/test_i18n.py fails while any message of the source is missing from or
# untranslated in the English catalogue.
catalogues-update: $(STAMP)
	$(MAKE) --no-print-directory pot
	$(BIN)/pybabel -q update --ignore-obsolete -i $(POT) -d $(LOCALES) -D archive
	for domain in colander deform; do \
	  pot=$$($(BIN)/python -c "import os, $$domain; print(os.path.dirname($$domain.__file__))")/locale/$$domain.pot; \
	  $(BIN)/pybabel -q update --ignore-obsolete -i $$pot -l vi \
	    -o $(LOCALES)/vi/LC_MESSAGES/$$domain.po || exit 1; \
	done

# The extraction alone (`make pot POT=/some/file.pot` writes elsewhere; the
# i18n test uses it that way, so it checks exactly what catalogues-update does).
POT         := $(LOCALES)/archive.pot
POT_SOURCES := src/archive schemas views search scripts
pot:
	$(BIN)/pot-create --quiet --config $(LOCALES)/lingva.cfg --domain archive \
	  --package-name dossier-archive --sort-by-file \
	  --output $(POT) $(POT_SOURCES)
	chmod 644 $(POT)  # pot-create writes it 0600

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
