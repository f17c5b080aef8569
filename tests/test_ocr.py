"""OCR through the whole pipeline: upload -> "ocr" job (real worker, real
OCRmyPDF + Tesseract vie+eng) -> per-page text with confidence -> search.

Pages are rendered from Vietnamese text with DejaVu Sans at 300 dpi; the word
accuracy of the stored text is measured against that text.  One module-scoped
archive, three OCR runs (a two-page scan PDF, a page typed without tone marks,
a page in scripts the OCR languages do not cover), shared by every test.
"""
import contextlib
import difflib
import io
import re
import time
import unicodedata

import pytest

from conftest import (
    ADMIN_PASSWORD, DOSSIER, FONDS, RECORD, Api, api_token, close_app, login, make_app, make_user,
    read_root, run_jobs,
)
from live import poll, write_ini

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DPI = 300

PAGE_1 = """ỦY BAN NHÂN DÂN TỈNH ĐẮK NÔNG
SỞ NỘI VỤ
Quyết định về việc công nhận kết quả tuyển dụng công chức
Căn cứ Luật Cán bộ, công chức ngày 13 tháng 11 năm 2008;
Căn cứ Nghị định số 30/2020/NĐ-CP của Chính phủ về công tác văn thư;
Xét đề nghị của Trưởng phòng Tổ chức cán bộ, Sở Nội vụ tỉnh Đắk Nông.
Điều 1. Công nhận kết quả tuyển dụng đối với bà Nguyễn Thị Hương,
sinh ngày 12 tháng 5 năm 1990, quê quán xã Đắk Sôr, huyện Krông Nô."""

PAGE_2 = """Điều 2. Bà Nguyễn Thị Hương được bổ nhiệm vào ngạch chuyên viên,
làm việc tại phòng Văn thư lưu trữ, kể từ ngày ký quyết định này.
Điều 3. Chánh Văn phòng, Trưởng phòng Tổ chức cán bộ và các đơn vị
có liên quan chịu trách nhiệm thi hành quyết định này.
Nơi nhận: như Điều 3; lưu văn thư, hồ sơ công chức.
Giám đốc Sở Nội vụ ký tên và đóng dấu."""

# typed without tone marks, as many older forms were
PAGE_PLAIN = """Don xin cap ban sao ho so dat dai
Ong Tran Van Binh, thuong tru tai thon Nam Dong, xa Nam Dong, huyen Cu Jut,
de nghi cap ban sao giay chung nhan quyen su dung dat so BK 123456."""


