"""Transfer to the historical archive (issue 5, item 5): BagIt bags of the
permanent dossiers due, the receipt, the import of a bag into a fresh archive,
and holds refused on every path (service, script, web action).

One source archive is built through the API and exported with the real
``archive-transfer`` script (in-process); the bag is checked with the
``bagit.py`` console script (subprocess), against the stored SHA-256, and
loaded into a fresh archive with ``archive-import-bag``.
"""
import csv
import datetime
import hashlib
import html.parser
import io
import os
import re
import shutil
import subprocess
import sys
from urllib.parse import unquote
from xml.etree import ElementTree as ET

import pytest
import transaction

from conftest import (
    ADMIN_PASSWORD, PROJECT, Api, api_token, close_app, make_app, make_pdf, make_png, module_app,
    read_root, run_jobs,
)

BIN = os.path.dirname(sys.executable)
TODAY = datetime.date.today()
FONDS = {"code": "SNV", "name": "Sở Nội vụ tỉnh Đắk Nông", "organ_id": "000.00.17.H17"}
TRICKY_TITLE = 'Hồ sơ tổ chức bộ máy <b>"Sở" & phòng</b> =HYPERLINK("http://x")'
DOSSIERS = {
    # permanent, matter ended 2010 (2011 Law: transfer deadline 2020): due
    "due": {"notation": "01.TCCB", "year": 2010, "title": TRICKY_TITLE, "retention": "permanent",
            "retention_entry": "99.1",
            "access": "02", "start_date": "2010-01-05", "end_date": "2010-12-30",
            "creator": "Nguyễn Thị Lan", "keywords": "tổ chức, bộ máy", "language": ["vi", "en"],
            "notes": "Ghi chú; có dấu, phẩy\nvà xuống dòng", "sheet_total": 12,
            "backup_required": True},
    # partial dates and one-stop data
    "due2": {"notation": "02.VP", "year": 2012, "title": "Hồ sơ đăng ký khai sinh",
             "retention": "permanent", "start_date": "2012-05", "end_date": "2012",
             "procedure_code": "1.001193", "receipt_code": "000.00.21.H17-120315-0012",
             "applicant_name": "Trần Văn Bình", "provenance": "02",
             "paper_file_code": "LTCQ.K1/G01/H001.01", "physical_state": "02"},
    "held": {"notation": "03.TCCB", "year": 2011, "title": "Hồ sơ đang thanh tra",
             "retention": "permanent", "start_date": "2011-02-01", "end_date": "2011-03-01"},
    "ten": {"notation": "04.KT", "year": 2010, "retention": 10, "title": "Hồ sơ kế toán",
            "start_date": "2010", "end_date": "2010"},
    "open": {"notation": "05.TCCB", "year": 2010, "retention": "permanent",
             "title": "Hồ sơ chưa đóng", "start_date": "2010", "end_date": "2010"},
}
RECORD = {"doc_type": "02", "number": "504", "notation": "QĐ-SNV", "issued_date": "2010-03-15",
          "issuer": "Sở Nội vụ tỉnh Đắk Nông", "subject": "Quyết định thành lập phòng Tổ chức",
          "signer": "Giám đốc Lê Văn Cường"}


def write_root(wsgi, fn, attempts=10):
    """``fn(root)`` in a transaction of its own, retried on ConflictError
    (the search writer and the job queue commit beside the test)."""
    from archive.db import ROOT_KEY, registry_db

    tm = transaction.TransactionManager(explicit=True)
    conn = registry_db(wsgi.registry).open(tm)
    try:
        for attempt in tm.attempts(attempts):
            with attempt:
                result = fn(conn.root()[ROOT_KEY])
        return result
    finally:
        conn.close()


def app_dir_of(wsgi):
    return os.path.dirname(wsgi.registry.settings["archive.var"])


def attach_rendition(wsgi, record_id, name, content):
    """A PDF/A-role rendition of the record's first original, attached by the
    same service the OCR job uses (role "rendition", ``source``)."""
    from archive.events import SYSTEM
    from archive.services.files import attach_file, spool_upload

    tmp = wsgi.registry.settings["archive.upload_tmp"]

    def attach(root):
        record = root.objectmap[record_id]
        original = record.files()[0]
        spooled = spool_upload(io.BytesIO(content), name, 10 ** 8, tmp)
        stored = attach_file(record, spooled, wsgi.registry, SYSTEM, role="rendition")
        stored.source = original.id
        return stored.id
    return write_root(wsgi, attach)


