"""Every registered view and API route, with every role: exactly what the role allows.

The table ``CASES`` below says, for each view of the UI (traversal: context
class + view name + request method) and each route of the API (route name +
method), which identities may use it on which object of a small fixture
archive, and what an allowed call answers.  Everybody else is refused:

* the UI answers an anonymous visitor with a 303 to ``/login?next=...`` and a
  logged-in user with 403;
* the API answers 401 (with ``WWW-Authenticate: Bearer``) without a token and
  403 with one;
* an object that does not exist is 404 for everybody.

The registry is introspected so that a view added later without a row here,
a row left for a view that is gone, or a view registered without a permission
makes the suite fail.

Identities: ``admin``, an ``archivist`` and an ``official`` granted fonds A,
an ``auditor``, an archivist and an official granted only fonds B
(``archivist_b``, ``official_b``) and ``anonymous``.

Fixture archive (built through the API): fonds A (``SNV``) holds an open
dossier, a closed dossier and a classified (access 03) dossier, each with one
document and one PDF; fonds B (``VPUB``) holds nothing.  Calls that change
state act on objects made for that one call (a fresh dossier to close, a fresh
token to revoke, a new login...), so that the order of the rows never matters.
"""
import itertools
import json
import re
from dataclasses import dataclass
from typing import Callable, Optional

import pytest
from pyramid.interfaces import IException
from webtest import TestApp

from conftest import (
    ADMIN_PASSWORD, DOSSIER, FONDS, PASSWORD, RECORD, Api, api_token, login, make_pdf, make_user,
    module_app,
)

# --------------------------------------------------------------------------- identities

ADMIN, ARCH, OFF, AUD = "admin", "archivist", "official", "auditor"
ARCH_B, OFF_B, ANON = "archivist_b", "official_b", "anonymous"
IDENTITIES = (ADMIN, ARCH, OFF, AUD, ARCH_B, OFF_B, ANON)

EVERYONE = frozenset(IDENTITIES)
LOGGED_IN = EVERYONE - {ANON}
NOBODY = frozenset()
READ_A = frozenset({ADMIN, ARCH, OFF, AUD})        # metadata in fonds A
READ_SECRET_A = frozenset({ADMIN, ARCH, AUD})      # access 03: officials do not see it
EDIT_A = frozenset({ADMIN, ARCH})                  # create and change in fonds A
DOWNLOAD_A = frozenset({ADMIN, ARCH, OFF})         # the auditor downloads no file
DOWNLOAD_SECRET_A = frozenset({ADMIN, ARCH})
READ_B = frozenset({ADMIN, AUD, ARCH_B, OFF_B})
EDIT_B = frozenset({ADMIN, ARCH_B})
ADMIN_ONLY = frozenset({ADMIN})
REPORTERS = frozenset({ADMIN, AUD})
JOBS = frozenset({ADMIN, ARCH, ARCH_B})           # the job queue (issue 4)
JOB_OF_A_HIDDEN = {ARCH_B: 404}   # a job of fonds A: archivist B may not know it exists

FONDS_A = FONDS["code"]
FONDS_B = {"code": "VPUB", "name": "Văn phòng UBND tỉnh Đắk Nông", "organ_id": "H17.1.2"}
VICTIM = "victim"   # an account changed by the user-administration rows

PDF = make_pdf(1, "Tài liệu thử quyền")
_serial = itertools.count(1)


def unique(prefix):
    return f"{prefix}{next(_serial)}"


# --------------------------------------------------------------------------- request bodies
# Allowed calls must really succeed, so the bodies are valid and unique.

def fonds_json(world):
    return {"code": unique("F"), "name": "Phông thử quyền", "organ_id": "000.00.17.H17"}


def dossier_json(world):
    return {"notation": unique("P") + ".KT", "title": "Hồ sơ thử quyền", "retention": 10}


def user_json(world):
    return {"login": unique("u"), "password": PASSWORD, "role": "official", "fonds": []}


def user_change_json(world):
    return {"name": unique("Người dùng thử ")}


def token_json(world):
    return {"login": VICTIM, "password": PASSWORD}


def record_metadata(world):
    return {"metadata": json.dumps(RECORD)}


def fonds_form(world):
    return {"code": unique("G"), "name": "Phông thử quyền", "organ_id": "H17.1.2"}


def dossier_form(world):
    return {"notation": unique("Q") + ".KT", "title": "Hồ sơ thử quyền", "retention": "10"}


def record_form(world):
    return {"doc_type": "02", "issued_date": "15/03/2024", "issuer": "Sở Nội vụ",
            "subject": "Quyết định thử quyền"}


def user_form(world):
    return {"login": unique("v"), "password": PASSWORD, "role": "official", "name": "Cán bộ thử",
            "active": "true"}


def user_edit_form(world):
    return {"name": unique("Nạn nhân "), "role": "official", "active": "true"}


def token_label_form(world):
    return {"label": unique("Hệ thống một cửa ")}


def unknown_token_key(world):
    return {"key": "0" * 64}


def wrong_password_form(world):
    return {"current_password": "not-the-password", "__start__": "new_password:mapping",
            "new_password": "new-password-1", "new_password-confirm": "new-password-1",
            "__end__": "new_password:mapping"}


def no_body(world):
    return {}


def correction_form(world):   # ocr (issue 4)
    return {"text": unique("Quyết định công nhận kết quả tuyển dụng "), "note": ""}


def report_form(world):   # reports (issue 5)
    return {"kind": "statistics", "fonds": "", "year": "", "format": "csv"}


def batch_form(world):   # conversion batches (issue 4)
    return {"title": unique("Đợt số hóa "), "notes": ""}


def batch_item_form(world):
    return {"paper_file_code": unique("LTCQ.K1/H"), "title": "Hồ sơ giấy thử quyền"}


def batch_step_form(world):   # an item that is not in the batch: refused by name
    return {"item": "not-an-item", "to": "scanned", "pages": "3"}


def batch_reject_form(world):
    return {"item": "not-an-item", "reason": "thử"}


def shows(text):   # imports (issue 4): the page answered shows ``text``
    def check(response, client):
        assert text in response.text, response.text[:1500]
    return check


DISPOSAL_LIST = frozenset({ADMIN, AUD, ARCH, ARCH_B})   # disposal (issue 5): /disposals/
DISPOSAL_READ = frozenset({ADMIN, AUD, ARCH})           # a disposal of fonds A


