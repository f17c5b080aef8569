"""Transactional indexing (issue 3, build 5), on a real FileStorage and a real
Whoosh index, through the real application (WebTest):

* a change committed through the API or the UI is queued in the same ZODB
  transaction and found by search once the writer has applied the queue;
* a refused request (aborted transaction) queues nothing;
* a queue entry is removed only when its stamp is unchanged, so a change
  made while the writer was indexing is applied again;
* applying twice is idempotent: each id is in the index once;
* a dossier change re-indexes its documents (title, access 01 -> 03: the
  official no longer finds them).
"""

import pytest
import transaction
from webtest import TestApp

from archive.db import registry_db
from archive.events import Actor
from archive.search.queue import IndexQueue, get_queue
from conftest import (
    ADMIN_PASSWORD, DOSSIER, FONDS, RECORD, Api, api_token, close_app, index_counts, login,
    make_app, make_pdf, make_user,
)
from live import write_ini

ADMIN = Actor("admin", "test")


# --------------------------------------------------------------------------
# helpers

def client(wsgi):
    return TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})


def admin_api_of(wsgi):
    testapp = client(wsgi)
    return Api(testapp, api_token(testapp, "admin", ADMIN_PASSWORD))


def queued(wsgi):
    """{id: stamp} of the index queue as committed in the database."""
    db = registry_db(wsgi.registry)
    tm = transaction.TransactionManager(explicit=True)
    conn = db.open(tm)
    try:
        with tm:
            queue = get_queue(conn.root()["archive"], create=False)
            if queue is None:
                return {}
            entries = dict(queue.entries.items())
            assert len(queue) == len(entries)  # the Length beside the BTree agrees
            return entries
    finally:
        conn.close()




def found(api, text, **params):
    query = {"q": text, "size": "100", **params}
    response = api.get("/api/v1/search", params=query)
    return {hit["id"] for hit in response.json["hits"]}, response.json["total"]


@pytest.fixture
def manual(app_dir):
    """The application with its writer thread off: the test applies the
    queue itself (``service.drain``), exactly as the writer thread does, so
    that it sees what is committed before the index is touched."""
    write_ini(app_dir, {"archive.search.writer": "false"})
    wsgi = make_app(app_dir)
    service = wsgi.registry.search
    service.rebuild(registry_db(wsgi.registry))  # an empty first generation
    yield wsgi
    close_app(wsgi)


# --------------------------------------------------------------------------
# queued in the same transaction, applied after commit

def test_a_filing_is_queued_in_its_transaction_and_found_once_applied(manual):
    service, db = manual.registry.search, registry_db(manual.registry)
    api = admin_api_of(manual)
    api.post("/api/v1/fonds", FONDS)
    dossier_id = api.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", DOSSIER).json["id"]
    record_id = api.file_record(dossier_id, dict(RECORD, subject="Quyết định khen thưởng Lê Văn Tám"),
                                [("quyết định.pdf", make_pdf(1))]).json["id"]
    # committed with the change: both objects are in the queue, nothing is
    # in the index yet
    assert set(queued(manual)) == {dossier_id, record_id}
    assert found(api, "khen thuong") == (set(), 0)
    assert service.pending(db) == 2
    # the writer applies the queue: found, the queue is empty
    assert service.drain(db) == 2
    assert queued(manual) == {}
    ids, total = found(api, "khen thuong le van tam")
    assert ids == {record_id} and total == 1
    assert found(api, "tuyen dung cong chuc")[0] == {dossier_id, record_id}
    assert index_counts(service) == {dossier_id: 1, record_id: 1}


def test_the_writer_thread_applies_what_the_api_and_the_ui_commit(app, admin_api, fonds):
    service = app.registry.search
    dossier_id = admin_api.post(f"/api/v1/fonds/{fonds}/dossiers",
                                dict(DOSSIER, title="Hồ sơ cấp giấy phép xây dựng nhà ở")).json["id"]
    assert service.wait_idle(30)
    assert found(admin_api, "giay phep xay dung")[0] == {dossier_id}
    # a document filed through the UI form
    browser = client(app)
    login(browser, "admin", ADMIN_PASSWORD)
    page = browser.get(f"/fonds/{fonds}/{dossier_id}/add-record")
    form = page.forms["record"]
    form["doc_type"], form["issued_date"] = "02", "15/03/2024"
    form["issuer"], form["subject"] = "UBND huyện Đắk R'lấp", "Giấy phép xây dựng cho hộ ông Y Bhiơ"
    response = form.submit("save")
    assert response.status_int == 303, response.text[:2000]
    assert service.wait_idle(30)
    ids, total = found(admin_api, "y bhio")
    assert total == 1
    (record_id,) = ids
    assert queued(app) == {}
    assert index_counts(service) == {dossier_id: 1, record_id: 1}


