"""End to end in a real browser: Playwright drives Debian's chromium against a
real ``pserve`` (tests/live.py) on a temporary FileStorage.

An archivist's day in one test: log in, create a fonds and a dossier, add a
document with a scanned 3-page PDF (sent by static/archive.js through XHR with
a progress bar), view it inline, download it byte-identical, close the
dossier, and find that nothing in it can be changed any more: not through the
UI, not by going to the URLs, not by submitting a form left open in another
tab, not by POSTing directly.

No browser is downloaded: ``make test`` installs Debian's chromium
(``debs-test``) and Playwright launches it by path.  The screenshots it takes
(add-record.png, record.png, dossier-closed.png) stay in the test's tmp dir.
"""
import hashlib
import os
import re
import unicodedata

import pytest

from conftest import make_pdf
from live import ADMIN_PASSWORD, LiveServer

CHROMIUM = os.environ.get("ARCHIVE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TIMEOUT_MS = 20_000             # one action or assertion
NAVIGATION_TIMEOUT_MS = 60_000  # a page load or an upload

FONDS = {"code": "SNV", "name": "Sở Nội vụ tỉnh Đắk Nông", "organ_id": "000.00.17.H17"}
DOSSIER = {"year": "2024", "notation": "01.TCCB", "retention": "10",
           "title": "Hồ sơ tuyển dụng công chức năm 2024 – Phòng Tổ chức cán bộ",
           "start_date": "05/01/2024", "end_date": "30/06/2024"}
FILE_CODE = "000.00.17.H17.2024.01.TCCB"
DOC_CODE = FILE_CODE + ".0000001"
RECORD = {"number": "504", "notation": "QĐ-SNV", "issued_date": "15/03/2024",
          "issuer": "Sở Nội vụ tỉnh Đắk Nông", "signer": "Giám đốc Nguyễn Văn Hưởng",
          "subject": "Quyết định công nhận kết quả tuyển dụng công chức năm 2024"}
PDF_NAME = unicodedata.normalize("NFC", "Quyết định số 504 – tuyển dụng.pdf")
PDF_NAME_RFC5987 = "Quy%E1%BA%BFt%20%C4%91%E1%BB%8Bnh%20s%E1%BB%91%20504"


@pytest.fixture
def server(tmp_path):
    live = LiveServer(tmp_path).start()
    yield live
    live.stop()


@pytest.fixture
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make debs-test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # launch() gives every run a fresh, temporary user-data dir
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class BrowserLog:
    """Everything the browser complains about: console errors (a CSP block, a
    missing static file), uncaught exceptions, failed requests to the server.

    Not complaints: the request for a download or an inline PDF, which
    chromium aborts on purpose once the download manager or the PDF viewer
    takes the stream over; the viewer's own chrome-extension:// requests; and
    ``/favicon.ico``, which the PDF viewer's tab asks for (our HTML pages
    declare an empty icon and fetch none)."""

    def __init__(self, context, base_url):
        self.base_url = base_url
        self.entries = []
        context.on("console", self._console)
        context.on("weberror", lambda error: self.entries.append(f"pageerror: {error.error}"))
        context.on("requestfailed", self._failed)
        context.on("response", self._response)

    def _console(self, message):
        if message.type in ("error", "assert"):
            where = message.location.get("url", "")
            if not where.endswith("/favicon.ico"):
                self.entries.append(f"console.{message.type}: {message.text} @ {where}")

    def _failed(self, request):
        if not request.url.startswith(self.base_url):
            return
        if (request.failure == "net::ERR_ABORTED" and request.resource_type == "document"
                and request.url.endswith(("/download", "/inline"))):
            return
        self.entries.append(f"requestfailed: {request.url} {request.failure}")

    def _response(self, response):
        if (response.status >= 400 and response.request.resource_type != "document"
                and not response.url.endswith("/favicon.ico")):
            self.entries.append(f"{response.status} {response.request.resource_type} {response.url}")

    def take(self):
        entries, self.entries = self.entries, []
        return entries


@pytest.fixture
def context(browser, server):
    context = browser.new_context(locale="vi-VN", accept_downloads=True,
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    context.log = BrowserLog(context, server.url)
    yield context
    context.close()


def test_archivist_files_views_downloads_and_closes(server, context, tmp_path):
    from playwright.sync_api import expect

    base = server.url
    page = context.new_page()

    # -- log in: an anonymous visitor is sent to the login form
    page.goto(base + "/")
    page.wait_for_url(re.compile(r"/login\?next="))
    page.fill("form#login input[name=login]", "admin")
    page.fill("form#login input[name=password]", ADMIN_PASSWORD)
    page.click("form#login button[name=submit]")
    page.wait_for_url(base + "/")
    expect(page.locator("#current-user")).to_be_visible()

    # -- a fonds
    page.goto(base + "/fonds/")
    page.click("#add-fonds")
    page.wait_for_url(base + "/fonds/add")
    for name, value in FONDS.items():
        page.fill(f"form#deform [name={name}]", value)
    page.click("form#deform button[name=save]")
    page.wait_for_url(base + "/fonds/SNV/")
    expect(page.locator("h1")).to_have_text(FONDS["name"])
    expect(page.locator(".alert-success")).to_have_text("Đã tạo phông.")

    # -- a dossier; its organ_id comes from the fonds, its file code is computed
    page.click("#add-dossier")
    page.wait_for_url(base + "/fonds/SNV/add-dossier")
    expect(page.locator("form#deform [name=organ_id]")).to_have_value(FONDS["organ_id"])
    for name, value in DOSSIER.items():
        page.fill(f"form#deform [name={name}]", value)
    page.click("form#deform button[name=save]")
    page.wait_for_selector("#file-code")
    dossier_url = page.url
    expect(page.locator("#file-code")).to_have_text(FILE_CODE)
    expect(page.locator("h1")).to_have_text(DOSSIER["title"])
    expect(page.locator(".alert-success")).to_contain_text(FILE_CODE)
    expect(page.locator("#doc-total")).to_have_text("0")
    # a form left open in a second tab, to be sent after the dossier is closed
    stale = context.new_page()
    stale.goto(dossier_url + "edit")
    stale.fill("form#deform [name=title]", "Sửa sau khi đã đóng")

    # -- a document with a scanned 3-page PDF, sent by archive.js through XHR
    pdf = make_pdf(3)
    sha256 = hashlib.sha256(pdf).hexdigest()
    pdf_path = tmp_path / PDF_NAME
    pdf_path.write_bytes(pdf)
    page.click("#add-record")
    page.wait_for_url(dossier_url + "add-record")
    page.select_option("form#record select[name=doc_type]", "02")
    for name, value in RECORD.items():
        page.fill(f"form#record [name={name}]", value)
    page.set_input_files("form#record input[type=file][name=file]", str(pdf_path))
    page.screenshot(path=str(tmp_path / "add-record.png"), full_page=True)
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/add-record")) as sent:
        page.click("form#record button[name=save]")
    assert sent.value.resource_type == "xhr"  # archive.js took the form, not a plain submit
    page.wait_for_selector("#doc-code", timeout=NAVIGATION_TIMEOUT_MS)
    record_url = page.url
    assert record_url.startswith(dossier_url) and record_url != dossier_url
    expect(page.locator("#doc-code")).to_have_text(DOC_CODE)
    expect(page.locator("h1")).to_have_text(RECORD["subject"])
    expect(page.locator(".alert-success")).to_contain_text(DOC_CODE)
    row = page.locator("#files tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(0)).to_have_text(PDF_NAME)
    expect(row.locator("td").nth(1)).to_have_text("application/pdf")
    expect(row.locator("code")).to_have_text(sha256)
    page.screenshot(path=str(tmp_path / "record.png"), full_page=True)
    assert context.log.take() == []

    # -- view inline: chromium opens the PDF in a new tab, in its own viewer
    inline_url = page.get_attribute("#files a.view-inline", "href")
    with context.expect_page() as popup_info, \
            context.expect_event("response", lambda r: r.url == inline_url) as response_info:
        page.click("#files a.view-inline")
    popup = popup_info.value
    seen = response_info.value  # the headers the browser itself was sent
    assert seen.status == 200
    assert seen.headers["content-type"] == "application/pdf"
    assert seen.headers["content-disposition"].startswith("inline;")
    assert PDF_NAME_RFC5987 in seen.headers["content-disposition"]
    assert seen.headers["x-content-type-options"] == "nosniff"
    popup.wait_for_load_state()
    assert popup.url == inline_url
    assert popup.evaluate("document.contentType") == "application/pdf"
    popup.close()
    # the viewer keeps the bytes to itself: read the same URL with the browser's session
    inline = context.request.get(inline_url)
    assert inline.status == 200
    assert inline.headers["content-disposition"].startswith("inline;")
    assert inline.body() == pdf

    # -- download through the link: the same bytes, the Vietnamese name
    with page.expect_download() as download_info:
        page.click("#files a.download")
    download = download_info.value
    assert download.failure() is None
    assert unicodedata.normalize("NFC", download.suggested_filename) == PDF_NAME
    with open(download.path(), "rb") as fh:
        downloaded = fh.read()
    assert downloaded == pdf
    assert hashlib.sha256(downloaded).hexdigest() == page.text_content("#files code").strip()

    # -- the dossier counts the document and its pages
    page.click(f"nav .breadcrumb a:text-is('{FILE_CODE}')")
    page.wait_for_url(dossier_url)
    expect(page.locator("#doc-total")).to_have_text("1")
    expect(page.locator("#page-total")).to_have_text("3")
    expect(page.locator("#records tbody tr")).to_have_count(1)
    expect(page.locator("#records tbody tr a")).to_have_text(RECORD["subject"])

    # -- close it: archive.js asks first, and "cancel" changes nothing
    dialogs = []

    def answer(accept):
        def handle(dialog):
            dialogs.append((dialog.type, dialog.message))
            dialog.accept() if accept else dialog.dismiss()
        return handle

    page.once("dialog", answer(False))
    page.click("#close-dossier")
    page.reload()
    expect(page.locator("#close-dossier")).to_be_visible()
    expect(page.locator("#closed-badge")).to_have_count(0)
    page.once("dialog", answer(True))
    page.click("#close-dossier")
    page.wait_for_selector("#closed-badge", timeout=NAVIGATION_TIMEOUT_MS)
    assert [kind for kind, _message in dialogs] == ["confirm", "confirm"]
    assert dialogs[0][1].startswith("Đóng hồ sơ này?")
    expect(page.locator(".alert-success")).to_contain_text("Đã đóng hồ sơ")

    # -- read-only now: no button to edit, add or close, the closed badge
    for selector in ("#edit-dossier", "#add-record", "#close-dossier"):
        expect(page.locator(selector)).to_have_count(0)
    expect(page.locator("#closed-badge")).to_be_visible()
    expect(page.locator("#records tbody tr")).to_have_count(1)
    assert page.evaluate("getComputedStyle(document.querySelector('nav.navbar')).backgroundColor") \
        == "rgb(33, 37, 41)"  # Bootstrap's .bg-dark: the stylesheet is there
    page.screenshot(path=str(tmp_path / "dossier-closed.png"), full_page=True)
    page.goto(record_url)
    expect(page.locator("#doc-code")).to_be_visible()
    expect(page.locator("#edit-record")).to_have_count(0)
    expect(page.locator("#more-files")).to_have_count(0)
    expect(page.locator("#files a.download")).to_have_count(1)  # still readable
    assert context.log.take() == []

    # -- not by going to the URLs: the UI's 403 page, no form
    for url in (dossier_url + "edit", dossier_url + "add-record", record_url + "edit"):
        response = page.goto(url)
        assert response.status == 403, url
        expect(page.locator("#error-message")).to_have_text("Bạn không có quyền thực hiện thao tác này.")
        expect(page.locator("form#deform, form#record")).to_have_count(0)

    # -- not with the form left open in the other tab
    with stale.expect_response(lambda r: r.request.method == "POST") as answered:
        stale.click("form#deform button[name=save]")
    assert answered.value.status == 403
    expect(stale.locator("#error-message")).to_be_visible()
    stale.close()
    # the only complaints so far: the 403 pages themselves
    assert all("status of 403" in entry for entry in context.log.take())

    # -- not by POSTing, with a valid CSRF token and the browser's session
    token = page.get_attribute("input[name=csrf_token]", "value")
    fields = {"csrf_token": token, "save": "save"}
    one_page = {"mimeType": "application/pdf", "buffer": make_pdf(1)}
    refused = [
        context.request.post(dossier_url + "edit", form=dict(
            fields, notation="99.XX", title="Đổi tên", retention="5")),
        context.request.post(dossier_url + "add-record", multipart=dict(
            fields, doc_type="02", issued_date="01/04/2024", issuer="X", subject="Thêm trộm",
            file=dict(one_page, name="b.pdf"))),
        context.request.post(dossier_url + "close", form={"csrf_token": token}),
        context.request.post(record_url + "edit", form=dict(
            fields, doc_type="01", issued_date="01/04/2024", issuer="X", subject="Sửa trộm")),
        context.request.post(record_url + "add-files", multipart={
            "csrf_token": token, "file": dict(one_page, name="c.pdf")}),
    ]
    assert [r.status for r in refused] == [403] * len(refused), [r.url for r in refused]
    assert all("không có quyền" in r.text() for r in refused)  # refused, not a CSRF failure

    # -- and nothing changed
    page.goto(dossier_url)
    expect(page.locator("h1")).to_have_text(DOSSIER["title"])
    expect(page.locator("#doc-total")).to_have_text("1")
    expect(page.locator("#page-total")).to_have_text("3")
    expect(page.locator("#closed-badge")).to_be_visible()
    page.goto(record_url)
    expect(page.locator("h1")).to_have_text(RECORD["subject"])
    expect(page.locator("#files tbody tr")).to_have_count(1)
    assert context.request.get(inline_url.rsplit("/", 1)[0] + "/download").body() == pdf
    assert context.log.take() == []


def test_the_menu_folds_behind_a_button_on_a_narrow_screen(server, browser, tmp_path):
    """Ten menu entries for an administrator: on a phone-sized screen they
    fold behind the menu button, which opens them (Bootstrap's collapse)."""
    from playwright.sync_api import expect

    context = browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844})
    context.set_default_timeout(TIMEOUT_MS)
    log = BrowserLog(context, server.url)
    try:
        page = context.new_page()
        page.goto(server.url + "/login")
        page.fill("form#login input[name=login]", "admin")
        page.fill("form#login input[name=password]", ADMIN_PASSWORD)
        page.click("form#login button[name=submit]")
        page.wait_for_url(server.url + "/")
        search_link = page.locator("#main-menu a.nav-link", has_text="Tìm kiếm")
        expect(search_link).to_be_hidden()
        expect(page.locator(".navbar-toggler")).to_be_visible()
        page.click(".navbar-toggler")
        page.wait_for_selector("#main-menu.show")   # the opening transition is over
        expect(search_link).to_be_visible()
        expect(page.locator("#main-menu a.nav-link")).to_have_count(13)  # 10 entries, VI, EN, user
        page.screenshot(path=str(tmp_path / "menu.png"), full_page=True)
        search_link.click()
        page.wait_for_url(re.compile(r"/search"))
        assert log.take() == []
    finally:
        context.close()