def place_hold(wsgi, dossier_id, reason="Thanh tra theo quyết định 12/QĐ-TTr"):
    from archive.events import SYSTEM
    from archive.retention import place_holds

    return write_root(wsgi, lambda root: [h.id for h in place_holds(
        root, wsgi.registry, SYSTEM, [root.objectmap[dossier_id]], reason, "inspection",
        "12/QĐ-TTr")])


def release_holds(wsgi, dossier_id):
    from archive.events import SYSTEM
    from archive.retention import active_holds, release_hold

    def release(root):
        for hold in active_holds(root, root.objectmap[dossier_id]):
            release_hold(root, wsgi.registry, SYSTEM, hold, "Kết thúc thanh tra")
    write_root(wsgi, release)


def add_schedule_entry(wsgi):
    """An entry of this archive's schedule only, at its second version: the
    target archive has no such entry, the import keeps it as decided."""
    from archive.events import SYSTEM
    from archive.retention import add_entry, update_entry

    def add(root):
        add_entry(root, wsgi.registry, SYSTEM, {"code": "99.1", "title": "Hồ sơ riêng của Sở",
                                                "period": "permanent", "citation": "Quy chế 1/QC"})
        update_entry(root, wsgi.registry, SYSTEM, "99.1", {"title": "Hồ sơ riêng của Sở Nội vụ"})
    write_root(wsgi, add)


def build_source(wsgi):
    """The source archive: returns {label: dossier id} and record ids."""
    from webtest import TestApp

    client = TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    admin = Api(client, api_token(client, "admin", ADMIN_PASSWORD))
    admin.post("/api/v1/fonds", FONDS)
    add_schedule_entry(wsgi)
    ids = {}
    for label, fields in DOSSIERS.items():
        ids[label] = admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", fields).json["id"]
    rec1 = admin.file_record(ids["due"], RECORD, [("quyết định.pdf", make_pdf(2))]).json
    ids["rec1"] = rec1["id"]
    ids["rendition"] = attach_rendition(wsgi, rec1["id"], "quyết định.pdfa.pdf",
                                        make_pdf(2, "Bản PDF/A"))
    rec2 = dict(RECORD, doc_type="20", number="", notation="", issued_date="2010-06",
                subject="Biên bản họp <script>alert(1)</script> & bàn giao", language=["vi"])
    ids["rec2"] = admin.file_record(ids["due"], rec2, [
        ("đơn đăng ký.png", make_png()), ("Scan.pdf", make_pdf(1, "A")),
        ("scan.pdf", make_pdf(1, "B"))]).json["id"]
    ids["rec3"] = admin.file_record(ids["due"], dict(RECORD, number="7", secrecy="mat",
                                                     subject="Văn bản mật chỉ có siêu dữ liệu")).json["id"]
    admin.file_record(ids["due2"], dict(RECORD, issued_date="2012", subject="Giấy khai sinh"),
                      [("giấy khai sinh.pdf", make_pdf(1, "Giấy khai sinh"))])
    admin.file_record(ids["held"], RECORD, [("thanh tra.pdf", make_pdf(1, "Thanh tra"))])
    for label in ("due", "due2", "held", "ten"):
        admin.post(f"/api/v1/dossiers/{ids[label]}/close", status=200)
    place_hold(wsgi, ids["held"])
    return ids


def run_main(module, *argv):
    """A console script's main() in this process; (exit code, stdout, stderr)."""
    import contextlib
    import importlib

    main = importlib.import_module(f"archive.scripts.{module}").main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(list(argv), out=out)
    return code, out.getvalue(), err.getvalue()