def expired_dossier(world):   # disposal (issue 5): a closed dossier of fonds A, due since 2016
    dossier_id = world.admin.post(f"/api/v1/fonds/{FONDS_A}/dossiers", dict(
        DOSSIER, notation=unique("H") + ".HUY", year=2010, retention=5,
        start_date="2010-01-05", end_date="2010-06-30")).json["id"]
    world.admin.post(f"/api/v1/dossiers/{dossier_id}/close", status=200)
    return dossier_id


def propose_json(world):
    return {"title": "Danh mục thử quyền", "dossiers": [expired_dossier(world)]}


def review_metadata(world):
    return {"metadata": json.dumps({"review_date": "2026-03-02", "council_note": "Nhất trí"})}


def approve_json(world):
    return {"decision_number": unique("QĐ-"), "decision_date": "2026-03-10"}


def reject_json(world):
    return {"reason": "Còn giá trị"}


def disposal_fixture(world, state):
    """A disposal of fonds A proposed by the archivist (so that the
    administrator may approve it), brought to ``state``."""
    arch = world.apis[ARCH]
    disposal = arch.post(f"/api/v1/fonds/{FONDS_A}/disposals", propose_json(world)).json
    if state in ("reviewed", "approved"):
        disposal = arch.app.post(f"/api/v1/disposals/{disposal['id']}/review",
                                 params=review_metadata(world),
                                 upload_files=[("file", "biên bản.pdf", PDF)],
                                 headers=arch.headers).json
    if state == "approved":
        world.admin.post(f"/api/v1/disposals/{disposal['id']}/approve", approve_json(world),
                         status=200)
    return disposal


# transfer (issue 5)
def transfer_none_form(world):
    return {"nothing": ""}


def transfer_receipt_form(world):
    import datetime

    return {"receipt_number": unique("BB-"), "receipt_date": datetime.date.today().strftime("%d/%m/%Y")}


def transfer_cancel_form(world):
    return {"reason": "Thử quyền"}


def transfer_api_json(world):   # a fresh permanent dossier of fonds A, due since 2020
    return {"dossiers": [due_dossier(world)]}


# retention (issue 5)
def schedule_entry_json(world):
    return {"code": unique("90."), "title": "Mục thử quyền", "period": 10,
            "citation": "Thông tư 10/2022/TT-BNV, thử"}


def schedule_change_json(world):
    return {"note": unique("Ghi chú ")}


def schedule_entry_form(world):
    return {"code": unique("91."), "title": "Mục thử quyền", "period": "10",
            "citation": "Thông tư 10/2022/TT-BNV, thử"}


def held_dossier(world):   # a fresh open dossier of fonds A, to be put on hold
    return world.admin.post(f"/api/v1/fonds/{FONDS_A}/dossiers", dossier_json(world)).json


def hold_form(world):
    return {"dossiers": held_dossier(world)["file_code"], "kind": "complaint",
            "reference": unique("Đơn "), "reason": "Thử quyền"}


def hold_json(world):
    return {"dossiers": [held_dossier(world)["id"]], "kind": "inspection",
            "reference": unique("QĐ "), "reason": "Thử quyền"}


def release_form(world):
    return {"reason": "Thử quyền"}


# --------------------------------------------------------------------------- checks of success
# Some views answer 303 whether the service succeeded or not (the outcome is a
# flash message): for them the allowed call is followed and its message read.

def flashed(text):
    def check(response, client):
        page = response.follow()
        assert text in page.text, page.text[:1500]
    return check


def attachment(content_type):   # reports (issue 5)
    def check(response, client):
        assert response.content_type == content_type, response.content_type
        assert response.headers["Content-Disposition"].startswith("attachment")
    return check


def redirects_into(fragment):
    def check(response, client):
        assert fragment in response.headers["Location"], response.headers["Location"]
    return check


# --------------------------------------------------------------------------- the table

ANY = None  # a view registered without request_method answers every method


@dataclass(frozen=True)
class Case:
    kind: str                  # "ui", "api" or "static"
    view: tuple                # the registry's key of the view (see registered_views)
    url: str                   # template filled from World.names
    allowed: frozenset         # identities that get `ok`
    ok: int                    # status of an allowed call
    send: str = "GET"          # method actually sent
    body: Callable = no_body   # form fields / JSON body / multipart fields
    upload: bool = False       # add a PDF as part `file`
    denied: Optional[int] = None  # status of a refused logged-in identity, when not 403
    #                               (or {identity: status}, 403 for the others)
    missing: bool = False      # the object does not exist: 404 for everybody
    check: Optional[Callable] = None
    note: str = ""

    @property
    def id(self):
        if self.kind == "ui":
            where = f"{self.view[0]}/{self.view[1] or '(default)'}"
        else:
            where = self.view[1]
        return f"{self.kind} {where} {self.send} {self.note}".strip()


def ui(context, name, method, url, allowed, ok=200, send=None, **kw):
    return Case("ui", (context, name, method), url, allowed, ok,
                send=send or method or "GET", **kw)


def api(route, method, url, allowed, ok=200, **kw):
    return Case("api", ("route", route, method), url, allowed, ok, send=method, **kw)


def static(route, url):
    return Case("static", ("static", route), url, EVERYONE, 200)


