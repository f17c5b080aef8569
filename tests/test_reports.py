"""Reports for auditors (issue 5, item 6): every kind in CSV, XLSX and PDF,
from the web, the API and ``archive-report``; formula injection neutralised;
the numbers equal counts taken directly from the database.

One small archive for the module: ``archive-sample`` (40 dossiers, 9 fonds)
plus a fonds made through the API with dossiers whose titles try formula
injection (``=HYPERLINK(...``, ``@SUM``, ``+``, ``-``) and one whose period
comes from the retention schedule.
"""
import collections
import contextlib
import datetime
import csv
import io
import os
import re
import shutil
import subprocess
import unicodedata

import pytest
from webtest import TestApp

from conftest import (
    ADMIN_PASSWORD, FONDS, PASSWORD, PROJECT, Api, api_token, close_app, login, make_app,
    make_user, read_root,
)

HYPERLINK = '=HYPERLINK("x.vn")'
DDE = "=cmd|' /C calc'!A0"
TITLES = {
    "01.BC": HYPERLINK,
    "02.BC": "@SUM(1+1)",
    "03.BC": "+84 đường dây nóng",
    "04.BC": "-1 hồ sơ trả lại",
    "05.BC": "Hồ sơ đất đai Đắk Mil",
    "08.BC": DDE,
}
VIETNAMESE_TITLE = "Hồ sơ đất đai Đắk Mil"


EARLY = "07.BC"
DECISION = "15/QĐ-SNV"


def disposition(root, registry, ids, path):
    """Holds, disposals and a transfer, through the services of the
    retention, disposal and transfer packages (in one transaction)."""
    from archive import retention
    from archive.disposal import (
        approve_disposal, destroy_disposal, propose_disposal, review_disposal,
    )
    from archive.events import Actor
    from archive.services.files import spool_upload
    from archive.transfer.service import export_transfer, record_receipt

    from conftest import make_pdf

    admin, archivist, auditor = Actor("admin", "test"), Actor("archivist", "test"), \
        Actor("auditor", "test")
    dossier = {notation: root.objectmap[oid] for notation, oid in ids.items()}
    fonds = root["fonds"][FONDS["code"]]
    # holds: one active, one released
    retention.place_holds(root, registry, auditor, [dossier["03.BC"]], "Khiếu nại của công dân",
                          "complaint", "Đơn số 12/2026")
    released, = retention.place_holds(root, registry, auditor, [dossier["04.BC"]],
                                      "Thanh tra năm 2026", "inspection", "QĐ 7/QĐ-TTr")
    retention.release_hold(root, registry, auditor, released, "Đã kết thúc thanh tra")
    # a disposal carried out to the end: proposed, reviewed, approved, destroyed
    done = propose_disposal(root, registry, archivist, fonds, [dossier["08.BC"]],
                            "Danh mục hủy tài liệu hết giá trị năm 2026",
                            reason="Hết thời hạn bảo quản")
    minutes = spool_upload(io.BytesIO(make_pdf(1, "Biên bản họp hội đồng")), "biên bản.pdf",
                           10 ** 8, str(path / "spool"))
    review_disposal(root, done, registry, admin, minutes, "2026-01-15", "Đồng ý hủy")
    approve_disposal(root, done, registry, admin, DECISION, "2026-01-20",
                     signer="Giám đốc Sở Nội vụ")
    destroy_disposal(root, done, registry, admin)
    # a proposal waiting for review, one of its dossiers proposed before due
    propose_disposal(root, registry, admin, fonds, [dossier["02.BC"], dossier[EARLY]],
                     "Danh mục hủy bổ sung", reason="Hết giá trị",
                     early={dossier[EARLY].id: "Bản trùng của hồ sơ đã lưu"})
    # a transfer to the historical archive, received
    transfer = export_transfer(root, registry, admin, [dossier["05.BC"]], str(path / "bags"))
    record_receipt(transfer, registry, admin, "BB-01/2026", datetime.date.today().isoformat())


