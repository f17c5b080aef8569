"""The run phase on its own (``archive.digitise.engine.process``, no queue)
and the store phase's renditions.

- a scan becomes a PDF/A-2b rendition: XMP pdfaid:part=2 / conformance=B
  (read with pikepdf), pikepdf's PDF/A validator passes it, it has a text
  layer (pdftotext finds the words), the original's bytes and SHA-256 are
  unchanged (veraPDF cannot be installed here: no Java package source);
- a born-digital PDF: text read from its text layer, no OCR;
- DOCX, ODT, XLSX: text extracted, and a PDF/A-2b rendition by LibreOffice
  (confirmed by pikepdf's validator); none, with the reason, without it;
- multi-page TIFF and JPEG without a resolution;
- storing the same result twice makes one rendition (role "rendition",
  ``source`` = the original).
"""
import hashlib
import io
import os
import shutil
import subprocess
import zipfile

import pytest

from conftest import (
    ADMIN_PASSWORD, DOSSIER, FONDS, PROJECT, RECORD, Api, api_token, close_app, make_app, make_pdf,
    module_app, read_root,
)
from test_ocr import FONT, render_page, word_accuracy

from archive.digitise import engine


def sha256(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    """One OCR run of a one-page image-only PDF, shared by the tests below."""
    tmp = tmp_path_factory.mktemp("scan")
    path = write(tmp, "scan.pdf", make_pdf(1, "Quyết định công nhận kết quả tuyển dụng"))
    before = sha256(path)
    work = tmp / "work"
    work.mkdir()
    result = engine.process(path, "application/pdf", str(work), engine.Options())
    return {"path": path, "before": before, "result": result}


def test_scan_rendition_is_pdfa_2b(scan):
    import pikepdf
    import pikepdf.pdfa

    result = scan["result"]
    assert result.rendition_status == "done" and result.rendition_pdfa is True
    with pikepdf.open(result.rendition_path) as pdf:
        meta = pdf.open_metadata()
        assert meta.get("pdfaid:part") == "2" and meta.get("pdfaid:conformance") == "B"
        report = pikepdf.pdfa.check(pdf, "2b")  # a validator's verdict, not only the claim
        assert report.verdict == "pass", report.summary()


def test_scan_rendition_has_a_text_layer(scan):
    text = subprocess.run(["pdftotext", "-layout", scan["result"].rendition_path, "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "tuyển dụng" in text and "Quyết định" in text


def test_original_unchanged(scan):
    assert sha256(scan["path"]) == scan["before"]
    assert scan["result"].pages[0].method == "ocr"
    assert word_accuracy("Quyết định công nhận kết quả tuyển dụng trang 1",
                         scan["result"].pages[0].text) >= 0.95


def born_digital_pdf():
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("DejaVu", "", FONT)
    pdf.set_font("DejaVu", size=12)
    for text in ("Công văn số 504/UBND-NC về việc báo cáo công tác văn thư lưu trữ",
                 "Ủy ban nhân dân huyện Đắk Song đề nghị các xã báo cáo trước ngày 15"):
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def test_born_digital_pdf_text_without_ocr(tmp_path):
    path = write(tmp_path, "cong-van.pdf", born_digital_pdf())
    before = sha256(path)
    result = engine.process(path, "application/pdf", str(tmp_path), engine.Options())
    assert result.method == "text-layer" and result.ocr_pages == 0
    assert [p.method for p in result.pages] == ["text-layer", "text-layer"]
    assert "504/UBND-NC" in result.pages[0].text and "Đắk Song" in result.pages[1].text
    assert all(p.confidence is None and not p.flagged for p in result.pages)
    # the PDF itself, declared PDF/A-2b and confirmed by pikepdf's validator (its
    # fonts are embedded; fpdf2's /OpenAction, outside the validator's allowlist, dropped)
    assert result.rendition_status == "done" and result.rendition_pdfa is True, result.rendition_note
    assert_pdfa_2b(result.rendition_path)
    assert "504/UBND-NC" in pdf_text(result.rendition_path)
    assert sha256(path) == before


def test_signed_pdf_gets_no_rendition_that_would_break_its_signature(tmp_path):
    import pikepdf

    path = tmp_path / "ky-so.pdf"
    path.write_bytes(born_digital_pdf())
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        field = pdf.make_indirect(pikepdf.Dictionary(
            FT=pikepdf.Name.Sig, T="Chữ ký số", Rect=[0, 0, 0, 0], Subtype=pikepdf.Name.Widget,
            Type=pikepdf.Name.Annot, F=132, P=pdf.pages[0].obj))
        pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([field]))
        pdf.Root.AcroForm = pikepdf.Dictionary(Fields=[field], SigFlags=3)
        pdf.save(path)
    result = engine.process(str(path), "application/pdf", str(tmp_path), engine.Options())
    assert result.method == "text-layer" and "504/UBND-NC" in result.pages[0].text
    assert result.rendition_status == "failed" and result.rendition_path is None
    assert "chữ ký số" in str(result.rendition_note)


def docx(paragraphs):
    """A small but complete DOCX (content types, package relations, body)."""
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
            '"application/xml"/><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'))
        archive.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
            '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="word/document.xml"/></Relationships>'))
        archive.writestr("word/document.xml", '<?xml version="1.0" encoding="UTF-8"?><w:document '
                         'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                         f"<w:body>{body}</w:body></w:document>")
    return out.getvalue()


def odt(paragraphs):
    body = "".join(f"<text:p>{p}</text:p>" for p in paragraphs)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:'
            'names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry '
            'manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            '</manifest:manifest>'))
        archive.writestr("content.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:'
            'names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:'
            'xmlns:text:1.0" office:version="1.2"><office:body><office:text>'
            f"{body}</office:text></office:body></office:document-content>"))
    return out.getvalue()


