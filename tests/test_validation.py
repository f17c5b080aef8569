"""Validation of the national metadata (DOMAIN.md §2, §3) in the forms and the API.

A wrong organ_id, retention, date order or doc_type is refused: the form
shows the Vietnamese message beside the field and stores nothing; the API
answers 422 naming the field, ``{"error": {"message": ..., "fields": {...}}}``,
and stores nothing either (no dossier, no document, no journal entry).  The
other error statuses of the API (400, 401, 403, 404, 409, 413, 415) have the
same JSON shape.
"""
import json
import os
import re
import unicodedata

import pytest
from webtest import TestApp, Upload

from conftest import (
    ADMIN_PASSWORD, DOSSIER, FONDS, PROJECT, RECORD, Api, api_token, close_app, login, make_app,
    make_pdf, make_user,
)

ORGAN_ID_MSG = "Mã định danh cơ quan không hợp lệ"
RETENTION_MSG = "Thời hạn bảo quản phải là"
DATE_ORDER_MSG = "Ngày kết thúc không được trước ngày bắt đầu"
DATE_MSG = "Ngày không hợp lệ"
DOC_TYPE_MSG = "Loại văn bản phải là một mã từ 01 đến 32"
REQUIRED_MSG = "Bắt buộc nhập"
FORM_MSG = "Dữ liệu chưa hợp lệ"

PDF = make_pdf(1)
MAX_UPLOAD = 64 * 1024


# --------------------------------------------------------------------------- helpers

def snapshot(app):
    """What is stored, read straight from the database: fonds, dossiers and
    their documents and files, users, and the length of the journal."""
    from conftest import read_root

    def read(root):
        dossiers = {}
        for fonds in root["fonds"].values():
            for dossier in fonds.values():
                dossiers[dossier.id] = (dossier.file_code, dossier.title, dossier.doc_total,
                                        sum(len(r) for r in dossier.values()))
        return {"fonds": sorted(root["fonds"].keys()), "dossiers": dossiers,
                "users": sorted(root["users"].keys()), "journal": len(root.journal)}

    return read_root(app, read)


def upload_files(app):
    """Files left in the upload spool directory."""
    tmp = app.registry.settings["archive.upload_tmp"]
    return sorted(os.listdir(tmp)) if os.path.isdir(tmp) else []


def error_of(response):
    body = response.json
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"message", "fields"}, body
    assert body["error"]["message"], body
    return body["error"]


def field_error(page, name):
    """The error text deform shows beside the control called ``name`` (its
    ``p.invalid-feedback`` inside the field's ``#item-<oid>`` block)."""
    control = page.html.find(attrs={"name": name})
    assert control is not None, f"no control {name}"
    item = page.html.find(id=f"item-{control['id']}")
    assert item is not None, f"no item block for {name}"
    return " ".join(p.get_text(" ", strip=True) for p in item.select("p.invalid-feedback"))


def form_errors(page):
    """{field name: error text} for every field that shows an error."""
    out = {}
    for p in page.html.select("p.invalid-feedback"):
        item = p.find_parent(id=lambda v: v and v.startswith("item-"))
        control = item.find(attrs={"name": lambda n: n and not n.startswith("__")})
        out[control["name"]] = p.get_text(" ", strip=True)
    return out


# --------------------------------------------------------------------------- the app

