"""The core workflow through the UI and the API, end to end in WebTest."""
import hashlib

from webtest import Upload

from conftest import RECORD, make_pdf


def test_ui_create_fonds_dossier_record_and_download(admin):
    page = admin.get("/fonds/add")
    form = page.forms["deform"]
    form["code"] = "SNV"
    form["name"] = "Sở Nội vụ"
    form["organ_id"] = "000.00.17.H17"
    page = form.submit("save").follow()
    assert "Sở Nội vụ" in page.text
    page = admin.get("/fonds/SNV/add-dossier")
    form = page.forms["deform"]
    form["notation"] = "01.TCCB"
    form["year"] = "2024"
    form["title"] = "Hồ sơ tuyển dụng"
    form["retention"] = "10"
    page = form.submit("save").follow()
    assert "000.00.17.H17.2024.01.TCCB" in page.text
    dossier_url = page.request.url
    page = admin.get(dossier_url + "add-record")
    form = page.forms["record"]
    form["doc_type"] = "02"
    form["issued_date"] = "15/03/2024"
    form["issuer"] = "Sở Nội vụ"
    form["subject"] = "Quyết định tuyển dụng"
    pdf = make_pdf(3)
    form["file"] = [Upload("quyết định số 504.pdf", pdf, "application/pdf")]
    page = form.submit("save")
    assert page.status_int == 303, page.text[:3000]
    page = page.follow()
    assert "000.00.17.H17.2024.01.TCCB.0000001" in page.text
    link = page.html.select_one("a.download")["href"]
    download = admin.get(link)
    assert download.body == pdf
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "filename*=UTF-8''quy%E1%BA%BFt" in download.headers["Content-Disposition"]


def test_api_file_record_and_get_bytes(admin_api, dossier_id):
    pdf = make_pdf(2)
    response = admin_api.file_record(dossier_id, RECORD, [("a.pdf", pdf)])
    body = response.json
    assert body["doc_code"].endswith(".0000001")
    assert body["files"][0]["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert body["files"][0]["media_type"] == "application/pdf"
    dossier = admin_api.get(f"/api/v1/dossiers/{dossier_id}").json
    assert dossier["doc_total"] == 1
    assert dossier["page_total"] == 2
    data = admin_api.get(f"/api/v1/files/{body['files'][0]['id']}").body
    assert data == pdf
