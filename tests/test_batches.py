"""Conversion batches: the workflow received -> scanned -> checked ->
approved -> archived with who and when, rejection with a reason, illegal
steps refused by name, and the batch page's counts, pages per day and stuck
items."""
import datetime
import re

import pytest
from webtest import TestApp

from conftest import (
    ADMIN_PASSWORD, DOSSIER, FONDS, Api, api_token, login, make_user, module_app, read_root,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with module_app(tmp_path_factory, "batches") as wsgi:
        client = TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        admin = Api(client, api_token(client, "admin", ADMIN_PASSWORD))
        admin.post("/api/v1/fonds", FONDS)
        admin.post("/api/v1/fonds", {"code": "VPUB", "name": "Văn phòng UBND", "organ_id": "H17.1.2"})
        dossier = admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers",
                             dict(DOSSIER, provenance="02", paper_file_code="LTCQ.K1/G01/H001.01")).json
        make_user(admin, "lan", "archivist", [FONDS["code"]])
        make_user(admin, "binh", "archivist", ["VPUB"])
        yield wsgi, dossier


def browser(wsgi, who, password="password-123"):
    client = TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    login(client, who, password)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/batches/").text).group(1)
    return client, token


def new_batch(client, title="Đợt 1: hộ tịch Đắk Ha"):
    page = client.get(f"/fonds/{FONDS['code']}/add-batch")
    form = page.forms["deform"]
    form["title"] = title
    form["notes"] = "Hộp 1–3"
    response = form.submit("save")
    assert response.status_int == 303, response.text[:1000]
    return response.headers["Location"].replace("http://localhost", "")


def receive(client, batch_url, code, title):
    form = client.get(batch_url + "add-item").forms["deform"]
    form["paper_file_code"] = code
    form["title"] = title
    response = form.submit("save")
    assert response.status_int == 303, response.text[:1000]


def items_by_code(wsgi, batch_url):
    batch_id = batch_url.rstrip("/").rsplit("/", 1)[1]
    return read_root(wsgi, lambda root: {
        item.paper_file_code: (item.id, item.state, [(s["state"], s["login"], s.get("reason"))
                                                     for s in item.history])
        for item in root["batches"][batch_id].items.values()})


def step(client, token, batch_url, item_id, to, **fields):
    response = client.post(batch_url + "advance", dict(fields, item=item_id, to=to, csrf_token=token))
    assert response.status_int == 303
    return response.follow()