def snapshot(root, fonds_code):
    """Everything a transfer must reproduce, keyed by file code."""
    from archive.services.files import verify
    from archive.transfer import metadata as md

    out = {}
    for dossier in root["fonds"][fonds_code].values():
        records = []
        for record in dossier.records():
            files = []
            for f in record.files():
                source = getattr(f, "source", None)
                files.append({"name": f.name, "role": f.role, "sha256": f.sha256, "size": f.size,
                              "media_type": f.media_type, "page_count": f.page_count,
                              "source": record[source].name if source else None,
                              "intact": verify(f)})
            records.append({"fields": dict(md.record_values(record)), "files": files})
        fields = dict(md.dossier_values(dossier))
        fields.pop("closed_at")
        out[dossier.file_code] = {"fields": fields, "closed": dossier.closed, "records": records,
                                  "fonds": (dossier.fonds.code, dossier.fonds.name,
                                            dossier.fonds.organ_id)}
    return out


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """The source archive after the script runs of the transfer; the app is
    closed so that the scripts can open the FileStorage."""
    with module_app(tmp_path_factory, "transfer-src") as wsgi:
        ids = build_source(wsgi)
        app_dir = app_dir_of(wsgi)
    ini = os.path.join(app_dir, "testing.ini")
    out = os.path.join(app_dir, "out")
    state = {"ids": ids, "app_dir": app_dir, "ini": ini, "out": out, "runs": {}}
    runs = state["runs"]
    runs["due"] = run_main("transfer", ini, "--due")
    runs["held"] = run_main("transfer", ini, "--out", out, "--dossier", ids["held"])
    runs["held_by_code"] = run_main("transfer", ini, "--out", out, "--dossier",
                                    "000.00.17.H17.2011.03.TCCB")
    runs["ten"] = run_main("transfer", ini, "--out", out, "--dossier", ids["ten"])
    runs["open"] = run_main("transfer", ini, "--out", out, "--dossier", ids["open"])
    runs["year"] = run_main("transfer", ini, "--out", out, "--fonds", FONDS["code"], "--year", "2019")
    runs["export"] = run_main("transfer", ini, "--out", out, "--fonds", FONDS["code"])
    runs["again"] = run_main("transfer", ini, "--out", out, "--dossier", ids["due"])
    bags = [name for name in os.listdir(out) if not name.startswith(".")]
    assert len(bags) == 1, (bags, runs)
    state["bag"] = os.path.join(out, bags[0])
    # a hold placed after the export stops the receipt
    wsgi = make_app(tmp_path_factory.getbasetemp() / os.path.basename(app_dir))
    try:
        state["before_receipt"] = read_root(wsgi, lambda root: snapshot(root, FONDS["code"]))
        state["pending"] = read_root(wsgi, lambda root: {
            label: getattr(root.objectmap[ids[label]], "transfer_pending", None)
            for label in ("due", "due2", "held", "ten", "open")})
        place_hold(wsgi, ids["due2"], "Khiếu nại của công dân")
    finally:
        close_app(wsgi)
    number = re.search(r"transfer (NL-\d{4}-\d{4})", runs["export"][1]).group(1)
    state["number"] = number
    runs["receipt_held"] = run_main("transfer", ini, "--receipt", number, "--number", "15/BB-LTLS",
                                    "--date", TODAY.strftime("%d/%m/%Y"))
    wsgi = make_app(tmp_path_factory.getbasetemp() / os.path.basename(app_dir))
    try:
        state["after_refused_receipt"] = read_root(wsgi, lambda root: {
            label: getattr(root.objectmap[ids[label]], "transferred", False)
            for label in ("due", "due2")})
        release_holds(wsgi, ids["due2"])
    finally:
        close_app(wsgi)
    runs["receipt"] = run_main("transfer", ini, "--receipt", number, "--number", "15/BB-LTLS",
                               "--date", TODAY.strftime("%d/%m/%Y"))
    runs["list"] = run_main("transfer", ini, "--list")
    return state


@pytest.fixture(scope="module")
def source_db(source, tmp_path_factory):
    wsgi = make_app(tmp_path_factory.getbasetemp() / os.path.basename(source["app_dir"]))
    yield wsgi
    close_app(wsgi)


@pytest.fixture(scope="module")
def imported(source, tmp_path_factory):
    """A fresh archive loaded from the bag with archive-import-bag."""
    app_dir = tmp_path_factory.mktemp("transfer-dst")
    shutil.copy(os.path.join(PROJECT, "testing.ini"), app_dir / "testing.ini")
    ini = str(app_dir / "testing.ini")
    first = run_main("import_bag", ini, source["bag"])
    second = run_main("import_bag", ini, source["bag"])
    wsgi = make_app(app_dir)
    yield {"first": first, "second": second, "wsgi": wsgi, "ini": ini}
    close_app(wsgi)


# --------------------------------------------------------------------------- selection and holds

def test_only_permanent_closed_due_unheld_dossiers_are_offered(source):
    code, out, _err = source["runs"]["due"]
    assert code == 0
    listed = {line.split("\t")[0] for line in out.splitlines()}
    assert listed == {source["ids"]["due"], source["ids"]["due2"]}


def test_script_refuses_a_held_dossier(source):
    for key in ("held", "held_by_code"):
        code, _out, err = source["runs"][key]
        assert code == 2
        assert "tạm giữ" in err, err
    assert source["pending"]["held"] is None