class Archive:
    """The module's archive, opened as a WSGI app; ``offline()`` closes it
    so that a script can open the same FileStorage, then reopens it."""

    def __init__(self, path):
        self.path = path
        self.wsgi = None

    def open(self):
        self.wsgi = make_app(self.path)
        return self.wsgi

    def close(self):
        close_app(self.wsgi)
        self.wsgi = None

    @contextlib.contextmanager
    def offline(self):
        self.close()
        try:
            yield
        finally:
            self.open()

    def client(self):
        return TestApp(self.wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})

    def read(self, fn):
        return read_root(self.wsgi, fn)

    def api(self, who):
        """A token client of ``who`` on the app as it is now open."""
        return Api(self.client(), self.tokens[who])


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    from archive.scripts import sample

    path = tmp_path_factory.mktemp("reports")
    shutil.copy(os.path.join(PROJECT, "testing.ini"), path / "testing.ini")
    os.environ["ARCHIVE_ADMIN_PASSWORD"] = ADMIN_PASSWORD
    assert sample.main([str(path / "testing.ini"), "--quiet", "--dossiers", "40", "--seed", "3"],
                       out=io.StringIO()) == 0
    arch = Archive(path)
    arch.open()
    arch.ids = {}
    client = arch.client()
    admin = Api(client, api_token(client, "admin", ADMIN_PASSWORD))
    admin.post("/api/v1/fonds", FONDS)
    for notation, title in TITLES.items():
        body = {"notation": notation, "title": title, "retention": 10, "access": "01",
                "start_date": "2014-01-05", "end_date": "2014-06-30"}
        if title == VIETNAMESE_TITLE:
            body.update(retention="permanent", retention_note="Hồ sơ đất đai lưu vĩnh viễn")
        dossier_id = admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", body).json["id"]
        arch.ids[notation] = dossier_id
        if notation == "01.BC":
            admin.post(f"/api/v1/dossiers/{dossier_id}/close", status=200)
    admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers",
               {"notation": "06.TCCB", "title": "Hồ sơ tuyển dụng công chức năm 2019",
                "retention_entry": "3.3", "start_date": "2019-02-01", "end_date": "2019-11-30"})
    arch.ids[EARLY] = admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", {
        "notation": EARLY, "title": "Hồ sơ trùng lặp", "retention": 10,
        "start_date": "2020-01-05", "end_date": "2020-06-30"}).json["id"]
    for notation in ("02.BC", "05.BC", "08.BC", EARLY):
        admin.post(f"/api/v1/dossiers/{arch.ids[notation]}/close", status=200)
    arch.tokens = {"admin": admin.headers["Authorization"].split()[1]}
    for login_name, role, fonds in (("auditor", "auditor", []),
                                    ("official", "official", [FONDS["code"]]),
                                    ("archivist", "archivist", [FONDS["code"]])):
        user = make_user(admin, login_name, role, fonds)
        arch.tokens[login_name] = user.headers["Authorization"].split()[1]
    arch.read(lambda root: disposition(root, arch.wsgi.registry, arch.ids, path))
    yield arch
    if arch.wsgi is not None:
        arch.close()


def build(archive, kind, **filters):
    from archive.reports import build_report

    def work(root):
        report = build_report(root, kind, **filters)
        from archive.reports.writers import plain_table
        return plain_table(report)
    return archive.read(work)


def render(archive, kind, fmt, **filters):
    from archive.reports.core import build_report, render as render_report

    return archive.read(lambda root: render_report(build_report(root, kind, **filters), fmt))


def parse_csv(body):
    assert body.startswith(b"\xef\xbb\xbf"), body[:10]   # UTF-8 BOM for Excel
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def nfc(text):
    return unicodedata.normalize("NFC", text)


# --------------------------------------------------------------------------- neutralisation

@pytest.mark.parametrize("value, csv_value", [
    ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"),
    ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("Hồ sơ = đất", "Hồ sơ = đất"), ("", ""), (42, 42), (-3, -3),
])
def test_neutralise(value, csv_value):
    from archive.reports.writers import neutralise

    assert neutralise(value) == csv_value