# --------------------------------------------------------------------------
# an aborted transaction queues nothing

def test_refused_requests_and_aborted_transactions_queue_nothing(manual, monkeypatch):
    service, db = manual.registry.search, registry_db(manual.registry)
    api = admin_api_of(manual)
    api.post("/api/v1/fonds", FONDS)
    dossier_id = api.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", DOSSIER).json["id"]
    service.drain(db)
    before = service.indexed_ids()
    assert queued(manual) == {}
    notified = []
    monkeypatch.setattr(service, "notify", lambda: notified.append(1))

    # a secret document with a file: refused (422), nothing kept
    api.file_record(dossier_id, dict(RECORD, secrecy="mat"), [("mật.pdf", make_pdf(1))], status=422)
    # invalid metadata (no subject)
    api.file_record(dossier_id, {k: v for k, v in RECORD.items() if k != "subject"}, status=422)
    # a duplicate file code
    api.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", DOSSIER, status=409)
    # a UI form refused by the service (end before start): shown again, doomed
    browser = client(manual)
    login(browser, "admin", ADMIN_PASSWORD)
    form = browser.get(f"/fonds/{FONDS['code']}/{dossier_id}/edit").forms["deform"]
    form["title"] = "Tiêu đề không được lưu"
    form["end_date"] = "01/01/2000"
    page = form.submit("save")
    assert page.status_int == 200 and "Tiêu đề không được lưu" in page.text
    # a transaction in which a change was made and queued, then aborted
    from archive.services.dossiers import create_dossier

    tm = transaction.TransactionManager(explicit=True)
    conn = db.open(tm)
    try:
        tm.begin()
        fonds = conn.root()["archive"]["fonds"][FONDS["code"]]
        created = create_dossier(fonds, manual.registry, ADMIN, dict(DOSSIER, notation="99.HUY",
                                                                     title="Hồ sơ bị hủy bỏ"))
        assert created.id in get_queue(conn.root()["archive"]).entries  # queued ...
        tm.abort()  # ... and gone with its transaction
    finally:
        conn.close()

    assert queued(manual) == {}
    assert notified == []  # no after-commit wake-up for the writer either
    assert service.drain(db) == 0
    assert service.indexed_ids() == before
    assert found(api, "tieu de khong duoc luu") == (set(), 0)
    assert found(api, "huy bo") == (set(), 0)
    # and a request that succeeds still wakes the writer once
    api.file_record(dossier_id, RECORD)
    assert len(queued(manual)) == 1 and notified == [1]


# --------------------------------------------------------------------------
# stamps: a change made while the writer indexes is applied again

def test_queue_removes_an_entry_only_when_its_stamp_is_unchanged():
    queue = IndexQueue()
    queue.add("a", 1)
    queue.add("b", 1)
    taken = queue.batch(10)
    queue.add("a", 2)  # changed again while the writer was indexing
    assert queue.done(taken) == 1
    assert dict(queue.entries.items()) == {"a": 2} and len(queue) == 1
    assert queue.done([("a", 2)]) == 1
    assert len(queue) == 0


