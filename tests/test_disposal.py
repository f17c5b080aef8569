"""Disposal of expired dossiers (issue 5, build item 4).

Must show:
* four-eyes: the proposer cannot approve their own proposal, through the UI,
  the API and the script (``test_four_eyes_*``);
* a held dossier cannot be proposed or destroyed by any path
  (``test_held_dossier_*``);
* after destruction and pack, the file bytes are gone from ``var/`` while
  the tombstone and the disposal file remain (``test_destroy_then_pack_*``).

One archive for the module, served by a real ZEO server (as ``make run``
does), so that the scripts work beside the application like in production;
one small embedded archive for the pack of the test suite's own storage.
"""
import io
import json
import os
import re
import subprocess
import sys
import uuid

import pytest
from webtest import TestApp

from conftest import (
    ADMIN_PASSWORD, PASSWORD, RECORD, Api, api_token, close_app, login, make_app, make_pdf,
    make_png, make_user, read_root,
)
from live import write_ini

BIN = os.path.dirname(sys.executable)
FONDS = {"code": "SNV", "name": "Sở Nội vụ tỉnh Đắk Nông", "organ_id": "000.00.17.H17"}
_serial = iter(range(1, 10_000))

# ended 2010, kept 5 years: due on 1 January 2016
EXPIRED = {"title": "Hồ sơ cấp phép năm 2010", "retention": 5, "access": "01",
           "start_date": "2010-01-05", "end_date": "2010-06-30"}
# ended 2024, kept 70 years: due in 2095
NOT_DUE = {"title": "Hồ sơ nhân sự năm 2024", "retention": 70, "access": "01",
           "start_date": "2024-01-05", "end_date": "2024-06-30"}


def zeo_settings(app_dir):
    var = f"{app_dir}/var"
    return {"zodbconn.uri": f"zeo://{var}/zeo.sock?blob_dir={var}/blobs&shared_blob_dir=1"
                            "&wait_timeout=30"}


class Archive:
    """The module's archive: application, API clients, scripts."""

    def __init__(self, app_dir, ini, wsgi):
        self.dir, self.ini, self.wsgi = app_dir, ini, wsgi
        client = self.client()
        self.admin = Api(client, api_token(client, "admin", ADMIN_PASSWORD))
        self.admin.post("/api/v1/fonds", FONDS)
        self.admin2 = make_user(self.admin, "admin2", "administrator")
        self.lan = make_user(self.admin, "lan", "archivist", [FONDS["code"]])
        self.auditor = make_user(self.admin, "kiemtra", "auditor")

    def client(self):
        return TestApp(self.wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})

    def dossier(self, fields=EXPIRED, files=None, close=True):
        """A dossier of fonds SNV with one document and its files; closed."""
        body = dict(fields, notation=f"{next(_serial):02d}.HUY")
        dossier = self.admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", body).json
        files = files if files is not None else [("quyết định.pdf", make_pdf(1))]
        self.admin.file_record(dossier["id"], RECORD, files)
        if close:
            self.admin.post(f"/api/v1/dossiers/{dossier['id']}/close", status=200)
        return dossier

    def propose(self, api, dossiers, status=201, early=None):
        body = {"title": "Danh mục tài liệu hết giá trị", "reason": "Hết thời hạn bảo quản",
                "dossiers": [d["id"] for d in dossiers]}
        if early:
            body["early"] = early
        return api.post(f"/api/v1/fonds/{FONDS['code']}/disposals", body, status=status).json

    def review(self, api, disposal_id, minutes=None, status=200):
        minutes = minutes or make_pdf(1, "Biên bản họp Hội đồng xác định giá trị tài liệu")
        return api.app.post(
            f"/api/v1/disposals/{disposal_id}/review",
            params={"metadata": json.dumps({"review_date": "2026-03-02",
                                            "council_note": "Nhất trí hủy"})},
            upload_files=[("file", "biên bản.pdf", minutes)], headers=api.headers,
            status=status).json

    def approve(self, api, disposal_id, status=200):
        return api.post(f"/api/v1/disposals/{disposal_id}/approve",
                        {"decision_number": "12/QĐ-SNV", "decision_date": "2026-03-10",
                         "signer": "Giám đốc Nguyễn Văn A"}, status=status).json

    def destroy(self, api, disposal_id, status=200):
        return api.post(f"/api/v1/disposals/{disposal_id}/destroy", {}, status=status).json

    def hold(self, dossier_id):
        from archive.events import Actor
        from archive.retention import place_holds

        def place(root):
            return place_holds(root, self.wsgi.registry, Actor("admin"), [root.objectmap[dossier_id]],
                               "Khiếu nại của công dân", "complaint", "KN-01/2026")[0].id
        return read_root(self.wsgi, place)

    def release(self, hold_id):
        from archive.events import Actor
        from archive.retention import get_hold, release_hold

        read_root(self.wsgi, lambda root: release_hold(
            root, self.wsgi.registry, Actor("admin"), get_hold(root, hold_id), "Đã giải quyết"))

    def state(self, disposal_id):
        return self.admin.get(f"/api/v1/disposals/{disposal_id}").json["state"]

    def script(self, *args):
        """archive-disposal in this process, as the console script runs it."""
        from archive.scripts import disposal as script

        out = io.StringIO()
        err = io.StringIO()
        old = sys.stderr
        sys.stderr = err
        try:
            code = script.main([self.ini, *args], out=out)
        finally:
            sys.stderr = old
        return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def arch(tmp_path_factory):
    app_dir = tmp_path_factory.mktemp("disposal")
    ini = write_ini(app_dir, zeo_settings(app_dir))
    zeo = subprocess.Popen([os.path.join(BIN, "archive-zeo"), ini], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
    from archive.scripts.zeo import paths_for, wait_until_alive

    assert wait_until_alive(paths_for(ini).socket, timeout=60, process=zeo), zeo.stdout.read()
    wsgi = make_app(app_dir)
    try:
        yield Archive(app_dir, ini, wsgi)
    finally:
        close_app(wsgi)
        zeo.terminate()
        zeo.wait(30)


def ui_session(arch, who, password):
    client = arch.client()
    login(client, who, password)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)
    return client, token