def test_csv_neutralises_every_formula_cell(archive):
    body = render(archive, "retention", "csv", fonds=FONDS["code"])
    rows = parse_csv(body)
    titles = {row[1].rsplit(".", 2)[-2] + "." + row[1].rsplit(".", 1)[-1]: row[2] for row in rows[1:]}
    assert titles["01.BC"] == "'" + HYPERLINK
    assert titles["02.BC"] == "'@SUM(1+1)"
    assert titles["03.BC"] == "'+84 đường dây nóng"
    assert titles["04.BC"] == "'-1 hồ sơ trả lại"
    assert titles["05.BC"] == VIETNAMESE_TITLE
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_xlsx_cells_are_strings_never_formulas(archive):
    from openpyxl import load_workbook

    body = render(archive, "retention", "xlsx", fonds=FONDS["code"])
    sheet = load_workbook(io.BytesIO(body)).worksheets[0]
    cells = {cell.value: cell for row in sheet.iter_rows() for cell in row}
    assert cells[HYPERLINK].data_type == "s"
    assert cells["@SUM(1+1)"].data_type == "s"
    assert b"<f>" not in _xlsx_sheet_xml(body)   # no formula anywhere in the sheet


def _xlsx_sheet_xml(body):
    import zipfile

    with zipfile.ZipFile(io.BytesIO(body)) as z:
        return z.read("xl/worksheets/sheet1.xml")


# --------------------------------------------------------------------------- LibreOffice, pdftotext

def soffice_to_csv(paths, workdir):
    """LibreOffice's own CSV (UTF-8, comma, double quote) of each XLSX."""
    profile = workdir / "lo-profile"
    out = workdir / "lo-out"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1",
                    "--outdir", str(out), *map(str, paths)],
                   check=True, capture_output=True, timeout=180)
    result = {}
    for path in paths:
        converted = out / (path.stem + ".csv")
        assert converted.exists(), f"LibreOffice did not convert {path.name}"
        with open(converted, encoding="utf-8", newline="") as fh:
            result[path.name] = list(csv.reader(fh))
    return result


def test_xlsx_opens_in_libreoffice_and_matches_the_csv(archive, tmp_path):
    from archive.reports import kinds
    from archive.reports.writers import neutralise

    names = [k.name for k in kinds()]
    ours, paths = {}, []
    for name in names:
        ours[name] = parse_csv(render(archive, name, "csv"))
        path = tmp_path / f"{name}.xlsx"
        path.write_bytes(render(archive, name, "xlsx"))
        paths.append(path)
    converted = soffice_to_csv(paths, tmp_path)
    for name in names:
        theirs = converted[f"{name}.xlsx"]
        assert len(theirs) == len(ours[name]) > 1, name
        for r, (mine, lo) in enumerate(zip(ours[name], theirs)):
            assert len(lo) == len(mine), (name, r, lo, mine)
            # LibreOffice shows a string cell's text as it is; our CSV carries
            # the same text, neutralised
            assert [neutralise(cell) for cell in lo] == mine, (name, r)
    retention = converted["retention.xlsx"]
    # LibreOffice read the title as text: not evaluated, not a link
    assert [HYPERLINK] == [row[2] for row in retention if row[2].startswith("=")]


def test_pdf_shows_vietnamese_with_tone_marks(archive, tmp_path):
    pdfs = {}
    for name in ("retention", "statistics"):
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(render(archive, name, "pdf", fonds=FONDS["code"]))
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                              capture_output=True, timeout=60).stdout.decode("utf-8")
        pdfs[name] = nfc(text)
    assert "Báo cáo thời hạn bảo quản hồ sơ" in pdfs["retention"]
    assert VIETNAMESE_TITLE in pdfs["retention"]
    assert "Vĩnh viễn" in pdfs["retention"]
    assert HYPERLINK in pdfs["retention"]          # shown as the text it is
    assert "Thống kê hồ sơ theo phông và năm" in pdfs["statistics"]
    assert re.search(r"Trang 1/\d+", pdfs["statistics"])
    fonts = subprocess.run(["pdffonts", str(tmp_path / "retention.pdf")], check=True,
                           capture_output=True, text=True).stdout
    assert "DejaVuSans" in fonts and " yes " in fonts   # embedded


# --------------------------------------------------------------------------- the numbers

def walk(root):
    from archive.resources import Dossier

    for fonds in root["fonds"].values():
        for dossier in fonds.values():
            assert isinstance(dossier, Dossier)
            yield fonds, dossier


