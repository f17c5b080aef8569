"""Twenty clients file records into one dossier at the same moment, through
the API of a real server (waitress, 4 threads, FileStorage).  Every filing
succeeds, each gets its own ordinal, 1-20 without gaps or repeats; conflicts
on the dossier's ordinal counter are retried by pyramid_retry with the
upload read again from the start."""
import hashlib
import json
import os
import re
import threading

import pytest
from ZODB.POSException import ConflictError

from conftest import RECORD, make_pdf, make_png
from live import LiveServer
from test_uploads import Client, tree

CLIENTS = 20


@pytest.fixture
def server(tmp_path):
    live = LiveServer(tmp_path)
    # log pyramid_retry's retries (archive.views.uploads logs each at INFO)
    with open(live.ini, encoding="utf-8") as fh:
        text = fh.read()
    text = text.replace("[logger_root]\nlevel = WARNING", "[logger_root]\nlevel = INFO")
    with open(live.ini, "w", encoding="utf-8") as fh:
        fh.write(text)
    live.start()
    yield live
    live.stop()


def retries_logged(live):
    with open(live.log_path, "rb") as fh:
        log = fh.read().decode("utf-8", "replace")
    return len(re.findall(r"retrying (?:POST|GET|PUT|DELETE) ", log))


def test_twenty_clients_file_into_one_dossier_at_once(server):
    admin = Client.login(server.url)
    dossier = admin.new_dossier()
    # twenty clients, each with its own token (as twenty scanning stations)
    clients = [Client.login(server.url) for _ in range(CLIENTS)]
    pdf = make_pdf(2)
    png = make_png()
    files = {}
    for n in range(CLIENTS):
        content = pdf + b"%" + str(n).encode() if n % 2 == 0 else png
        # a PNG or a PDF per client; the PDFs differ (a comment appended)
        name, media_type = (f"tờ trình {n}.pdf", "application/pdf") if n % 2 == 0 else \
            (f"ảnh {n}.png", "image/png")
        files[n] = (name, content, media_type)

    barrier = threading.Barrier(CLIENTS)
    results = [None] * CLIENTS
    errors = []

    def file_one(n):
        try:
            metadata = dict(RECORD, number=str(100 + n), subject=f"Văn bản của máy trạm {n}")
            barrier.wait(timeout=60)
            results[n] = clients[n].file_record(dossier, metadata, [files[n]])
        except BaseException as exc:  # reported below
            errors.append((n, exc))

    threads = [threading.Thread(target=file_one, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not errors
    statuses = [r.status for r in results]
    assert statuses == [201] * CLIENTS, [r for r in results if r.status != 201][:3]

    created = {n: r.json for n, r in enumerate(results)}
    ordinals = sorted(body["ordinal"] for body in created.values())
    assert ordinals == list(range(1, CLIENTS + 1))
    assert len({body["doc_code"] for body in created.values()}) == CLIENTS
    for n, body in created.items():
        name, content, media_type = files[n]
        assert body["doc_code"].endswith(f".{body['ordinal']:07d}")
        assert [(f["sha256"], f["size"], f["media_type"]) for f in body["files"]] == \
            [(hashlib.sha256(content).hexdigest(), len(content), media_type)]

    # read back: all twenty are in the dossier, each with its own number and file
    state = admin.get(f"/api/v1/dossiers/{dossier}").json
    assert state["doc_total"] == CLIENTS
    assert sorted(r["ordinal"] for r in state["records"]) == list(range(1, CLIENTS + 1))
    by_number = {r["number"]: r for r in state["records"]}
    assert sorted(by_number) == sorted(str(100 + n) for n in range(CLIENTS))
    for n, body in created.items():
        record = by_number[str(100 + n)]
        assert record["id"] == body["id"] and record["ordinal"] == body["ordinal"]
        assert len(record["files"]) == 1
        data = admin.get(f"/api/v1/files/{record['files'][0]['id']}").body
        assert data == files[n][1]
    retries = retries_logged(server)
    print(f"\n{CLIENTS} concurrent filings: {retries} conflict retries")
    # the attempts that conflicted left no upload copy and no blob behind
    var = os.path.join(server.app_dir, "var")
    assert tree(os.path.join(var, "tmp")) == set()
    assert tree(os.path.join(var, "blobs", "tmp")) == set()
    assert len([n for n in tree(os.path.join(var, "blobs")) if n.endswith(".blob")]) == CLIENTS


def test_a_retried_filing_reads_its_upload_again(admin_api, dossier_id, monkeypatch, app_dir):
    """The first attempt consumes the upload and then meets a ConflictError
    (as at commit): pyramid_retry runs the request again on the same parsed
    body, which must be read again from its start, the metadata part too
    (sent here as a file part, as ``curl -F metadata=@meta.json`` does)."""
    from archive.services import records

    real = records.file_record
    calls = []

    def conflicting_once(*args, **kw):
        record = real(*args, **kw)
        calls.append(record.ordinal)
        if len(calls) == 1:
            raise ConflictError("simulated conflict on the ordinal counter")
        return record

    monkeypatch.setattr(records, "file_record", conflicting_once)
    pdf = make_pdf(2)
    response = admin_api.app.post(
        f"/api/v1/dossiers/{dossier_id}/records",
        upload_files=[("metadata", "meta.json", json.dumps(RECORD).encode(), "application/json"),
                      ("file", "quyết định.pdf", pdf, "application/pdf")],
        headers=admin_api.headers, status=201)
    assert calls == [1, 1]  # the first attempt was rolled back, ordinal 1 again
    stored = response.json["files"][0]
    assert stored["size"] == len(pdf) and stored["sha256"] == hashlib.sha256(pdf).hexdigest()
    dossier = admin_api.get(f"/api/v1/dossiers/{dossier_id}").json
    assert dossier["doc_total"] == 1 and dossier["page_total"] == 2
    assert admin_api.get(f"/api/v1/files/{stored['id']}").body == pdf
    # the rolled back attempt's blob file and upload copy are gone
    assert tree(app_dir / "var" / "blobs" / "tmp") == set()
    assert tree(app_dir / "var" / "tmp") == set()
