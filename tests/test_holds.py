"""Legal holds: an administrator or auditor puts dossiers on hold with a reason
and a reference; while held nothing about them changes, by any path (UI, API,
the services as scripts call them, archive-retention), for anybody,
administrators included; the release is recorded; the history is kept."""
import io
import json
import re
import shutil

import pytest
from webtest import TestApp

from conftest import (
    ADMIN_PASSWORD, DOSSIER, FONDS, PROJECT, RECORD, Api, api_token, close_app, login, make_app,
    make_pdf, make_user, module_app, read_root,
)

from archive.events import SYSTEM
from archive.retention import OnHold, ensure_not_held, on_hold, state_of

PDF = make_pdf(1, "Tài liệu tạm giữ")
HOLD = {"kind": "litigation", "reference": "Thụ lý số 15/2026/TLST-HC",
        "reason": "Vụ án hành chính đang giải quyết"}


class World:
    def __init__(self, wsgi):
        self.wsgi = wsgi
        self.admin = Api(self.client(), api_token(self.client(), "admin", ADMIN_PASSWORD))

    def client(self):
        return TestApp(self.wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})

    def dossier(self, notation, close=False, **fields):
        body = dict(DOSSIER, notation=notation, **fields)
        oid = self.admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", body).json["id"]
        record = self.admin.file_record(oid, RECORD, [("quyết định.pdf", PDF)]).json
        if close:
            self.admin.post(f"/api/v1/dossiers/{oid}/close", status=200)
        return oid, record["id"]

    def ui(self, who, password):
        client = self.client()
        login(client, who, password)
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)
        return client, token


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with module_app(tmp_path_factory, "holds") as wsgi:
        w = World(wsgi)
        w.admin.post("/api/v1/fonds", FONDS)
        w.archivist = make_user(w.admin, "lan", "archivist", [FONDS["code"]])
        w.auditor = make_user(w.admin, "kiemtra", "auditor")
        w.held, w.held_rec = w.dossier("01.HOLD")
        w.held_closed, _rec = w.dossier("02.HOLD", close=True, end_date="2010-06-30",
                                        start_date="2010-01-01", year=2010)
        w.free, w.free_rec = w.dossier("03.FREE")
        body = w.auditor.post("/api/v1/holds", dict(HOLD, dossiers=[w.held, w.held_closed])).json
        w.holds = {h["dossier_id"]: h["id"] for h in body["holds"]}
        yield w


def url(world, oid, rec=None):
    base = f"/fonds/{FONDS['code']}/{oid}"
    return f"{base}/{rec}" if rec else base


def dossier(world, oid):
    return world.admin.get(f"/api/v1/dossiers/{oid}").json


# ---------------------------------------------------------------- placing

def test_hold_is_recorded_with_reason_reference_and_who(world):
    body = world.admin.get(f"/api/v1/dossiers/{world.held}/retention").json
    assert body["held"] is True
    [hold] = body["holds"]
    assert (hold["kind"], hold["reference"], hold["reason"], hold["placed_by"], hold["active"]) == (
        "litigation", HOLD["reference"], HOLD["reason"], "kiemtra", True)
    journal = read_root(world.wsgi, lambda root: [e for e in root.journal.entries.values()
                                                  if e["action"] == "retention.hold.place"])
    assert {e["object_id"] for e in journal} >= {world.held, world.held_closed}
    assert all(e["login"] == "kiemtra" and e["detail"]["reference"] == HOLD["reference"]
               for e in journal)


def test_only_administrators_and_auditors_hold(world):
    body = dict(HOLD, dossiers=[world.free])
    world.archivist.post("/api/v1/holds", body, status=403)
    assert dossier(world, world.free)["title"] == DOSSIER["title"]
    assert world.admin.get(f"/api/v1/dossiers/{world.free}/retention").json["held"] is False


def test_hold_needs_reason_reference_and_known_dossiers(world):
    for missing in ("reason", "reference"):
        body = dict(HOLD, dossiers=[world.free])
        del body[missing]
        error = world.admin.post("/api/v1/holds", body, status=422).json["error"]
        assert missing in error["fields"]
    error = world.admin.post("/api/v1/holds", dict(HOLD, dossiers=["nope"]), status=422).json["error"]
    assert "nope" in error["fields"]["dossiers"]
    assert world.admin.get(f"/api/v1/dossiers/{world.free}/retention").json["held"] is False


