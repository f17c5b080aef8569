"""Bulk import (archive-import CONFIG FOLDER): 1,000 real files with a
progress bar, a second run that skips them all, a manifest with bad rows that
imports nothing, and the folder-escape checks."""
import csv
import io
import os
import shutil
import time
import unicodedata

import pytest

from conftest import PROJECT, make_pdf, open_db, run_jobs

FONDS_ROW = {"fonds": "SNV"}
N_FILES = 1000
PER_DOSSIER = 100


def small_png(text, size=(160, 60)):
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).text((5, 20), text, fill="black")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def write_manifest(folder, rows, bom=True, columns=None):
    columns = columns or list(rows[0])
    with open(os.path.join(folder, "manifest.csv"), "w", encoding="utf-8-sig" if bom else "utf-8",
              newline="") as fh:
        writer = csv.DictWriter(fh, columns)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)


def dossier_fields(n):
    return {"fonds": "SNV", "notation": f"{n:02d}.SH", "year": "2019",
            "title": f"Hồ sơ số hóa đợt {n}: hộ tịch xã Đắk Ha", "retention": "vĩnh viễn",
            "provenance": "02", "paper_file_code": f"LTCQ.K1/G01/H{n:03d}.01", "language": "vi"}


def record_fields(i):
    return {"doc_type": "22", "number": str(i + 1), "doc_notation": "UBND-HT",
            "issued_date": f"{(i % 28) + 1:02d}/03/2019", "issuer": "UBND xã Đắk Ha",
            "subject": f"Công văn về đăng ký hộ tịch số {i + 1}"}