def test_a_change_made_while_the_writer_indexes_is_applied_again(manual, monkeypatch):
    from archive.services.dossiers import update_dossier

    service, db = manual.registry.search, registry_db(manual.registry)
    api = admin_api_of(manual)
    api.post("/api/v1/fonds", FONDS)
    dossier_id = api.post(f"/api/v1/fonds/{FONDS['code']}/dossiers",
                          dict(DOSSIER, title="Hồ sơ giải phóng mặt bằng")).json["id"]
    applied = []
    real_apply = service.apply

    def apply_then_change(root, items):
        real_apply(root, items)  # the old title goes into the index ...
        applied.append([oid for oid, _stamp in items])
        if len(applied) == 1:
            # ... while another request renames the dossier and commits
            tm = transaction.TransactionManager(explicit=True)
            conn = db.open(tm)
            try:
                with tm:
                    dossier = conn.root()["archive"].objectmap[dossier_id]
                    update_dossier(dossier, manual.registry, ADMIN,
                                   {"title": "Hồ sơ bồi thường tái định cư"})
            finally:
                conn.close()

    monkeypatch.setattr(service, "apply", apply_then_change)
    assert service.drain(db) == 2  # the entry stayed and was applied a second time
    assert applied == [[dossier_id], [dossier_id]]
    assert queued(manual) == {}
    assert found(api, "boi thuong tai dinh cu")[0] == {dossier_id}
    assert found(api, "giai phong mat bang") == (set(), 0)
    assert index_counts(service) == {dossier_id: 1}


# --------------------------------------------------------------------------
# idempotence

def test_applying_twice_leaves_each_id_once_in_the_index(manual):
    service, db = manual.registry.search, registry_db(manual.registry)
    api = admin_api_of(manual)
    api.post("/api/v1/fonds", FONDS)
    dossier_id = api.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", DOSSIER).json["id"]
    records = [api.file_record(dossier_id, dict(RECORD, number=str(500 + n))).json["id"]
               for n in range(3)]
    expected = {oid: 1 for oid in [dossier_id] + records}
    items = sorted(queued(manual).items())
    assert service.drain(db) == 4
    # the same entries applied again, directly and through the queue
    tm = transaction.TransactionManager(explicit=True)
    conn = db.open(tm)
    try:
        with tm:
            service.apply(conn.root()["archive"], items)
            service.apply(conn.root()["archive"], items)
        with tm:
            queue = get_queue(conn.root()["archive"])
            for oid, stamp in items:
                queue.add(oid, stamp + 1)
    finally:
        conn.close()
    assert service.drain(db) == 4
    assert index_counts(service) == expected
    ids, total = found(api, "tuyen dung")
    assert ids == set(expected) and total == 4
    # a full rebuild gives the same index again
    service.rebuild(db)
    assert index_counts(service) == expected


# --------------------------------------------------------------------------
# a dossier change re-indexes its documents

def test_a_dossier_change_reindexes_its_documents(app, admin_api, fonds):
    service = app.registry.search
    official = make_user(admin_api, "minh", "official", [fonds])
    dossier_id = admin_api.post(f"/api/v1/fonds/{fonds}/dossiers",
                                dict(DOSSIER, title="Hồ sơ thanh tra đất đai xã Nâm N'Jang")).json["id"]
    records = {admin_api.file_record(dossier_id, dict(RECORD, number=str(600 + n),
                                                       subject=f"Biên bản làm việc số {n}")).json["id"]
               for n in range(2)}
    assert service.wait_idle(30)
    everything = records | {dossier_id}
    assert found(official, "thanh tra dat dai")[0] == everything
    assert found(official, "nam njang")[0] == everything

    # the archivist renames the dossier and classifies it (access 03) in the UI
    browser = client(app)
    login(browser, "admin", ADMIN_PASSWORD)
    form = browser.get(f"/fonds/{fonds}/{dossier_id}/edit").forms["deform"]
    form["title"] = "Hồ sơ khiếu nại của bà H'Hen Niê"
    form["access"] = "03"
    assert form.submit("save").status_int == 303
    assert service.wait_idle(30)

    # the documents carry the dossier's new title ...
    assert found(admin_api, "khieu nai hhen nie")[0] == everything
    assert found(admin_api, "thanh tra dat dai") == (set(), 0)
    # ... and its new access: the official finds none of them any more
    assert found(official, "khieu nai hhen nie") == (set(), 0)
    assert found(official, "bien ban lam viec") == (set(), 0)
    body = official.get("/api/v1/search", params={"q": "bien ban"}).json
    assert body["total"] == 0 and body["hits"] == []
    assert all(not counts for counts in body["facets"].values())
    # the admin still sees all three, and each once
    assert index_counts(service) == {oid: 1 for oid in everything}
