"""Uploads and downloads against a real server (``pserve`` + waitress + a real
FileStorage): a 1 GiB upload in bounded memory, 413 / 415 / empty / half-sent
uploads that leave nothing behind, hostile file names, and downloads with the
right headers, Range and inline viewing.

``Client`` (standard library only) is also used by test_durability.py and
test_concurrency.py.
"""
import hashlib
import http.client
import io
import json
import os
import shutil
import socket
import time
import unicodedata
import uuid
import zipfile
from urllib.parse import quote, unquote, urlsplit

import pytest

from conftest import DOSSIER, FONDS, RECORD, make_pdf
from live import ADMIN_PASSWORD, LiveServer

MiB = 1024 * 1024
GiB = 1024 * MiB


# --------------------------------------------------------------------------
# a small HTTP client for a LiveServer

def multipart_parts(metadata, files):
    """``(content_type, [bytes or iterable of bytes, ...], length)`` for a
    ``metadata`` part and ``files`` = [(name, content, media_type)], where
    content is bytes or ``(iterable_of_chunks, size)`` for streamed bodies."""
    boundary = "archive-test-" + uuid.uuid4().hex
    pieces = []
    length = 0

    def add(piece, size=None):
        nonlocal length
        pieces.append(piece)
        length += len(piece) if size is None else size

    if metadata is not None:
        add((f"--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\n"
             "Content-Type: application/json\r\n\r\n").encode()
            + json.dumps(metadata).encode() + b"\r\n")
    for name, content, media_type in files:
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        add((f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
             f"filename=\"{quoted}\"\r\nContent-Type: {media_type}\r\n\r\n").encode("utf-8"))
        if isinstance(content, bytes):
            add(content)
        else:
            chunks, size = content
            add(chunks, size)
        add(b"\r\n")
    add(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", pieces, length


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<Response {self.status} {self.body[:300]!r}>"


class Client:
    """Token-authenticated API calls to a LiveServer, one connection each."""

    def __init__(self, url, token=None, timeout=600):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.token = token
        self.timeout = timeout

    @classmethod
    def login(cls, url, login="admin", password=ADMIN_PASSWORD):
        client = cls(url)
        response = client.request("POST", "/api/v1/tokens", json_body={"login": login,
                                                                    "password": password})
        assert response.status == 201, response
        client.token = response.json["token"]
        return client

    def connection(self):
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def request(self, method, path, body=None, headers=None, json_body=None, pieces=None,
                length=None, sink=None):
        """Send a request; ``pieces`` (bytes or iterables of bytes) are streamed
        with the given Content-Length.  With ``sink``, the response body is
        passed to it in chunks instead of being kept."""
        headers = dict(headers or {})
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        conn = self.connection()
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            if pieces is not None:
                headers["Content-Length"] = str(length)
            elif body is not None:
                headers["Content-Length"] = str(len(body))
            for key, value in headers.items():
                conn.putheader(key, value)
            conn.endheaders()
            if pieces is not None:
                for piece in pieces:
                    if isinstance(piece, bytes):
                        conn.send(piece)
                    else:
                        for chunk in piece:
                            conn.send(chunk)
            elif body is not None:
                conn.send(body)
            response = conn.getresponse()
            if sink is None:
                data = response.read()
            else:
                data = b""
                for chunk in iter(lambda: response.read(8 * MiB), b""):
                    sink(chunk)
            return Response(response.status, response.headers, data)
        finally:
            conn.close()

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post_json(self, path, data):
        return self.request("POST", path, json_body=data)

    def file_record(self, dossier_id, metadata, files=()):
        """files: [(name, bytes_or_(chunks, size), media_type)]"""
        content_type, pieces, length = multipart_parts(metadata, files)
        return self.request("POST", f"/api/v1/dossiers/{dossier_id}/records",
                            headers={"Content-Type": content_type}, pieces=pieces, length=length)

    def new_dossier(self, fonds=FONDS, **fields):
        """A new dossier (and its fonds when missing); returns its id."""
        codes = {f["code"] for f in self.get("/api/v1/fonds").json["fonds"]}
        if fonds["code"] not in codes:
            response = self.post_json("/api/v1/fonds", fonds)
            assert response.status == 201, response
        data = dict(DOSSIER, notation=f"{uuid.uuid4().hex[:6].upper()}.TCCB")
        data.update(fields)
        response = self.post_json(f"/api/v1/fonds/{fonds['code']}/dossiers", data)
        assert response.status == 201, response
        return response.json["id"]


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def tree(path):
    """Every file under ``path`` (relative names), to see what was left behind."""
    out = set()
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            out.add(os.path.relpath(os.path.join(dirpath, name), path))
    return out


def deleted_open_files(pid):
    """Files the process holds open although they were removed (disk space
    that an upload would keep using until the process exits)."""
    out = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.endswith(" (deleted)"):
            out.append(target)
    return out


def big_pdf(size, chunk=8 * MiB):
    """A structurally valid one-page PDF of exactly ``size`` bytes, made of a
    small page and an (unused) stream object of zeros, as ``(chunks, size)``
    where ``chunks`` is a fresh generator: nothing of that size in memory."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        None,  # the content stream, below
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    text = b"BT /F1 24 Tf 72 720 Td (Dossier Archive: 1 GiB test file) Tj ET"
    objects[3] = b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream"
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(head))
        head += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    padding_offset = len(head)

    def tail_for(padding):
        start = padding_offset
        opening = b"6 0 obj\n<< /Length %d >>\nstream\n" % padding
        closing = b"\nendstream\nendobj\n"
        xref_at = start + len(opening) + padding + len(closing)
        xref = b"xref\n0 7\n0000000000 65535 f \n"
        for offset in offsets + [start]:
            xref += b"%010d 00000 n \n" % offset
        trailer = b"trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref_at
        return opening, closing + xref + trailer

    padding = size - len(head)
    for _ in range(5):  # the lengths of the numbers depend on the padding
        opening, tail = tail_for(padding)
        padding = size - len(head) - len(opening) - len(tail)
    opening, tail = tail_for(padding)
    assert len(head) + len(opening) + padding + len(tail) == size

    def chunks():
        yield head + opening
        zeros = bytes(chunk)
        left = padding
        while left:
            n = min(left, chunk)
            yield zeros if n == chunk else zeros[:n]
            left -= n
        yield tail

    return chunks, size


# --------------------------------------------------------------------------
# servers

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server with the testing.ini limit (2 GiB)."""
    app_dir = tmp_path_factory.mktemp("uploads")
    live = LiveServer(app_dir).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def api(server):
    return Client.login(server.url)


@pytest.fixture
def dossier(api):
    return api.new_dossier()


@pytest.fixture(scope="module")
def small_server(tmp_path_factory):
    """A server that accepts files of at most 1 MiB."""
    app_dir = tmp_path_factory.mktemp("small")
    live = LiveServer(app_dir, app_settings={"archive.max_upload": str(MiB)}).start()
    yield live
    live.stop()


class Leftovers:
    """Snapshot of the upload spool and blob directories and of the dossier."""

    def __init__(self, live, client, dossier_id):
        self.live, self.client, self.dossier_id = live, client, dossier_id
        var = os.path.join(live.app_dir, "var")
        self.dirs = [os.path.join(var, "tmp"), os.path.join(var, "blobs")]
        self.before = [tree(d) for d in self.dirs]
        self.records = self.client.get(f"/api/v1/dossiers/{dossier_id}").json["doc_total"]

    def assert_nothing_left(self):
        for directory, before in zip(self.dirs, self.before):
            assert tree(directory) == before, f"files left behind in {directory}"
        dossier = self.client.get(f"/api/v1/dossiers/{self.dossier_id}").json
        assert dossier["doc_total"] == self.records
        # the temporary copies made by waitress, WebOb and cgi are unlinked
        # files: they must be closed too, or the disk space stays taken
        deadline = time.time() + 10
        while deleted_open_files(self.live.pid) and time.time() < deadline:
            time.sleep(0.2)
        assert deleted_open_files(self.live.pid) == []


# --------------------------------------------------------------------------
# a 1 GiB upload in bounded memory

def test_big_pdf_is_a_valid_pdf():
    """The generator used below makes a PDF that a strict reader opens."""
    from pypdf import PdfReader

    chunks, size = big_pdf(3 * MiB + 17)
    data = b"".join(chunks())
    assert len(data) == size
    assert len(PdfReader(io.BytesIO(data), strict=True).pages) == 1


@pytest.fixture
def big_server(tmp_path):
    """A server of its own for the 1 GiB test; its data is removed afterwards
    (pytest keeps the last temporary directories, 1 GiB each would add up)."""
    live = LiveServer(tmp_path).start()
    yield live
    live.stop()
    shutil.rmtree(tmp_path / "var", ignore_errors=True)


def test_one_gib_upload_keeps_server_memory_flat(big_server):
    # at the peak the body is on disk four times: waitress, WebOb's seekable
    # copy, the parsed part, our spool (which becomes the blob)
    free = shutil.disk_usage(big_server.app_dir).free
    assert free > 5 * GiB, f"the 1 GiB upload test needs 5 GiB free, {free / GiB:.1f} GiB left"
    server = big_server
    api = Client.login(server.url)
    dossier = api.new_dossier()
    # warm up: the first upload imports and caches what uploads need
    pdf = make_pdf(1)
    assert api.file_record(dossier, RECORD, [("warm-up.pdf", pdf, "application/pdf")]).status == 201
    rss_before = server.rss_kb()
    peak_before = server.rss_kb(peak=True)

    chunks, size = big_pdf(GiB)
    assert size == 1024 ** 3
    digest = hashlib.sha256()

    def hashed():
        for chunk in chunks():
            digest.update(chunk)
            yield chunk

    started = time.monotonic()
    response = api.file_record(dossier, dict(RECORD, subject="Tệp 1 GiB"),
                               [("bản quét 1 GiB.pdf", (hashed(), size), "application/pdf")])
    upload_seconds = time.monotonic() - started
    assert response.status == 201, response
    peak_after_upload = server.rss_kb(peak=True)
    stored = response.json["files"][0]
    assert stored["size"] == size
    assert stored["media_type"] == "application/pdf"
    assert stored["sha256"] == digest.hexdigest()

    # and every byte comes back, streamed
    back = hashlib.sha256()
    count = 0

    def sink(chunk):
        nonlocal count
        back.update(chunk)
        count += len(chunk)

    started = time.monotonic()
    download = api.request("GET", f"/api/v1/files/{stored['id']}", sink=sink)
    download_seconds = time.monotonic() - started
    assert download.status == 200
    assert count == size and back.hexdigest() == stored["sha256"]
    peak_after = server.rss_kb(peak=True)

    growth_mb = (peak_after - peak_before) / 1024
    print(f"\n1 GiB upload: {upload_seconds:.1f} s, download {download_seconds:.1f} s; "
          f"server RSS {rss_before / 1024:.0f} MB, peak {peak_before / 1024:.0f} MB -> "
          f"{peak_after_upload / 1024:.0f} MB after upload, {peak_after / 1024:.0f} MB after "
          f"download (+{growth_mb:.1f} MB); open deleted files: "
          f"{deleted_open_files(server.pid)}")
    assert growth_mb < 100
    # nothing of the upload stays behind but the blob
    assert tree(os.path.join(server.app_dir, "var", "tmp")) == set()
    assert [name for name in tree(os.path.join(server.app_dir, "var", "blobs"))
            if name.startswith("tmp")] == []
    deadline = time.time() + 10
    while deleted_open_files(server.pid) and time.time() < deadline:
        time.sleep(0.2)
    assert deleted_open_files(server.pid) == []


# --------------------------------------------------------------------------
# refused uploads leave nothing behind

def error_of(response, status):
    assert response.status == status, response
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json
    assert body["error"]["message"]
    return body["error"]


def test_upload_over_the_declared_limit_gets_413(small_server):
    api = Client.login(small_server.url)
    dossier = api.new_dossier()
    left = Leftovers(small_server, api, dossier)
    big = b"".join(big_pdf(3 * MiB)[0]())  # over limit + multipart allowance
    error_of(api.file_record(dossier, RECORD, [("lớn.pdf", big, "application/pdf")]), 413)
    left.assert_nothing_left()


def test_upload_over_the_limit_inside_the_allowance_gets_413(small_server):
    """The declared length passes (1 MiB allowed for the multipart framing),
    the file itself does not: refused while it is copied, the copy removed."""
    api = Client.login(small_server.url)
    dossier = api.new_dossier()
    left = Leftovers(small_server, api, dossier)
    big = b"".join(big_pdf(MiB + 1)[0]())
    error_of(api.file_record(dossier, RECORD, [("lớn.pdf", big, "application/pdf")]), 413)
    left.assert_nothing_left()
    # a file of exactly the limit is accepted
    exact = b"".join(big_pdf(MiB)[0]())
    response = api.file_record(dossier, RECORD, [("vừa.pdf", exact, "application/pdf")])
    assert response.status == 201, response
    assert response.json["files"][0]["size"] == MiB


def test_executable_renamed_pdf_gets_415_and_nothing_is_stored(server, api, dossier):
    left = Leftovers(server, api, dossier)
    with open("/bin/ls", "rb") as fh:
        executable = fh.read()
    # alone, and after a good PDF in the same request: the whole filing is refused
    error_of(api.file_record(dossier, RECORD, [("x.pdf", executable, "application/pdf")]), 415)
    error_of(api.file_record(dossier, RECORD, [("tốt.pdf", make_pdf(1), "application/pdf"),
                                               ("x.pdf", executable, "application/pdf")]), 415)
    left.assert_nothing_left()


def test_zero_byte_file_is_refused(server, api, dossier):
    left = Leftovers(server, api, dossier)
    error_of(api.file_record(dossier, RECORD, [("rỗng.pdf", b"", "application/pdf")]), 422)
    left.assert_nothing_left()


def test_half_sent_upload_leaves_nothing_and_server_stays_healthy(server, api, dossier):
    left = Leftovers(server, api, dossier)
    chunks, size = big_pdf(8 * MiB)
    content_type, pieces, length = multipart_parts(
        RECORD, [("dở dang.pdf", (chunks(), size), "application/pdf")])
    head = (f"POST /api/v1/dossiers/{dossier}/records HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{server.port}\r\nAuthorization: Bearer {api.token}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {length}\r\n\r\n").encode()
    sent = 0
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(head)
        for piece in pieces:
            for chunk in ([piece] if isinstance(piece, bytes) else piece):
                sock.sendall(chunk)
                sent += len(chunk)
            if sent > 2 * MiB:
                break
        # the client goes away with three quarters of the body unsent
    assert sent < length
    left.assert_nothing_left()
    response = api.file_record(dossier, RECORD, [("sau đó.pdf", make_pdf(1), "application/pdf")])
    assert response.status == 201, response


def test_truncated_multipart_body_is_refused(server, api, dossier):
    """A body that ends inside the file part (its Content-Length matching what
    was sent, as a broken proxy or client makes it) is not stored as a
    shorter file."""
    left = Leftovers(server, api, dossier)
    pdf = make_pdf(1)
    content_type, pieces, length = multipart_parts(RECORD, [("cụt.pdf", pdf, "application/pdf")])
    body = b"".join(pieces)
    for cut in (len(body) // 2, len(body) - 30):
        response = api.request("POST", f"/api/v1/dossiers/{dossier}/records",
                               headers={"Content-Type": content_type}, body=body[:cut])
        error_of(response, 400)
    left.assert_nothing_left()


# --------------------------------------------------------------------------
# names and downloads

HOSTILE_NAMES = [
    "../../etc/passwd.pdf",
    "..\\..\\Windows\\system32\\evil.pdf",
    "/absolute/path/x.pdf",
    "a\x01b\x07c\x1b[31m\u202e\tfdp.pdf",
    "  ...hidden.pdf  ",
    "Q" * 1000 + ".pdf",
    "Quyết định " * 60 + ".pdf",
]


def test_hostile_file_names_are_sanitised(server, api, dossier):
    pdf = make_pdf(1)
    response = api.file_record(dossier, RECORD,
                               [(name, pdf, "application/pdf") for name in HOSTILE_NAMES])
    assert response.status == 201, response
    names = [f["name"] for f in response.json["files"]]
    assert len(names) == len(HOSTILE_NAMES)
    assert "passwd.pdf" in names and "evil.pdf" in names and "x.pdf" in names
    assert "hidden.pdf" in names
    for stored in response.json["files"]:
        name = stored["name"]
        assert name.endswith(".pdf") and 0 < len(name) <= 200
        assert "/" not in name and "\\" not in name and not name.startswith(".")
        assert all(unicodedata.category(ch)[0] != "C" for ch in name), repr(name)
        assert unicodedata.normalize("NFC", name) == name
        download = api.get(f"/api/v1/files/{stored['id']}")
        assert download.status == 200 and download.body == pdf
        disposition = download.headers["Content-Disposition"]
        assert disposition.isascii() and "\r" not in disposition and "\n" not in disposition
    # nothing was written outside the blob directory
    assert not os.path.exists(os.path.join(server.app_dir, "etc"))


def make_docx():
    """A minimal DOCX (sniffed by its content, whatever the name says)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><document/>')
    return out.getvalue()


def test_download_headers_range_and_inline(server, api, dossier):
    pdf = make_pdf(3)
    # a Vietnamese name as a Mac sends it (NFD): stored and sent back in NFC
    name = unicodedata.normalize("NFD", "Quyết định số 504 – Sở Nội vụ Đắk Nông.pdf")
    nfc = unicodedata.normalize("NFC", name)
    response = api.file_record(dossier, RECORD, [
        (name, pdf, "application/pdf"),
        ("báo cáo.docx", make_docx(), "application/octet-stream")])
    assert response.status == 201, response
    record_id = response.json["id"]
    stored, docx = response.json["files"]
    assert stored["name"] == nfc
    assert docx["media_type"].endswith("wordprocessingml.document")
    url = f"/api/v1/files/{stored['id']}"

    full = api.get(url)
    assert full.status == 200 and full.body == pdf
    assert full.headers["Content-Type"] == "application/pdf"
    assert full.headers["X-Content-Type-Options"] == "nosniff"
    assert int(full.headers["Content-Length"]) == len(pdf)
    assert full.headers["Accept-Ranges"] == "bytes"
    disposition = full.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert disposition.isascii()
    fallback = disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.isascii() and fallback.endswith(".pdf")
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert encoded == quote(nfc, safe="")
    assert unquote(encoded) == nfc

    part = api.get(url, headers={"Range": "bytes=100-199"})
    assert part.status == 206
    assert part.body == pdf[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(pdf)}"
    assert part.headers["X-Content-Type-Options"] == "nosniff"
    tail = api.get(url, headers={"Range": "bytes=-100"})
    assert tail.status == 206 and tail.body == pdf[-100:]
    rest = api.get(url, headers={"Range": f"bytes={len(pdf) - 10}-"})
    assert rest.status == 206 and rest.body == pdf[-10:]
    beyond = api.get(url, headers={"Range": f"bytes={len(pdf) + 10}-{len(pdf) + 20}"})
    assert beyond.status == 416
    assert beyond.headers["Content-Range"] == f"bytes */{len(pdf)}"

    # inline viewing of the PDF: the API and the UI view
    inline = api.get(url + "?inline=1")
    assert inline.status == 200 and inline.body == pdf
    assert inline.headers["Content-Disposition"].startswith("inline;")
    assert inline.headers["Content-Type"] == "application/pdf"
    path = f"/fonds/{FONDS['code']}/{dossier}/{record_id}/{stored['id']}"
    for view in ("@@inline", "inline"):
        ui = api.get(f"{path}/{view}")
        assert ui.status == 200 and ui.body == pdf, ui
        assert ui.headers["Content-Disposition"].startswith("inline;")
        assert ui.headers["X-Content-Type-Options"] == "nosniff"
    ui = api.get(f"{path}/@@download")
    assert ui.status == 200 and ui.headers["Content-Disposition"].startswith("attachment;")
    # only viewable types are ever sent inline
    other = api.get(f"/api/v1/files/{docx['id']}?inline=1")
    assert other.status == 200 and other.headers["Content-Disposition"].startswith("attachment;")
    assert other.headers["X-Content-Type-Options"] == "nosniff"


def test_api_file_part_without_filename_is_refused(admin_api, dossier_id):
    """A part named "file" sent as a plain field would lose its bytes: 422."""
    import json

    from conftest import RECORD

    response = admin_api.app.post(
        f"/api/v1/dossiers/{dossier_id}/records",
        params=[("metadata", json.dumps(RECORD)), ("file", "%PDF-1.4 not a file part")],
        headers=admin_api.headers, status=422)
    assert "file" in response.json["error"]["fields"]
    assert admin_api.get(f"/api/v1/dossiers/{dossier_id}").json["doc_total"] == 0