# ---------------------------------------------------------------- nothing changes: UI

@pytest.mark.parametrize("who", ["admin", "lan"])
def test_ui_refuses_every_change_of_a_held_dossier(world, who):
    client, token = world.ui(who, ADMIN_PASSWORD if who == "admin" else "password-123")
    page = client.get(url(world, world.held) + "/")
    assert "/edit" not in page.text and "add-record" not in page.text
    assert page.html.find(id="held-badge") is not None
    form = {"csrf_token": token, "notation": "01.HOLD", "title": "Đổi tên", "retention": "10",
            "save": "save"}
    client.get(url(world, world.held) + "/edit", status=403)
    client.post(url(world, world.held) + "/edit", form, status=403)
    client.post(url(world, world.held) + "/close", {"csrf_token": token}, status=403)
    client.get(url(world, world.held) + "/add-record", status=403)
    client.post(url(world, world.held) + "/add-record",
                {"csrf_token": token, "doc_type": "02", "issued_date": "15/03/2024",
                 "issuer": "Sở", "subject": "Thêm", "save": "save"},
                upload_files=[("file", "a.pdf", PDF)], status=403)
    rec = url(world, world.held, world.held_rec)
    client.post(rec + "/edit", {"csrf_token": token, "doc_type": "02", "issued_date": "15/03/2024",
                                "issuer": "Sở", "subject": "Sửa", "save": "save"}, status=403)
    client.post(rec + "/add-files", {"csrf_token": token}, upload_files=[("file", "b.pdf", PDF)],
                status=403)
    # the same calls on a dossier that is not held succeed (the test can fail)
    client.post(url(world, world.free) + "/edit", dict(form, notation="03.FREE", title="Hồ sơ tự do"),
                status=303)


# ---------------------------------------------------------------- nothing changes: API

def test_api_refuses_every_change_of_a_held_dossier(world):
    for api in (world.admin, world.archivist):
        api.file_record(world.held, RECORD, [("c.pdf", PDF)], status=403)
        api.post(f"/api/v1/dossiers/{world.held}/close", status=403)
    body = dossier(world, world.held)
    assert body["closed"] is False and body["doc_total"] == 1


# ---------------------------------------------------------------- nothing changes: scripts

def test_services_refuse_as_scripts_call_them(world):
    """What archive-import, archive-sample and any script do: call the services
    with a registry and an actor, in their own transaction."""
    from archive.services.dossiers import close_dossier, update_dossier
    from archive.services.records import add_files, file_record, update_record

    registry = world.wsgi.registry

    def attempts(root):
        d = root.objectmap[world.held]
        record = root.objectmap[world.held_rec]
        calls = {
            "update_dossier": lambda: update_dossier(d, registry, SYSTEM, {"title": "Đổi", "notation": "01.HOLD",
                                                                         "retention": 10}),
            "close_dossier": lambda: close_dossier(d, registry, SYSTEM),
            "file_record": lambda: file_record(d, registry, SYSTEM, dict(RECORD)),
            "update_record": lambda: update_record(record, registry, SYSTEM, {"subject": "Đổi"}),
            "add_files": lambda: add_files(record, registry, SYSTEM, []),
            "ensure_not_held": lambda: ensure_not_held(d),
        }
        refused = {}
        for name, call in calls.items():
            with pytest.raises(OnHold) as info:
                call()
            refused[name] = info.value.status
        return refused, d.title, len(d), d.closed

    refused, title, records, closed = read_root(world.wsgi, attempts)
    assert set(refused.values()) == {409}
    assert (title, records, closed) == (DOSSIER["title"], 1, False)
    assert "tạm giữ" in str(OnHold().message)


# ---------------------------------------------------------------- dispositions

