"""Bad input ends as a failed "ocr" job with a clear Vietnamese reason, at
once (no retry), without harming anything; the jobs after it still run.

What reaches storage: the upload refuses a zero-byte file (422) and keeps a
corrupt PDF, an encrypted PDF and a 100-megapixel image (they are what their
first bytes say); a zero-byte file can still arrive by other paths (an import
of a damaged folder), so the job refuses it too.
"""
import hashlib
import io
import os
import tempfile

import pytest

from conftest import (
    ADMIN_PASSWORD, DOSSIER, FONDS, RECORD, Api, api_token, make_user, read_root, run_jobs,
)
from test_ocr import ocr_app, png, render_page


def corrupt_pdf():
    return b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def encrypted_pdf():
    import pikepdf

    source = io.BytesIO()
    render_page("Tài liệu mật", size=(1240, 600)).save(source, "PDF", resolution=150)
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(source.getvalue())) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(owner="chu-so-huu", user="mat-khau"))
    return out.getvalue()


def huge_png():
    """10 000 x 10 000 pixels (100 megapixels), bilevel: small on disk, 100 MB
    (or 300 MB in colour) once decoded."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (10_000, 10_000), 1).save(out, "PNG", dpi=(300, 300))
    return out.getvalue()


BAD = {
    "hong.pdf": (corrupt_pdf, "Tệp PDF bị hỏng"),
    "ma-hoa.pdf": (encrypted_pdf, "Tệp PDF được mã hóa"),
    "qua-lon.png": (huge_png, "Ảnh quá lớn (100 megapixel, tối đa 90)"),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from webtest import TestApp

    from archive.events import SYSTEM
    from archive.services.files import Spooled, attach_file

    with ocr_app(tmp_path_factory, "ocr-errors") as wsgi:
        client = TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        admin = Api(client, api_token(client, "admin", ADMIN_PASSWORD))
        admin.post("/api/v1/fonds", FONDS)
        archivist = make_user(admin, "luutru", "archivist", [FONDS["code"]])
        dossier_id = admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", DOSSIER).json["id"]
        records = {}
        for name, (make, _reason) in BAD.items():
            records[name] = archivist.file_record(dossier_id, RECORD, [(name, make())]).json
        # what the user sees when uploading a zero-byte file
        empty_answer = archivist.file_record(dossier_id, RECORD, [("rong.pdf", b"")], status=422)
        # ... and a zero-byte file that reached storage by another path
        holder = archivist.file_record(dossier_id, dict(RECORD, subject="Tệp rỗng")).json

        def add_empty(root):
            tmp = wsgi.registry.settings["archive.upload_tmp"]
            os.makedirs(tmp, exist_ok=True)
            fd, path = tempfile.mkstemp(dir=tmp)
            os.close(fd)
            spooled = Spooled(path, "rong.pdf", 0, hashlib.sha256(b"").hexdigest(), "application/pdf")
            return attach_file(root.objectmap[holder["id"]], spooled, wsgi.registry, SYSTEM).id

        empty_file = read_root(wsgi, add_empty)
        records["rong.pdf"] = archivist.get(f"/api/v1/records/{holder['id']}").json
        # a good file queued after all of them
        good = archivist.file_record(dossier_id, dict(RECORD, subject="Tờ khai tốt"), [
            ("to-khai.png", png(render_page("Tờ khai đăng ký khai sinh", size=(1600, 500)), dpi=300))]).json
        run_jobs(wsgi)
        jobs = read_root(wsgi, lambda root: {
            job.payload.get("file_id"): (job.state, job.attempts, _text(job.error))
            for job in root["jobs"].jobs.values() if job.kind == "ocr"})
        yield {"api": archivist, "records": records, "good": good, "jobs": jobs,
               "empty_answer": empty_answer, "empty_file": empty_file}


def _text(message):
    if message is None:
        return None
    return message.interpolate() if hasattr(message, "interpolate") else str(message)


def test_zero_byte_upload_refused_with_reason(world):
    answer = world["empty_answer"].json
    assert "Tệp rỗng (0 byte)" in str(answer), answer


@pytest.mark.parametrize("name", sorted(BAD) + ["rong.pdf"])
def test_bad_input_fails_at_once_with_its_reason(world, name):
    reason = BAD[name][1] if name in BAD else "Tệp rỗng (0 byte)"
    record = world["records"][name]
    (stored,) = [f for f in record["files"] if f["role"] == "original"]
    state, attempts, error = world["jobs"][stored["id"]]
    assert (state, attempts) == ("failed", 1), (state, attempts, error)  # no retry
    assert reason in error, error
    api = world["api"]
    assert api.get(f"/api/v1/records/{record['id']}").json["text_status"] == "failed"
    text = api.get(f"/api/v1/records/{record['id']}/text").json
    (entry,) = text["files"]
    assert entry["text_status"] == "failed" and reason in entry["error"]
    assert entry["pages"] == [] and entry["rendition_id"] is None
    # nothing was added to the record, the original is untouched
    after = api.get(f"/api/v1/records/{record['id']}").json
    assert [f["id"] for f in after["files"]] == [stored["id"]]


def test_a_good_job_after_them_completes(world):
    api = world["api"]
    record = api.get(f"/api/v1/records/{world['good']['id']}").json
    assert record["text_status"] == "done"
    assert {f["role"] for f in record["files"]} == {"original", "rendition"}
    page = api.get(f"/api/v1/records/{world['good']['id']}/text").json["files"][0]["pages"][0]
    assert "khai sinh" in page["text"]


def test_retried_job_is_pending_again_then_fails_again(world):
    """An archivist sends the failed job back (jobs page): the file is pending
    again meanwhile; the same bytes fail the same way."""

    from archive.events import SYSTEM
    from archive.jobs import retry_job

    api = world["api"]
    record = world["records"]["hong.pdf"]
    file_id = record["files"][0]["id"]
    wsgi = api.app.app
    read_root(wsgi, lambda root: retry_job(root, next(
        job.id for job in root["jobs"].jobs.values() if job.payload.get("file_id") == file_id),
        SYSTEM, registry=wsgi.registry))
    assert api.get(f"/api/v1/records/{record['id']}").json["text_status"] == "pending"
    run_jobs(wsgi)
    after = api.get(f"/api/v1/records/{record['id']}/text").json["files"][0]
    assert after["text_status"] == "failed" and "Tệp PDF bị hỏng" in after["error"]