def test_statistics_equal_counts_from_the_database(archive):
    header, rows = build(archive, "statistics")

    def count(root):
        counts = collections.defaultdict(collections.Counter)
        for fonds, d in walk(root):
            c = counts[(fonds.code, d.year)]
            c["dossiers"] += 1
            c["closed" if d.closed else "open"] += 1
            c["permanent" if d.retention == "permanent" else "limited"] += 1
            c["access02"] += d.access == "02"
            c["access03"] += d.access == "03"
            c["held"] += any(h.active for h in root.holds.values() if h.dossier_id == d.id)
            c["transferred"] += any(d.id in t.dossier_ids and t.state == "received"
                                    for t in root["transfers"].values())
            for record in d.values():
                c["documents"] += 1
                c["pages"] += sum(f.page_count or 0 for f in record.values() if f.role == "original")
        for tombstone in root.tombstones.data.values():
            counts[(tombstone.fonds, tombstone.year)]["destroyed"] += 1
        return counts
    expected = archive.read(count)
    keys = ("dossiers", "closed", "open", "permanent", "limited", "access02", "access03",
            "held", "transferred", "documents", "pages", "destroyed")
    assert header[3:] == ["Số hồ sơ", "Đã đóng", "Đang mở", "Vĩnh viễn", "Có thời hạn",
                          "Sử dụng có điều kiện", "Mật", "Bị phong tỏa", "Đã nộp lưu",
                          "Số văn bản", "Số trang", "Đã hủy"]
    body, total = rows[:-1], rows[-1]
    assert {(r[0], r[2]) for r in body} == set(expected)
    for row in body:
        assert row[3:] == [expected[(row[0], row[2])][k] for k in keys], row
    assert total[0] == "Tổng cộng"
    assert total[3:] == [sum(c[k] for c in expected.values()) for k in keys]
    assert total[3] == archive.read(lambda root: sum(len(f) for f in root["fonds"].values()))
    assert [total[10], total[11], total[14]] == [1, 1, 1]   # held, transferred, destroyed
    # a filter keeps exactly the matching rows
    _h, one = build(archive, "statistics", fonds=FONDS["code"], year=2014)
    assert one[:-1] == [r for r in body if r[0] == FONDS["code"] and r[2] == 2014]
    assert one[0][14] == 1   # the destroyed dossier of 2014


def test_retention_report_equals_the_dossiers(archive):
    from archive.reports.base import show_date
    from archive.retention import dossier_due_dates

    header, rows = build(archive, "retention")

    def expected(root):
        out = {}
        for fonds, d in walk(root):
            due = dossier_due_dates(d)
            out[d.file_code] = {
                "fonds": fonds.code, "title": d.title, "start": show_date(d.start_date),
                "end": show_date(d.end_date),
                "retention": "Vĩnh viễn" if d.retention == "permanent" else f"{d.retention} năm",
                "disposal": due.disposal_year or "", "transfer": due.transfer_year or "",
                "state": ("Đã nộp lưu" if getattr(d, "transferred", False)
                          else "Đang nộp lưu" if getattr(d, "transfer_pending", None)
                          else "Đã đưa vào danh mục hủy" if getattr(d, "disposal_id", None)
                          else "Đã đóng" if d.closed else "Đang mở"),
                "held": "Có" if any(h.active and h.dossier_id == d.id
                                    for h in root.holds.values()) else ""}
        return out
    dossiers = archive.read(expected)
    assert len(rows) == len(dossiers)
    by_code = {row[1]: row for row in rows}
    assert set(by_code) == set(dossiers)
    for code, want in dossiers.items():
        row = by_code[code]
        assert row[0] == want["fonds"] and row[2] == want["title"]
        assert row[3:6] == [want["start"], want["end"], want["retention"]], row
        assert row[8] == want["disposal"] and row[9] == want["transfer"], row
        assert row[11:] == [want["state"], want["held"]], row
    states = collections.Counter(r[11] for r in rows if r[0] == FONDS["code"])
    assert states["Đã nộp lưu"] == 1 and states["Đã đưa vào danh mục hủy"] == 2
    assert [r[1][-5:] for r in rows if r[12]] == ["03.BC"]
    # rows in (fonds, file code) order
    assert [(r[0], r[1]) for r in rows] == sorted((r[0], r[1]) for r in rows)
    # the period's source
    tccb = next(r for r in rows if r[1].endswith("2019.06.TCCB"))
    assert tccb[5] == "20 năm" and tccb[6].startswith("Bảng thời hạn: 3.3") \
        and "Thông tư 10/2022/TT-BNV" in tccb[6]
    land = next(r for r in rows if r[2] == VIETNAMESE_TITLE)
    assert land[6] == "Nhập trực tiếp: Hồ sơ đất đai lưu vĩnh viễn"
    # a due year: exactly the dossiers whose period ends, or whose transfer
    # deadline falls, in that year
    for year in (2025, 2021):
        _h, due = build(archive, "retention", year=year)
        assert sorted(r[1] for r in due) == sorted(
            code for code, want in dossiers.items() if year in (want["disposal"], want["transfer"]))
    _h, due = build(archive, "retention", year=2025, fonds=FONDS["code"])
    assert sorted(r[1] for r in due) == sorted(
        code for code, want in dossiers.items()
        if want["fonds"] == FONDS["code"] and 2025 in (want["disposal"], want["transfer"]))
    assert due   # the 2014 dossiers kept 10 years are due on 1 January 2025


