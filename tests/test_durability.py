"""Nothing filed is lost: blob files and their directories are forced to disk
before the transaction that holds them completes (embedded FileStorage and
behind ZEO), and after a restart, clean or ``kill -9``, every dossier, record
and file is there with the same SHA-256."""
import hashlib
import importlib
import os
import tempfile
import threading

import pytest
import transaction
from webtest import TestApp
from ZODB.blob import Blob
from ZODB.FileStorage import FileStorage

from archive.storage import DurableFileStorage
from conftest import (
    ADMIN_PASSWORD, DOSSIER, FONDS, RECORD, Api, api_token, close_app, make_pdf, make_png,
)
from live import LiveServer, write_ini
from test_uploads import Client, make_docx

# the module, not the class of the same name that ZODB.FileStorage exports
filestorage_module = importlib.import_module("ZODB.FileStorage.FileStorage")


# --------------------------------------------------------------------------
# recording fsync calls

class FsyncLog:
    """What was forced to disk, in order, and the commit milestones around it."""

    def __init__(self):
        self.events = []
        self.lock = threading.Lock()

    def add(self, kind, what):
        with self.lock:
            self.events.append((kind, what, threading.get_ident()))

    def clear(self):
        with self.lock:
            del self.events[:]

    def index(self, kind, what=None, after=-1, thread=None):
        """The first such event (after position ``after``, in ``thread``)."""
        for i, (k, w, t) in enumerate(self.events):
            if i > after and k == kind and (what is None or w == what) and \
                    (thread is None or t == thread):
                return i
        raise AssertionError(f"no {kind} {what or ''} in {self.events}")

    def thread_of(self, kind, what=None):
        return self.events[self.index(kind, what)][2]

    def synced(self):
        return [w for k, w, _t in self.events if k == "fsync"]


def fd_path(fd):
    return os.readlink(f"/proc/self/fd/{fd}")


@pytest.fixture
def fsyncs(monkeypatch):
    """Record every os.fsync (by the path of its descriptor), FileStorage's
    own fsync of Data.fs (bound at its import), and the start of tpc_finish
    of our storage (the commit point: Data.fs marks the transaction done)."""
    log = FsyncLog()
    real_fsync = os.fsync

    def fsync(fd):
        path = fd_path(fd)
        real_fsync(fd)
        log.add("fsync", path)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(filestorage_module, "fsync", fsync)
    real_finish = FileStorage.tpc_finish

    def tpc_finish(self, *args, **kw):
        log.add("tpc_finish", type(self).__name__)
        return real_finish(self, *args, **kw)

    monkeypatch.setattr(FileStorage, "tpc_finish", tpc_finish)
    return log


def stored_blob_path(db, file_id):
    """The committed blob file of a StoredFile, read through a new connection."""
    tm = transaction.TransactionManager()
    conn = db.open(tm)
    try:
        stored = conn.root()["archive"].objectmap[file_id]
        return os.path.realpath(stored.blob.committed())
    finally:
        tm.abort()
        conn.close()


def assert_synced_before_commit(log, blob_path, blob_root, data_fs):
    """The blob file, its directory and every directory up to the blob root
    were fsynced before tpc_finish began, and Data.fs was fsynced in it.

    Other transactions (the search indexer's) commit meanwhile: the commit
    of the blob is the first tpc_finish after the blob's fsync."""
    finish = log.index("tpc_finish", after=log.index("fsync", blob_path))
    directory = os.path.dirname(blob_path)
    root = os.path.realpath(blob_root)
    while True:
        assert log.index("fsync", directory) < finish, directory
        if directory == root:
            break
        directory = os.path.dirname(directory)
    assert log.index("fsync", os.path.realpath(data_fs), after=finish)


def file_one_record(api, dossier_id, pdf):
    response = api.file_record(dossier_id, RECORD, [("quyết định.pdf", pdf)])
    return response.json["files"][0]["id"]


# --------------------------------------------------------------------------
# embedded FileStorage (testing.ini: durablefile://)

def test_blob_and_its_directories_are_fsynced_before_the_commit(app, admin_api, dossier_id,
                                                                  fsyncs, app_dir):
    pdf = make_pdf(2)
    app.registry.search.wait_idle(30)  # the indexer commits too: let it finish first
    fsyncs.clear()
    file_id = file_one_record(admin_api, dossier_id, pdf)
    from archive.db import registry_db

    path = stored_blob_path(registry_db(app.registry), file_id)
    assert open(path, "rb").read() == pdf
    var = app_dir / "var"
    assert_synced_before_commit(fsyncs, path, var / "blobs", var / "Data.fs")
    # the filing's transaction was finished by our storage (the indexer's own
    # commit of its queue may follow it)
    finishes = [(w, t) for k, w, t in fsyncs.events if k == "tpc_finish"]
    assert finishes[0][0] == "DurableFileStorage"