def pdf_text(path):
    return subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True, check=True).stdout


def assert_pdfa_2b(path):
    import pikepdf
    import pikepdf.pdfa

    with pikepdf.open(path) as pdf:
        meta = pdf.open_metadata()
        assert meta.get("pdfaid:part") == "2" and meta.get("pdfaid:conformance") == "B"
        report = pikepdf.pdfa.check(pdf, "2b")
        assert report.verdict == "pass", report.summary()


@pytest.mark.parametrize("kind", ["docx", "odt"])
def test_office_document_text_and_pdfa_rendition(tmp_path, kind):
    """Text extracted without OCR, and LibreOffice's PDF/A-2b export,
    confirmed by pikepdf's validator, with the words and their tone marks."""
    lines = ["Tờ trình về việc thành lập hội đồng", "xác định giá trị tài liệu"]
    data, media_type = (docx(lines), engine.DOCX) if kind == "docx" else (odt(lines), engine.ODT)
    path = write(tmp_path, f"to-trinh.{kind}", data)
    before = sha256(path)
    result = engine.process(path, media_type, str(tmp_path), engine.Options())
    assert result.status == "done" and result.method == "extract"
    assert result.pages[0].text == "\n".join(lines)
    assert result.rendition_status == "done" and result.rendition_pdfa is True, result.rendition_note
    assert_pdfa_2b(result.rendition_path)
    assert "hội đồng" in pdf_text(result.rendition_path)
    assert "LibreOffice" in result.engine and sha256(path) == before


def test_office_conversion_fetches_nothing_the_document_links_to(tmp_path):
    """An ODT whose image is a link to an address: LibreOffice, converting it
    on the server, must not request it (a document is untrusted input)."""
    import http.server
    import threading

    asked = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            self.send_error(404)

        do_OPTIONS = do_HEAD = do_GET

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        image = ('<draw:frame xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
                 'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
                 'svg:width="2cm" svg:height="2cm" text:anchor-type="as-char"><draw:image '
                 'xmlns:xlink="http://www.w3.org/1999/xlink" '
                 f'xlink:href="http://127.0.0.1:{port}/leak.png" xlink:type="simple" '
                 'xlink:show="embed" xlink:actuate="onLoad"/></draw:frame>')
        path = write(tmp_path, "lien-ket.odt", odt([f"Ảnh liên kết {image}"]))
        result = engine.process(path, engine.ODT, str(tmp_path), engine.Options())
    finally:
        server.shutdown()
        server.server_close()
    assert result.rendition_status == "done", result.rendition_note
    assert asked == []


def test_office_zip_bomb_is_refused_before_unpacking(tmp_path):
    """A DOCX whose document.xml unpacks to 300 MB (a few hundred KB packed):
    refused from the size the zip declares, with the reason; nothing unpacked."""
    from archive.digitise import errors

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("word/document.xml", "w", force_zip64=True) as fh:
            fh.write(b'<?xml version="1.0"?><w:document xmlns:w="w"><w:body>')
            block = b" " * (1024 * 1024)
            for _ in range(300):
                fh.write(block)
            fh.write(b"</w:body></w:document>")
    path = write(tmp_path, "bom.docx", out.getvalue())
    assert os.path.getsize(path) < 2 * 1024 * 1024
    with pytest.raises(errors.OfficeTooLarge):
        engine.process(path, engine.DOCX, str(tmp_path), engine.Options())