def test_held_dossier_denies_disposition_permissions_to_everyone(world):
    """The ACL of a held dossier denies proposing, approving and transferring
    to every identity, administrators included."""
    from pyramid.authorization import ACLHelper, Authenticated, Everyone

    from archive import security as perm

    def check(root):
        helper = ACLHelper()
        out = {}
        for oid in (world.held, world.held_closed, world.held_rec, world.free):
            d = root.objectmap[oid]   # a document of a held dossier too
            for permission in (perm.PROPOSE_DISPOSAL, perm.APPROVE_DISPOSAL, perm.TRANSFER, perm.EDIT,
                               perm.ADD_RECORD, perm.CLOSE, perm.DIGITISE):
                allowed = bool(helper.permits(d, [Everyone, Authenticated, "user:admin",
                                                  "role:administrator"], permission))
                out[(oid, permission)] = allowed
        return out

    result = read_root(world.wsgi, check)
    assert not any(v for (oid, _p), v in result.items()
                   if oid in (world.held, world.held_closed, world.held_rec))
    assert all(v for (oid, _p), v in result.items() if oid == world.free)


def test_disposal_and_transfer_services_refuse_held_dossiers(world):
    """The disposal and transfer services refuse a held dossier with OnHold
    (it is due for disposal: 10 years from 2010), as the UI, API and scripts
    call them."""
    import tempfile

    from archive.disposal.services import propose_disposal
    from archive.events import Actor
    from archive.transfer.service import export_transfer

    admin = Actor("admin", "127.0.0.1")

    def attempt(root):
        d = root.objectmap[world.held_closed]
        registry = world.wsgi.registry
        with pytest.raises(OnHold):
            propose_disposal(root, registry, admin, d.fonds, [d], "Danh mục hết giá trị")
        with pytest.raises(OnHold):
            propose_disposal(root, registry, admin, d.fonds, [d], "Danh mục hết giá trị",
                             early={d.id: "Ghi đè"})
        with tempfile.TemporaryDirectory() as out_dir, pytest.raises(OnHold):
            export_transfer(root, registry, admin, [d], out_dir)
        return state_of(d), getattr(d, "disposal_id", None)

    assert read_root(world.wsgi, attempt) == ("closed", None)


# ---------------------------------------------------------------- index, release, history

def test_index_lists_held_dossiers_and_dashboards_show_them(world):
    held = read_root(world.wsgi, lambda root: on_hold(root))
    assert set(held) == {world.held, world.held_closed}
    due = world.auditor.get("/api/v1/retention/due?kind=hold").json
    assert due["total"] == 2
    # a held dossier is not offered for disposal although it is due
    disposal = world.auditor.get("/api/v1/retention/due?kind=disposal").json
    assert world.held_closed not in {d["id"] for d in disposal["dossiers"]}
    client, _token = world.ui("kiemtra", "password-123")
    page = client.get("/retention?kind=hold")
    assert page.html.find(id="count-hold").text.strip() == "2"
    assert "01.HOLD" in page.text and "02.HOLD" in page.text


def test_release_is_recorded_and_allows_changes_again(world):
    client, token = world.ui("admin", ADMIN_PASSWORD)
    hold_id = world.holds[world.held]
    form = client.get(f"/hold-release?hold={hold_id}").forms["deform"]
    form["reason"] = ""
    assert "Bắt buộc" in form.submit("save").text
    form = client.get(f"/hold-release?hold={hold_id}").forms["deform"]
    form["reason"] = "Bản án đã có hiệu lực"
    assert form.submit("save").status_int == 303
    body = world.admin.get(f"/api/v1/dossiers/{world.held}/retention").json
    assert body["held"] is False
    [hold] = body["holds"]
    assert (hold["active"], hold["released_by"], hold["release_reason"]) == (
        False, "admin", "Bản án đã có hiệu lực")
    # released twice: refused
    error = world.admin.post(f"/api/v1/holds/{hold_id}/release", {"reason": "lại"}, status=409)
    assert error.json["error"]["message"]
    # changes work again
    world.archivist.file_record(world.held, RECORD, [("d.pdf", PDF)])
    assert dossier(world, world.held)["doc_total"] == 2
    # the other dossier of the same order stays held
    assert world.admin.get(f"/api/v1/dossiers/{world.held_closed}/retention").json["held"] is True
    assert read_root(world.wsgi, lambda root: on_hold(root)) == [world.held_closed]
    journal = read_root(world.wsgi, lambda root: [e for e in root.journal.entries.values()
                                                  if e["action"] == "retention.hold.release"])
    assert [(e["object_id"], e["detail"]["reason"]) for e in journal] == [
        (world.held, "Bản án đã có hiệu lực")]