def test_the_workflow_with_a_rejection_and_the_page_counts(world):
    wsgi, dossier = world
    client, token = browser(wsgi, "lan")
    url = new_batch(client)
    for n in range(1, 5):
        receive(client, url, f"LTCQ.K1/G01/H00{n}.01", f"Hồ sơ giấy số {n}")
    items = items_by_code(wsgi, url)
    first, second, third = (items[f"LTCQ.K1/G01/H00{n}.01"][0] for n in (1, 2, 3))

    # scanning needs the pages; an illegal jump is refused by name and changes nothing
    page = step(client, token, url, first, "scanned")
    assert "Phải ghi số trang đã quét" in page.text
    page = step(client, token, url, first, "checked")
    assert "Không thể chuyển hồ sơ từ trạng thái \"Đã tiếp nhận\" sang \"Đã kiểm tra\"" in page.text
    assert items_by_code(wsgi, url)["LTCQ.K1/G01/H001.01"][1] == "received"

    for item_id, pages in ((first, 12), (second, 30), (third, 7)):
        step(client, token, url, item_id, "scanned", pages=str(pages))
    step(client, token, url, first, "checked")
    step(client, token, url, second, "checked")
    step(client, token, url, first, "approved")

    # a rejection needs a reason; the check rejects the third scan (back to received),
    # the archivist the approved first one (back to scanned, to be checked again)
    response = client.post(url + "reject", {"item": third, "reason": "  ", "csrf_token": token}).follow()
    assert "Phải ghi lý do khi trả lại" in response.text
    client.post(url + "reject", {"item": third, "reason": "Trang 3 bị mờ, quét lại",
                                 "csrf_token": token}).follow()
    client.post(url + "reject", {"item": first, "reason": "Thiếu trang bìa",
                                 "csrf_token": token}).follow()
    items = items_by_code(wsgi, url)
    assert items["LTCQ.K1/G01/H003.01"][1] == "received"
    assert items["LTCQ.K1/G01/H001.01"][1] == "scanned"
    assert items["LTCQ.K1/G01/H001.01"][2][-1] == ("scanned", "lan", "Thiếu trang bìa")

    # again through check and approval; archiving needs the archive dossier of the same fonds
    step(client, token, url, first, "checked")
    step(client, token, url, first, "approved")
    page = step(client, token, url, first, "archived")
    assert "Phải gắn hồ sơ lưu trữ" in page.text
    page = step(client, token, url, first, "archived", file_code="000.00.17.H17.1999.99.X")
    assert "Không có hồ sơ mã 000.00.17.H17.1999.99.X" in page.text
    step(client, token, url, first, "archived", file_code=dossier["file_code"])
    items = items_by_code(wsgi, url)
    assert [s for s, _login, _r in items["LTCQ.K1/G01/H001.01"][2]] == [
        "received", "scanned", "checked", "approved", "scanned", "checked", "approved", "archived"]
    assert all(login_ == "lan" for _s, login_, _r in items["LTCQ.K1/G01/H001.01"][2])
    # an archived item cannot be rejected
    page = client.post(url + "reject", {"item": first, "reason": "muộn", "csrf_token": token}).follow()
    assert "Không thể chuyển hồ sơ" in page.text

    # the page: counts per state, pages per day (rescans count again), rejections, the link
    page = client.get(url)
    counts = {s: page.html.find(id=f"count-{s}").text for s in
              ("received", "scanned", "checked", "approved", "archived")}
    assert counts == {"received": "2", "scanned": "0", "checked": "1", "approved": "0", "archived": "1"}
    assert page.html.find(id="count-total").text == "4"
    assert page.html.find(id="pages-total").text == "42"    # 12 + 30 (the third is back to received)
    assert page.html.find(id="rejections").text == "2"
    today = datetime.date.today().strftime("%d/%m/%Y")
    assert today in page.html.find(id="pages-per-day").text and "49" in page.html.find(id="pages-per-day").text
    assert dossier["file_code"] in page.html.find(id="items").text
    assert "Thiếu trang bìa" in page.text and "Trang 3 bị mờ, quét lại" in page.text
    # nothing is stuck today; with a limit of 0 days every unfinished item is
    assert "Không có hồ sơ nào bị chậm" in page.text
    stuck = client.get(url + "?days=0").html.find(id="stuck").text
    assert "LTCQ.K1/G01/H004.01" in stuck and "LTCQ.K1/G01/H001.01" not in stuck
    # filter by state
    filtered = client.get(url + "?state=received").html.find(id="items").text
    assert "LTCQ.K1/G01/H003.01" in filtered and "LTCQ.K1/G01/H002.01" not in filtered

    # every step is in the journal, with who
    journal = read_root(wsgi, lambda root: [e for e in root.journal.latest(0, 200)
                                            if e["action"].startswith("batch.")])
    actions = [e["action"] for e in journal]
    assert actions.count("batch.reject") == 2 and actions.count("batch.advance") == 9
    assert {e["login"] for e in journal} == {"lan"}
    # the list shows the batch with its counts
    listing = client.get("/batches/").html.find(id="batches").text
    assert "Đợt 1: hộ tịch Đắk Ha" in listing