CASES = [
    # ---- site ------------------------------------------------------------------------
    ui("ArchiveRoot", "", ANY, "/", LOGGED_IN),
    ui("ArchiveRoot", "login", ANY, "/login", EVERYONE),
    ui("ArchiveRoot", "logout", "POST", "/logout", EVERYONE, ok=303),
    ui("ArchiveRoot", "language", ANY, "/language?lang=vi", EVERYONE, ok=302),
    ui("ArchiveRoot", "favicon.ico", ANY, "/favicon.ico", EVERYONE, ok=204),
    ui("ArchiveRoot", "account", ANY, "/account", LOGGED_IN),
    ui("ArchiveRoot", "account-token", "POST", "/account-token", LOGGED_IN, body=token_label_form),
    ui("ArchiveRoot", "account-revoke", "POST", "/account-revoke", LOGGED_IN, ok=303,
       body=unknown_token_key, check=flashed("Không tìm thấy.")),
    ui("ArchiveRoot", "account-password", ANY, "/account-password", LOGGED_IN),
    ui("ArchiveRoot", "account-password", ANY, "/account-password", LOGGED_IN, send="POST",
       body=wrong_password_form, note="wrong current password"),
    ui("ArchiveRoot", "journal", ANY, "/journal", REPORTERS),
    ui("ArchiveRoot", "search", ANY, "/search", LOGGED_IN, note="empty"),
    ui("ArchiveRoot", "search", ANY, "/search?q=tuyen+dung&fonds={A_code}", LOGGED_IN,
       note="query"),
    # /go/<id>: any logged-in user may ask; an object they may not view is 404 (not 403),
    # so that the answer does not say whether the id exists
    ui("ArchiveRoot", "go", ANY, "/go/{open_id}", READ_A, ok=302, denied=404,
       check=redirects_into(f"/fonds/{FONDS_A}/"), note="open"),
    ui("ArchiveRoot", "go", ANY, "/go/{secret_id}", READ_SECRET_A, ok=302, denied=404,
       check=redirects_into(f"/fonds/{FONDS_A}/"), note="access-03"),
    ui("ArchiveRoot", "go", ANY, "/go/{secret.rec_id}", READ_SECRET_A, ok=302, denied=404,
       note="access-03 document"),
    ui("ArchiveRoot", "go", ANY, "/go/0123456789abcdef", NOBODY, denied=404, note="missing"),
    static("__static/", "/static/archive.css"),
    static("__deform-static/", "/deform-static/css/form.css"),
    # ---- fonds -----------------------------------------------------------------------
    ui("FondsContainer", "", ANY, "/fonds/", LOGGED_IN),
    ui("FondsContainer", "add", ANY, "/fonds/add", ADMIN_ONLY),
    ui("FondsContainer", "add", ANY, "/fonds/add", ADMIN_ONLY, ok=303, send="POST", body=fonds_form),
    ui("Fonds", "", ANY, "{A}/", READ_A, note="A"),
    ui("Fonds", "", ANY, "{B}/", READ_B, note="B"),
    ui("Fonds", "add-dossier", ANY, "{A}/add-dossier", EDIT_A, note="A"),
    ui("Fonds", "add-dossier", ANY, "{A}/add-dossier", EDIT_A, ok=303, send="POST",
       body=dossier_form, note="A"),
    ui("Fonds", "add-dossier", ANY, "{B}/add-dossier", EDIT_B, note="B"),
    # ---- dossiers --------------------------------------------------------------------
    ui("Dossier", "", ANY, "{open}/", READ_A, note="open"),
    ui("Dossier", "", ANY, "{closed}/", READ_A, note="closed"),
    ui("Dossier", "", ANY, "{secret}/", READ_SECRET_A, note="access-03"),
    ui("Dossier", "edit", ANY, "{open}/edit", EDIT_A, note="open"),
    ui("Dossier", "edit", ANY, "{open}/edit", EDIT_A, ok=303, send="POST", body=dossier_form,
       note="open"),
    ui("Dossier", "edit", ANY, "{secret}/edit", EDIT_A, note="access-03"),
    ui("Dossier", "edit", ANY, "{closed}/edit", NOBODY, note="closed"),
    ui("Dossier", "edit", ANY, "{closed}/edit", NOBODY, send="POST", body=dossier_form,
       note="closed"),
    ui("Dossier", "close", "POST", "{fresh}/close", EDIT_A, ok=303,
       check=flashed("Đã đóng hồ sơ"), note="open"),
    ui("Dossier", "close", "POST", "{closed}/close", NOBODY, note="closed"),
    ui("Dossier", "add-record", ANY, "{open}/add-record", EDIT_A, note="open"),
    ui("Dossier", "add-record", ANY, "{open}/add-record", EDIT_A, ok=303, send="POST",
       body=record_form, upload=True, note="open"),
    ui("Dossier", "add-record", ANY, "{secret}/add-record", EDIT_A, note="access-03"),
    ui("Dossier", "add-record", ANY, "{closed}/add-record", NOBODY, note="closed"),
    ui("Dossier", "add-record", ANY, "{closed}/add-record", NOBODY, send="POST",
       body=record_form, upload=True, note="closed"),
    # ---- documents -------------------------------------------------------------------
    ui("Record", "", ANY, "{open.rec}/", READ_A, note="open"),
    ui("Record", "", ANY, "{closed.rec}/", READ_A, note="closed"),
    ui("Record", "", ANY, "{secret.rec}/", READ_SECRET_A, note="access-03"),
    ui("Record", "edit", ANY, "{open.rec}/edit", EDIT_A, note="open"),
    ui("Record", "edit", ANY, "{open.rec}/edit", EDIT_A, ok=303, send="POST", body=record_form,
       note="open"),
    ui("Record", "edit", ANY, "{closed.rec}/edit", NOBODY, note="closed"),
    ui("Record", "edit", ANY, "{closed.rec}/edit", NOBODY, send="POST", body=record_form,
       note="closed"),
    ui("Record", "add-files", "POST", "{open.rec}/add-files", EDIT_A, ok=303, upload=True,
       check=flashed("Đã thêm tệp."), note="open"),
    ui("Record", "add-files", "POST", "{closed.rec}/add-files", NOBODY, upload=True,
       note="closed"),
    # ---- files -----------------------------------------------------------------------
    ui("StoredFile", "", ANY, "{open.file}/", READ_A, note="open"),
    ui("StoredFile", "", ANY, "{secret.file}/", READ_SECRET_A, note="access-03"),
    ui("StoredFile", "download", ANY, "{open.file}/download", DOWNLOAD_A, note="open"),
    ui("StoredFile", "download", ANY, "{closed.file}/download", DOWNLOAD_A, note="closed"),
    ui("StoredFile", "download", ANY, "{secret.file}/download", DOWNLOAD_SECRET_A,
       note="access-03"),
    ui("StoredFile", "inline", ANY, "{open.file}/inline", DOWNLOAD_A, note="open"),
    ui("StoredFile", "inline", ANY, "{secret.file}/inline", DOWNLOAD_SECRET_A, note="access-03"),
    # ---- users -----------------------------------------------------------------------
    ui("Users", "", ANY, "/users/", ADMIN_ONLY),
    ui("Users", "add", ANY, "/users/add", ADMIN_ONLY),
    ui("Users", "add", ANY, "/users/add", ADMIN_ONLY, ok=303, send="POST", body=user_form),
    ui("User", "", ANY, f"/users/{VICTIM}/", ADMIN_ONLY),
    ui("User", "edit", ANY, f"/users/{VICTIM}/edit", ADMIN_ONLY),
    ui("User", "edit", ANY, f"/users/{VICTIM}/edit", ADMIN_ONLY, ok=303, send="POST",
       body=user_edit_form),
    # ---- API -------------------------------------------------------------------------
    api("api.openapi", "GET", "/api/v1/openapi.json", EVERYONE),
    api("api.tokens", "POST", "/api/v1/tokens", EVERYONE, ok=201, body=token_json),
    api("api.token", "DELETE", "/api/v1/tokens/{own_token}", LOGGED_IN, ok=204,
        note="own token"),
    api("api.token", "DELETE", "/api/v1/tokens/{victim_token}", ADMIN_ONLY, ok=204, denied=404,
        note="another user's token"),
    api("api.fonds", "GET", "/api/v1/fonds", LOGGED_IN),
    api("api.fonds", "POST", "/api/v1/fonds", ADMIN_ONLY, ok=201, body=fonds_json),
    api("api.fonds.dossiers", "POST", "/api/v1/fonds/{A_code}/dossiers", EDIT_A, ok=201,
        body=dossier_json, note="A"),
    api("api.fonds.dossiers", "POST", "/api/v1/fonds/{B_code}/dossiers", EDIT_B, ok=201,
        body=dossier_json, note="B"),
    api("api.fonds.dossiers", "POST", "/api/v1/fonds/NOPE/dossiers", NOBODY, missing=True,
        body=dossier_json, note="missing"),
    api("api.dossier", "GET", "/api/v1/dossiers/{open_id}", READ_A, note="open"),
    api("api.dossier", "GET", "/api/v1/dossiers/{closed_id}", READ_A, note="closed"),
    api("api.dossier", "GET", "/api/v1/dossiers/{secret_id}", READ_SECRET_A, note="access-03"),
    api("api.dossier", "GET", "/api/v1/dossiers/{open.rec_id}", NOBODY, missing=True,
        note="a record's id"),
    api("api.dossier.records", "POST", "/api/v1/dossiers/{open_id}/records", EDIT_A, ok=201,
        body=record_metadata, upload=True, note="open"),
    api("api.dossier.records", "POST", "/api/v1/dossiers/{secret_id}/records", EDIT_A, ok=201,
        body=record_metadata, upload=True, note="access-03"),
    api("api.dossier.records", "POST", "/api/v1/dossiers/{closed_id}/records", NOBODY,
        body=record_metadata, upload=True, note="closed"),
    api("api.dossier.close", "POST", "/api/v1/dossiers/{fresh_id}/close", EDIT_A, note="open"),
    api("api.dossier.close", "POST", "/api/v1/dossiers/{closed_id}/close", NOBODY, note="closed"),
    api("api.record", "GET", "/api/v1/records/{open.rec_id}", READ_A, note="open"),
    api("api.record", "GET", "/api/v1/records/{closed.rec_id}", READ_A, note="closed"),
    api("api.record", "GET", "/api/v1/records/{secret.rec_id}", READ_SECRET_A, note="access-03"),
    api("api.record", "GET", "/api/v1/records/0123456789abcdef", NOBODY, missing=True,
        note="missing"),
    api("api.file", "GET", "/api/v1/files/{open.file_id}", DOWNLOAD_A, note="open"),
    api("api.file", "GET", "/api/v1/files/{closed.file_id}", DOWNLOAD_A, note="closed"),
    api("api.file", "GET", "/api/v1/files/{secret.file_id}", DOWNLOAD_SECRET_A, note="access-03"),
    api("api.file", "GET", "/api/v1/files/{open_id}", NOBODY, missing=True,
        note="a dossier's id"),
    api("api.search", "GET", "/api/v1/search?q=tuyen+dung", LOGGED_IN),
    api("api.users", "GET", "/api/v1/users", ADMIN_ONLY),
    api("api.users", "POST", "/api/v1/users", ADMIN_ONLY, ok=201, body=user_json),
    api("api.user", "PUT", f"/api/v1/users/{VICTIM}", ADMIN_ONLY, body=user_change_json),
    api("api.user", "PUT", "/api/v1/users/nobody-here", NOBODY, missing=True,
        body=user_change_json, note="missing"),
    # ----- digitisation: jobs and OCR (issue 4) -----
    # the jobs page: every archivist and the administrators; a job (of fonds A here) is
    # seen by whoever may view its fonds, others get 404 (see the jobs visibility section)
    ui("JobQueue", "", ANY, "/jobs/", JOBS),
    ui("JobQueue", "", ANY, "/jobs/?state=failed&page=2", JOBS, note="failed, page 2"),
    ui("Job", "", ANY, "/jobs/{failed_job}", EDIT_A, denied=JOB_OF_A_HIDDEN),
    ui("Job", "retry", "POST", "/jobs/{failed_job}/retry", EDIT_A, ok=303,
       check=flashed("Đã đưa công việc trở lại hàng đợi."), note="failed",
       denied=JOB_OF_A_HIDDEN),
    api("api.job", "GET", "/api/v1/jobs/{failed_job}", EDIT_A, denied=JOB_OF_A_HIDDEN),
    api("api.job", "GET", "/api/v1/jobs/0123456789abcdef", NOBODY, missing=True, note="missing"),
    # ocr: a document's text page by page (as the files: download), corrections (digitise)
    ui("Record", "text", ANY, "{open.rec}/text", DOWNLOAD_A, note="open"),
    ui("Record", "text", ANY, "{secret.rec}/text", DOWNLOAD_SECRET_A, note="access-03"),
    ui("Record", "correct-page", ANY, "{ocr_page}", EDIT_A, note="open"),
    ui("Record", "correct-page", ANY, "{ocr_page}", EDIT_A, ok=303, send="POST",
       body=correction_form, note="open"),
    api("api.record.text", "GET", "/api/v1/records/{open.rec_id}/text", DOWNLOAD_A, note="open"),
    api("api.record.text", "GET", "/api/v1/records/{secret.rec_id}/text", DOWNLOAD_SECRET_A,
        note="access-03"),
    api("api.record.text", "GET", "/api/v1/records/0123456789abcdef/text", NOBODY, missing=True,
        note="missing"),
    api("api.file.page", "PUT", "/api/v1/files/{ocr_file_id}/pages/1", EDIT_A, body=correction_form,
        note="open"),
    api("api.file.page", "PUT", "/api/v1/files/{ocr_file_id}/pages/99", EDIT_A, ok=404,
        body=correction_form, note="no such page"),
    api("api.file.page", "PUT", "/api/v1/files/{secret.file_id}/pages/1", EDIT_A, ok=404,
        body=correction_form, note="access-03, no text"),
    # ----- digitisation: batches and imports (issue 4) -----
    ui("Batches", "", ANY, "/batches/", LOGGED_IN),
    ui("Fonds", "add-batch", ANY, "{A}/add-batch", EDIT_A, note="A"),
    ui("Fonds", "add-batch", ANY, "{A}/add-batch", EDIT_A, ok=303, send="POST", body=batch_form,
       note="A"),
    ui("Fonds", "add-batch", ANY, "{B}/add-batch", EDIT_B, note="B"),
    ui("ConversionBatch", "", ANY, "{batch}", EDIT_A, note="A"),
    ui("ConversionBatch", "", ANY, "{batch}?state=received&days=0", EDIT_A, note="A, filtered"),
    ui("ConversionBatch", "add-item", ANY, "{batch}add-item", EDIT_A, note="A"),
    ui("ConversionBatch", "add-item", ANY, "{batch}add-item", EDIT_A, ok=303, send="POST",
       body=batch_item_form, note="A"),
    ui("ConversionBatch", "advance", "POST", "{batch}advance", EDIT_A, ok=303,
       body=batch_step_form, check=flashed("Không tìm thấy."), note="A"),
    ui("ConversionBatch", "reject", "POST", "{batch}reject", EDIT_A, ok=303,
       body=batch_reject_form, check=flashed("Không tìm thấy."), note="A"),
    ui("Fonds", "import", ANY, "{A}/import", EDIT_A, note="A"),
    ui("Fonds", "import", ANY, "{A}/import", EDIT_A, send="POST", upload=True,
       check=shows("không phải là tệp ZIP"), note="A, a PDF instead of a ZIP"),
    ui("Fonds", "import", ANY, "{B}/import", EDIT_B, note="B"),
    api("api.fonds.imports", "POST", "/api/v1/fonds/{A_code}/imports", EDIT_A, ok=422,
        upload=True, note="A, a PDF instead of a ZIP"),
    api("api.fonds.imports", "POST", "/api/v1/fonds/NOPE/imports", NOBODY, missing=True,
        upload=True, note="missing"),
    # ----- retention: schedule, due dates, holds (issue 5) -----
    ui("ArchiveRoot", "retention", ANY, "/retention", REPORTERS),
    ui("ArchiveRoot", "retention", ANY, "/retention?kind=transfer&fonds={A_code}&year=2030&page=2",
       REPORTERS, note="filtered"),
    ui("ArchiveRoot", "retention-schedule", ANY, "/retention-schedule?code=3.2", REPORTERS),
    ui("ArchiveRoot", "retention-schedule-edit", ANY, "/retention-schedule-edit", ADMIN_ONLY),
    ui("ArchiveRoot", "retention-schedule-edit", ANY, "/retention-schedule-edit", ADMIN_ONLY,
       ok=303, send="POST", body=schedule_entry_form, note="new entry"),
    ui("ArchiveRoot", "retention-schedule-edit", ANY, "/retention-schedule-edit?entry=3.2",
       ADMIN_ONLY, note="entry"),
    ui("ArchiveRoot", "holds", ANY, "/holds?show=all", REPORTERS),
    ui("ArchiveRoot", "hold-add", ANY, "/hold-add?dossier={open_id}", REPORTERS),
    ui("ArchiveRoot", "hold-add", ANY, "/hold-add", REPORTERS, ok=303, send="POST",
       body=hold_form),
    ui("ArchiveRoot", "hold-release", ANY, "/hold-release?hold={hold}", REPORTERS),
    ui("ArchiveRoot", "hold-release", ANY, "/hold-release?hold={hold}", REPORTERS, ok=303,
       send="POST", body=release_form),
    ui("Dossier", "retention", ANY, "{open}/retention", READ_A, note="open"),
    ui("Dossier", "retention", ANY, "{secret}/retention", READ_SECRET_A, note="access-03"),
    api("api.retention.schedule", "GET", "/api/v1/retention/schedule", LOGGED_IN),
    api("api.retention.schedule", "POST", "/api/v1/retention/schedule", ADMIN_ONLY, ok=201,
        body=schedule_entry_json),
    api("api.retention.schedule.entry", "GET", "/api/v1/retention/schedule/3.2", LOGGED_IN),
    api("api.retention.schedule.entry", "PUT", "/api/v1/retention/schedule/12.1", ADMIN_ONLY,
        body=schedule_change_json),
    api("api.retention.due", "GET", "/api/v1/retention/due?kind=disposal&until=2040", REPORTERS),
    api("api.holds", "GET", "/api/v1/holds", REPORTERS),
    api("api.holds", "POST", "/api/v1/holds", REPORTERS, ok=201, body=hold_json),
    api("api.hold.release", "POST", "/api/v1/holds/{hold}/release", REPORTERS, body=release_form),
    api("api.dossier.retention", "GET", "/api/v1/dossiers/{open_id}/retention", READ_A, note="open"),
    api("api.dossier.retention", "GET", "/api/v1/dossiers/{secret_id}/retention", READ_SECRET_A,
        note="access-03"),
    # ----- reports (issue 5) -----
    ui("ArchiveRoot", "reports", ANY, "/reports", REPORTERS),
    ui("ArchiveRoot", "reports", ANY, "/reports", REPORTERS, send="POST", body=report_form,
       check=attachment("text/csv"), note="download"),
    api("api.reports", "GET", "/api/v1/reports", REPORTERS),
    api("api.report", "GET", "/api/v1/reports/statistics?format=csv", REPORTERS,
        check=attachment("text/csv")),
    api("api.report", "GET", "/api/v1/reports/no-such-report", NOBODY, missing=True,
        note="missing"),
    # ----- disposal and transfer (issue 5) -----
    ui("DisposalContainer", "", ANY, "/disposals/", DISPOSAL_LIST),
    ui("Fonds", "propose-disposal", ANY, "{A}/propose-disposal", EDIT_A, note="A"),
    ui("Fonds", "propose-disposal", ANY, "{B}/propose-disposal", EDIT_B, note="B"),
    ui("Disposal", "", ANY, "/disposals/{disp}/", DISPOSAL_READ),
    ui("Disposal", "review", ANY, "/disposals/{proposed}/review", EDIT_A),
    ui("Disposal", "approve", ANY, "/disposals/{disp}/approve", ADMIN_ONLY),
    ui("Disposal", "reject", ANY, "/disposals/{disp}/reject", ADMIN_ONLY),
    ui("Disposal", "destroy", "POST", "/disposals/{approved}/destroy", ADMIN_ONLY, ok=303,
       check=flashed("Đã hủy 1 hồ sơ"), note="approved"),
    ui("DisposalFile", "download", ANY, "/disposals/{disp}/{disp_minutes}/download", EDIT_A),
    api("api.disposals", "GET", "/api/v1/disposals", DISPOSAL_LIST),
    api("api.fonds.disposals", "POST", "/api/v1/fonds/{A_code}/disposals", EDIT_A, ok=201,
        body=propose_json, note="A"),
    api("api.disposal", "GET", "/api/v1/disposals/{disp}", DISPOSAL_READ),
    api("api.disposal", "GET", "/api/v1/disposals/{open_id}", NOBODY, missing=True,
        note="a dossier's id"),
    api("api.disposal.review", "POST", "/api/v1/disposals/{proposed}/review", EDIT_A,
        body=review_metadata, upload=True),
    api("api.disposal.approve", "POST", "/api/v1/disposals/{reviewed}/approve", ADMIN_ONLY,
        body=approve_json),
    api("api.disposal.reject", "POST", "/api/v1/disposals/{proposed}/reject", ADMIN_ONLY,
        body=reject_json),
    api("api.disposal.destroy", "POST", "/api/v1/disposals/{approved}/destroy", ADMIN_ONLY),
    api("api.disposal.minutes", "GET", "/api/v1/disposals/{disp}/minutes", EDIT_A),
    api("api.tombstones", "GET", "/api/v1/tombstones", REPORTERS),
    # ----- transfer to the historical archive (issue 5) -----
    ui("Fonds", "transfer", ANY, "{A}/transfer", EDIT_A, note="A"),
    ui("Fonds", "transfer", ANY, "{A}/transfer", EDIT_A, send="POST", body=transfer_none_form,
       note="A, nothing chosen"),
    ui("Fonds", "transfer", ANY, "{B}/transfer", EDIT_B, note="B"),
    ui("Fonds", "transfer-job", ANY, "{A}/transfer-job?id={transfer_job}", EDIT_A, note="A"),
    ui("Fonds", "transfer-job", ANY, "{B}/transfer-job?id={transfer_job}", EDIT_B, ok=404,
       note="another fonds' job"),
    ui("Transfers", "", ANY, "/transfers/", LOGGED_IN),
    ui("Transfer", "", ANY, "/transfers/{transfer}/", READ_A),
    ui("Transfer", "download", ANY, "/transfers/{transfer}/download", EDIT_A),
    ui("Transfer", "receipt", "POST", "/transfers/{transfer}/receipt", EDIT_A, ok=303,
       body=transfer_receipt_form),
    ui("Transfer", "cancel", "POST", "/transfers/{transfer}/cancel", EDIT_A, ok=303,
       body=transfer_cancel_form),
    api("api.transfers", "GET", "/api/v1/transfers", LOGGED_IN),
    api("api.fonds.transfers", "POST", "/api/v1/fonds/{A_code}/transfers", EDIT_A, ok=202,
        body=transfer_api_json, note="A"),
    api("api.fonds.transfers", "POST", "/api/v1/fonds/NOPE/transfers", NOBODY, missing=True,
        note="missing"),
    api("api.transfer", "GET", "/api/v1/transfers/{transfer}", READ_A),
    api("api.transfer", "GET", "/api/v1/transfers/{open_id}", NOBODY, missing=True,
        note="a dossier's id"),
    api("api.transfer.receipt", "POST", "/api/v1/transfers/{fresh_transfer}/receipt", EDIT_A,
        body=transfer_receipt_form),
    api("api.transfer.cancel", "POST", "/api/v1/transfers/{fresh_transfer}/cancel", EDIT_A,
        body=transfer_cancel_form),
    # ----- jobs visibility: the list of jobs (tests/test_jobs_visibility.py) -----
    api("api.jobs", "GET", "/api/v1/jobs", JOBS),
    api("api.jobs", "GET", "/api/v1/jobs?state=failed&kind=no-such-kind&start=0&size=5", JOBS,
        note="failed, kind"),
    api("api.jobs", "GET", "/api/v1/jobs?state=finished", JOBS, ok=400, note="bad state"),
    api("api.jobs", "GET", "/api/v1/jobs?size=0", JOBS, ok=400, note="bad size"),
]