# --------------------------------------------------------------------------- the whole cycle

def test_full_cycle_through_the_api(arch):
    one, two = arch.dossier(), arch.dossier()
    disposal = arch.propose(arch.lan, [one, two])
    assert disposal["state"] == "proposed" and disposal["proposed_by"] == "lan"
    assert re.fullmatch(r"HUY-\d{4}-\d{3}", disposal["number"])
    assert [i["due"] for i in disposal["items"]] == ["2016-01-01", "2016-01-01"]
    # proposed dossiers are in the state "proposed" of the retention indexes
    from archive.retention import index_entry
    assert read_root(arch.wsgi, lambda root: index_entry(root, one["id"])["state"]) == "proposed"
    # the same dossier cannot be in two active proposals
    arch.propose(arch.lan, [one], status=409)
    # approval before review is refused; an archivist may not approve at all
    arch.approve(arch.admin, disposal["id"], status=409)
    reviewed = arch.review(arch.lan, disposal["id"])
    assert reviewed["state"] == "reviewed" and reviewed["minutes"]["name"] == "biên bản.pdf"
    arch.approve(arch.lan, disposal["id"], status=403)
    approved = arch.approve(arch.admin, disposal["id"])
    assert approved["approved_by"] == "admin" and approved["decision_number"] == "12/QĐ-SNV"
    arch.destroy(arch.lan, disposal["id"], status=403)
    done = arch.destroy(arch.admin, disposal["id"])
    assert done["state"] == "destroyed" and done["destroyed_by"] == "admin"
    # the dossiers are gone everywhere; a tombstone remains for each
    for dossier in (one, two):
        arch.admin.get(f"/api/v1/dossiers/{dossier['id']}", status=404)
        assert read_root(arch.wsgi, lambda root: index_entry(root, dossier["id"])) is None
    stones = arch.auditor.get("/api/v1/tombstones?fonds=SNV").json["tombstones"]
    mine = {t["dossier_id"]: t for t in stones}
    assert set(mine) >= {one["id"], two["id"]}
    stone = mine[one["id"]]
    assert stone["file_code"] == one["file_code"] and stone["title"] == EXPIRED["title"]
    assert stone["retention"] == 5 and stone["end_date"] == "2010-06-30"
    assert stone["decision_number"] == "12/QĐ-SNV" and stone["decision_date"] == "2026-03-10"
    assert (stone["proposed_by"], stone["reviewed_by"], stone["approved_by"]) == ("lan", "lan", "admin")
    assert stone["records"][0]["files"][0]["sha256"]
    # the file codes are free of the destroyed dossiers; the file of the disposal stays
    detail = arch.auditor.get(f"/api/v1/disposals/{disposal['id']}").json
    assert len(detail["tombstones"]) == 2 and detail["keep_until"] > "2045"
    # every step is in the journal
    actions = read_root(arch.wsgi, lambda root: [
        e["action"] for e in root.journal.latest(0, 200)
        if e["object_id"] in (disposal["id"], one["id"])])
    for action in ("disposal.propose", "disposal.review", "disposal.approve", "disposal.destroy",
                   "dossier.destroy"):
        assert action in actions, actions