def test_script_refuses_dossiers_not_permanent_or_not_due(source):
    code, _out, err = source["runs"]["ten"]
    assert code == 2 and "vĩnh viễn" in err, err
    code, _out, err = source["runs"]["open"]
    assert code == 2 and "chưa đến hạn" in err, err
    code, _out, err = source["runs"]["year"]   # deadlines 2020 and 2022: none in 2019
    assert code == 2 and "Không có hồ sơ nào đến hạn" in err, err


def test_export_marks_pending_and_refuses_a_second_export(source):
    assert source["runs"]["export"][0] == 0, source["runs"]["export"]
    pending = source["pending"]
    assert pending["due"] and pending["due"] == pending["due2"]
    assert pending["held"] is None and pending["ten"] is None and pending["open"] is None
    code, _out, err = source["runs"]["again"]
    assert code == 2 and "chưa có biên bản giao nhận" in err, err


def test_receipt_is_refused_while_a_dossier_is_held_then_marks_transferred(source, source_db):
    code, _out, err = source["runs"]["receipt_held"]
    assert code == 2 and "tạm giữ" in err, err
    assert source["after_refused_receipt"] == {"due": False, "due2": False}
    assert source["runs"]["receipt"][0] == 0, source["runs"]["receipt"]
    ids = source["ids"]

    def states(root):
        from archive.retention import index_entry, state_of

        out = {}
        for label in ("due", "due2", "held"):
            d = root.objectmap[ids[label]]
            out[label] = (state_of(d), getattr(d, "transferred", False),
                          getattr(d, "transfer_receipt", None), getattr(d, "transferred_at", None),
                          index_entry(root, d.id)["state"])
        transfer = [t for t in root["transfers"].values()][0]
        return out, (transfer.state, transfer.receipt_number, transfer.receipt_date)
    out, transfer = read_root(source_db, states)
    assert out["due"] == ("transferred", True, "15/BB-LTLS", TODAY.isoformat(), "transferred")
    assert out["due2"] == out["due"]
    assert out["held"][:2] == ("closed", False)
    assert transfer == ("received", "15/BB-LTLS", TODAY.isoformat())
    assert source["number"] in source["runs"]["list"][1]


def test_transfer_steps_are_journaled(source, source_db):
    def actions(root):
        return [e["action"] for e in root.journal.latest(0, 500)]
    seen = read_root(source_db, actions)
    assert seen.count("dossier.transfer") == 2
    assert "transfer.export" in seen and "transfer.receipt" in seen


# --------------------------------------------------------------------------- the bag