# --------------------------------------------------------------------------- the registry

def _methods(value):
    if value is None:
        return ANY
    if isinstance(value, str):
        return value
    value = tuple(sorted(value))
    return value[0] if len(value) == 1 else value


def is_exception_view(intr):
    """Exception views cannot carry a permission in Pyramid (they run after
    the security check has already failed or passed)."""
    context = intr["context"]
    if intr["exception_only"]:
        return True
    if isinstance(context, type) and issubclass(context, BaseException):
        return True
    return hasattr(context, "isOrExtends") and context.isOrExtends(IException)


def registered_views(registry):
    """{key: introspectable} for every view of the application.

    Keys: ``(context class name, view name, method)`` for traversal views,
    ``("route", route_name, method)`` for route views, ``("static", route_name)``
    for static views, ``("exception", context name, callable)`` for exception views.
    """
    views = {}
    for entry in registry.introspector.get_category("views"):
        intr = entry["introspectable"]
        method = _methods(intr["request_methods"])
        route = intr["route_name"]
        if is_exception_view(intr):
            context = intr["context"]
            key = ("exception", getattr(context, "__name__", str(context)),
                   getattr(intr["callable"], "__module__", "") + "." +
                   getattr(intr["callable"], "__name__", type(intr["callable"]).__name__))
        elif route and route.startswith("__") and intr["callable"].__class__.__name__ == "static_view":
            key = ("static", route)
        elif route:
            key = ("route", route, method)
        else:
            key = (intr["context"].__name__, intr["name"], method)
        assert key not in views, f"two views share the key {key}"
        views[key] = intr
    return views