def test_plain_filestorage_does_not_fsync_blobs(tmp_path, fsyncs):
    """Why DurableFileStorage exists: ZODB's FileStorage fsyncs Data.fs only."""
    from ZODB import DB

    db = DB(FileStorage(str(tmp_path / "Data.fs"), blob_dir=str(tmp_path / "blobs")))
    try:
        with db.transaction() as conn:
            conn.root()["blob"] = Blob(b"scan")
        fsyncs.clear()
        with db.transaction() as conn:
            with conn.root()["blob"].open("w") as fh:
                fh.write(b"second version of the scan")
        with db.transaction() as conn:
            path = os.path.realpath(conn.root()["blob"].committed())
        synced = fsyncs.synced()
        assert os.path.realpath(tmp_path / "Data.fs") in synced
        assert path not in synced and os.path.dirname(path) not in synced
    finally:
        db.close()


# --------------------------------------------------------------------------
# ZEO, as `make run` serves the database (shared blob directory)

@pytest.fixture
def zeo(tmp_path):
    """A ZEO server in a thread of this process, serving DurableFileStorage
    on a Unix socket, as archive-zeo does."""
    from ZEO.StorageServer import StorageServer

    short = tempfile.mkdtemp(prefix="zeo-", dir="/tmp")  # Unix socket paths are short
    socket_path = os.path.join(short, "zeo.sock")
    var = tmp_path / "var"
    var.mkdir()
    storage = DurableFileStorage(str(var / "Data.fs"), blob_dir=str(var / "blobs"))
    server = StorageServer(socket_path, {"1": storage})
    server.start_thread()
    yield socket_path, var
    server.close()
    storage.close()
    for name in os.listdir(short):
        os.unlink(os.path.join(short, name))
    os.rmdir(short)


def test_zeo_server_fsyncs_blobs_before_acknowledging_the_commit(tmp_path, zeo, fsyncs,
                                                                  monkeypatch):
    from pyramid.paster import get_app
    from ZEO.ClientStorage import ClientStorage

    socket_path, var = zeo
    real_client_finish = ClientStorage.tpc_finish

    def client_finish(self, *args, **kw):
        tid = real_client_finish(self, *args, **kw)
        fsyncs.add("acknowledged", "client")
        return tid

    monkeypatch.setattr(ClientStorage, "tpc_finish", client_finish)
    uri = f"zeo://{socket_path}?blob_dir={var / 'blobs'}&shared_blob_dir=1&wait_timeout=30"
    ini = write_ini(tmp_path, {"zodbconn.uri": uri})
    os.environ["ARCHIVE_ADMIN_PASSWORD"] = ADMIN_PASSWORD
    wsgi = get_app(ini)
    try:
        client = TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        api = Api(client, api_token(client, "admin", ADMIN_PASSWORD))
        api.post("/api/v1/fonds", FONDS)
        dossier_id = api.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", DOSSIER).json["id"]
        pdf = make_pdf(1)
        fsyncs.clear()
        file_id = file_one_record(api, dossier_id, pdf)
        from archive.db import registry_db

        path = stored_blob_path(registry_db(wsgi.registry), file_id)
        assert open(path, "rb").read() == pdf
        assert_synced_before_commit(fsyncs, path, var / "blobs", var / "Data.fs")
        # the fsyncs ran in the ZEO server, before this request's client heard
        # "committed" (the search indexer's thread commits too, meanwhile)
        acknowledged = fsyncs.index("acknowledged", thread=threading.get_ident())
        finish = fsyncs.index("tpc_finish", after=fsyncs.index("fsync", path))
        assert fsyncs.index("fsync", path) < finish < acknowledged
        assert fsyncs.thread_of("fsync", path) != threading.get_ident()
    finally:
        close_app(wsgi)


# --------------------------------------------------------------------------
# restarts

def sha256(data):
    return hashlib.sha256(data).hexdigest()


def fill(api):
    """Fonds, dossiers, records and files through the HTTP API; returns what
    the server answered and the SHA-256 of every file sent."""
    sent = {}
    dossiers = {}
    contents = [
        ("Quyết định tuyển dụng.pdf", make_pdf(3), "application/pdf"),
        ("Đơn đăng ký.png", make_png("Đơn đăng ký khai sinh"), "image/png"),
        ("Báo cáo.docx", make_docx(), "application/octet-stream"),
        ("Tờ trình.pdf", make_pdf(1, text="Tờ trình về việc tuyển dụng"), "application/pdf"),
    ]
    for d in range(3):
        dossier_id = api.new_dossier(title=f"Hồ sơ số {d + 1} về tuyển dụng công chức")
        for r in range(3):
            files = [contents[(d + r + k) % len(contents)] for k in range(1 + (r % 2))]
            response = api.file_record(dossier_id, dict(RECORD, number=str(500 + r)), files)
            assert response.status == 201, response
            for stored, (_name, content, _type) in zip(response.json["files"], files):
                sent[stored["id"]] = sha256(content)
        dossiers[dossier_id] = api.get(f"/api/v1/dossiers/{dossier_id}").json
    return dossiers, sent