def render_page(text, size=(2480, 3508), font_px=40, mode="RGB"):
    """An A4 page at 300 dpi with ``text`` in DejaVu Sans (about 10 pt)."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, font_px)
    image = Image.new(mode, size, "white")
    draw = ImageDraw.Draw(image)
    for line_no, line in enumerate(text.splitlines()):
        draw.text((180, 250 + line_no * int(font_px * 1.9)), line, fill="black", font=font)
    return image


def scan_pdf(*texts):
    images = [render_page(t) for t in texts]
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=DPI, save_all=True, append_images=images[1:])
    return out.getvalue()


def png(image, dpi=DPI):
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(dpi, dpi))
    return out.getvalue()


def foreign_script_page():
    """A clean page in scripts that vie+eng does not read (Cyrillic, Greek):
    Tesseract still finds words, with a low confidence (about 60)."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, 40)
    image = Image.new("L", (2480, 900), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(["Биên бảн бàн гиao хồ сơ лưу трữ", "Ψηφίσματα και αποφάσεις του δήμου",
                              "Протокол передачи архивных дел"]):
        draw.text((180, 150 + i * 90), line, fill=0, font=font)
    return png(image)


def words(text):
    text = unicodedata.normalize("NFC", text).lower()
    return re.findall(r"\w+", text)


def word_accuracy(reference, ocr):
    """Share of the reference's words found in order in the OCR text."""
    ref, got = words(reference), words(ocr)
    matcher = difflib.SequenceMatcher(a=ref, b=got, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    return matched / len(ref)


@contextlib.contextmanager
def ocr_app(tmp_path_factory, name, **settings):
    """An application whose uploads queue OCR jobs (off in testing.ini)."""
    app_dir = tmp_path_factory.mktemp(name)
    write_ini(app_dir, dict({"archive.ocr.auto": "true"}, **settings))
    wsgi = make_app(app_dir)
    try:
        yield wsgi
    finally:
        close_app(wsgi)


class World:
    pass


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    # 70 is the default threshold, said aloud
    with ocr_app(tmp_path_factory, "ocr", **{"archive.ocr.review_threshold": "70"}) as wsgi:
        from webtest import TestApp

        w = World()
        w.wsgi = wsgi
        client = TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        w.admin = admin = Api(client, api_token(client, "admin", ADMIN_PASSWORD))
        admin.post("/api/v1/fonds", FONDS)
        w.archivist = make_user(admin, "luutru", "archivist", [FONDS["code"]])
        w.official = make_user(admin, "canbo", "official", [FONDS["code"]])
        w.auditor = make_user(admin, "kiemtra", "auditor")
        w.dossier_id = admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", DOSSIER).json["id"]
        w.scan = scan_pdf(PAGE_1, PAGE_2)
        w.scan_record = w.archivist.file_record(w.dossier_id, RECORD, [("quyết định.pdf", w.scan)]).json
        w.plain_record = w.archivist.file_record(
            w.dossier_id, dict(RECORD, subject="Đơn xin cấp bản sao"),
            [("don.png", png(render_page(PAGE_PLAIN, size=(2480, 1200), mode="L")))]).json
        w.foreign_record = w.archivist.file_record(
            w.dossier_id, dict(RECORD, subject="Biên bản bàn giao"), [("bien-ban.png", foreign_script_page())]).json
        # the jobs were queued with the uploads
        pending = admin.get(f"/api/v1/records/{w.scan_record['id']}").json
        w.pending_status = pending["text_status"]
        started = time.monotonic()
        run_jobs(wsgi)
        w.ocr_seconds = time.monotonic() - started
        yield w


def record_text(api, record_id):
    return api.get(f"/api/v1/records/{record_id}/text").json


def search(api, query):
    return api.get("/api/v1/search", params={"q": query}).json


def found(api, query, record_id):
    return any(hit["id"] == record_id for hit in search(api, query)["hits"])


# --------------------------------------------------------------------------- text

def test_upload_queues_the_file_as_pending(world):
    assert world.pending_status == "pending"


def test_word_accuracy_of_clean_300_dpi_pages(world):
    text = record_text(world.archivist, world.scan_record["id"])
    (scan,) = text["files"]
    assert scan["text_status"] == "done" and scan["method"] == "ocr"
    pages = {p["number"]: p for p in scan["pages"]}
    assert sorted(pages) == [1, 2]
    accuracy = [word_accuracy(PAGE_1, pages[1]["text"]), word_accuracy(PAGE_2, pages[2]["text"])]
    ocr_pages = 4  # the two scan pages, the plain page, the foreign-script one
    print(f"\nword accuracy per page: {[round(a * 100, 1) for a in accuracy]} %;"
          f" OCR {world.ocr_seconds / ocr_pages:.1f} s per page (whole job, 3 files, 4 pages)")
    assert min(accuracy) >= 0.95, (accuracy, pages[1]["text"], pages[2]["text"])
    for page in pages.values():
        assert page["confidence"] > 85 and not page["flagged"] and not page["corrected"]
        assert page["machine_text"] == page["text"]


def test_scan_facts_recorded(world):
    scan = record_text(world.archivist, world.scan_record["id"])["files"][0]
    assert (scan["dpi"], scan["colour_depth"], scan["colour_mode"], scan["page_count"]) == \
        (300, 24, "colour", 2)
    plain = record_text(world.archivist, world.plain_record["id"])["files"][0]
    assert (plain["dpi"], plain["colour_depth"], plain["colour_mode"], plain["page_count"]) == \
        (300, 8, "gray", 1)


def test_words_found_through_search(world):
    record_id = world.scan_record["id"]
    # words that are only on the scanned pages (not in the metadata)
    poll(lambda: found(world.official, "Nguyễn Thị Hương", record_id), 30)
    assert found(world.official, "ngạch chuyên viên", record_id)
    assert found(world.official, "nguyen thi huong", record_id)  # folded query, accented page


def test_page_without_tone_marks_found_without_tone_marks(world):
    record_id = world.plain_record["id"]
    poll(lambda: found(world.official, "ban sao ho so dat dai", record_id), 30)
    assert found(world.official, "Tran Van Binh", record_id)


def test_low_confidence_page_flagged(world):
    (foreign,) = record_text(world.archivist, world.foreign_record["id"])["files"]
    (page,) = foreign["pages"]
    assert page["confidence"] is not None and page["confidence"] < 70, page
    assert page["flagged"] and page["needs_review"]
    assert foreign["flagged_pages"] == [1]


# --------------------------------------------------------------------------- API

def test_record_json_has_text_status_roles_and_source(world):
    from test_openapi import check_answer

    from archive.views.api.spec import load_spec

    response = world.official.get(f"/api/v1/records/{world.scan_record['id']}")
    check_answer(load_spec(), "GET", "/api/v1/records/{id}", response)
    record = response.json
    assert record["text_status"] == "done"
    roles = {f["role"]: f for f in record["files"]}
    assert set(roles) == {"original", "rendition"}
    original, rendition = roles["original"], roles["rendition"]
    assert original["text_status"] == "done" and "source" not in original
    assert rendition["source"] == original["id"] and rendition["text_status"] == "not_needed"
    assert rendition["media_type"] == "application/pdf" and rendition["page_count"] == 2
    assert record["page_count"] == 2  # renditions are not counted twice


def test_text_api_answers_its_schema_and_permission(world):
    from test_openapi import check_answer

    from archive.views.api.spec import load_spec

    url = f"/api/v1/records/{world.scan_record['id']}/text"
    response = world.official.get(url)
    check_answer(load_spec(), "GET", "/api/v1/records/{id}/text", response)
    assert response.json["files"][0]["rendition_status"] == "done"
    world.auditor.get(url, status=403)   # the auditor reads metadata, not contents
    one = world.official.get(url, params={"start": 1, "size": 1}).json["files"][0]
    assert [p["number"] for p in one["pages"]] == [2] and one["page_total"] == 2


def test_original_unchanged(world):
    import hashlib

    record = world.admin.get(f"/api/v1/records/{world.scan_record['id']}").json
    original = next(f for f in record["files"] if f["role"] == "original")
    body = world.admin.get(f"/api/v1/files/{original['id']}").body
    assert hashlib.sha256(body).hexdigest() == original["sha256"] == hashlib.sha256(world.scan).hexdigest()


# --------------------------------------------------------------------------- corrections

def test_archivist_corrects_a_page_kept_beside_the_machine_text(world):
    from webtest import TestApp

    record_id = world.foreign_record["id"]
    file_id = world.foreign_record["files"][0]["id"]
    machine = record_text(world.admin, record_id)["files"][0]["pages"][0]["machine_text"]
    browser = TestApp(world.wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    login(browser, "luutru", "password-123")
    record_url = f"/fonds/{FONDS['code']}/{world.dossier_id}/{record_id}"
    page = browser.get(record_url + "/text")
    assert "cần kiểm tra" in page.text and "correct-link" in page.text
    form_page = browser.get(record_url + "/correct-page", params={"file": file_id, "n": 1})
    form = form_page.forms["correct-page"]
    corrected = "Biên bản bàn giao hồ sơ lưu trữ của Ủy ban nhân dân xã Quảng Khê"
    form["text"] = corrected
    form["note"] = "Đọc lại từ bản giấy"
    answer = form.submit("save")
    assert answer.status_int == 303
    after = answer.follow()
    assert "Đã lưu bản sửa trang 1." in after.text and "Quảng Khê" in after.text
    page = record_text(world.admin, record_id)["files"][0]["pages"][0]
    assert page["text"] == corrected and page["corrected"] and not page["needs_review"]
    assert page["machine_text"] == machine  # both kept
    (correction,) = page["corrections"]
    assert correction["by"] == "luutru" and correction["note"] == "Đọc lại từ bản giấy"
    # re-indexed: the corrected words are found
    poll(lambda: found(world.official, "Quảng Khê", record_id), 30)
    # journaled, with who
    entries = read_root(world.wsgi, lambda root: [e for e in root.journal.entries.values()
                                                  if e.get("action") == "digitise.correct"])
    assert [e["login"] for e in entries] == ["luutru"]


def test_official_may_not_correct(world):
    from webtest import TestApp

    record_id = world.foreign_record["id"]
    file_id = world.foreign_record["files"][0]["id"]
    browser = TestApp(world.wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    login(browser, "canbo", "password-123")
    record_url = f"/fonds/{FONDS['code']}/{world.dossier_id}/{record_id}"
    assert "correct-link" not in browser.get(record_url + "/text").text
    browser.get(record_url + "/correct-page", params={"file": file_id, "n": 1}, status=403)


def test_correction_through_the_api(world):
    from test_openapi import check_answer

    from archive.views.api.spec import load_spec

    spec = load_spec()
    scan_file = world.scan_record["files"][0]["id"]
    url = f"/api/v1/files/{scan_file}/pages/2"
    body = {"text": PAGE_2 + "\nBản sao y bản chính.", "note": "Thêm dòng cuối"}
    answer = world.archivist.put(url, body)
    check_answer(spec, "PUT", "/api/v1/files/{id}/pages/{n}", answer)
    assert answer.json["text"].endswith("Bản sao y bản chính.") and answer.json["corrected"]
    world.official.put(url, body, status=403)
    refused = world.archivist.put(url, dict(body, extra=1), status=422)
    check_answer(spec, "PUT", "/api/v1/files/{id}/pages/{n}", refused)
    world.archivist.put(f"/api/v1/files/{scan_file}/pages/7", body, status=404)
    page = record_text(world.official, world.scan_record["id"])["files"][0]["pages"][1]
    assert page["corrected"] and word_accuracy(PAGE_2, page["machine_text"]) >= 0.95
    # a closed dossier is read-only: no correction either
    world.admin.post(f"/api/v1/dossiers/{world.dossier_id}/close", status=200)
    closed = world.archivist.put(url, {"text": "khác"}, status=409)
    check_answer(spec, "PUT", "/api/v1/files/{id}/pages/{n}", closed)
