"""Dossier Archive: an electronic records archive for Vietnamese public administration.

Every dependency is pinned; the comment beside it says why it is here.
"""
from setuptools import setup

REQUIRES = [
    # Web framework chosen by the user; Pyramid 2 brings the SecurityPolicy API.
    "pyramid==2.1",
    # Chameleon page templates, the renderer deform itself uses.
    "pyramid_chameleon==0.3",
    # One request = one transaction (explicit manager); retry on ConflictError.
    "pyramid_tm==2.6",
    "pyramid_retry==2.1.1",
    "transaction==5.1",
    # The object database and its multi-process server (one writer for pserve and
    # the scripts); pyramid_zodbconn opens it from `zodbconn.uri` (small and
    # unmaintained: pinned, and used from archive/db.py only).
    "ZODB==6.4",
    "ZEO==6.2",
    "pyramid_zodbconn==0.8.1",
    "zodburi==3.0.0",
    # Schemas and forms (deform 3 = Bootstrap 5, ships its own static assets).
    "colander==2.0",
    "deform==3.0.1",
    # Full-text search engine (kept behind archive.search); the maintained fork.
    "whoosh-reloaded==2.7.5",
    # Array arithmetic: search/columnar.py scores, filters and counts a query's
    # posting lists per segment as arrays instead of one posting at a time.
    "numpy==2.4.6",
    # Password hashing (argon2id), as recommended by OWASP.
    "argon2-cffi==25.1.0",
    # Production-quality pure-Python WSGI server used by pserve; buffers request
    # bodies to disk so uploads never sit in memory.
    "waitress==3.0.2",
    # Media-type sniffing from magic bytes, pure Python (no libmagic needed).
    "filetype==1.2.0",
    # Page counts of PDFs (page_total is computed, never typed).
    "pypdf==7.1.1",
    # Progress bars for long-running scripts (sample, import, reindex).
    "tqdm==4.70.1",
    # Compiles the gettext catalogues (.po -> .mo) at set-up.
    "Babel==2.19.0",
    # Renders sample scan images (archive-sample --scans).
    "Pillow==12.0.0",
    # OCR of scans into PDF/A-2b renditions with a text layer (drives Debian's
    # tesseract and ghostscript); the reference tool for the job.
    "ocrmypdf==17.13.0",
    # Plain scans (archive.digitise.scans): pikepdf reads the page pictures, lays
    # Tesseract's text over the pages, and writes and validates PDF/A-2b
    # (pikepdf.pdfa, its "pdfa" extra); img2pdf puts image files into a PDF
    # without re-encoding them.  Both are OCRmyPDF's own libraries.
    "pikepdf[pdfa]==10.18.0",
    "img2pdf==0.6.3",
    # Transfer packages to the historical archive: the Library of Congress'
    # reference implementation of BagIt (RFC 8493).
    "bagit==1.9.0",
    # XLSX reports (write) and manifests (read).
    "openpyxl==3.1.5",
    # PDF reports with an embedded Unicode font (Vietnamese tone marks).
    "fpdf2==2.8.9",
]

TESTS_REQUIRE = [
    "pytest==9.2.0",
    # Runs the suite on both cores.
    "pytest-xdist==3.8.0",
    # Functional tests drive the real WSGI app.
    "WebTest==3.0.7",
    # End-to-end tests in a real browser (Debian's chromium, no download).
    "playwright==1.65.2",
    # Extracts the translatable messages from Python and Chameleon templates
    # (`make catalogues-update`, tests/test_i18n.py); lingua's maintained fork.
    "lingva==5.0.7",
    # Checks the API's OpenAPI 3.1 document, and real answers against its schemas.
    "openapi-spec-validator==0.9.0",
    "openapi-schema-validator==0.9.0",
]

setup(
    name="dossier-archive",
    version="0.1.0",
    description="Electronic records archive for Vietnamese public administration",
    license="AGPL-3.0-or-later",
    python_requires=">=3.11",
    package_dir={
        "": "src",
        "archive.schemas": "schemas",
        "archive.views": "views",
        "archive.search": "search",
        "archive.scripts": "scripts",
    },
    packages=[
        "archive",
        "archive.resources",
        "archive.services",
        "archive.journal",
        "archive.jobs",
        "archive.digitise",
        "archive.imports",
        "archive.batches",
        "archive.reports",
        "archive.retention",
        "archive.disposal",
        "archive.transfer",
        "archive.evolve",
        "archive.schemas",
        "archive.views",
        "archive.views.api",
        "archive.search",
        "archive.scripts",
    ],
    include_package_data=True,
    package_data={
        "archive.schemas": ["data/*.csv"],
        "archive.search": ["synonyms.txt"],
        "archive.views": [
            "templates/*.pt",
            "templates/deform/*.pt",
            "static/*",
            "locale/*/LC_MESSAGES/*.po",
            "locale/*/LC_MESSAGES/*.mo",
            "api/*.json",
            "api/openapi.d/*.json",
        ],
    },
    zip_safe=False,
    install_requires=REQUIRES,
    extras_require={"test": TESTS_REQUIRE},
    entry_points={
        "paste.app_factory": ["main = archive:main"],
        "zodburi.resolvers": ["durablefile = archive.storage:durable_file_storage_resolver"],
        "console_scripts": [
            "archive-admin = archive.scripts.admin:main",
            "archive-evolve = archive.scripts.evolve:main",
            "archive-sample = archive.scripts.sample:main",
            "archive-zeo = archive.scripts.zeo:main",
            "archive-run = archive.scripts.run:main",
            "archive-reindex = archive.scripts.reindex:main",
            "archive-disposal = archive.scripts.disposal:main",
            "archive-pack = archive.scripts.pack:main",
            "archive-worker = archive.scripts.worker:main",
            "archive-ocr = archive.scripts.ocr:main",
            "archive-import = archive.scripts.importer:main",
            "archive-report = archive.scripts.report:main",
            "archive-retention = archive.scripts.retention:main",
            "archive-transfer = archive.scripts.transfer:main",
            "archive-import-bag = archive.scripts.import_bag:main",
        ],
    },
)