def run_import(ini, folder):
    from archive.scripts.importer import main

    out, err = io.StringIO(), io.StringIO()
    code = main([ini, str(folder)], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def counts(app_dir):
    """(dossiers, documents, files, SHA-256s) as stored, read from the closed
    application's database file."""
    db = open_db(app_dir)
    try:
        conn = db.open()
        root = conn.root()["archive"]
        dossiers = records = files = 0
        shas = set()
        for fonds in root["fonds"].values():
            for dossier in fonds.values():
                dossiers += 1
                for record in dossier.values():
                    records += 1
                    for stored in record.values():
                        files += 1
                        shas.add(stored.sha256)
        actions = [e["action"] for e in root.journal.latest(0, 10)]
        conn.close()
        return dossiers, records, files, shas, actions
    finally:
        db.close()


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """An archive database (no server) with the fonds SNV, and its .ini."""
    from archive.scripts.admin import main as admin

    app_dir = tmp_path_factory.mktemp("import-archive")
    shutil.copy(os.path.join(PROJECT, "testing.ini"), app_dir / "testing.ini")
    os.environ["ARCHIVE_ADMIN_PASSWORD"] = "admin-password-1"
    ini = str(app_dir / "testing.ini")
    assert admin([ini, "fonds", "add", "SNV", "Sở Nội vụ", "000.00.17.H17"], out=io.StringIO()) == 0
    return app_dir, ini


@pytest.fixture(scope="module")
def big_folder(tmp_path_factory):
    """1,000 real files (PNG scans, and one PDF in ten) in ten dossiers, in
    sub-folders, with a manifest saved with a BOM."""
    folder = tmp_path_factory.mktemp("import-1000")
    pdf = make_pdf(1, "Biên bản bàn giao")
    rows = []
    for i in range(N_FILES):
        n = i // PER_DOSSIER + 1
        sub = folder / f"hop{n:02d}"
        sub.mkdir(exist_ok=True)
        if i % 10 == 0:
            name = f"trang-{i:04d}.pdf"
            # same scan, different content: an incremental update with a comment
            (sub / name).write_bytes(pdf + f"\n% ban sao {i}\n".encode())
        else:
            name = f"trang-{i:04d}.png"
            (sub / name).write_bytes(small_png(f"trang {i}"))
        rows.append({**dossier_fields(n), **record_fields(i), "file": f"hop{n:02d}/{name}"})
    write_manifest(folder, rows, bom=True)
    return folder


def test_import_of_a_thousand_files_then_a_second_run_skips_them_all(archive, big_folder):
    app_dir, ini = archive
    started = time.monotonic()
    code, out, err = run_import(ini, big_folder)
    elapsed = time.monotonic() - started
    assert code == 0, out + err
    # the progress bar, on stderr
    assert "archive-import" in err and f"{N_FILES}/{N_FILES}" in err
    assert f"Đã nhập {N_FILES} tệp, bỏ qua 0 tệp" in out
    assert "tạo 10 hồ sơ mới" in out
    print(f"\nimport of {N_FILES} files: {elapsed:.1f} s")
    dossiers, records, files, shas, actions = counts(app_dir)
    assert (dossiers, records, files, len(shas)) == (10, N_FILES, N_FILES, N_FILES)
    assert actions[0] == "import.complete"

    code, out, err = run_import(ini, big_folder)
    assert code == 0, out + err
    assert f"Đã nhập 0 tệp, bỏ qua {N_FILES} tệp đã có" in out
    assert counts(app_dir)[:3] == (10, N_FILES, N_FILES)


def test_a_manifest_with_three_bad_rows_imports_nothing(archive, tmp_path):
    app_dir, ini = archive
    folder = tmp_path / "bad"
    folder.mkdir()
    rows = []
    for i in range(6):
        (folder / f"{i}.png").write_bytes(small_png(f"bad manifest {i}"))
        rows.append({**dossier_fields(50), **record_fields(i), "file": f"{i}.png"})
    rows[1]["fonds"] = "KHONGCO"            # line 3: unknown fonds
    rows[3]["file"] = "../1.png"            # line 5: leaves the folder
    rows[4]["retention"] = "mãi mãi"        # line 6: not a retention period
    rows[4]["issued_date"] = "31/02/2019"   # ... and not a date
    write_manifest(folder, rows, bom=False)
    before = os.path.getsize(app_dir / "var" / "Data.fs")
    before_counts = counts(app_dir)[:3]

    code, out, err = run_import(ini, folder)
    assert code == 1
    assert "không nhập gì cả" in err and "(4 lỗi)" in err
    lines = [line.strip() for line in err.splitlines() if line.strip().startswith("dòng")]
    assert lines[0].startswith("dòng 3:") and "fonds: không có phông mã KHONGCO" in lines[0]
    assert lines[1].startswith("dòng 5:") and "\"..\"" in lines[1]
    assert lines[2].startswith("dòng 6:") and "retention" in lines[2] and "vĩnh viễn" in lines[2]
    assert lines[3].startswith("dòng 6:") and "issued_date" in lines[3]
    assert len(lines) == 4
    # the database did not change at all
    assert os.path.getsize(app_dir / "var" / "Data.fs") == before
    assert counts(app_dir)[:3] == before_counts


def test_files_outside_the_folder_wrong_types_and_inconsistent_dossiers_are_refused(archive, tmp_path):
    app_dir, ini = archive
    outside = tmp_path / "outside.png"
    outside.write_bytes(small_png("outside"))
    folder = tmp_path / "escape"
    folder.mkdir()
    (folder / "ok.png").write_bytes(small_png("ok escape"))
    (folder / "link.png").symlink_to(outside)
    (folder / "note.txt").write_text("không phải bản quét")
    (folder / "empty.pdf").write_bytes(b"")
    base = {**dossier_fields(60), **record_fields(0)}
    rows = [
        {**base, "file": "ok.png"},                                  # 2 fine
        {**base, "file": str(outside)},                              # 3 absolute
        {**base, "file": "link.png"},                                # 4 symlink out
        {**base, "file": "note.txt"},                                # 5 type
        {**base, "file": "empty.pdf"},                               # 6 empty
        {**base, "file": "missing.pdf"},                             # 7 missing
        {**base, "title": "Tiêu đề khác", "file": "ok.png"},         # 8 inconsistent + duplicate
    ]
    write_manifest(folder, rows)
    code, out, err = run_import(ini, folder)
    assert code == 1
    text = err
    assert "dòng 2:" not in text
    assert "dòng 3: file: đường dẫn phải là đường dẫn tương đối" in text
    assert "dòng 4: file: liên kết tượng trưng trỏ ra ngoài" in text
    assert "dòng 5: file: loại tệp không được chấp nhận" in text
    assert "dòng 6: file: tệp rỗng" in text
    assert "dòng 7: file: không tìm thấy tệp missing.pdf" in text
    assert "dòng 8: Thông tin hồ sơ 000.00.17.H17.2019.60.SH khác với dòng 2 ở cột: title" in text
    assert "dòng 8: file: nội dung trùng với tệp ở dòng 2" in text


def test_rows_with_one_doc_key_are_one_document_and_unknown_columns_are_refused(archive, tmp_path):
    app_dir, ini = archive
    folder = tmp_path / "grouped"
    folder.mkdir()
    base = {**dossier_fields(70), **record_fields(0)}
    rows = []
    for i in range(3):
        (folder / f"p{i}.png").write_bytes(small_png(f"grouped page {i}"))
        rows.append({**base, "doc_key": "qd-1", "file": f"p{i}.png"})
    # a name with tone marks, stored decomposed (NFD) as macOS makes it
    (folder / unicodedata.normalize("NFD", "tờ trình.png")).write_bytes(small_png("another document"))
    rows.append({**dossier_fields(70), **record_fields(1), "file": "tờ trình.png"})
    write_manifest(folder, rows, columns=list(rows[0]))
    code, out, err = run_import(ini, folder)
    assert code == 0, out + err
    assert "Đã nhập 4 tệp" in out

    def documents(root):
        fonds = root["fonds"]["SNV"]
        dossier = fonds[fonds.file_codes["000.00.17.H17.2019.70.SH"]]
        return sorted(len(record) for record in dossier.values()), dossier.provenance

    db = open_db(app_dir)
    try:
        conn = db.open()
        assert documents(conn.root()["archive"]) == ([1, 3], "02")
        conn.close()
    finally:
        db.close()

    (folder / "manifest.csv").write_text("fonds,tieu_de,file\nSNV,x,p0.png\n", encoding="utf-8")
    code, out, err = run_import(ini, folder)
    assert code == 1 and "dòng 1: Cột không có trong danh mục: tieu_de" in err


# --------------------------------------------------------------------------- the web import

import re  # noqa: E402
import zipfile  # noqa: E402


def zip_bytes(entries, symlinks=()):
    """A ZIP of {name: bytes}, plus symbolic-link entries (name, target)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        for name, target in symlinks:
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)
            archive.writestr(info, target)
    return out.getvalue()


def manifest_text(rows):
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """A web application (small ZIP limits, no automatic OCR so that the
    worker runs only the import) with fonds SNV and VPUB and an archivist of SNV."""
    from webtest import TestApp

    from conftest import ADMIN_PASSWORD, Api, api_token, close_app, login, make_app, make_user

    app_dir = tmp_path_factory.mktemp("web-import")
    with open(os.path.join(PROJECT, "testing.ini"), encoding="utf-8") as fh:
        ini = fh.read()
    settings = {"archive.import.max_unpacked": str(3 * 1024 * 1024),
                "archive.import.max_entries": "40", "archive.ocr.auto": "false"}
    lines = [line for line in ini.splitlines()
             if line.split("=")[0].strip() not in settings]   # ours replace the file's
    at = lines.index("[app:main]") + 1
    lines[at:at] = [f"{key} = {value}" for key, value in settings.items()]
    (app_dir / "testing.ini").write_text("\n".join(lines) + "\n", encoding="utf-8")
    wsgi = make_app(app_dir)
    try:
        client = TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        admin = Api(client, api_token(client, "admin", ADMIN_PASSWORD))
        admin.post("/api/v1/fonds", {"code": "SNV", "name": "Sở Nội vụ", "organ_id": "000.00.17.H17"})
        admin.post("/api/v1/fonds", {"code": "VPUB", "name": "Văn phòng UBND", "organ_id": "H17.1.2"})
        make_user(admin, "lan", "archivist", ["SNV"])
        browser = TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        login(browser, "lan", "password-123")
        yield wsgi, browser
    finally:
        close_app(wsgi)


def upload(browser, data, name="dot1.zip"):
    form = browser.get("/fonds/SNV/import").forms["import"]
    return form.submit("save", upload_files=[("file", name, data)])


def job_cards(page):
    return page.html.find_all(class_="import-job")


def test_a_zip_uploaded_on_the_web_is_imported_by_a_job_then_skipped(web):
    wsgi, browser = web
    files = {f"dot1/hop01/{i}.png": small_png(f"web {i}") for i in range(5)}
    rows = [{**dossier_fields(80), **record_fields(i), "file": f"hop01/{i}.png"} for i in range(5)]
    for row in rows:
        row["fonds"] = ""    # empty: the page's fonds
    data = zip_bytes({"dot1/manifest.csv": manifest_text(rows), **files})   # one folder inside

    response = upload(browser, data)
    assert response.status_int == 303, response.text[:2000]
    page = response.follow()
    assert "việc nhập đang chờ xử lý" in page.text
    assert job_cards(page)[0].find(class_="job-state")["data-state"] == "pending"
    assert 'http-equiv="refresh"' in page.text   # the page follows the job
    run_jobs(wsgi)
    card = job_cards(browser.get("/fonds/SNV/import"))[0]
    assert card.find(class_="job-state")["data-state"] == "done"
    assert (card.find(class_="imported").text, card.find(class_="skipped").text,
            card.find(class_="failed").text) == ("5", "0", "0")

    upload(browser, data)
    run_jobs(wsgi)
    page = browser.get("/fonds/SNV/import")
    card = job_cards(page)[0]
    assert (card.find(class_="imported").text, card.find(class_="skipped").text) == ("0", "5")
    assert 'http-equiv="refresh"' not in page.text

    def stored(root):
        fonds = root["fonds"]["SNV"]
        dossier = fonds[fonds.file_codes["000.00.17.H17.2019.80.SH"]]
        return len(dossier), {e["login"] for e in root.journal.latest(0, 30)
                              if e["action"] == "record.file"}
    from conftest import read_root

    assert read_root(wsgi, stored) == (5, {"lan"})
    # the uploaded ZIPs are removed once imported
    assert os.listdir(os.path.join(wsgi.registry.settings["archive.upload_tmp"], "imports")) == []


def test_a_bad_manifest_in_a_zip_imports_nothing_and_lists_the_lines(web):
    wsgi, browser = web
    files = {f"{i}.png": small_png(f"web bad {i}") for i in range(4)}
    rows = [{**dossier_fields(81), **record_fields(i), "file": f"{i}.png"} for i in range(4)]
    rows[0]["fonds"] = "VPUB"        # line 2: another fonds than the page's
    rows[2]["doc_type"] = "99"        # line 4
    data = zip_bytes({"manifest.csv": manifest_text(rows), **files})
    upload(browser, data, "loi.zip")
    run_jobs(wsgi)
    card = job_cards(browser.get("/fonds/SNV/import"))[0]
    assert card.find(class_="job-refused") is not None
    problems = [li.text for li in card.find(class_="job-problems").find_all("li")]
    assert problems[0].startswith("dòng 2:") and "chỉ nhập vào phông SNV" in problems[0]
    assert problems[1].startswith("dòng 4:") and "doc_type" in problems[1]
    from conftest import read_root

    assert read_root(wsgi, lambda root: "000.00.17.H17.2019.81.SH" in root["fonds"]["SNV"].file_codes) is False


@pytest.mark.parametrize("entries, symlinks, message", [
    ({"manifest.csv": b"fonds,file\n", "../evil.png": b"x"}, (), "\"..\""),
    ({"manifest.csv": b"fonds,file\n", "/etc/evil.png": b"x"}, (), "đường dẫn tuyệt đối"),
    ({"manifest.csv": b"fonds,file\n"}, (("scan.png", "/etc/passwd"),), "liên kết tượng trưng"),
    ({"manifest.csv": b"fonds,file\n", "bomb.bin": b"\0" * (4 * 1024 * 1024)}, (), "bom ZIP"),
    ({"manifest.csv": b"fonds,file\n", **{f"{i}.png": b"x" for i in range(45)}}, (), "quá nhiều mục"),
    ({"other.csv": b"fonds,file\n"}, (), "manifest.csv ở thư mục gốc"),
], ids=["dotdot", "absolute", "symlink", "bomb", "entries", "no-manifest"])
def test_a_malicious_zip_is_refused_at_once(web, entries, symlinks, message):
    wsgi, browser = web
    from conftest import read_root

    def import_jobs(root):
        return len(root.import_jobs)

    before = read_root(wsgi, import_jobs)
    page = upload(browser, zip_bytes(entries, symlinks))
    assert page.status_int == 200
    assert message in page.html.find(id="import").text or message in page.text
    assert read_root(wsgi, import_jobs) == before
    assert os.listdir(os.path.join(wsgi.registry.settings["archive.upload_tmp"], "imports")) == []


def test_not_a_zip_is_refused(web):
    wsgi, browser = web
    page = upload(browser, b"%PDF-1.4 not a zip", "scan.zip")
    assert "không phải là tệp ZIP" in page.text


def test_the_readme_example_manifest_imports(archive, tmp_path):
    app_dir, ini = archive
    with open(os.path.join(PROJECT, "README.md"), encoding="utf-8") as fh:
        readme = fh.read()
    section = readme[readme.index("## Bulk import"):]
    example = re.search(r"```csv\n(.*?)```", section, re.S).group(1)
    (tmp_path / "manifest.csv").write_text(example, encoding="utf-8")
    for row in csv.DictReader(io.StringIO(example)):
        path = tmp_path / row["file"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(make_pdf(1, row["subject"]) if path.suffix == ".pdf" else small_png(row["file"]))
    code, out, err = run_import(ini, tmp_path)
    assert code == 0, out + err
    assert "Đã nhập 3 tệp, bỏ qua 0 tệp đã có (tạo 1 hồ sơ mới)" in out


def test_line_numbers_count_quoted_cells_that_span_lines_and_a_semicolon_header():
    from archive.imports.manifest import parse_csv

    text = 'fonds,title,file\nSNV,"Hồ sơ\ncó hai dòng",a.pdf\n\nSNV,x,b.pdf\n'
    header, rows = parse_csv(text)
    assert header == ["fonds", "title", "file"]
    assert [line for line, _cells in rows] == [2, 5]
    header, rows = parse_csv("fonds;title;file\nSNV;Hồ sơ, năm 2019;a.pdf\n")
    assert rows == [(2, ["SNV", "Hồ sơ, năm 2019", "a.pdf"])]


def test_an_interrupted_import_is_finished_by_running_it_again(archive, tmp_path):
    """As if the first run had stopped after three files (one of them the
    first page of a two-page document): the second run imports the rest and
    puts the second page into the same document."""
    app_dir, ini = archive
    rows = []
    for i in range(6):
        (tmp_path / f"{i}.png").write_bytes(small_png(f"resume {i}"))
        rows.append({**dossier_fields(90), **record_fields(i), "doc_key": "", "file": f"{i}.png"})
    rows[2].update(record_fields(2), doc_key="two-pages")
    rows[3].update(record_fields(2), doc_key="two-pages")
    write_manifest(tmp_path, rows[:3])
    assert run_import(ini, tmp_path)[0] == 0
    write_manifest(tmp_path, rows)
    from archive.scripts.importer import main

    out = io.StringIO()
    assert main([ini, str(tmp_path), "--check"], out=out, err=io.StringIO()) == 0
    assert "manifest.csv hợp lệ: 6 dòng; sẽ nhập 3 tệp, bỏ qua 3 tệp đã có." in out.getvalue()
    code, out, err = run_import(ini, tmp_path)
    assert code == 0, out + err
    assert "Đã nhập 3 tệp, bỏ qua 3 tệp đã có (tạo 0 hồ sơ mới)" in out

    db = open_db(app_dir)
    try:
        conn = db.open()
        fonds = conn.root()["archive"]["fonds"]["SNV"]
        dossier = fonds[fonds.file_codes["000.00.17.H17.2019.90.SH"]]
        assert sorted(len(record) for record in dossier.values()) == [1, 1, 1, 1, 2]
        assert [r.ordinal for r in dossier.records()] == [1, 2, 3, 4, 5]
        conn.close()
    finally:
        db.close()


def test_the_api_takes_a_zip_and_the_job_reports_the_counts(web):
    from webtest import TestApp

    from conftest import Api, api_token

    wsgi, _browser = web
    client = TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    api = Api(client, api_token(client, "lan", "password-123"))
    files = {f"{i}.png": small_png(f"api {i}") for i in range(3)}
    rows = [{**dossier_fields(82), **record_fields(i), "file": f"{i}.png"} for i in range(3)]
    data = zip_bytes({"manifest.csv": manifest_text(rows), **files})
    response = client.post("/api/v1/fonds/SNV/imports", upload_files=[("file", "api.zip", data)],
                           headers=api.headers, status=202)
    job_id = response.json["job_id"]
    assert response.json["status_url"].endswith(f"/api/v1/jobs/{job_id}")
    run_jobs(wsgi)
    result = api.get(f"/api/v1/jobs/{job_id}").json
    assert result["state"] == "done"
    assert {k: result["result"][k] for k in ("total", "imported", "skipped", "refused")} == \
        {"total": 3, "imported": 3, "skipped": 0, "refused": False}
    bad = client.post("/api/v1/fonds/SNV/imports",
                      upload_files=[("file", "x.zip", zip_bytes({"../x.png": b"x"}))],
                      headers=api.headers, status=422)
    assert "\"..\"" in bad.json["error"]["message"]
