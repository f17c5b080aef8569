"""Shared fixtures: a real application on a temporary FileStorage, WebTest
clients logged in with each role, real PDFs and images."""
import collections
import contextlib
import io
import os
import shutil

import pytest
import transaction

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
ADMIN_PASSWORD = "admin-password-1"
PASSWORD = "password-123"


@pytest.fixture
def app_dir(tmp_path):
    shutil.copy(os.path.join(PROJECT, "testing.ini"), tmp_path / "testing.ini")
    return tmp_path


def make_app(app_dir, **overrides):
    from pyramid.paster import get_app

    os.environ["ARCHIVE_ADMIN_PASSWORD"] = ADMIN_PASSWORD
    return get_app(str(app_dir / "testing.ini"), options=overrides)


@pytest.fixture
def app(app_dir):
    wsgi = make_app(app_dir)
    yield wsgi
    close_app(wsgi)


def read_root(wsgi, fn):
    """``fn(root)`` on a fresh connection of the application's database, in
    a transaction of its own, committed and retried on a ConflictError (the
    search indexer and job workers write at the same time);
    pyramid.scripting.prepare would open the connection under the request's
    explicit manager, with no transaction."""
    from archive.db import ROOT_KEY, registry_db

    tm = transaction.TransactionManager(explicit=True)
    conn = registry_db(wsgi.registry).open(tm)
    try:
        for attempt in tm.attempts(10):
            with attempt:
                result = fn(conn.root()[ROOT_KEY])
        return result
    finally:
        conn.close()


def run_jobs(wsgi):
    """Run every due job of the queue in this process, then return."""
    from archive.db import registry_db
    from archive.jobs.worker import Worker

    worker = Worker(registry_db(wsgi.registry), wsgi.registry)
    try:
        while worker.run_once():
            pass
    finally:
        worker.close()


@contextlib.contextmanager
def module_app(tmp_path_factory, name):
    """A fresh application on its own temporary FileStorage, closed after use
    (for module-scoped fixture archives)."""
    app_dir = tmp_path_factory.mktemp(name)
    shutil.copy(os.path.join(PROJECT, "testing.ini"), app_dir / "testing.ini")
    wsgi = make_app(app_dir)
    try:
        yield wsgi
    finally:
        close_app(wsgi)


def index_counts(service):
    """How many live (not deleted) index documents carry each id, read from
    the stored fields of every document, independently of the service."""
    counts = collections.Counter()
    with service.ix().searcher() as searcher:
        reader = searcher.reader()
        for docnum in reader.all_doc_ids():
            counts[reader.stored_fields(docnum)["id"]] += 1
    return counts


def close_app(wsgi):
    from archive.jobs import stop_worker

    stop_worker(wsgi.registry)
    search = getattr(wsgi.registry, "search", None)
    if search is not None:
        search.stop()
    for db in getattr(wsgi.registry, "_zodb_databases", {}).values():
        db.close()


@pytest.fixture
def testapp(app):
    from webtest import TestApp

    return TestApp(app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})


def login(testapp, user, password):
    response = testapp.get("/login")
    form = response.forms["login"]
    form["login"] = user
    form["password"] = password
    response = form.submit("submit")
    assert response.status_int == 303, response.text[:2000]
    return response


def csrf(testapp):
    """The CSRF token of the current session (read from any page)."""
    import re

    page = testapp.get("/")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    return match.group(1)


@pytest.fixture
def admin(testapp):
    login(testapp, "admin", ADMIN_PASSWORD)
    return testapp


def api_token(testapp, user, password):
    response = testapp.post_json("/api/v1/tokens", {"login": user, "password": password}, status=201)
    return response.json["token"]


class Api:
    """A token-authenticated API client over WebTest."""

    def __init__(self, testapp, token):
        self.app = testapp
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, url, status=200, **kw):
        return self.app.get(url, headers=self.headers, status=status, **kw)

    def post(self, url, data=None, status=201, **kw):
        return self.app.post_json(url, data, headers=self.headers, status=status, **kw)

    def put(self, url, data=None, status=200):
        return self.app.put_json(url, data, headers=self.headers, status=status)

    def delete(self, url, status=204):
        return self.app.delete(url, headers=self.headers, status=status)

    def file_record(self, dossier_id, metadata, files=(), status=201):
        import json

        upload = [("file", name, content) for name, content in files]
        return self.app.post(f"/api/v1/dossiers/{dossier_id}/records",
                             params={"metadata": json.dumps(metadata)}, upload_files=upload,
                             headers=self.headers, status=status)


@pytest.fixture
def admin_api(testapp):
    from webtest import TestApp

    client = TestApp(testapp.app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    return Api(client, api_token(client, "admin", ADMIN_PASSWORD))


def make_user(api, login_name, role, fonds=()):
    api.post("/api/v1/users", {"login": login_name, "password": PASSWORD, "role": role,
                               "fonds": list(fonds)})
    from webtest import TestApp

    client = TestApp(api.app.app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    return Api(client, api_token(client, login_name, PASSWORD))


FONDS = {"code": "SNV", "name": "Sở Nội vụ tỉnh Đắk Nông", "organ_id": "000.00.17.H17"}
DOSSIER = {"notation": "01.TCCB", "year": 2024, "title": "Hồ sơ tuyển dụng công chức năm 2024",
           "retention": 10, "access": "01", "start_date": "2024-01-05", "end_date": "2024-06-30"}
RECORD = {"doc_type": "02", "number": "504", "notation": "QĐ-SNV", "issued_date": "2024-03-15",
          "issuer": "Sở Nội vụ tỉnh Đắk Nông", "subject": "Quyết định công nhận kết quả tuyển dụng"}


@pytest.fixture
def fonds(admin_api):
    admin_api.post("/api/v1/fonds", FONDS)
    return FONDS["code"]


@pytest.fixture
def dossier_id(admin_api, fonds):
    return admin_api.post(f"/api/v1/fonds/{fonds}/dossiers", DOSSIER).json["id"]


def font(size=28):
    from PIL import ImageFont

    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",):
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    return ImageFont.load_default()


def scanned_page(text, number):
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1240, 1754), "white")  # A4 at 150 dpi
    draw = ImageDraw.Draw(image)
    draw.text((100, 100), f"{text} – trang {number}", fill="black", font=font())
    return image


def make_pdf(pages=3, text="Quyết định công nhận kết quả tuyển dụng"):
    """A real image-only PDF, as a scanner makes it."""
    images = [scanned_page(text, n + 1) for n in range(pages)]
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=150, save_all=True, append_images=images[1:])
    return out.getvalue()


def make_png(text="Đơn đăng ký khai sinh"):
    out = io.BytesIO()
    scanned_page(text, 1).save(out, "PNG")
    return out.getvalue()


def open_db(app_dir):
    """Reopen the test database directly (the app must be closed)."""
    from archive.storage import DurableFileStorage
    from ZODB import DB

    storage = DurableFileStorage(str(app_dir / "var" / "Data.fs"), blob_dir=str(app_dir / "var" / "blobs"))
    return DB(storage)


@pytest.fixture(autouse=True)
def _clean_transaction():
    yield
    transaction.abort()