def test_disposal_list_equals_the_proposals(archive):
    header, rows = build(archive, "disposal")

    def expected(root):
        out = []
        for disposal in sorted(root["disposals"].values(), key=lambda d: d.proposed_at):
            for n, item in enumerate(disposal.items, 1):
                out.append((disposal.number, n, item["file_code"], item["title"],
                            item["doc_total"], item["page_total"], item["early_reason"]))
        return out
    want = archive.read(expected)
    assert [(r[0], r[2], r[4], r[5], r[7], r[8], r[12]) for r in rows] == want
    assert len(rows) == 3
    destroyed = next(r for r in rows if r[5] == DDE)
    assert destroyed[1] == "Đã hủy" and destroyed[14].startswith(DECISION)
    assert destroyed[11] == "Hết thời hạn bảo quản"
    early = next(r for r in rows if r[4].endswith(EARLY))
    assert early[12] == "Bản trùng của hồ sơ đã lưu"   # the override and its reason
    assert early[10] == "01/01/2031"                    # not yet due
    this_year = datetime.date.today().year
    assert len(build(archive, "disposal", year=this_year)[1]) == 3
    assert build(archive, "disposal", year=2000)[1] == []


def test_destruction_records_equal_the_tombstones(archive):
    header, rows = build(archive, "destruction")

    def expected(root):
        in_tree = {d.id for _f, d in walk(root)}
        stones = list(root.tombstones.data.values())
        assert not in_tree & {t.dossier_id for t in stones}   # destroyed = gone from the tree
        return sorted((t.file_code, t.title, t.decision_number, t.proposed_by, t.approved_by,
                       t.destroyed_by) for t in stones)
    assert sorted((r[2], r[3], r[9], r[12], r[14], r[15]) for r in rows) == archive.read(expected)
    assert [(r[3], r[9], r[12], r[14]) for r in rows] == [(DDE, DECISION, "archivist", "admin")]
    assert rows[0][10] == "20/01/2026" and rows[0][11] == "Giám đốc Sở Nội vụ"
    this_year = datetime.date.today().year
    assert len(build(archive, "destruction", year=this_year)[1]) == 1
    assert build(archive, "destruction", year=2000)[1] == []


def test_holds_report_equals_the_holds(archive):
    header, rows = build(archive, "holds")

    def expected(root):
        return sorted((h.file_code, h.reference, h.reason, h.placed_by, h.active)
                      for h in root.holds.values())
    assert sorted((r[2], r[5], r[6], r[7], r[0] == "Đang phong tỏa") for r in rows) \
        == archive.read(expected)
    assert [r[0] for r in rows] == ["Đang phong tỏa", "Đã gỡ"]     # active first
    assert rows[0][4] == "Khiếu nại, tố cáo" and rows[1][11] == "Đã kết thúc thanh tra"
    assert build(archive, "holds", fonds="MAU-CUJUT")[1] == []


def test_transfer_list_equals_the_transfers(archive):
    header, rows = build(archive, "transfer")

    def expected(root):
        return [(t.number, d["file_code"], d["title"]) for t in root["transfers"].values()
                for d in t.dossiers]
    assert [(r[0], r[4], r[6]) for r in rows] == archive.read(expected)
    assert len(rows) == 1
    row = rows[0]
    assert row[1] == "Đã giao nhận" and row[14].startswith("BB-01/2026")
    assert row[5] == "05.BC" and row[9] == "Vĩnh viễn"