def test_a_dossier_not_due_needs_an_administrator_and_a_reason(arch):
    young = arch.dossier(NOT_DUE)
    arch.propose(arch.lan, [young], status=409)
    # an archivist's override is refused, too
    arch.propose(arch.lan, [], early={young["id"]: "Trùng lặp"}, status=409)
    arch.propose(arch.admin, [young], status=409)   # no reason
    disposal = arch.propose(arch.admin, [], early={young["id"]: "Bản trùng, bản chính đã nộp lưu"})
    assert disposal["items"][0]["early_reason"] == "Bản trùng, bản chính đã nộp lưu"
    # reported in the disposal file
    assert "Bản trùng, bản chính đã nộp lưu" in arch.admin.get(
        f"/api/v1/disposals/{disposal['id']}").json["items"][0]["early_reason"]
    arch.admin.post(f"/api/v1/disposals/{disposal['id']}/reject", {"reason": "Không đồng ý"},
                    status=200)


def test_permanent_open_and_foreign_dossiers_are_refused(arch):
    permanent = arch.dossier(dict(EXPIRED, retention="permanent"))
    arch.propose(arch.admin, [], early={permanent["id"]: "thử"}, status=409)
    open_one = arch.dossier(close=False)
    arch.propose(arch.admin, [open_one], status=409)
    arch.admin.post(f"/api/v1/fonds/{FONDS['code']}/disposals",
                    {"title": "x", "dossiers": ["không-có"]}, status=422)
    arch.admin.post(f"/api/v1/fonds/{FONDS['code']}/disposals", {"title": "x", "dossiers": []},
                    status=422)


def test_a_rejected_proposal_frees_its_dossiers(arch):
    dossier = arch.dossier()
    disposal = arch.propose(arch.lan, [dossier])
    arch.admin.post(f"/api/v1/disposals/{disposal['id']}/reject", {"reason": "Còn giá trị"},
                    status=200)
    assert arch.state(disposal["id"]) == "rejected"
    arch.destroy(arch.admin, disposal["id"], status=409)
    again = arch.propose(arch.lan, [dossier])
    assert again["state"] == "proposed"


def test_the_disposal_file_cannot_be_removed(arch):
    from archive.disposal import DisposalKept

    dossier = arch.dossier()
    disposal = arch.propose(arch.lan, [dossier])

    def remove(root):
        root["disposals"].remove(disposal["id"])
    with pytest.raises(DisposalKept):
        read_root(arch.wsgi, remove)
    assert arch.state(disposal["id"]) == "proposed"


# --------------------------------------------------------------------------- four-eyes

def reviewed_by_admin(arch):
    """A disposal the administrator proposed, reviewed, waiting for approval."""
    disposal = arch.propose(arch.admin, [arch.dossier()])
    arch.review(arch.admin, disposal["id"])
    return disposal


def test_four_eyes_api(arch):
    disposal = reviewed_by_admin(arch)
    answer = arch.approve(arch.admin, disposal["id"], status=403)
    assert "bốn mắt" in answer["error"]["message"]
    assert arch.state(disposal["id"]) == "reviewed"
    assert arch.approve(arch.admin2, disposal["id"])["approved_by"] == "admin2"