def test_bag_passes_bagit_validate(source):
    result = subprocess.run([os.path.join(BIN, "bagit.py"), "--validate", source["bag"]],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "is valid" in result.stderr


def manifest(bag):
    entries = {}
    with open(os.path.join(bag, "manifest-sha256.txt"), encoding="utf-8") as fh:
        for line in fh:
            sha, path = line.rstrip("\n").split(" ", 1)
            entries[path.strip()] = sha
    return entries


def test_bag_checksums_equal_the_stored_sha256(source):
    entries = manifest(source["bag"])
    stored = source["before_receipt"]
    expected = 0
    for file_code in ("000.00.17.H17.2010.01.TCCB", "000.00.17.H17.2012.02.VP"):
        mets = ET.parse(os.path.join(source["bag"], "data", file_code, "METS.xml"))
        ns = {"m": "http://www.loc.gov/METS/", "x": "http://www.w3.org/1999/xlink"}
        by_name = {}
        for record in stored[file_code]["records"]:
            for f in record["files"]:
                by_name.setdefault((f["role"], f["name"]), []).append(f["sha256"])
        for fnode in mets.iterfind(".//m:file", ns):
            loc = fnode.find("m:FLocat", ns)
            path = f"data/{file_code}/" + loc.get("{http://www.w3.org/1999/xlink}href")
            name = loc.get("{http://www.w3.org/1999/xlink}title")
            role = [g for g in mets.iterfind(".//m:fileGrp", ns) if fnode in list(g)][0].get("USE")
            assert entries[path] == fnode.get("CHECKSUM")
            assert entries[path] in by_name[(role, name)]
            with open(os.path.join(source["bag"], path), "rb") as fh:
                assert hashlib.sha256(fh.read()).hexdigest() == entries[path]
            expected += 1
    # every stored file is in the bag, and only those are under representations/
    assert expected == sum(len(r["files"]) for code in ("000.00.17.H17.2010.01.TCCB",
                                                       "000.00.17.H17.2012.02.VP")
                           for r in stored[code]["records"]) == 6
    assert len([p for p in entries if "/representations/" in p]) == expected
    # names clashing by case are kept apart, both present
    names = sorted(os.path.basename(p) for p in entries if "/0000002/" in p)
    assert names == ["2-scan.pdf", "Scan.pdf", "đơn đăng ký.png"]


def test_bag_info_describes_the_transfer(source):
    import bagit

    bag = bagit.Bag(source["bag"])
    info = bag.info
    assert info["Source-Organization"] == FONDS["name"]
    assert info["Source-Organization-Identifier"] == FONDS["organ_id"]
    assert info["External-Identifier"] == source["number"]
    assert (info["Dossier-Count"], info["Record-Count"], info["File-Count"]) == ("2", "4", "6")
    assert info["Date-Start"] == "2010-01-05" and info["Date-End"] == "2012"
    sizes = [os.path.getsize(os.path.join(d, f))
             for d, _dirs, files in os.walk(os.path.join(source["bag"], "data")) for f in files]
    assert info["Payload-Oxum"] == f"{sum(sizes)}.{len(sizes)}"


def tt05_rows(mets_path):
    """(level, code, field) -> text of the METS tt05 block."""
    ns = "{urn:dossier-archive:tt05-2025}"
    root = ET.parse(mets_path).getroot()
    dossier = root.find(f".//{ns}dossier")
    out = {}
    code = [f.text for f in dossier.findall(f"{ns}field") if f.get("name") == "file_code"][0]
    for f in dossier.findall(f"{ns}field"):
        out[("dossier", code, f.get("name"))] = f.text or ""
    for rec in dossier.findall(f"{ns}record"):
        rcode = [f.text for f in rec.findall(f"{ns}field") if f.get("name") == "doc_code"][0]
        for f in rec.findall(f"{ns}field"):
            out[("record", rcode, f.get("name"))] = f.text or ""
    return out


def test_xml_and_csv_carry_the_same_metadata(source):
    folder = os.path.join(source["bag"], "data", "000.00.17.H17.2010.01.TCCB")
    xml = tt05_rows(os.path.join(folder, "METS.xml"))
    with open(os.path.join(folder, "metadata.csv"), encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    from_csv = {}
    for row in rows:
        code = row["file_code"] if row["level"] == "dossier" else row["doc_code"]
        for key, _value in xml.items():
            if key[0] == row["level"] and key[1] == code:
                from_csv[key] = row[key[2]]
    assert from_csv == xml
    assert len(rows) == 4
    assert xml[("dossier", "000.00.17.H17.2010.01.TCCB", "title")] == TRICKY_TITLE
    assert xml[("dossier", "000.00.17.H17.2010.01.TCCB", "language")] == "en;vi"
    # EAD: the dossier and its documents
    root = ET.parse(os.path.join(folder, "METS.xml")).getroot()
    ead = "{urn:isbn:1-931666-22-9}"
    assert root.find(f".//{ead}archdesc/{ead}did/{ead}unitid").text == "000.00.17.H17.2010.01.TCCB"
    assert root.find(f".//{ead}archdesc/{ead}did/{ead}unittitle").text == TRICKY_TITLE
    assert [c.find(f"{ead}did/{ead}unitid").text for c in root.iter(f"{ead}c")] == [
        "000.00.17.H17.2010.01.TCCB.000000" + str(n) for n in (1, 2, 3)]


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs)["href"])


def test_index_html_is_readable_escaped_and_links_to_the_files(source):
    bag = source["bag"]
    for page in ("data/index.html", "data/000.00.17.H17.2010.01.TCCB/index.html"):
        path = os.path.join(bag, page)
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        assert '<meta charset="utf-8">' in text
        assert "<b>" not in text and "<script>" not in text
        assert "&lt;b&gt;&quot;Sở&quot; &amp; phòng&lt;/b&gt;" in text
        parser = Links()
        parser.feed(text)
        assert parser.hrefs
        for href in parser.hrefs:
            assert os.path.exists(os.path.join(os.path.dirname(path), unquote(href))), href
    with open(os.path.join(bag, "data/000.00.17.H17.2010.01.TCCB/index.html"), encoding="utf-8") as fh:
        text = fh.read()
    assert "đơn%20đăng%20ký.png" not in text      # links are percent-encoded UTF-8
    assert "%C4%91%C6%A1n%20%C4%91%C4%83ng%20k%C3%BD.png" in text
    assert "Quyết định thành lập phòng Tổ chức" in text


# --------------------------------------------------------------------------- import