# --------------------------------------------------------------------------- web, API, script

def exports(archive):
    def work(root):
        return [e for e in root.journal.entries.values() if e["action"] == "report.export"]
    return archive.read(work)


def test_reports_from_the_web_the_api_and_the_script(archive, tmp_path):
    from archive.scripts import report as script

    before = len(exports(archive))
    # the API (auditor)
    auditor = archive.api("auditor")
    listed = auditor.get("/api/v1/reports").json["reports"]
    assert {"statistics", "retention"} <= {k["kind"] for k in listed}
    api = auditor.get(f"/api/v1/reports/retention?format=csv&fonds={FONDS['code']}&year=2025")
    assert api.content_type == "text/csv"
    assert "attachment" in api.headers["Content-Disposition"]
    api_xlsx = auditor.get("/api/v1/reports/statistics?format=xlsx")
    assert api_xlsx.body[:2] == b"PK"
    api_pdf = auditor.get("/api/v1/reports/statistics?format=pdf")
    assert api_pdf.body[:5] == b"%PDF-" and api_pdf.content_type == "application/pdf"
    # the web (auditor): the page, then the form
    client = archive.client()
    login(client, "auditor", PASSWORD)
    page = client.get("/reports")
    assert "Báo cáo thời hạn bảo quản hồ sơ" in page.text
    form = page.forms["report"]
    form["kind"] = "retention"
    form["fonds"] = FONDS["code"]
    form["year"] = "2025"
    form["format"] = "csv"
    web = form.submit("download")
    assert web.content_type == "text/csv" and "attachment" in web.headers["Content-Disposition"]
    assert web.body == api.body
    # bad input on the page: the form again with the message, nothing exported
    form["year"] = "20x5"
    again = form.submit("download")
    assert again.content_type == "text/html" and "form-error" in again.text
    # the script
    out = tmp_path / "retention.csv"
    with archive.offline():
        assert script.main([str(archive.path / "testing.ini"), "retention", "--format", "csv",
                            "-o", str(out), "--fonds", FONDS["code"], "--year", "2025"],
                           out=io.StringIO()) == 0
    assert out.read_bytes() == api.body
    rows = parse_csv(api.body)
    # every export journaled: kind, format, filters, rows
    entries = exports(archive)[before:]
    assert [(e["login"], e["detail"]["kind"], e["detail"]["format"]) for e in entries] == [
        ("auditor", "retention", "csv"), ("auditor", "statistics", "xlsx"),
        ("auditor", "statistics", "pdf"), ("auditor", "retention", "csv"),
        ("system", "retention", "csv")]
    assert entries[0]["detail"]["filters"] == {"fonds": FONDS["code"], "year": 2025}
    assert entries[0]["detail"]["rows"] == len(rows) - 1
    assert entries[-1]["address"].startswith("script:archive-report")


def test_refused_to_officials_and_archivists(archive):
    for who in ("official", "archivist"):
        api = archive.api(who)
        api.get("/api/v1/reports", status=403)
        api.get("/api/v1/reports/statistics?format=csv", status=403)
        client = archive.client()
        login(client, who, PASSWORD)
        client.get("/reports", status=403)
        assert "/reports" not in client.get("/").text   # no menu link
    archive.client().get("/api/v1/reports/statistics", status=401)


def test_bad_input_gets_a_clear_error(archive, tmp_path):
    from archive.scripts import report as script

    auditor = archive.api("auditor")
    auditor.get("/api/v1/reports/nope?format=csv", status=404)
    err = auditor.get("/api/v1/reports/statistics?format=docx", status=422).json["error"]
    assert "csv, xlsx hoặc pdf" in err["fields"]["format"]
    err = auditor.get("/api/v1/reports/statistics?fonds=NOPE", status=422).json["error"]
    assert "NOPE" in err["fields"]["fonds"]
    auditor.get("/api/v1/reports/statistics?year=abc", status=422)
    before = len(exports(archive))
    with archive.offline():
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            status = script.main([str(archive.path / "testing.ini"), "statistics", "-o",
                                  str(tmp_path / "x.csv"), "--fonds", "NOPE"], out=io.StringIO())
        assert status == 2 and "Không có phông NOPE" in stderr.getvalue()
        assert not (tmp_path / "x.csv").exists()
    assert len(exports(archive)) == before