def permission_of(registry, intr):
    """The permission a view was registered with (Pyramid keeps it as a related
    introspectable of category 'permissions'), or None."""
    names = [related["value"] for related in registry.introspector.related(intr)
             if related.category_name == "permissions"]
    assert len(names) <= 1, names
    return names[0] if names else None


def unprotected(registry):
    """Views that would answer without any permission check."""
    bad = []
    for key, intr in registered_views(registry).items():
        if key[0] == "exception":
            continue
        permission = permission_of(registry, intr)
        if key[0] == "static":
            if permission != "public":
                bad.append((key, permission))
        elif permission is None or permission == "__no_permission_required__":
            bad.append((key, permission))
    return bad


# --------------------------------------------------------------------------- the world

class World:
    """The fixture archive, one logged-in browser session and one API token per
    identity, and the names the URL templates use."""

    def __init__(self, wsgi):
        self.wsgi = wsgi
        self.admin = Api(self.client(), api_token(self.client(), "admin", ADMIN_PASSWORD))
        self.passwords = {ADMIN: ADMIN_PASSWORD}
        self.apis = {ADMIN: self.admin, ANON: None}
        self.sessions = {}
        self.names = {}

    def client(self):
        return TestApp(self.wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})

    def build(self):
        admin = self.admin
        admin.post("/api/v1/fonds", FONDS)
        admin.post("/api/v1/fonds", FONDS_B)
        pdf = make_pdf(1)
        for label, fields in (("open", {}), ("closed", {"notation": "02.TCCB"}),
                              ("secret", {"notation": "03.TCCB", "access": "03"})):
            dossier_id = admin.post(f"/api/v1/fonds/{FONDS_A}/dossiers",
                                    dict(DOSSIER, **fields)).json["id"]
            record = admin.file_record(dossier_id, RECORD, [("quyết định.pdf", pdf)]).json
            path = f"/fonds/{FONDS_A}/{dossier_id}"
            self.names.update({
                label: path, f"{label}_id": dossier_id,
                f"{label}.rec": f"{path}/{record['id']}", f"{label}.rec_id": record["id"],
                f"{label}.file": f"{path}/{record['id']}/{record['files'][0]['id']}",
                f"{label}.file_id": record["files"][0]["id"],
            })
        admin.post(f"/api/v1/dossiers/{self.names['closed_id']}/close", status=200)
        self.names.update({"A": f"/fonds/{FONDS_A}", "B": f"/fonds/{FONDS_B['code']}",
                           "A_code": FONDS_A, "B_code": FONDS_B["code"]})
        for who, role, fonds in ((ARCH, "archivist", [FONDS_A]), (OFF, "official", [FONDS_A]),
                                 (AUD, "auditor", []), (ARCH_B, "archivist", [FONDS_B["code"]]),
                                 (OFF_B, "official", [FONDS_B["code"]]),
                                 (VICTIM, "official", [])):
            self.apis[who] = make_user(admin, who, role, fonds)
            self.passwords[who] = PASSWORD
        return self

    # ---- sessions
    def session(self, who, fresh=False):
        """A browser logged in as ``who`` (anonymous: one that has loaded the
        login page) and its CSRF token."""
        if fresh or who not in self.sessions:
            client = self.client()
            if who != ANON:
                login(client, who, self.passwords[who])
            page = client.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            if fresh:
                return client, token
            self.sessions[who] = (client, token)
        return self.sessions[who]

    # ---- the names a URL template uses; some are made for one call
    def names_for(self, template, who):
        names = dict(self.names)
        if "{fresh" in template:   # an open dossier of fonds A, to be closed
            dossier_id = self.admin.post(f"/api/v1/fonds/{FONDS_A}/dossiers",
                                         dossier_json(self)).json["id"]
            names.update(fresh=f"/fonds/{FONDS_A}/{dossier_id}", fresh_id=dossier_id)
        if "{own_token}" in template:   # a second token of the caller, to be revoked
            owner = VICTIM if who == ANON else who
            names["own_token"] = api_token(self.client(), owner, self.passwords[owner])
        if "{victim_token}" in template:   # a token of somebody else
            names["victim_token"] = api_token(self.client(), VICTIM, PASSWORD)
        if "{batch}" in template:   # a batch of fonds A with one received item (issue 4)
            names["batch"] = batch_fixture(self.wsgi)
        if "{hold}" in template:   # an active hold on a fresh dossier (retention, issue 5)
            names["hold"] = self.admin.post("/api/v1/holds", hold_json(self)).json["holds"][0]["id"]
        if "{failed_job}" in template:   # a job that failed (jobs, issue 4)
            names["failed_job"] = failed_job(self.wsgi)
        if "{ocr_" in template:   # ocr (issue 4): the open file with one page of text
            names["ocr_page"] = ocr_page(self.wsgi, self.names)
            names["ocr_file_id"] = self.names["open.file_id"]
        if "{disp" in template and "disp" not in self.names:   # disposal (issue 5)
            disposal = disposal_fixture(self, "reviewed")
            self.names.update(disp=disposal["id"], disp_minutes=disposal["minutes"]["id"])
            names.update(disp=disposal["id"], disp_minutes=disposal["minutes"]["id"])
        if "{transfer}" in template and "transfer" not in self.names:   # transfer (issue 5)
            self.names["transfer"] = names["transfer"] = transfer_fixture(self)
        if "{fresh_transfer}" in template:   # transfer (issue 5): made for one call
            names["fresh_transfer"] = transfer_fixture(self)
        if "{transfer_job}" in template and "transfer_job" not in self.names:   # transfer job
            self.names["transfer_job"] = names["transfer_job"] = transfer_job_fixture(self)
        for state in ("proposed", "reviewed", "approved"):   # disposal (issue 5): made for one call
            if "{" + state + "}" in template:
                names[state] = disposal_fixture(self, state)["id"]
        return names