def test_xlsx_rendition(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Mã hồ sơ", "Tiêu đề"])
    book.active.append(["01.HC", "Hồ sơ đăng ký hộ tịch năm 2024"])
    out = io.BytesIO()
    book.save(out)
    path = write(tmp_path, "bang-ke.xlsx", out.getvalue())
    result = engine.process(path, engine.XLSX, str(tmp_path), engine.Options())
    assert "đăng ký hộ tịch" in result.pages[0].text
    assert result.rendition_status == "done" and result.rendition_pdfa is True
    assert "đăng ký hộ tịch" in pdf_text(result.rendition_path)


def test_office_document_without_converter_keeps_its_text(tmp_path):
    path = write(tmp_path, "to-trinh.docx", docx(["Tờ trình về việc thành lập hội đồng"]))
    result = engine.process(path, engine.DOCX, str(tmp_path), engine.Options(office_renditions=False))
    assert result.status == "done" and result.pages[0].text == "Tờ trình về việc thành lập hội đồng"
    assert result.rendition_status == "not_needed" and result.rendition_path is None
    assert "PDF/A" in str(result.rendition_note)


def test_office_document_libreoffice_cannot_open(tmp_path):
    """A DOCX whose package LibreOffice cannot load (no relations): the text
    is still read; the rendition failed, with the reason."""
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="http://'
                         'schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
                         '<w:t>Biên bản bàn giao</w:t></w:r></w:p></w:body></w:document>')
    path = write(tmp_path, "bien-ban.docx", data.getvalue())
    result = engine.process(path, engine.DOCX, str(tmp_path), engine.Options())
    assert result.status == "done" and result.pages[0].text == "Biên bản bàn giao"
    assert result.rendition_status == "failed" and "LibreOffice" in str(result.rendition_note)


def test_multipage_tiff_and_jpeg_without_resolution(tmp_path):
    frames = [render_page(f"Trang {n} của sổ đăng ký hộ tịch", size=(1600, 400), mode="1")
              for n in (1, 2)]
    tiff = io.BytesIO()
    frames[0].save(tiff, "TIFF", save_all=True, append_images=frames[1:], dpi=(300, 300),
                   compression="group4")
    path = write(tmp_path, "so.tif", tiff.getvalue())
    (tmp_path / "t").mkdir()
    result = engine.process(path, "image/tiff", str(tmp_path / "t"), engine.Options())
    assert (result.page_count, result.dpi, result.colour_depth, result.colour_mode) == (2, 300, 1, "bilevel")
    assert [p.number for p in result.pages] == [1, 2]
    assert "hộ tịch" in result.pages[1].text and result.rendition_status == "done"
    jpeg = io.BytesIO()
    render_page("Giấy khai sinh bản chính", size=(1600, 400)).save(jpeg, "JPEG", quality=90)
    path = write(tmp_path, "giay.jpg", jpeg.getvalue())
    (tmp_path / "j").mkdir()
    result = engine.process(path, "image/jpeg", str(tmp_path / "j"), engine.Options())
    assert result.dpi is None and result.colour_depth == 24  # no resolution in the file: unknown
    assert "khai sinh" in result.pages[0].text


# --------------------------------------------------------------------------- store