class Env:
    def __init__(self, app):
        self.app = app
        client = TestApp(app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        self.admin = Api(client, api_token(client, "admin", ADMIN_PASSWORD))
        self.admin.post("/api/v1/fonds", FONDS)
        self.dossier_id = self.admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers",
                                          DOSSIER).json["id"]
        self.official = make_user(self.admin, "canbo", "official", [FONDS["code"]])
        self.browser = TestApp(app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        login(self.browser, "admin", ADMIN_PASSWORD)
        self.serial = 0

    def notation(self):
        self.serial += 1
        return f"{self.serial:02d}.KT"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    app_dir = tmp_path_factory.mktemp("validation")
    # a small upload limit (64 KiB) so that 413 is cheap to reach
    with open(os.path.join(PROJECT, "testing.ini"), encoding="utf-8") as fh:
        ini = re.sub(r"(?m)^archive\.max_upload = .*$", f"archive.max_upload = {MAX_UPLOAD}", fh.read())
    (app_dir / "testing.ini").write_text(ini, encoding="utf-8")
    app = make_app(app_dir)
    try:
        yield Env(app)
    finally:
        close_app(app)


def dossier_body(env, **fields):
    return dict({"notation": env.notation(), "title": "Hồ sơ kiểm tra dữ liệu", "retention": 10},
                **fields)


# --------------------------------------------------------------------------- API: dossiers

BAD_DOSSIERS = [
    # (what, fields, field named in the answer, part of the message)
    ("organ_id too short", {"organ_id": "00.17.H17"}, "organ_id", ORGAN_ID_MSG),
    ("organ_id lower case", {"organ_id": "000.00.17.h17"}, "organ_id", ORGAN_ID_MSG),
    ("organ_id free text", {"organ_id": "Sở Nội vụ"}, "organ_id", ORGAN_ID_MSG),
    ("organ_id new form, bad", {"organ_id": "H1.2"}, "organ_id", ORGAN_ID_MSG),
    ("organ_id over 35 chars", {"organ_id": "H17" + ".1" * 17}, "organ_id", ORGAN_ID_MSG),
    ("retention word", {"retention": "forever"}, "retention", RETENTION_MSG),
    ("retention zero", {"retention": 0}, "retention", RETENTION_MSG),
    ("retention negative", {"retention": -5}, "retention", RETENTION_MSG),
    ("retention fraction", {"retention": 2.5}, "retention", RETENTION_MSG),
    ("retention boolean", {"retention": True}, "retention", RETENTION_MSG),
    ("retention missing", {"retention": None}, "retention", REQUIRED_MSG),
    ("end before start", {"start_date": "2024-05-01", "end_date": "2024-04-30"}, "end_date",
     DATE_ORDER_MSG),
    ("end year before start", {"start_date": "2014", "end_date": "2013-12"}, "end_date",
     DATE_ORDER_MSG),
    ("end month before start", {"start_date": "2014-05-20", "end_date": "2014-04"}, "end_date",
     DATE_ORDER_MSG),
    ("month 13", {"start_date": "2024-13"}, "start_date", DATE_MSG),
    ("30 February", {"end_date": "2024-02-30"}, "end_date", DATE_MSG),
    ("two-digit year", {"start_date": "24"}, "start_date", DATE_MSG),
    ("date in words", {"start_date": "tháng 5 năm 2014"}, "start_date", DATE_MSG),
    ("access 04", {"access": "04"}, "access", "Giá trị không hợp lệ"),
    ("title missing", {"title": ""}, "title", REQUIRED_MSG),
    ("title over 1000", {"title": "x" * 1001}, "title", "Tối đa 1000 ký tự"),
    ("notes over 2000", {"notes": "x" * 2001}, "notes", "Tối đa 2000 ký tự"),
    ("notation with spaces", {"notation": "01 TCCB"}, "notation", "Chỉ dùng chữ không dấu"),
    ("notation over 20", {"notation": "01." + "A" * 18}, "notation", "Tối đa 20 ký tự"),
    ("year of 2 digits", {"year": 24}, "year", "Năm phải gồm 4 chữ số"),
    ("year not a number", {"year": "năm nay"}, "year", ""),
    ("language unknown", {"language": ["xx"]}, "language", ""),
    ("procedure code", {"procedure_code": "1001193"}, "procedure_code", "Mã TTHC"),
    ("year with a fraction", {"year": 2024.7}, "year", "Phải là một số nguyên"),
    ("year boolean", {"year": True}, "year", "Phải là một số nguyên"),
    ("sheet_total with a fraction", {"sheet_total": 2.5}, "sheet_total", "Phải là một số nguyên"),
    ("sheet_total negative", {"sheet_total": -1}, "sheet_total", "Không được âm"),
    ("title a list", {"title": ["Hồ sơ"]}, "title", "Phải là một chuỗi ký tự"),
    ("digitised without paper code", {"provenance": "02"}, "paper_file_code",
     "Bắt buộc với hồ sơ số hóa"),
    ("misspelt field", {"acess": "03"}, "acess", "không có trong danh mục"),
    ("computed field typed", {"file_code": "000.00.17.H17.2024.99.X"}, "file_code",
     "không có trong danh mục"),
    ("doc_total typed", {"doc_total": 3}, "doc_total", "không có trong danh mục"),
]


@pytest.mark.parametrize("fields,name,message", [c[1:] for c in BAD_DOSSIERS],
                         ids=[c[0] for c in BAD_DOSSIERS])
def test_api_refuses_bad_dossier_with_422_naming_the_field(env, fields, name, message):
    before = snapshot(env.app)
    body = dossier_body(env, **fields)
    body = {k: v for k, v in body.items() if v is not None}
    response = env.admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", body, status=422)
    error = error_of(response)
    assert name in error["fields"], error
    assert message in error["fields"][name], error
    assert snapshot(env.app) == before


GOOD_DOSSIERS = [
    # (what, fields, what is stored)
    ("organ_id QCVN 102:2016", {"organ_id": "000.00.17.H17"}, {"organ_id": "000.00.17.H17"}),
    ("organ_id QĐ 20/2020", {"organ_id": "H17.1.2"}, {"organ_id": "H17.1.2"}),
    ("organ_id short new form", {"organ_id": "H17"}, {"organ_id": "H17"}),
    ("organ_id 35 chars", {"organ_id": "H17" + ".1" * 16}, {"organ_id": "H17" + ".1" * 16}),
    ("organ_id from the fonds", {}, {"organ_id": FONDS["organ_id"]}),
    ("retention permanent", {"retention": "permanent"}, {"retention": "permanent"}),
    ("retention integer", {"retention": 70}, {"retention": 70}),
    ("retention integer as text", {"retention": "5"}, {"retention": 5}),
    ("retention 100", {"retention": 100}, {"retention": 100}),
    ("partial dates YYYY", {"start_date": "1998", "end_date": "1999"},
     {"start_date": "1998", "end_date": "1999", "year": 1998}),
    ("partial dates YYYY-MM", {"start_date": "2014-05", "end_date": "2014-11"},
     {"start_date": "2014-05", "end_date": "2014-11"}),
    ("same year, coarser end", {"start_date": "2014-05-20", "end_date": "2014"},
     {"start_date": "2014-05-20", "end_date": "2014"}),
    ("dates Vietnamese order", {"start_date": "05/01/2024", "end_date": "30/06/2024"},
     {"start_date": "2024-01-05", "end_date": "2024-06-30"}),
    ("title of 1000", {"title": "t" * 1000}, {"title": "t" * 1000}),
    ("notes of 2000", {"notes": "n" * 2000}, {"notes": "n" * 2000}),
    ("access classified", {"access": "03"}, {"access": "03"}),
    ("language default", {}, {"language": ["vi"]}),
    ("languages", {"language": ["vi", "fr"]}, {"language": ["fr", "vi"]}),
    ("retention vĩnh viễn (NFD)", {"retention": unicodedata.normalize("NFD", "vĩnh viễn")},
     {"retention": "permanent"}),
    ("retention 10 năm", {"retention": "10 năm"}, {"retention": 10}),
    ("year as text", {"year": "2019"}, {"year": 2019}),
    ("digitised with paper code", {"provenance": "02", "paper_file_code": "LTCQ.K1/G01/H001.01"},
     {"provenance": "02", "paper_file_code": "LTCQ.K1/G01/H001.01"}),
    ("one-stop data", {"procedure_code": "1.001193", "receipt_code": "000.00.21.H17-240315-0012",
                       "received_date": "15/03/2024", "channel": "online"},
     {"procedure_code": "1.001193", "received_date": "2024-03-15", "channel": "online"}),
]


@pytest.mark.parametrize("fields,stored", [c[1:] for c in GOOD_DOSSIERS],
                         ids=[c[0] for c in GOOD_DOSSIERS])
def test_api_accepts_valid_dossier(env, fields, stored):
    response = env.admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", dossier_body(env, **fields))
    body = env.admin.get(f"/api/v1/dossiers/{response.json['id']}").json
    assert body["file_code"] == response.json["file_code"]
    for name, value in stored.items():
        assert body[name] == value, name
    assert body["file_code"] == f"{body['organ_id']}.{body['year']}.{body['notation']}"


# --------------------------------------------------------------------------- API: documents

BAD_RECORDS = [
    ("doc_type 33", {"doc_type": "33"}, "doc_type", DOC_TYPE_MSG),
    ("doc_type 00", {"doc_type": "00"}, "doc_type", DOC_TYPE_MSG),
    ("doc_type one digit", {"doc_type": "2"}, "doc_type", DOC_TYPE_MSG),
    ("doc_type as number", {"doc_type": 2}, "doc_type", DOC_TYPE_MSG),
    ("doc_type a name", {"doc_type": "Quyết định"}, "doc_type", DOC_TYPE_MSG),
    ("doc_type missing", {"doc_type": None}, "doc_type", REQUIRED_MSG),
    ("issued_date missing", {"issued_date": None}, "issued_date", REQUIRED_MSG),
    ("issued_date invalid", {"issued_date": "2024-02-30"}, "issued_date", DATE_MSG),
    ("issuer over 200", {"issuer": "x" * 201}, "issuer", "Tối đa 200 ký tự"),
    ("subject over 500", {"subject": "x" * 501}, "subject", "Tối đa 500 ký tự"),
    ("notes over 2000", {"notes": "x" * 2001}, "notes", "Tối đa 2000 ký tự"),
    ("secrecy unknown", {"secrecy": "very"}, "secrecy", "Giá trị không hợp lệ"),
    ("urgency unknown", {"urgency": "ngay"}, "urgency", "Giá trị không hợp lệ"),
    ("subject missing", {"subject": "  "}, "subject", REQUIRED_MSG),
    ("computed field typed", {"doc_code": "x"}, "doc_code", "không có trong danh mục"),
]


@pytest.mark.parametrize("fields,name,message", [c[1:] for c in BAD_RECORDS],
                         ids=[c[0] for c in BAD_RECORDS])
def test_api_refuses_bad_record_with_422_naming_the_field(env, fields, name, message):
    before = snapshot(env.app)
    metadata = {k: v for k, v in dict(RECORD, **fields).items() if v is not None}
    response = env.admin.file_record(env.dossier_id, metadata, [("a.pdf", PDF)], status=422)
    error = error_of(response)
    assert name in error["fields"], error
    assert message in error["fields"][name], error
    assert snapshot(env.app) == before
    assert upload_files(env.app) == []


def test_api_date_order_message_is_said_once(env):
    body = dossier_body(env, start_date="2024-05-01", end_date="2024")
    body["end_date"] = "2023"
    error = error_of(env.admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", body, status=422))
    assert error["fields"] == {"end_date": "Ngày kết thúc không được trước ngày bắt đầu."}


def test_api_reports_every_wrong_field_at_once(env):
    body = dossier_body(env, organ_id="X", retention="mãi", start_date="2024", end_date="2020",
                        access="9", provenance="02")
    error = error_of(env.admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", body, status=422))
    assert set(error["fields"]) == {"organ_id", "retention", "access"}
    # the cross-field rules run once every field is valid on its own
    body = dossier_body(env, start_date="2024", end_date="2020", provenance="02")
    error = error_of(env.admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", body, status=422))
    assert set(error["fields"]) == {"end_date", "paper_file_code"}


@pytest.mark.parametrize("code", ["add", "Add", "api"])
def test_api_refuses_fonds_code_that_would_hide_a_page(env, code):
    before = snapshot(env.app)
    response = env.admin.post("/api/v1/fonds", {"code": code, "name": "Phông", "organ_id": "H17"},
                              status=422)
    assert "tên dành riêng" in error_of(response)["fields"]["code"]
    response = env.admin.post("/api/v1/users", {"login": code.lower(), "password": "password-123",
                                                "role": "auditor"}, status=422)
    assert "login" in error_of(response)["fields"]
    assert snapshot(env.app) == before


@pytest.mark.parametrize("login_name", ["Nguyễn Văn A", "UPPER", "a", "../etc", "ab cd"])
def test_api_refuses_malformed_logins(env, login_name):
    before = snapshot(env.app)
    response = env.admin.post("/api/v1/users", {"login": login_name, "password": "password-123",
                                                "role": "auditor"}, status=422)
    assert "Tên đăng nhập" in error_of(response)["fields"]["login"]
    assert snapshot(env.app) == before


def test_api_fonds_organ_id_both_forms(env):
    for code, organ_id in (("CU-JUT", "000.00.21.H17"), ("DAK-MIL", "H17.22")):
        env.admin.post("/api/v1/fonds", {"code": code, "name": "UBND huyện", "organ_id": organ_id})
    error = error_of(env.admin.post("/api/v1/fonds", {"code": "X-1", "name": "X",
                                                      "organ_id": "000.0.21.H17"}, status=422))
    assert ORGAN_ID_MSG in error["fields"]["organ_id"]


def test_api_record_number_may_be_a_json_number(env):
    response = env.admin.file_record(env.dossier_id, dict(RECORD, number=504))
    body = env.admin.get(f"/api/v1/records/{response.json['id']}").json
    assert body["number"] == "504"


@pytest.mark.parametrize("doc_type", ["01", "14", "32"])
def test_api_accepts_doc_types_01_to_32(env, doc_type):
    response = env.admin.file_record(env.dossier_id, dict(RECORD, doc_type=doc_type))
    assert env.admin.get(f"/api/v1/records/{response.json['id']}").json["doc_type"] == doc_type


@pytest.mark.parametrize("issued,stored", [("2019", "2019"), ("2019-07", "2019-07"),
                                           ("07/2019", "2019-07"), ("15/07/2019", "2019-07-15")])
def test_api_accepts_partial_issued_dates(env, issued, stored):
    response = env.admin.file_record(env.dossier_id, dict(RECORD, issued_date=issued))
    assert env.admin.get(f"/api/v1/records/{response.json['id']}").json["issued_date"] == stored


# --------------------------------------------------------------------------- API: statuses

def test_400_bad_json(env):
    before = snapshot(env.app)
    for body in (b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe"):
        response = env.admin.app.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", body,
                                      headers=dict(env.admin.headers,
                                                   **{"Content-Type": "application/json"}),
                                      status=400)
        error_of(response)
    response = env.admin.app.post(f"/api/v1/dossiers/{env.dossier_id}/records",
                                  params={"metadata": "{broken"}, headers=env.admin.headers,
                                  upload_files=[("file", "a.pdf", PDF)], status=400)
    error_of(response)
    assert snapshot(env.app) == before


def test_422_missing_metadata_part(env):
    before = snapshot(env.app)
    response = env.admin.app.post(f"/api/v1/dossiers/{env.dossier_id}/records",
                                  headers=env.admin.headers,
                                  upload_files=[("file", "a.pdf", PDF)], status=422)
    assert "metadata" in error_of(response)["fields"]
    assert snapshot(env.app) == before


def test_401_without_or_with_a_wrong_token(env):
    before = snapshot(env.app)
    client = env.admin.app
    url = f"/api/v1/fonds/{FONDS['code']}/dossiers"
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic YTpi"}):
        response = client.post_json(url, dossier_body(env), headers=headers, status=401)
        error_of(response)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    response = client.post_json("/api/v1/tokens", {"login": "admin", "password": "wrong"},
                                status=401)
    error_of(response)
    assert snapshot(env.app)["dossiers"] == before["dossiers"]


def test_403_role_without_the_permission(env):
    before = snapshot(env.app)
    response = env.official.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", dossier_body(env),
                                 status=403)
    error_of(response)
    assert snapshot(env.app) == before


def test_404_unknown_objects(env):
    for url in ("/api/v1/dossiers/nope", "/api/v1/records/nope", "/api/v1/files/nope",
                "/api/v1/nothing-here"):
        error_of(env.admin.get(url, status=404))
    error_of(env.admin.post("/api/v1/fonds/NOPE/dossiers", dossier_body(env), status=404))


def test_409_duplicate_fonds_code_and_file_code(env):
    response = env.admin.post("/api/v1/fonds", FONDS, status=409)
    assert "code" in error_of(response)["fields"]
    before = snapshot(env.app)
    # same organ_id, year and notation: the same file code in this fonds
    response = env.admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", DOSSIER, status=409)
    error = error_of(response)
    assert "notation" in error["fields"]
    assert "000.00.17.H17.2024.01.TCCB" in error["fields"]["notation"]
    assert snapshot(env.app) == before


def test_409_changing_a_closed_dossier(env):
    dossier_id = env.admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers",
                                dossier_body(env)).json["id"]
    env.admin.post(f"/api/v1/dossiers/{dossier_id}/close", status=200)
    before = snapshot(env.app)
    # the ACL refuses every change to a closed dossier before the service sees it
    env.admin.file_record(dossier_id, RECORD, [("a.pdf", PDF)], status=403)
    env.admin.post(f"/api/v1/dossiers/{dossier_id}/close", status=403)
    assert snapshot(env.app) == before


def test_413_upload_over_the_limit(env):
    before = snapshot(env.app)
    big = PDF + b"\0" * MAX_UPLOAD
    response = env.admin.file_record(env.dossier_id, RECORD, [("big.pdf", big)], status=413)
    error_of(response)
    # declared body far over the limit: refused before it is read
    response = env.admin.app.post(f"/api/v1/dossiers/{env.dossier_id}/records",
                                  params={"metadata": json.dumps(RECORD)},
                                  upload_files=[("file", "huge.pdf", b"%PDF-" + b"0" * (1100 * 1024))],
                                  headers=env.admin.headers, status=413)
    error_of(response)
    assert snapshot(env.app) == before
    assert upload_files(env.app) == []


def test_415_executable_renamed_pdf(env):
    before = snapshot(env.app)
    elf = b"\x7fELF\x02\x01\x01\x00" + b"\0" * 2000
    response = env.admin.file_record(env.dossier_id, RECORD, [("quyết định.pdf", elf)], status=415)
    error_of(response)
    response = env.admin.file_record(env.dossier_id, RECORD,
                                     [("scan.pdf", PDF), ("setup.pdf", b"MZ\x90\x00" + b"\0" * 500)],
                                     status=415)
    error_of(response)
    assert snapshot(env.app) == before
    assert upload_files(env.app) == []


def test_unsafe_method_not_allowed_is_json(env):
    response = env.admin.app.delete(f"/api/v1/dossiers/{env.dossier_id}",
                                    headers=env.admin.headers, expect_errors=True)
    assert response.status_int in (404, 405)
    error_of(response)


# --------------------------------------------------------------------------- forms

def dossier_form(env, fonds_code=FONDS["code"], **fields):
    page = env.browser.get(f"/fonds/{fonds_code}/add-dossier")
    form = page.forms["deform"]
    values = dict({"notation": env.notation(), "title": "Hồ sơ nhập từ biểu mẫu",
                   "retention": "10"}, **fields)
    for name, value in values.items():
        form[name] = value
    return form


BAD_FORMS = [
    # (what, the field that must show the message, values typed, part of the message)
    ("organ_id", "organ_id", {"organ_id": "17.H17"}, ORGAN_ID_MSG),
    ("organ_id lower case", "organ_id", {"organ_id": "h17.1.2"}, ORGAN_ID_MSG),
    ("retention", "retention", {"retention": "mãi mãi"}, RETENTION_MSG),
    ("retention zero", "retention", {"retention": "0"}, RETENTION_MSG),
    ("retention empty", "retention", {"retention": ""}, REQUIRED_MSG),
    ("date order", "end_date", {"start_date": "15/03/2024", "end_date": "14/03/2024"},
     DATE_ORDER_MSG),
    ("date order, partial", "end_date", {"start_date": "05/2014", "end_date": "2013"},
     DATE_ORDER_MSG),
    ("bad date", "start_date", {"start_date": "31/02/2024"}, DATE_MSG),
    ("title over 1000", "title", {"title": "x" * 1001}, "Tối đa 1000 ký tự"),
    ("notes over 2000", "notes", {"notes": "x" * 2001}, "Tối đa 2000 ký tự"),
    ("digitised without paper code", "paper_file_code", {"provenance": "02"},
     "Bắt buộc với hồ sơ số hóa"),
]


@pytest.mark.parametrize("field,fields,message", [c[1:] for c in BAD_FORMS],
                         ids=[c[0] for c in BAD_FORMS])
def test_dossier_form_shows_the_message_beside_the_field(env, field, fields, message):
    before = snapshot(env.app)
    page = dossier_form(env, **fields).submit("save")
    assert page.status_int == 200
    assert message in field_error(page, field), form_errors(page)
    assert list(form_errors(page)) == [field]
    assert FORM_MSG in page.html.find(id="form-error").get_text()
    control = page.html.find(attrs={"name": field})
    assert "is-invalid" in control.get("class", []), control
    # the typed values are kept for correction
    for name, value in fields.items():
        assert page.forms["deform"][name].value == value
    assert snapshot(env.app) == before


GOOD_FORMS = [
    ("organ_id QCVN 102:2016", {"organ_id": "000.00.17.H17"}, {"organ_id": "000.00.17.H17"}),
    ("organ_id QĐ 20/2020", {"organ_id": "H17.1.2"}, {"organ_id": "H17.1.2"}),
    ("retention vĩnh viễn", {"retention": "vĩnh viễn"}, {"retention": "permanent"}),
    ("retention 20 năm", {"retention": "20 năm"}, {"retention": 20}),
    ("dates YYYY", {"start_date": "1998", "end_date": "1999"},
     {"start_date": "1998", "end_date": "1999"}),
    ("dates MM/YYYY", {"start_date": "05/2014", "end_date": "11/2014"},
     {"start_date": "2014-05", "end_date": "2014-11"}),
    ("dates DD/MM/YYYY", {"start_date": "05/01/2024", "end_date": "30/06/2024"},
     {"start_date": "2024-01-05", "end_date": "2024-06-30"}),
    ("dates ISO", {"start_date": "2014-05", "end_date": "2014-05-31"},
     {"start_date": "2014-05", "end_date": "2014-05-31"}),
]


@pytest.mark.parametrize("fields,stored", [c[1:] for c in GOOD_FORMS], ids=[c[0] for c in GOOD_FORMS])
def test_dossier_form_accepts_valid_values(env, fields, stored):
    response = dossier_form(env, **fields).submit("save")
    assert response.status_int == 303, form_errors(response)
    dossier_id = response.location.rstrip("/").rsplit("/", 1)[-1]
    body = env.admin.get(f"/api/v1/dossiers/{dossier_id}").json
    for name, value in stored.items():
        assert body[name] == value, name


def test_record_form_refuses_doc_type_outside_the_list(env):
    before = snapshot(env.app)
    page = env.browser.get(f"/fonds/{FONDS['code']}/{env.dossier_id}/add-record")
    form = page.forms["record"]
    form["doc_type"].force_value("33")
    form["issued_date"] = "15/03/2024"
    form["issuer"] = "Sở Nội vụ"
    form["subject"] = "Văn bản có loại sai"
    form["file"] = [Upload("a.pdf", PDF, "application/pdf")]
    page = form.submit("save")
    assert page.status_int == 200
    assert DOC_TYPE_MSG in field_error(page, "doc_type")
    assert list(form_errors(page)) == ["doc_type"]
    assert snapshot(env.app) == before
    assert upload_files(env.app) == []


def test_record_form_shows_each_wrong_field(env):
    before = snapshot(env.app)
    page = env.browser.get(f"/fonds/{FONDS['code']}/{env.dossier_id}/add-record")
    form = page.forms["record"]
    form["issued_date"] = "32/01/2024"
    form["issuer"] = "x" * 201
    form["subject"] = ""
    page = form.submit("save")
    errors = form_errors(page)
    assert REQUIRED_MSG in errors["doc_type"]
    assert DATE_MSG in errors["issued_date"]
    assert "Tối đa 200 ký tự" in errors["issuer"]
    assert REQUIRED_MSG in errors["subject"]
    assert snapshot(env.app) == before


def test_fonds_form_refuses_bad_organ_id_and_duplicate_code(env):
    before = snapshot(env.app)
    page = env.browser.get("/fonds/add")
    form = page.forms["deform"]
    form["code"], form["name"], form["organ_id"] = "MOI", "Phông mới", "000.00.17"
    page = form.submit("save")
    assert ORGAN_ID_MSG in field_error(page, "organ_id")
    form = page.forms["deform"]
    form["code"], form["organ_id"] = FONDS["code"], "H17.1.2"
    page = form.submit("save")
    assert page.status_int == 200
    assert "Phông có mã này đã tồn tại" in field_error(page, "code")
    assert snapshot(env.app) == before


def test_dossier_form_duplicate_file_code_is_shown_beside_notation(env):
    before = snapshot(env.app)
    page = dossier_form(env, notation=DOSSIER["notation"], year=str(DOSSIER["year"])).submit("save")
    assert page.status_int == 200
    assert "đã tồn tại" in field_error(page, "notation")
    assert snapshot(env.app) == before


def test_dossier_edit_form_refuses_and_keeps_the_stored_values(env):
    before = snapshot(env.app)
    page = env.browser.get(f"/fonds/{FONDS['code']}/{env.dossier_id}/edit")
    form = page.forms["deform"]
    form["organ_id"] = "H17..2"
    form["end_date"] = "01/01/2000"
    page = form.submit("save")
    errors = form_errors(page)
    assert ORGAN_ID_MSG in errors["organ_id"]
    assert snapshot(env.app) == before
    body = env.admin.get(f"/api/v1/dossiers/{env.dossier_id}").json
    assert body["organ_id"] == FONDS["organ_id"]
    assert body["end_date"] == DOSSIER["end_date"]