def verify(api, dossiers, sent):
    """Every dossier, record and file is there, unchanged, bytes included."""
    checked = 0
    for dossier_id, before in dossiers.items():
        response = api.get(f"/api/v1/dossiers/{dossier_id}")
        assert response.status == 200, response
        after = response.json
        for key in ("file_code", "title", "doc_total", "page_total", "retention", "access"):
            assert after[key] == before[key], key
        assert after["doc_total"] == len(before["records"])
        assert [(r["id"], r["ordinal"], r["doc_code"]) for r in after["records"]] == \
            [(r["id"], r["ordinal"], r["doc_code"]) for r in before["records"]]
        for record in before["records"]:
            response = api.get(f"/api/v1/records/{record['id']}")
            assert response.status == 200, response
            assert response.json["files"] == record["files"]
            for stored in record["files"]:
                response = api.get(f"/api/v1/files/{stored['id']}")
                assert response.status == 200, response
                assert len(response.body) == stored["size"]
                assert sha256(response.body) == stored["sha256"] == sent[stored["id"]]
                checked += 1
    assert checked == len(sent)
    return checked


def file_last(api, dossiers, sent):
    """One more filing, whose answer is the last thing the server says before
    it goes down; what it answered is added to what must be there."""
    dossier_id = next(iter(dossiers))
    pdf = make_pdf(1, text="Biên bản cuối cùng")
    response = api.file_record(dossier_id, dict(RECORD, number="999"),
                               [("biên bản cuối.pdf", pdf, "application/pdf")])
    assert response.status == 201, response
    record = response.json
    expected = dossiers[dossier_id]
    expected["records"].append(record)
    expected["doc_total"] += 1
    expected["page_total"] += sum(f["page_count"] or 0 for f in record["files"])
    sent[record["files"][0]["id"]] = sha256(pdf)


@pytest.mark.parametrize("how", ["stop", "kill -9"])
def test_everything_is_there_after_a_restart(tmp_path, how):
    first = LiveServer(tmp_path).start()
    try:
        api = Client.login(first.url)
        dossiers, sent = fill(api)
        file_last(api, dossiers, sent)
        assert len(sent) >= 13
    finally:
        if how == "stop":
            first.stop()  # SIGTERM: waitress and the storage close cleanly
        else:
            first.kill()  # right after the last answer: no clean close at all
    second = LiveServer(tmp_path).start()
    try:
        api = Client.login(second.url)
        assert verify(api, dossiers, sent) == len(sent)
        # and it goes on where it stopped: the next ordinal, no repeat
        dossier_id = next(iter(dossiers))
        response = api.file_record(dossier_id, RECORD, [("sau khi khởi động lại.pdf",
                                                         make_pdf(1), "application/pdf")])
        assert response.status == 201, response
        assert response.json["ordinal"] == len(dossiers[dossier_id]["records"]) + 1
    finally:
        second.stop()


def test_a_conflict_while_storing_leaves_no_orphan_blob(tmp_path):
    """FileStorage removes an aborted transaction's blob files only when the
    abort follows the vote; DurableFileStorage removes them in every case."""
    import transaction as txn_module
    from persistent.mapping import PersistentMapping
    from ZODB import DB
    from ZODB.blob import Blob
    from ZODB.POSException import ConflictError

    from archive.storage import DurableFileStorage

    db = DB(DurableFileStorage(str(tmp_path / "Data.fs"), blob_dir=str(tmp_path / "blobs")))
    try:
        tm1, tm2 = txn_module.TransactionManager(), txn_module.TransactionManager()
        c1, c2 = db.open(tm1), db.open(tm2)
        with tm1:
            c1.root()["a"] = PersistentMapping()
            c1.root()["x"] = PersistentMapping()
        c2.sync()
        # the first connection adds a blob (stored with "a") and changes "x" ...
        blob = Blob()
        with blob.open("w") as fh:
            fh.write(b"%PDF-1.4 orphan?")
        c1.root()["a"]["file"] = blob
        c1.root()["x"]["n"] = 1
        # ... while the second changes "x" first
        c2.root()["x"]["n"] = 2
        tm2.commit()
        try:
            tm1.commit()
        except ConflictError:
            tm1.abort()
        else:
            raise AssertionError("expected a ConflictError")
        blobs = [f for _d, _s, files in os.walk(tmp_path / "blobs") for f in files
                 if f.endswith(".blob")]
        assert blobs == []
    finally:
        db.close()