def test_hold_form_takes_file_codes_and_many_dossiers(world):
    client, token = world.ui("admin", ADMIN_PASSWORD)
    codes = [dossier(world, world.free)["file_code"], dossier(world, world.held)["file_code"]]
    form = client.get(f"/hold-add?dossier={world.free}").forms["deform"]
    assert form["dossiers"].value.strip() == codes[0]
    form["dossiers"] = "\n".join(codes + ["000.00.17.H17.1999.99.NOPE"])
    form["reference"] = "QĐ thanh tra 7/QĐ-TTr"
    form["reason"] = "Thanh tra công vụ"
    form["kind"] = "inspection"
    page = form.submit("save")
    assert page.status_int == 200 and "000.00.17.H17.1999.99.NOPE" in page.text
    form = page.forms["deform"]
    form["dossiers"] = "\n".join(codes)
    assert form.submit("save").status_int == 303
    listing = client.get("/holds")
    assert listing.html.find(id="total").text.strip() == "3"
    # release those two again (the history keeps all four holds)
    for hold in world.admin.get("/api/v1/holds?active=1").json["holds"]:
        if hold["reference"] == "QĐ thanh tra 7/QĐ-TTr":
            world.admin.post(f"/api/v1/holds/{hold['id']}/release", {"reason": "Kết thúc thanh tra"},
                             status=200)
    everything = world.admin.get("/api/v1/holds").json["holds"]
    assert len(everything) == 4 and sum(h["active"] for h in everything) == 1


def test_closed_and_held_dossier_is_left_unchanged(world):
    body = dossier(world, world.held_closed)
    assert body["closed"] is True and body["doc_total"] == 1 and body["title"] == DOSSIER["title"]


# ---------------------------------------------------------------- disposal and transfer paths
# (after the counting tests above: these leave holds behind)

def expired(world, notation, retention):
    oid, _rec = world.dossier(notation, close=True, retention=retention, year=2010,
                              start_date="2010-01-05", end_date="2010-06-30")
    return oid


def test_hold_after_approval_stops_destruction_by_the_api(world):
    """A dossier held after its disposal was approved is not destroyed (409),
    and nothing of the disposal's other dossiers either; released, it is."""
    held = expired(world, "10.HUY", 5)
    other = expired(world, "11.HUY", 5)
    disposal = world.archivist.post(f"/api/v1/fonds/{FONDS['code']}/disposals",
                                    {"title": "Danh mục hết giá trị 2026", "dossiers": [held, other]}).json
    review = world.archivist.app.post(
        f"/api/v1/disposals/{disposal['id']}/review",
        params={"metadata": json.dumps({"review_date": "2026-03-02", "council_note": "Nhất trí"})},
        upload_files=[("file", "biên bản.pdf", PDF)], headers=world.archivist.headers)
    assert review.status_int in (200, 201), review.text
    world.admin.post(f"/api/v1/disposals/{disposal['id']}/approve",
                     {"decision_number": "12/QĐ-SNV", "decision_date": "2026-03-10"}, status=200)
    hold = world.auditor.post("/api/v1/holds", dict(HOLD, dossiers=[held])).json["holds"][0]
    error = world.admin.post(f"/api/v1/disposals/{disposal['id']}/destroy", {}, status=409).json
    assert "tạm giữ" in error["error"]["message"]
    assert dossier(world, held)["doc_total"] == 1 and dossier(world, other)["doc_total"] == 1
    world.auditor.post(f"/api/v1/holds/{hold['id']}/release", {"reason": "Đã giải quyết"}, status=200)
    world.admin.post(f"/api/v1/disposals/{disposal['id']}/destroy", {}, status=200)
    world.admin.get(f"/api/v1/dossiers/{held}", status=404)
    assert read_root(world.wsgi, lambda root: root.retention_index.entries.get(held)) is None


def test_held_dossier_is_neither_proposed_nor_transferred_by_the_api(world):
    held = expired(world, "12.HUY", 5)
    permanent = expired(world, "13.NL", "permanent")
    world.auditor.post("/api/v1/holds", dict(HOLD, dossiers=[held, permanent]))
    world.archivist.post(f"/api/v1/fonds/{FONDS['code']}/disposals",
                         {"title": "Danh mục", "dossiers": [held]}, status=(403, 409))
    world.admin.post(f"/api/v1/fonds/{FONDS['code']}/transfers", {"dossiers": [permanent]},
                     status=(403, 409))
    assert world.admin.get(f"/api/v1/dossiers/{held}/retention").json["state"] == "closed"
    assert world.admin.get(f"/api/v1/dossiers/{permanent}/retention").json["state"] == "closed"