def failed_job(wsgi):   # jobs (issue 4): a job of no known kind, failed by a real worker
    from conftest import read_root, run_jobs

    from archive.jobs import enqueue_job

    # its context is fonds A (the payload's fonds code): seen by who may view fonds A
    job_id = read_root(wsgi, lambda root: enqueue_job(root, "no-such-kind", {"fonds": FONDS_A},
                                                      title="Thử quyền",
                                                      registry=wsgi.registry).id)
    run_jobs(wsgi)
    return job_id


def ocr_page(wsgi, names):   # ocr (issue 4): page 1 of the open dossier's file has text
    from archive.digitise import file_state
    from archive.digitise.engine import Page, Result
    from archive.digitise.services import store_result

    def store(root):
        if file_state(root.objectmap[names["open.file_id"]]) is None or \
                not file_state(root.objectmap[names["open.file_id"]]).pages:
            store_result(root, names["open.file_id"], Result(
                pages=[Page(1, "Quyết định công nhận kết quả tuyển dụng", 91.0)], method="ocr",
                page_count=1), wsgi.registry)

    from conftest import read_root  # retried: the indexer thread writes too

    read_root(wsgi, store)
    return f"{names['open.rec']}/correct-page?file={names['open.file_id']}&n=1"


def batch_fixture(wsgi):   # conversion batches (issue 4): a batch of fonds A
    from conftest import read_root

    from archive.batches import create_batch
    from archive.events import SYSTEM

    return read_root(wsgi, lambda root: "/batches/{}/".format(create_batch(
        root, wsgi.registry, SYSTEM, root["fonds"][FONDS_A], "Đợt thử quyền").id))