def test_stuck_items_and_the_service_rules(world):
    from archive.batches import (
        IllegalTransition, ReasonRequired, add_item, advance, create_batch, progress, reject,
    )
    from archive.errors import DuplicateCode
    from archive.events import Actor

    wsgi, _dossier = world
    actor = Actor("lan", "test")
    registry = wsgi.registry
    old = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.timezone.utc)

    def scenario(root):
        batch = create_batch(root, registry, actor, root["fonds"][FONDS["code"]], "Đợt cũ")
        a = add_item(batch, registry, actor, "K1/H1", "Hồ sơ A")
        b = add_item(batch, registry, actor, "K1/H2", "Hồ sơ B")
        with pytest.raises(DuplicateCode):
            add_item(batch, registry, actor, "K1/H1", "Hồ sơ A lần nữa")
        advance(batch, a, registry, actor, "scanned", pages=5, now=old)
        advance(batch, b, registry, actor, "scanned", pages=8, now=old + datetime.timedelta(days=1))
        advance(batch, b, registry, actor, "checked", now=old + datetime.timedelta(days=20))
        with pytest.raises(IllegalTransition):
            advance(batch, b, registry, actor, "scanned")
        with pytest.raises(ReasonRequired):
            reject(batch, b, registry, actor, "")
        figures = progress(batch, now=old + datetime.timedelta(days=21), stuck_days=7)
        return (figures["counts"], figures["pages_per_day"],
                [(item.paper_file_code, days) for item, days in figures["stuck"]])

    import transaction
    from archive.db import ROOT_KEY, registry_db

    tm = transaction.TransactionManager(explicit=True)
    conn = registry_db(registry).open(tm)
    try:
        tm.begin()
        counts, per_day, stuck = scenario(conn.root()[ROOT_KEY])
        tm.abort()  # leave the shared archive as it was
    finally:
        conn.close()
    assert dict(counts) == {"received": 0, "scanned": 1, "checked": 1, "approved": 0, "archived": 0}
    assert per_day == [(datetime.date(2026, 1, 5), 5), (datetime.date(2026, 1, 6), 8)]
    assert stuck == [("K1/H1", 21)]   # B moved a day ago; A has waited 21 days


def test_batches_of_another_fonds_are_out_of_reach(world):
    wsgi, _dossier = world
    lan, _ = browser(wsgi, "lan")
    url = new_batch(lan, "Đợt riêng của SNV")
    binh, token = browser(wsgi, "binh")
    assert "Đợt riêng của SNV" not in binh.get("/batches/").text
    binh.get(url, status=403)
    binh.post(url + "advance", {"item": "x", "to": "scanned", "csrf_token": token}, status=403)
    binh.get(f"/fonds/{FONDS['code']}/add-batch", status=403)


def test_evolve_step_3_gives_an_old_archive_its_batches_and_import_index():
    from archive.batches import Batches
    from archive.evolve import g03_digitisation
    from archive.resources import ArchiveRoot

    root = ArchiveRoot()   # as generation 2 left it
    assert "batches" not in root and getattr(root, "import_jobs", None) is None
    g03_digitisation.step(root)
    batches, index = root["batches"], root.import_jobs
    g03_digitisation.step(root)   # a step may run again: it keeps what is there
    assert isinstance(root["batches"], Batches) and root["batches"] is batches
    assert root.import_jobs is index


def test_a_dossier_created_with_an_items_paper_file_code_is_linked_to_it(world):
    wsgi, _dossier = world
    client, token = browser(wsgi, "lan")
    url = new_batch(client, "Đợt liên kết")
    receive(client, url, "LTCQ.K2/G05/H010.03", "Hồ sơ giấy sẽ được nhập")
    api = Api(client, api_token(client, "lan", "password-123"))
    created = api.post(f"/api/v1/fonds/{FONDS['code']}/dossiers",
                       dict(DOSSIER, notation="10.LK", provenance="02",
                            paper_file_code="LTCQ.K2/G05/H010.03")).json
    item_id, state, _history = items_by_code(wsgi, url)["LTCQ.K2/G05/H010.03"]
    batch_id = url.rstrip("/").rsplit("/", 1)[1]
    assert read_root(wsgi, lambda root: root["batches"][batch_id].get_item(item_id).dossier_id) \
        == created["id"]
    assert created["file_code"] in client.get(url).html.find(id="items").text