def test_import_reproduces_dossiers_records_and_files_exactly(source, imported):
    code, out, err = imported["first"]
    assert code == 0, err
    assert "2 dossiers, 4 documents, 6 files" in out
    original = {k: v for k, v in source["before_receipt"].items()
                if k in ("000.00.17.H17.2010.01.TCCB", "000.00.17.H17.2012.02.VP")}
    copy = read_root(imported["wsgi"], lambda root: snapshot(root, FONDS["code"]))
    assert copy == original
    assert all(f["intact"] for d in copy.values() for r in d["records"] for f in r["files"])
    renditions = [f for r in copy["000.00.17.H17.2010.01.TCCB"]["records"] for f in r["files"]
                  if f["role"] == "rendition"]
    assert renditions and renditions[0]["source"] == "quyết định.pdf"
    decided = copy["000.00.17.H17.2010.01.TCCB"]["fields"]
    assert (decided["retention_entry"], decided["retention_entry_version"]) == ("99.1", 2)


def test_importing_the_same_bag_again_is_refused_and_changes_nothing(imported):
    code, _out, err = imported["second"]
    assert code == 2 and "đã có hồ sơ" in err, err
    count = read_root(imported["wsgi"], lambda root: len(root["fonds"][FONDS["code"]]))
    assert count == 2


def test_a_damaged_bag_fails_validation_and_is_not_imported(source, tmp_path):
    bag = str(tmp_path / "bag")
    shutil.copytree(source["bag"], bag)
    victim = next(p for p in manifest(bag) if p.endswith(".png"))
    with open(os.path.join(bag, victim), "r+b") as fh:
        fh.seek(100)
        byte = fh.read(1)
        fh.seek(100)
        fh.write(bytes([byte[0] ^ 0xFF]))
    result = subprocess.run([os.path.join(BIN, "bagit.py"), "--validate", bag],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    shutil.copy(os.path.join(PROJECT, "testing.ini"), tmp_path / "testing.ini")
    code, _out, err = run_main("import_bag", str(tmp_path / "testing.ini"), bag)
    assert code == 2 and "không hợp lệ" in err, err
    wsgi = make_app(tmp_path)
    try:
        assert read_root(wsgi, lambda root: FONDS["code"] in root["fonds"]) is False
    finally:
        close_app(wsgi)


# --------------------------------------------------------------------------- the web action

@pytest.fixture(scope="module")
def web(tmp_path_factory):
    from webtest import TestApp

    from conftest import PASSWORD, login, make_user

    with module_app(tmp_path_factory, "transfer-web") as wsgi:
        client = TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        admin = Api(client, api_token(client, "admin", ADMIN_PASSWORD))
        admin.post("/api/v1/fonds", FONDS)
        add_schedule_entry(wsgi)
        ids = {}
        for label in ("due", "held", "due2"):
            ids[label] = admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers",
                                    DOSSIERS[label]).json["id"]
            admin.file_record(ids[label], RECORD, [("quyết định.pdf", make_pdf(1))])
            admin.post(f"/api/v1/dossiers/{ids[label]}/close", status=200)
        place_hold(wsgi, ids["held"])
        apis = {"lan": make_user(admin, "lan", "archivist", [FONDS["code"]]),
                "kiemtra": make_user(admin, "kiemtra", "auditor")}
        sessions = {}
        for who, password in (("lan", PASSWORD), ("kiemtra", PASSWORD)):
            browser = TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
            login(browser, who, password)
            sessions[who] = browser
        yield {"wsgi": wsgi, "ids": ids, "sessions": sessions, "apis": apis}


def dossier_state(wsgi, dossier_id):
    def read(root):
        d = root.objectmap[dossier_id]
        return getattr(d, "transfer_pending", None), getattr(d, "transferred", False)
    return read_root(wsgi, read)


def test_web_action_offers_only_unheld_due_dossiers_and_refuses_a_held_one(web):
    browser, ids = web["sessions"]["lan"], web["ids"]
    page = browser.get(f"/fonds/{FONDS['code']}/transfer")
    assert ids["due"] in page.text and ids["due2"] in page.text
    assert ids["held"] not in page.text
    form = page.forms["deform"]
    # a forged post naming the held dossier is refused, nothing is exported
    fields = [("csrf_token", form["csrf_token"].value), ("__start__", "dossiers:sequence"),
              ("checkbox", ids["held"]), ("__end__", "dossiers:sequence"), ("save", "save")]
    refused = browser.post(f"/fonds/{FONDS['code']}/transfer", fields)
    assert refused.status_int == 200
    assert "không có trong danh sách đến hạn" in refused.text
    assert dossier_state(web["wsgi"], ids["held"]) == (None, False)
    # a transfer too big to build during a request is refused, naming the script
    settings = web["wsgi"].registry.settings
    settings["archive.transfer.web_max_bytes"] = "1000"
    try:
        fields = [(k, ids["due"] if k == "checkbox" else v) for k, v in fields]
        big = browser.post(f"/fonds/{FONDS['code']}/transfer", fields)
    finally:
        del settings["archive.transfer.web_max_bytes"]
    assert big.status_int == 200 and "archive-transfer" in big.text
    assert dossier_state(web["wsgi"], ids["due"]) == (None, False)
    # and the service itself refuses it, whoever calls it
    from archive.events import SYSTEM
    from archive.retention import OnHold
    from archive.transfer import service

    def direct(root):
        return service.export_transfer(root, web["wsgi"].registry, SYSTEM,
                                       [root.objectmap[ids["held"]]], "/nonexistent")
    with pytest.raises(OnHold):
        write_root(web["wsgi"], direct)
    assert read_root(web["wsgi"], lambda root: len(root["transfers"])) == 0