def due_dossier(world):   # transfer (issue 5): a closed permanent dossier due since 2020
    fields = dict(DOSSIER, notation=unique("T") + ".LS", retention="permanent",
                  start_date="2010-01-05", end_date="2010-06-30", year=2010)
    dossier_id = world.admin.post(f"/api/v1/fonds/{FONDS_A}/dossiers", fields).json["id"]
    world.admin.post(f"/api/v1/dossiers/{dossier_id}/close", status=200)
    return dossier_id


def transfer_fixture(world):   # transfer (issue 5): a bag of one dossier, no receipt yet
    from conftest import read_root

    from archive.events import SYSTEM
    from archive.transfer import service

    dossier_id = due_dossier(world)
    out = world.wsgi.registry.settings["archive.var"] + "/transfers-test"
    return read_root(world.wsgi, lambda root: service.export_transfer(
        root, world.wsgi.registry, SYSTEM, [root.objectmap[dossier_id]], out,
        make_zip=True).id)


def transfer_job_fixture(world):   # transfer: an export job of fonds A, queued (not run)
    from conftest import read_root

    from archive.events import SYSTEM
    from archive.transfer.job import enqueue_export

    dossier_id = due_dossier(world)
    out = world.wsgi.registry.settings["archive.var"] + "/transfers-test"
    return read_root(world.wsgi, lambda root: enqueue_export(
        root, world.wsgi.registry, SYSTEM, [root.objectmap[dossier_id]], out).id)