def test_store_twice_makes_one_rendition(scan, tmp_path_factory):
    from webtest import TestApp

    from archive.digitise import file_state, source_of
    from archive.digitise.services import store_result

    with module_app(tmp_path_factory, "renditions") as wsgi:
        client = TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        admin = Api(client, api_token(client, "admin", ADMIN_PASSWORD))
        admin.post("/api/v1/fonds", FONDS)
        dossier_id = admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", DOSSIER).json["id"]
        with open(scan["path"], "rb") as fh:
            record = admin.file_record(dossier_id, RECORD, [("scan.pdf", fh.read())]).json
        file_id = record["files"][0]["id"]
        result = scan["result"]
        made = result.rendition_path
        for attempt in range(2):   # the same job's result stored again (a job run twice)
            result.rendition_path = f"{made}.{attempt}"
            shutil.copyfile(made, result.rendition_path)
            read_root(wsgi, lambda root: store_result(root, file_id, result, wsgi.registry))
            assert not os.path.exists(result.rendition_path)  # taken in, or removed after commit
        result.rendition_path = made

        def check(root):
            original = root.objectmap[file_id]
            renditions = [f for f in original.__parent__.values() if f.role == "rendition"]
            assert len(renditions) == 1
            assert source_of(renditions[0]) is original
            assert file_state(original).rendition_id == renditions[0].id
            return renditions[0].id

        rendition_id = read_root(wsgi, check)
        files = admin.get(f"/api/v1/records/{record['id']}").json["files"]
        assert [(f["role"], f.get("source")) for f in files] == [("original", None), ("rendition", file_id)]
        body = admin.get(f"/api/v1/files/{rendition_id}").body
        assert body.startswith(b"%PDF") and hashlib.sha256(body).hexdigest() == files[1]["sha256"]
        assert files[0]["sha256"] == scan["before"]


def test_closed_dossier_keeps_text_gets_no_new_file(scan, tmp_path_factory):
    """A dossier closed while its scan was being converted stays read-only:
    the text is stored, the rendition is not added, and the page says why."""
    from webtest import TestApp

    from archive.digitise.services import store_result

    with module_app(tmp_path_factory, "renditions-closed") as wsgi:
        client = TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        admin = Api(client, api_token(client, "admin", ADMIN_PASSWORD))
        admin.post("/api/v1/fonds", FONDS)
        dossier_id = admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", DOSSIER).json["id"]
        with open(scan["path"], "rb") as fh:
            record = admin.file_record(dossier_id, RECORD, [("scan.pdf", fh.read())]).json
        admin.post(f"/api/v1/dossiers/{dossier_id}/close", status=200)
        result = scan["result"]
        made = result.rendition_path
        result.rendition_path = copy = f"{made}.closed"
        shutil.copyfile(made, copy)
        try:
            read_root(wsgi, lambda root: store_result(root, record["files"][0]["id"], result,
                                                           wsgi.registry))
            assert not os.path.exists(copy)  # dropped after the commit
        finally:
            result.rendition_path, result.rendition_status, result.rendition_note = made, "done", ""
        body = admin.get(f"/api/v1/records/{record['id']}").json
        assert [f["role"] for f in body["files"]] == ["original"] and body["text_status"] == "done"
        text = admin.get(f"/api/v1/records/{record['id']}/text").json["files"][0]
        assert text["rendition_status"] == "failed" and "Hồ sơ đã đóng" in text["rendition_note"]
        assert "tuyển dụng" in text["pages"][0]["text"]


def test_archive_ocr_queues_files_never_queued(tmp_path_factory):
    """Files stored while OCR was not queued (testing.ini: archive.ocr.auto off,
    or an archive older than digitisation) are queued by archive-ocr, once."""
    from webtest import TestApp

    from archive.scripts.ocr import main

    app_dir = tmp_path_factory.mktemp("archive-ocr")
    shutil.copy(os.path.join(PROJECT, "testing.ini"), app_dir / "testing.ini")
    wsgi = make_app(app_dir)
    try:
        client = TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        admin = Api(client, api_token(client, "admin", ADMIN_PASSWORD))
        admin.post("/api/v1/fonds", FONDS)
        dossier_id = admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", DOSSIER).json["id"]
        record = admin.file_record(dossier_id, RECORD,
                                   [("a.pdf", make_pdf(1)), ("b.pdf", make_pdf(1))]).json
        assert admin.get(f"/api/v1/records/{record['id']}").json["text_status"] == "pending"
    finally:
        close_app(wsgi)
    ini = str(app_dir / "testing.ini")
    out = io.StringIO()
    assert main([ini, "--dry-run"], out=out) == 0 and "2 files to queue" in out.getvalue()
    out = io.StringIO()
    assert main([ini], out=out) == 0 and "2 files queued" in out.getvalue()
    out = io.StringIO()
    assert main([ini], out=out) == 0 and "0 files queued" in out.getvalue()
    wsgi = make_app(app_dir)
    try:
        jobs = read_root(wsgi, lambda root: sorted(
            job.payload["file_id"] for job in root["jobs"].jobs.values() if job.kind == "ocr"))
        assert jobs == sorted(f["id"] for f in record["files"])
    finally:
        close_app(wsgi)