def test_web_action_builds_the_bag_then_the_receipt_marks_transferred(web):
    import zipfile

    browser, ids, wsgi = web["sessions"]["lan"], web["ids"], web["wsgi"]
    page = browser.get(f"/fonds/{FONDS['code']}/transfer")
    form = page.forms["deform"]
    fields = [("csrf_token", form["csrf_token"].value), ("__start__", "dossiers:sequence"),
              ("checkbox", ids["due"]), ("__end__", "dossiers:sequence"), ("save", "save")]
    done = browser.post(f"/fonds/{FONDS['code']}/transfer", fields)
    assert done.status_int == 303, done.text[:2000]
    # the request only queued the export: nothing written, nothing recorded yet
    progress = done.follow()
    assert "/transfer-job?id=" in progress.request.url and "NL-" in progress.text
    out_dir = os.path.join(wsgi.registry.settings["archive.var"], "transfers")
    assert not os.path.exists(out_dir) or os.listdir(out_dir) == []
    assert dossier_state(wsgi, ids["due"]) == (None, False)
    assert read_root(wsgi, lambda root: len(root["transfers"])) == 0
    run_jobs(wsgi)
    finished = browser.get(progress.request.url)
    transfer_page = finished.click(linkid="transfer-link")
    assert "NL-" in transfer_page.text
    pending, transferred = dossier_state(wsgi, ids["due"])
    assert pending and not transferred          # pending until the receipt
    assert dossier_state(wsgi, ids["due2"]) == (None, False)   # not ticked, not exported
    bag_dir = read_root(wsgi, lambda root: list(root["transfers"].values())[0].bag_dir)
    assert bag_dir.startswith(wsgi.registry.settings["archive.var"])
    result = subprocess.run([os.path.join(BIN, "bagit.py"), "--validate", bag_dir],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    # the ZIP download: the same bag
    download = browser.get(transfer_page.request.path + "download")
    assert download.content_type == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.body)) as zf:
        name = os.path.basename(bag_dir)
        assert zf.read(f"{name}/manifest-sha256.txt") == open(
            os.path.join(bag_dir, "manifest-sha256.txt"), "rb").read()
    # the auditor sees the transfer, may not record the receipt
    auditor = web["sessions"]["kiemtra"]
    assert auditor.get(transfer_page.request.path).status_int == 200
    assert auditor.get(transfer_page.request.path + "download", status=403)
    # a hold placed meanwhile stops the receipt
    place_hold(wsgi, ids["due"], "Khiếu nại mới")
    receipt = transfer_page.forms["receipt"]
    receipt["receipt_number"] = "21/BB-LTLS"
    receipt["receipt_date"] = TODAY.strftime("%d/%m/%Y")
    refused = receipt.submit("save").follow()
    assert "tạm giữ" in refused.text
    assert dossier_state(wsgi, ids["due"])[1] is False
    release_holds(wsgi, ids["due"])
    page = browser.get(transfer_page.request.path)
    receipt = page.forms["receipt"]
    receipt["receipt_number"] = "21/BB-LTLS"
    receipt["receipt_date"] = TODAY.strftime("%d/%m/%Y")
    accepted = receipt.submit("save").follow()
    assert "21/BB-LTLS" in accepted.text
    assert dossier_state(wsgi, ids["due"]) == (None, True)
    assert "receipt" not in accepted.forms