def _format(template, names):
    return re.sub(r"\{([^}]+)\}", lambda m: names[m.group(1)], template)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with module_app(tmp_path_factory, "permissions") as wsgi:
        yield World(wsgi).build()


# --------------------------------------------------------------------------- making the calls

def call(world, case, who):
    url = _format(case.url, world.names_for(case.url, who))
    body = case.body(world)
    upload = [("file", "tài liệu.pdf", PDF)] if case.upload else []
    if case.kind == "api":
        headers = {}
        if who != ANON:
            headers["Authorization"] = world.apis[who].headers["Authorization"]
        client = world.client()
        if case.upload:
            return client.post(url, params=body, upload_files=upload, headers=headers,
                               expect_errors=True), client
        if case.send == "GET":
            return client.get(url, headers=headers, expect_errors=True), client
        return client.request(url, method=case.send, headers=headers,
                              body=json.dumps(body).encode() if body else b"",
                              content_type="application/json", expect_errors=True), client
    fresh = case.view[:2] == ("ArchiveRoot", "logout")
    client, token = world.session(who, fresh=fresh)
    if case.send == "GET":
        return client.get(url, expect_errors=True), client
    params = dict(body, csrf_token=token)
    if case.kind == "ui" and case.body is not no_body:
        params["save"] = "save"
    return client.post(url, params=params, upload_files=upload, expect_errors=True), client


def expected(case, who):
    """The status ``who`` must get, or "login" for the UI's redirect to the login page."""
    if case.missing:
        return 404
    if who in case.allowed:
        return case.ok
    if who == ANON:
        return "login" if case.kind == "ui" else 401
    if isinstance(case.denied, dict):
        return case.denied.get(who, 403)
    return case.denied or 403


def outcome(case, response):
    if (case.kind == "ui" and response.status_int == 303
            and "/login?next=" in response.headers.get("Location", "")):
        return "login"
    return response.status_int


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_view_by_identity(world, case):
    wrong = []
    for who in IDENTITIES:
        response, client = call(world, case, who)
        want, got = expected(case, who), outcome(case, response)
        if want != got:
            wrong.append(f"{who}: expected {want}, got {got}: {response.body[:160]!r}")
            continue
        if case.kind == "api" and want in (401, 403, 404):
            assert response.json["error"]["message"], response.text
        if case.kind == "ui" and want == 403:
            assert 'id="error-message"' in response.text   # the UI's own error page
        if want == 401:
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        if case.check is not None and who in case.allowed:
            case.check(response, client)
    assert not wrong, f"{case.id}:\n  " + "\n  ".join(wrong)


# --------------------------------------------------------------------------- the guards

def table_keys():
    return {case.view for case in CASES}


def test_every_view_names_a_permission(world):
    assert unprotected(world.wsgi.registry) == []


def test_every_registered_view_is_in_the_table(world):
    views = registered_views(world.wsgi.registry)
    missing = sorted(str(key) for key in views if key[0] != "exception" and key not in table_keys())
    assert not missing, "views without a row in CASES: " + ", ".join(missing)


def test_every_row_of_the_table_is_a_registered_view(world):
    views = registered_views(world.wsgi.registry)
    stale = sorted(str(key) for key in table_keys() if key not in views)
    assert not stale, "rows of CASES for views that do not exist: " + ", ".join(stale)


def test_every_route_has_a_view_in_the_table(world):
    routes = {entry["introspectable"]["name"]
              for entry in world.wsgi.registry.introspector.get_category("routes")}
    covered = {key[1] for key in table_keys() if key[0] in ("route", "static")}
    assert routes == covered


EXCEPTION_VIEW_MODULES = ("pyramid.httpexceptions", "archive.views.errors", "archive.views.api.errors")


def test_exception_views_are_only_error_pages(world):
    """The views left out of the table are Pyramid's default error view and
    our error pages (UI and API), nothing else: a view cannot escape the
    table by being registered for an exception context elsewhere."""
    excluded = [key for key in registered_views(world.wsgi.registry) if key[0] == "exception"]
    assert excluded
    for key in excluded:
        assert key[2].rsplit(".", 1)[0] in EXCEPTION_VIEW_MODULES, key


def test_a_view_without_permission_is_caught():
    """The guard itself: a view registered without a permission is reported."""
    from pyramid.config import Configurator

    from archive.resources import ArchiveRoot

    with Configurator() as config:
        config.add_view(lambda request: {}, context=ArchiveRoot, name="leak", renderer="json")
        config.add_view(lambda request: {}, context=ArchiveRoot, name="ok", renderer="json",
                        permission="view")
        config.add_route("r", "/r")
        config.add_view(lambda request: {}, route_name="r", renderer="json")
        config.add_static_view("s", "archive.views:static")
    bad = {key for key, _permission in unprotected(config.registry)}
    assert bad == {("ArchiveRoot", "leak", ANY), ("route", "r", ANY), ("static", "__s/")}


def test_closed_dossier_is_left_unchanged(world):
    """Whatever the rows above tried, the closed dossier still holds one
    document with one file, and its title is the original one."""
    body = world.admin.get(f"/api/v1/dossiers/{world.names['closed_id']}").json
    assert body["closed"] is True
    assert body["doc_total"] == 1
    assert body["title"] == DOSSIER["title"]
    assert [len(r["files"]) for r in body["records"]] == [1]