def test_hold_after_export_stops_the_transfer_receipt(world):
    import datetime

    today = datetime.date.today().isoformat()
    permanent = expired(world, "14.NL", "permanent")
    from conftest import run_jobs   # the export is a job (transfer.export): run it

    queued = world.admin.post(f"/api/v1/fonds/{FONDS['code']}/transfers",
                              {"dossiers": [permanent]}, status=202).json
    run_jobs(world.wsgi)
    transfer = world.admin.get(queued["transfer_url"]).json
    assert world.admin.get(f"/api/v1/dossiers/{permanent}/retention").json["state"] == "transferring"
    hold = world.auditor.post("/api/v1/holds", dict(HOLD, dossiers=[permanent])).json["holds"][0]
    world.admin.post(f"/api/v1/transfers/{transfer['id']}/receipt",
                     {"receipt_number": "15/BB-LTLS", "receipt_date": today}, status=409)
    assert world.admin.get(f"/api/v1/dossiers/{permanent}/retention").json["state"] == "transferring"
    world.auditor.post(f"/api/v1/holds/{hold['id']}/release", {"reason": "Xong"}, status=200)
    world.admin.post(f"/api/v1/transfers/{transfer['id']}/receipt",
                     {"receipt_number": "15/BB-LTLS", "receipt_date": today}, status=200)
    assert world.admin.get(f"/api/v1/dossiers/{permanent}/retention").json["state"] == "transferred"
    due = world.auditor.get("/api/v1/retention/due?kind=transfer&until=2100").json
    assert permanent not in {d["id"] for d in due["dossiers"]}


# ---------------------------------------------------------------- archive-retention

def test_archive_retention_script_holds_and_releases(tmp_path):
    from archive.scripts import retention as script

    shutil.copy(f"{PROJECT}/testing.ini", tmp_path / "testing.ini")
    wsgi = make_app(tmp_path)
    try:
        client = TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        admin = Api(client, api_token(client, "admin", ADMIN_PASSWORD))
        admin.post("/api/v1/fonds", FONDS)
        created = admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", DOSSIER).json
    finally:
        close_app(wsgi)
    ini = str(tmp_path / "testing.ini")
    out = io.StringIO()
    assert script.main([ini, "hold", "add", created["file_code"], "--reason", "Khiếu nại",
                        "--reference", "Đơn 3/2026"], out=out) == 0
    hold_id = out.getvalue().split()[0]
    out = io.StringIO()
    assert script.main([ini, "due", "hold"], out=out) == 0
    assert created["file_code"] in out.getvalue() and "1 dossiers" in out.getvalue()

    # a script that edits the dossier is refused while held
    from archive.scripts._common import script_env
    from archive.services.dossiers import update_dossier

    with script_env(ini, "test") as env:
        with pytest.raises(OnHold):
            env.run(lambda root: update_dossier(root.objectmap[created["id"]], env.registry, env.actor,
                                                {"title": "Đổi", "notation": DOSSIER["notation"],
                                                 "retention": 10}))
    out = io.StringIO()
    assert script.main([ini, "hold", "release", hold_id, "--reason", "Đã giải quyết"], out=out) == 0
    out = io.StringIO()
    assert script.main([ini, "hold", "list", "--all"], out=out) == 0
    assert "released" in out.getvalue() and "Đơn 3/2026" in out.getvalue()
    out = io.StringIO()
    assert script.main([ini, "reindex", "--check"], out=out) == 0
    assert "1 dossiers, 0 index entries differ" in out.getvalue()
    with script_env(ini, "test") as env:
        env.run(lambda root: update_dossier(root.objectmap[created["id"]], env.registry, env.actor,
                                            {"title": "Đổi", "notation": DOSSIER["notation"],
                                             "retention": 10}))
        title = env.run(lambda root: root.objectmap[created["id"]].title)
    assert title == "Đổi"