def test_four_eyes_ui(arch):
    disposal = reviewed_by_admin(arch)
    client, token = ui_session(arch, "admin", ADMIN_PASSWORD)
    page = client.get(f"/disposals/{disposal['id']}/")
    assert 'id="four-eyes-note"' in page.text and 'id="approve-disposal"' not in page.text
    form = client.get(f"/disposals/{disposal['id']}/approve")
    assert "bốn mắt" in form.text  # said before trying
    answer = client.post(f"/disposals/{disposal['id']}/approve",
                         {"csrf_token": token, "decision_number": "13/QĐ-SNV",
                          "decision_date": "10/03/2026", "signer": "", "save": "save"})
    assert answer.status_int == 200 and 'id="form-error"' in answer.text
    assert "bốn mắt" in answer.text
    assert arch.state(disposal["id"]) == "reviewed"
    # somebody else may
    other, other_token = ui_session(arch, "admin2", PASSWORD)
    answer = other.post(f"/disposals/{disposal['id']}/approve",
                        {"csrf_token": other_token, "decision_number": "13/QĐ-SNV",
                         "decision_date": "10/03/2026", "signer": "Giám đốc", "save": "save"})
    assert answer.status_int == 303
    assert arch.state(disposal["id"]) == "approved"


def test_four_eyes_script(arch):
    disposal = reviewed_by_admin(arch)
    approve = ("approve", disposal["number"], "--decision-number", "14/QĐ-SNV",
               "--decision-date", "2026-03-10")
    code, out, err = arch.script(*approve, "--as", "admin")
    assert code == 2 and "bốn mắt" in err, (out, err)
    assert arch.state(disposal["id"]) == "reviewed"
    # the installed console script (when installed) answers the same
    exe = os.path.join(BIN, "archive-disposal")
    command = [exe] if os.path.exists(exe) else [sys.executable, "-m", "archive.scripts.disposal"]
    result = subprocess.run([*command, arch.ini, *approve, "--as", "admin"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2 and "bốn mắt" in result.stderr, result.stderr[-2000:]
    assert arch.state(disposal["id"]) == "reviewed"
    code, out, err = arch.script(*approve, "--as", "admin2")
    assert code == 0, err
    assert arch.state(disposal["id"]) == "approved"
    # an account without the permission is refused by the script as by the web
    other = arch.propose(arch.admin, [arch.dossier()])
    arch.review(arch.admin, other["id"])
    code, out, err = arch.script("approve", other["id"], "--decision-number", "1",
                                 "--decision-date", "2026-03-10", "--as", "lan")
    assert code == 2 and arch.state(other["id"]) == "reviewed"


def test_the_whole_cycle_through_the_script(arch, tmp_path):
    dossier = arch.dossier()
    code, out, err = arch.script("due", "--fonds", "SNV")
    assert code == 0 and dossier["file_code"] in out
    code, out, err = arch.script("propose", "--as", "lan", "--fonds", "SNV", "--title",
                                 "Danh mục qua dòng lệnh", dossier["file_code"])
    assert code == 0, err
    number = re.search(r"HUY-\d{4}-\d{3}", out).group(0)
    minutes = tmp_path / "bien-ban.pdf"
    minutes.write_bytes(make_pdf(1, "Biên bản"))
    assert arch.script("review", number, "--as", "lan", "--minutes", str(minutes),
                       "--date", "2026-03-02")[0] == 0
    assert arch.script("approve", number, "--as", "admin", "--decision-number", "15/QĐ-SNV",
                       "--decision-date", "2026-03-10")[0] == 0
    code, out, err = arch.script("destroy", number, "--as", "admin")
    assert code == 0, err
    arch.admin.get(f"/api/v1/dossiers/{dossier['id']}", status=404)
    code, out, err = arch.script("show", number)
    assert "destroyed" in out and dossier["file_code"] in out


# --------------------------------------------------------------------------- holds

def test_held_dossier_cannot_be_proposed_by_any_path(arch):
    dossier = arch.dossier()
    hold_id = arch.hold(dossier["id"])
    # API
    answer = arch.propose(arch.admin, [dossier], status=409)
    assert answer["error"]["message"]
    # UI: not offered, and refused when posted anyway
    client, token = ui_session(arch, "admin", ADMIN_PASSWORD)
    page = client.get(f"/fonds/{FONDS['code']}/propose-disposal")
    assert dossier["file_code"] not in page.text
    answer = client.post(f"/fonds/{FONDS['code']}/propose-disposal",
                         [("csrf_token", token), ("title", "Danh mục"), ("reason", ""),
                          ("__start__", "dossiers:sequence"), ("checkbox", dossier["id"]),
                          ("__end__", "dossiers:sequence"), ("save", "save")])
    assert answer.status_int == 200 and 'id="form-error"' in answer.text
    # ... also as an early override by an administrator
    answer = client.post(f"/fonds/{FONDS['code']}/propose-disposal",
                         [("csrf_token", token), ("title", "Danh mục"), ("reason", ""),
                          ("early_codes", dossier["file_code"]), ("early_reason", "thử"),
                          ("save", "save")])
    assert answer.status_int == 200 and 'id="form-error"' in answer.text
    # script
    code, out, err = arch.script("propose", "--as", "admin", "--fonds", "SNV", "--title", "x",
                                 dossier["file_code"])
    assert code == 2 and err
    assert read_root(arch.wsgi, lambda root: [d for d in root["disposals"].values()
                                              if dossier["id"] in d.dossier_ids]) == []
    # released, it may be proposed (through the UI form this time)
    arch.release(hold_id)
    page = client.get(f"/fonds/{FONDS['code']}/propose-disposal")
    assert dossier["file_code"] in page.text
    answer = client.post(f"/fonds/{FONDS['code']}/propose-disposal",
                         [("csrf_token", token), ("title", "Danh mục"), ("reason", ""),
                          ("__start__", "dossiers:sequence"), ("checkbox", dossier["id"]),
                          ("__end__", "dossiers:sequence"), ("save", "save")])
    assert answer.status_int == 303, answer.text[:3000]


def test_held_dossier_cannot_be_destroyed_by_any_path(arch):
    dossier, other = arch.dossier(), arch.dossier()
    disposal = arch.propose(arch.lan, [dossier, other])
    arch.review(arch.lan, disposal["id"])
    arch.approve(arch.admin, disposal["id"])
    hold_id = arch.hold(dossier["id"])
    # API
    arch.destroy(arch.admin, disposal["id"], status=409)
    # UI
    client, token = ui_session(arch, "admin", ADMIN_PASSWORD)
    answer = client.post(f"/disposals/{disposal['id']}/destroy", {"csrf_token": token})
    assert answer.status_int == 303
    assert "alert-danger" in answer.follow().text
    # script
    code, out, err = arch.script("destroy", disposal["number"], "--as", "admin")
    assert code == 2 and err
    # nothing at all was destroyed, not even the dossier that is not held
    assert arch.state(disposal["id"]) == "approved"
    for d in (dossier, other):
        arch.admin.get(f"/api/v1/dossiers/{d['id']}")
    assert read_root(arch.wsgi, lambda root: root.tombstones.get(other["id"])) is None
    arch.release(hold_id)
    arch.destroy(arch.admin, disposal["id"])
    arch.admin.get(f"/api/v1/dossiers/{dossier['id']}", status=404)
    # the disposal file shows the tombstones; the list shows the disposal
    page = client.get(f"/disposals/{disposal['id']}/")
    assert 'id="tombstones"' in page.text and dossier["file_code"] in page.text
    assert disposal["number"] in client.get("/disposals/").text


# --------------------------------------------------------------------------- purge

def files_holding(root_dir, patterns):
    """Every file under ``root_dir`` that contains one of ``patterns``."""
    found = []
    for path, _dirs, names in os.walk(root_dir):
        for name in names:
            full = os.path.join(path, name)
            try:
                with open(full, "rb") as fh:
                    data = fh.read()
            except OSError:
                continue
            if any(p in data for p in patterns):
                found.append(os.path.relpath(full, root_dir))
    return found


def marked_files():
    """A PNG and a PDF each carrying a unique byte pattern."""
    png_mark = b"PURGE-ME-" + uuid.uuid4().hex.encode()
    pdf_mark = b"PURGE-ME-" + uuid.uuid4().hex.encode()
    png = make_png("Giấy khai sinh") + png_mark
    pdf = make_pdf(1, "Đơn xin cấp phép").replace(b"%%EOF", b"%" + pdf_mark + b"\n%%EOF")
    assert pdf_mark in pdf
    return [("khai sinh.png", png), ("đơn.pdf", pdf)], [png_mark, pdf_mark]


def text_pdf(text):
    """A born-digital PDF whose text layer (uncompressed) says ``text``."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_compression(False)
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


def test_destroy_then_pack_purges_the_bytes_through_zeo(arch):
    from live import poll

    files, marks = marked_files()
    # a born-digital PDF: its text goes into the search index too
    word = "purgeword" + uuid.uuid4().hex[:12]
    files.append(("công văn.pdf", text_pdf(f"Noi dung {word} het")))
    marks.append(word.encode())
    dossier = arch.dossier(files=files)
    poll(lambda: arch.admin.get(f"/api/v1/search?q={word}").json["total"] == 1, 60)
    keep = arch.dossier(files=[("giữ lại.png", make_png("Giữ lại") + b"KEEP-ME-" + marks[0][9:])])
    var = os.path.join(str(arch.dir), "var")
    holding = files_holding(var, marks)
    # the bytes are in blob files only, never in Data.fs; the words also in the index
    assert all(p.startswith(("blobs" + os.sep, "index" + os.sep)) for p in holding), holding
    assert [p for p in holding if p.startswith("blobs")] and [p for p in holding if p.startswith("index")]
    disposal = arch.propose(arch.lan, [dossier])
    minutes_pdf = make_pdf(1, "Biên bản Hội đồng")
    arch.review(arch.lan, disposal["id"], minutes=minutes_pdf)
    arch.approve(arch.admin, disposal["id"])
    arch.destroy(arch.admin, disposal["id"])
    # destroyed but not yet packed: old revisions still reference the blobs
    assert files_holding(var, marks)
    from archive.scripts import pack

    out = io.StringIO()
    assert pack.main([arch.ini], out=out) == 0, out.getvalue()
    assert files_holding(var, marks) == []
    assert not os.path.exists(os.path.join(var, "Data.fs.old"))
    assert not os.path.exists(os.path.join(var, "blobs.old"))
    assert arch.admin.get(f"/api/v1/search?q={word}").json["total"] == 0
    # what must stay, stays: the other dossier's file, the tombstone, the disposal file
    kept = arch.admin.get(f"/api/v1/dossiers/{keep['id']}").json
    assert arch.admin.get(f"/api/v1/files/{kept['records'][0]['files'][0]['id']}").body.startswith(
        b"\x89PNG")
    stone = arch.auditor.get("/api/v1/tombstones").json["tombstones"]
    assert dossier["id"] in {t["dossier_id"] for t in stone}
    detail = arch.admin.get(f"/api/v1/disposals/{disposal['id']}").json
    assert detail["state"] == "destroyed" and detail["tombstones"][0]["file_code"] == dossier["file_code"]
    assert arch.admin.get(f"/api/v1/disposals/{disposal['id']}/minutes").body == minutes_pdf


def test_destroy_then_pack_purges_the_bytes_embedded(tmp_path):
    """The embedded FileStorage (what the test suite and a one-process
    install use): the same pack, run by archive-pack on the closed database."""
    import shutil

    from archive.disposal import (
        approve_disposal, destroy_disposal, propose_disposal, review_disposal,
    )
    from archive.events import Actor
    from archive.services.files import spool_upload
    from conftest import PROJECT

    shutil.copy(os.path.join(PROJECT, "testing.ini"), tmp_path / "testing.ini")
    wsgi = make_app(tmp_path)
    try:
        client = TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        admin = Api(client, api_token(client, "admin", ADMIN_PASSWORD))
        admin.post("/api/v1/fonds", FONDS)
        make_user(admin, "admin2", "administrator")
        files, marks = marked_files()
        dossier = admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers",
                             dict(EXPIRED, notation="01.HUY")).json
        admin.file_record(dossier["id"], RECORD, files)
        admin.post(f"/api/v1/dossiers/{dossier['id']}/close", status=200)
        settings = wsgi.registry.settings

        def run(root):
            fonds = root["fonds"][FONDS["code"]]
            disposal = propose_disposal(root, wsgi.registry, Actor("admin"), fonds,
                                        [root.objectmap[dossier["id"]]], "Danh mục")
            spooled = spool_upload(io.BytesIO(make_pdf(1)), "bb.pdf", 10 ** 8,
                                   settings["archive.upload_tmp"])
            review_disposal(root, disposal, wsgi.registry, Actor("admin"), spooled, "2026-03-02")
            approve_disposal(root, disposal, wsgi.registry, Actor("admin2"), "1/QĐ", "2026-03-10")
            destroy_disposal(root, disposal, wsgi.registry, Actor("admin2"))
            return disposal.id
        disposal_id = read_root(wsgi, run)
    finally:
        close_app(wsgi)
    var = str(tmp_path / "var")
    assert files_holding(var, marks)
    from archive.scripts import pack

    out = io.StringIO()
    assert pack.main([str(tmp_path / "testing.ini")], out=out) == 0
    # FileStorage's pack left the previous Data.fs and the removed blobs beside
    # the live ones: they were there, and the maintenance removed them
    assert "Data.fs.old" in out.getvalue() and "blobs.old" in out.getvalue(), out.getvalue()
    assert re.search(r"\b[1-9]\d* removed blob files overwritten", out.getvalue()), out.getvalue()
    assert files_holding(var, marks) == []
    assert not os.path.exists(os.path.join(var, "Data.fs.old"))
    wsgi = make_app(tmp_path)
    try:
        def check(root):
            assert dossier["id"] not in root.objectmap
            assert root.tombstones.get(dossier["id"]).file_code == dossier["file_code"]
            return root.objectmap[disposal_id].state
        assert read_root(wsgi, check) == "destroyed"
    finally:
        close_app(wsgi)


# --------------------------------------------------------------------------- the API document

def test_real_answers_match_the_documented_schemas(arch):
    from archive.views.api.spec import load_spec
    from test_openapi import check_answer

    spec = load_spec()

    def check(path, response):
        check_answer(spec, response.request.method, path, response)
        return response

    one = arch.dossier()
    propose = "/api/v1/fonds/{code}/disposals"
    url = f"/api/v1/fonds/{FONDS['code']}/disposals"
    created = check(propose, arch.admin.post(url, {"title": "Danh mục", "dossiers": [one["file_code"]]}))
    check(propose, arch.admin.post(url, {"title": "Danh mục", "dossiers": [one["id"]]}, status=409))
    check(propose, arch.admin.post(url, {"title": "", "dossiers": []}, status=422))
    check(propose, arch.admin.post(url, {"title": "x", "nope": 1}, status=422))
    check(propose, arch.auditor.post(url, {"title": "x"}, status=403))
    did = created.json["id"]
    check("/api/v1/disposals", arch.lan.get("/api/v1/disposals"))
    check("/api/v1/disposals", arch.lan.get("/api/v1/disposals?state=proposed"))
    review = "/api/v1/disposals/{id}/review"
    check(review, arch.admin.app.post(f"/api/v1/disposals/{did}/review",
                                      params={"metadata": json.dumps({"review_date": "2026-03-02"})},
                                      headers=arch.admin.headers, status=422))   # no file
    check(review, arch.admin.app.post(f"/api/v1/disposals/{did}/review",
                                      params={"metadata": json.dumps({"review_date": "tháng ba"})},
                                      upload_files=[("file", "bb.pdf", make_pdf(1))],
                                      headers=arch.admin.headers, status=422))
    check(review, arch.admin.app.post(f"/api/v1/disposals/{did}/review",
                                      params={"metadata": json.dumps({"review_date": "02/03/2026"})},
                                      upload_files=[("file", "bb.pdf", make_pdf(1))],
                                      headers=arch.admin.headers))
    approve = "/api/v1/disposals/{id}/approve"
    body = {"decision_number": "20/QĐ-SNV", "decision_date": "2026-03-10"}
    four_eyes = check(approve, arch.admin.post(f"/api/v1/disposals/{did}/approve", body, status=403))
    assert "bốn mắt" in four_eyes.json["error"]["message"]
    check(approve, arch.admin2.post(f"/api/v1/disposals/{did}/approve", {"decision_number": ""},
                                    status=422))
    check(approve, arch.admin2.post(f"/api/v1/disposals/{did}/approve", body, status=200))
    check("/api/v1/disposals/{id}/minutes", arch.lan.get(f"/api/v1/disposals/{did}/minutes"))
    check("/api/v1/disposals/{id}/minutes", arch.auditor.get(f"/api/v1/disposals/{did}/minutes",
                                                             status=403))
    check("/api/v1/disposals/{id}/destroy", arch.admin2.post(f"/api/v1/disposals/{did}/destroy", {},
                                                             status=200))
    check("/api/v1/disposals/{id}/destroy", arch.admin2.post(f"/api/v1/disposals/{did}/destroy", {},
                                                             status=409))
    check("/api/v1/disposals/{id}/reject", arch.admin2.post(f"/api/v1/disposals/{did}/reject",
                                                            {"reason": "x"}, status=409))
    check("/api/v1/disposals/{id}", arch.auditor.get(f"/api/v1/disposals/{did}"))
    check("/api/v1/disposals/{id}", arch.auditor.get(f"/api/v1/disposals/{one['id']}", status=404))
    check("/api/v1/tombstones", arch.auditor.get("/api/v1/tombstones?year=2026"))
    check("/api/v1/tombstones", arch.auditor.get("/api/v1/tombstones?year=abc", status=422))
    check("/api/v1/tombstones", arch.lan.get("/api/v1/tombstones", status=403))


def test_evolve_step_makes_the_containers_on_an_old_archive():
    """Generation 5 on an archive born before it (no disposals, no
    tombstones): created once, kept on a second run."""
    from archive.disposal import DisposalContainer, Tombstones
    from archive.evolve import g05_disposition
    from archive.resources import ArchiveRoot

    root = ArchiveRoot()
    assert "disposals" not in root and getattr(root, "tombstones", None) is None
    g05_disposition.step(root)
    container, tombstones = root["disposals"], root.tombstones
    assert isinstance(container, DisposalContainer) and isinstance(tombstones, Tombstones)
    g05_disposition.step(root)
    assert root["disposals"] is container and root.tombstones is tombstones


def test_the_whole_cycle_through_the_ui(arch):
    dossier = arch.dossier()
    lan, lan_token = ui_session(arch, "lan", PASSWORD)
    form = lan.get(f"/fonds/{FONDS['code']}/propose-disposal")
    assert dossier["file_code"] in form.text and "early_codes" not in form.text  # no override
    answer = lan.post(f"/fonds/{FONDS['code']}/propose-disposal",
                      [("csrf_token", lan_token), ("title", "Danh mục qua giao diện"),
                       ("reason", "Hết hạn"), ("__start__", "dossiers:sequence"),
                       ("checkbox", dossier["id"]), ("__end__", "dossiers:sequence"),
                       ("save", "save")])
    assert answer.status_int == 303, answer.text[:2000]
    page = answer.follow()
    disposal_url = answer.headers["Location"]
    assert dossier["file_code"] in page.text and 'id="review-disposal"' in page.text
    minutes = make_pdf(1, "Biên bản")
    answer = lan.post(disposal_url + "review",
                      {"csrf_token": lan_token, "review_date": "02/03/2026",
                       "council_note": "Nhất trí", "save": "save"},
                      upload_files=[("file", "biên bản họp.pdf", minutes)])
    assert answer.status_int == 303, answer.text[:2000]
    page = answer.follow()
    assert "biên bản họp.pdf" in page.text
    minutes_url = re.search(r'id="minutes-link" href="([^"]+)"', page.text).group(1)
    assert lan.get(minutes_url).body == minutes
    admin, admin_token = ui_session(arch, "admin", ADMIN_PASSWORD)
    answer = admin.post(disposal_url + "approve",
                        {"csrf_token": admin_token, "decision_number": "30/QĐ-SNV",
                         "decision_date": "2026-03-10", "signer": "Giám đốc", "save": "save"})
    assert answer.status_int == 303, answer.text[:2000]
    page = admin.get(disposal_url)
    assert "30/QĐ-SNV" in page.text and 'id="destroy-disposal"' in page.text
    answer = admin.post(disposal_url + "destroy", {"csrf_token": admin_token})
    page = answer.follow()
    assert "alert-success" in page.text and 'id="tombstones"' in page.text
    arch.admin.get(f"/api/v1/dossiers/{dossier['id']}", status=404)