def test_api_refuses_a_held_dossier_and_follows_the_same_steps(web):
    from test_openapi import check_answer

    from archive.views.api.spec import load_spec

    spec = load_spec()
    api, ids, wsgi = web["apis"]["lan"], web["ids"], web["wsgi"]
    create = "/api/v1/fonds/{code}/transfers"
    url = create.format(code=FONDS["code"])
    refused = api.post(url, {"dossiers": [ids["held"]]}, status=409)
    assert "tạm giữ" in refused.json["error"]["message"]
    check_answer(spec, "POST", create, refused)
    assert dossier_state(wsgi, ids["held"]) == (None, False)
    # by file code, as the documented example does: queued (202), the transfer
    # exists once the job is done
    made = api.post(url, {"dossiers": ["000.00.17.H17.2012.02.VP"]}, status=202)
    check_answer(spec, "POST", create, made)
    assert made.headers["Location"] == made.json["status_url"]
    assert [d["id"] for d in made.json["dossiers"]] == [ids["due2"]]
    api.get(made.json["transfer_url"], status=404)
    again = api.post(url, {"dossiers": [ids["due2"]]}, status=409)   # already queued
    assert made.json["number"] in again.json["error"]["message"]
    check_answer(spec, "POST", create, again)
    assert api.get(made.json["status_url"]).json["state"] == "pending"
    run_jobs(wsgi)
    assert api.get(made.json["status_url"]).json["state"] == "done"
    transfer = api.get(made.json["transfer_url"]).json
    assert transfer["id"] == made.json["transfer_id"] and transfer["number"] == made.json["number"]
    assert [d["id"] for d in transfer["dossiers"]] == [ids["due2"]]
    assert transfer["state"] == "exported"
    check_answer(spec, "GET", "/api/v1/transfers", api.get("/api/v1/transfers"))
    auditor = web["apis"]["kiemtra"]
    check_answer(spec, "GET", "/api/v1/transfers/{id}", auditor.get(f"/api/v1/transfers/{transfer['id']}"))
    receipt = {"receipt_number": "30/BB-LTLS", "receipt_date": TODAY.isoformat()}
    auditor.post(f"/api/v1/transfers/{transfer['id']}/receipt", receipt, status=403)
    place_hold(wsgi, ids["due2"], "Tranh chấp")
    held = api.post(f"/api/v1/transfers/{transfer['id']}/receipt", receipt, status=409)
    check_answer(spec, "POST", "/api/v1/transfers/{id}/receipt", held)
    assert dossier_state(wsgi, ids["due2"])[1] is False
    release_holds(wsgi, ids["due2"])
    done = api.post(f"/api/v1/transfers/{transfer['id']}/receipt", receipt, status=200)
    check_answer(spec, "POST", "/api/v1/transfers/{id}/receipt", done)
    assert done.json["state"] == "received" and done.json["receipt_number"] == "30/BB-LTLS"
    assert dossier_state(wsgi, ids["due2"]) == (None, True)
    late = api.post(f"/api/v1/transfers/{transfer['id']}/cancel", {"reason": "muộn"}, status=409)
    check_answer(spec, "POST", "/api/v1/transfers/{id}/cancel", late)
    # nothing is due any more: a transferred dossier is never offered again
    again = api.post(url, {}, status=422)
    check_answer(spec, "POST", create, again)


def test_export_refuses_a_file_whose_bytes_no_longer_match_its_sha256(web, tmp_path):
    """The export checks every copied file against the stored SHA-256 itself:
    a blob damaged on disk stops it, and nothing is left behind."""
    from webtest import TestApp

    from archive.events import SYSTEM
    from archive.services.files import blob_path
    from archive.transfer import service
    from archive.transfer.errors import BagIntegrityError

    wsgi = web["wsgi"]
    client = TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    admin = Api(client, api_token(client, "admin", ADMIN_PASSWORD))
    fields = dict(DOSSIERS["due"], notation="09.HONG")
    dossier_id = admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", fields).json["id"]
    admin.file_record(dossier_id, RECORD, [("hỏng.pdf", make_pdf(1, "Tệp bị hỏng"))])
    admin.post(f"/api/v1/dossiers/{dossier_id}/close", status=200)
    path = read_root(wsgi, lambda root: blob_path(
        root.objectmap[dossier_id].records()[0].files()[0]))
    os.chmod(path, 0o644)
    with open(path, "r+b") as fh:
        fh.seek(50)
        fh.write(b"X")
    out = str(tmp_path / "out")

    def export(root):
        return service.export_transfer(root, wsgi.registry, SYSTEM,
                                       [root.objectmap[dossier_id]], out)
    with pytest.raises(BagIntegrityError):
        write_root(wsgi, export)
    assert os.listdir(out) == []
    assert dossier_state(wsgi, dossier_id) == (None, False)
