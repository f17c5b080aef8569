"""The transfer export as a background job (kind ``transfer.export``): the web
form only queues it; a real worker (conftest.run_jobs, or archive.jobs'
Worker) writes the bag outside any transaction with progress per file and
records the transfer once; a dossier put on hold meanwhile fails the job
with its reason and records nothing; an interrupted run leaves nothing that
looks complete, and the run that follows starts clean.

The bag the job writes goes through the same content checks as the
script's (the test functions of test_transfer.py, collected here again with
this module's ``source`` fixture).
"""
import io
import os
import subprocess
import time
import zipfile

import pytest

from conftest import ADMIN_PASSWORD, Api, api_token, login, module_app, read_root, run_jobs
from test_transfer import (  # noqa: F401  (the content checks, run on the job's bag)
    BIN, FONDS, build_source, place_hold, release_holds, snapshot,
    test_bag_checksums_equal_the_stored_sha256, test_bag_info_describes_the_transfer,
    test_bag_passes_bagit_validate, test_index_html_is_readable_escaped_and_links_to_the_files,
    test_xml_and_csv_carry_the_same_metadata,
)

KIND = "transfer.export"


class Interposed:
    """The real handler of ``transfer.export`` with a step of the test
    between its phases (``after_run(result)``) or at each progress call
    (``on_progress(done, total, message)``); nothing of it is replaced."""

    def __init__(self, real, after_run=None, on_progress=None):
        self.real, self.after_run, self.on_progress = real, after_run, on_progress
        self.label = real.label

    def prepare(self, root, job, registry):
        return self.real.prepare(root, job, registry)

    def run(self, prepared, ctx):
        outer = self

        class Ctx:
            def __getattr__(self, name):
                return getattr(ctx, name)

            def progress(self, done, total, message=""):
                if outer.on_progress is not None:
                    outer.on_progress(done, total, message)
                return ctx.progress(done, total, message)

        result = self.real.run(prepared, Ctx())
        if self.after_run is not None:
            self.after_run(result)
        return result

    def store(self, root, job, result, registry):
        return self.real.store(root, job, result, registry)


def job_of(wsgi, job_id):
    from archive.jobs import get_jobs

    def read(root):
        job = get_jobs(root).get(job_id)
        return {"state": job.state, "error": job.error and job.error.interpolate(),
                "progress": job.progress, "result": dict(job.result or {}),
                "payload": dict(job.payload), "attempts": job.attempts}
    return read_root(wsgi, read)


def out_dir(wsgi):
    return os.path.join(wsgi.registry.settings["archive.var"], "transfers")


def listing(wsgi):
    path = out_dir(wsgi)
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


def journal(wsgi):
    return read_root(wsgi, lambda root: [e["action"] for e in root.journal.latest(0, 1000)])


def submit(browser, dossier_ids, status=303):
    page = browser.get(f"/fonds/{FONDS['code']}/transfer")
    form = page.forms["deform"]
    fields = [("csrf_token", form["csrf_token"].value), ("__start__", "dossiers:sequence")]
    fields += [("checkbox", oid) for oid in dossier_ids]
    fields += [("__end__", "dossiers:sequence"), ("save", "save")]
    return browser.post(f"/fonds/{FONDS['code']}/transfer", fields, status=status)


def job_id_of(response):
    return response.headers["Location"].rsplit("id=", 1)[1]


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The source archive of test_transfer.py (two dossiers due, one held,
    one of 10 years, one open) and an administrator's browser."""
    from webtest import TestApp

    with module_app(tmp_path_factory, "transfer-job") as wsgi:
        ids = build_source(wsgi)
        browser = TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        login(browser, "admin", ADMIN_PASSWORD)
        client = TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        admin = Api(client, api_token(client, "admin", ADMIN_PASSWORD))
        yield {"wsgi": wsgi, "ids": ids, "browser": browser, "admin": admin}


@pytest.fixture(scope="module")
def held_meanwhile(app):
    """The two due dossiers queued from the web; the worker writes the bag,
    then (before the store) one dossier is put on hold: the job fails."""
    wsgi, ids = app["wsgi"], app["ids"]
    queued = submit(app["browser"], [ids["due"], ids["due2"]])
    job_id = job_id_of(queued)
    handlers = wsgi.registry.job_handlers
    real = handlers[KIND]
    seen = {}

    def hold(result):
        seen["bag_existed"] = os.path.isdir(result["bag_dir"])
        seen["bag_dir"] = result["bag_dir"]
        place_hold(wsgi, ids["due2"], "Khiếu nại gửi trong khi lập gói")
    handlers[KIND] = Interposed(real, after_run=hold)
    try:
        run_jobs(wsgi)
    finally:
        handlers[KIND] = real
    after = read_root(wsgi, lambda root: {
        "pending": [getattr(root.objectmap[ids[k]], "transfer_pending", None)
                    for k in ("due", "due2")],
        "transfers": len(root["transfers"]),
        "exported": [e for e in root.journal.latest(0, 1000) if e["action"] == "transfer.export"]})
    release_holds(wsgi, ids["due2"])
    return {"job_id": job_id, "seen": seen, "after": after,
            "page": app["browser"].get(queued.headers["Location"])}


@pytest.fixture(scope="module")
def source(app, held_meanwhile):
    """After the failed attempt: the same dossiers queued again from the web
    and the job run, with progress watched at every call (the progress page
    read while the files are copied; the bag's own name never exists before
    it is complete)."""
    wsgi, ids, browser = app["wsgi"], app["ids"], app["browser"]
    queued = submit(browser, [ids["due"], ids["due2"]])
    job_id = job_id_of(queued)
    state = {"ids": ids, "job_id": job_id, "in_request": {
        "listing": listing(wsgi), "transfers": read_root(wsgi, lambda root: len(root["transfers"])),
        "journal": journal(wsgi), "page": browser.get(queued.headers["Location"]).text}}
    payload = job_of(wsgi, job_id)["payload"]
    target = os.path.join(out_dir(wsgi), f"{payload['number']}-{FONDS['code']}")
    calls, pages = [], []

    def watch(done, total, message):
        calls.append((done, total, message, os.path.exists(target),
                      os.path.exists(target + ".zip")))
        if message.startswith("Đang lập manifest"):   # the last copy's progress is committed
            pages.append(browser.get(queued.headers["Location"]).text)
    handlers = wsgi.registry.job_handlers
    real = handlers[KIND]
    handlers[KIND] = Interposed(real, on_progress=watch)
    try:
        run_jobs(wsgi)
    finally:
        handlers[KIND] = real
    state.update(calls=calls, pages=pages, job=job_of(wsgi, job_id), target=target,
                 done_page=browser.get(queued.headers["Location"]),
                 listing=listing(wsgi))
    state["bag"] = target
    state["number"] = payload["number"]
    state["before_receipt"] = read_root(wsgi, lambda root: snapshot(root, FONDS["code"]))
    return state


# --------------------------------------------------------------------------- the request

def test_the_form_queues_a_job_and_writes_nothing_in_the_request(source):
    before = source["in_request"]
    assert [n for n in before["listing"] if not n.startswith(".")] == []
    assert before["transfers"] == 0
    assert "job.enqueue" in before["journal"] and "transfer.export" not in before["journal"]
    assert "Đang chờ" in before["page"] and 'http-equiv="refresh"' in before["page"]
    assert source["number"] in before["page"]


def fresh_due(admin, notation, title):
    """A closed permanent dossier of FONDS whose matter ended in 2010: due."""
    fields = {"notation": notation, "year": 2010, "title": title, "retention": "permanent",
              "start_date": "2010", "end_date": "2010"}
    dossier_id = admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", fields).json["id"]
    admin.post(f"/api/v1/dossiers/{dossier_id}/close", status=200)
    return dossier_id


def test_a_dossier_in_a_queued_export_is_neither_offered_nor_accepted(app, source):
    wsgi, browser, admin = app["wsgi"], app["browser"], app["admin"]
    first = fresh_due(admin, "09.QUEUE", "Hồ sơ đã vào hàng đợi")
    second = fresh_due(admin, "10.QUEUE", "Hồ sơ chưa chọn")
    queued = submit(browser, [first])
    number = job_of(wsgi, job_id_of(queued))["payload"]["number"]
    page = browser.get(f"/fonds/{FONDS['code']}/transfer")
    assert first not in page.text and second in page.text
    assert number in page.text            # the fonds' recent export jobs
    listing = browser.get("/transfers/")    # the export being made, with its progress page
    row = listing.html.find(id="transfers-in-progress")
    assert row is not None and number in row.text
    assert row.find("a")["href"].endswith(f"/fonds/{FONDS['code']}/transfer-job?id={job_id_of(queued)}")
    refused = admin.post(f"/api/v1/fonds/{FONDS['code']}/transfers", {"dossiers": [first]},
                         status=409)
    assert number in refused.json["error"]["message"]
    run_jobs(wsgi)
    assert job_of(wsgi, job_id_of(queued))["state"] == "done"
    after = browser.get("/transfers/").html.find(id="transfers-in-progress")
    assert after is None or number not in after.text


def test_not_enough_disk_space_is_refused_before_anything_is_queued(app):
    from test_openapi import check_answer

    from archive.views.api.spec import load_spec

    wsgi, browser, admin = app["wsgi"], app["browser"], app["admin"]
    dossier_id = fresh_due(admin, "11.DISK", "Hồ sơ không đủ chỗ")
    jobs_before = read_root(wsgi, lambda root: len(root["jobs"]))
    settings = wsgi.registry.settings
    settings["archive.transfer.keep_free"] = str(10 ** 18)
    try:
        refused = submit(browser, [dossier_id], status=200)
        answer = admin.post(f"/api/v1/fonds/{FONDS['code']}/transfers",
                            {"dossiers": [dossier_id]}, status=507)
    finally:
        del settings["archive.transfer.keep_free"]
    assert "Không đủ chỗ trống trên đĩa" in refused.text
    assert "Không đủ chỗ trống trên đĩa" in answer.json["error"]["message"]
    check_answer(load_spec(), "POST", "/api/v1/fonds/{code}/transfers", answer)
    assert read_root(wsgi, lambda root: len(root["jobs"])) == jobs_before


# --------------------------------------------------------------------------- held meanwhile

def test_a_hold_placed_while_the_bag_is_written_fails_the_job_and_records_nothing(
        app, held_meanwhile):
    wsgi = app["wsgi"]
    job = job_of(wsgi, held_meanwhile["job_id"])
    assert job["state"] == "failed"
    # nothing recorded: no transfer, the dossiers not pending, no transfer.export
    assert held_meanwhile["after"] == {"pending": [None, None], "transfers": 0, "exported": []}
    assert "tạm giữ" in job["error"] and job["payload"]["number"] in job["error"]
    assert "000.00.17.H17.2012.02.VP" in job["error"]
    assert job["attempts"] == 1        # a permanent failure: not retried
    # the bag had been written, and is removed with the failure
    assert held_meanwhile["seen"]["bag_existed"]
    assert not os.path.exists(held_meanwhile["seen"]["bag_dir"])
    assert not os.path.exists(held_meanwhile["seen"]["bag_dir"] + ".zip")
    page = held_meanwhile["page"].text
    assert 'id="job-error"' in page and "tạm giữ" in page
    assert 'http-equiv="refresh"' not in page


def test_a_failed_job_records_no_transfer(app, held_meanwhile, source):
    transfers = read_root(app["wsgi"], lambda root: [
        (t.id, t.number) for t in root["transfers"].values()])
    failed = job_of(app["wsgi"], held_meanwhile["job_id"])["payload"]
    assert failed["transfer_id"] not in [t[0] for t in transfers]
    assert failed["number"] not in [t[1] for t in transfers]
    assert source["number"] in [t[1] for t in transfers]


def test_a_hold_placed_before_the_job_starts_fails_it_at_once(app, source):
    wsgi = app["wsgi"]
    # a fresh permanent dossier, due, queued from the API then held
    admin = app["admin"]
    dossier_id = fresh_due(admin, "06.HOLD", "Hồ sơ giữ trước khi chạy")
    made = admin.post(f"/api/v1/fonds/{FONDS['code']}/transfers", {"dossiers": [dossier_id]},
                      status=202)
    place_hold(wsgi, dossier_id)
    run_jobs(wsgi)
    job = admin.get(made.json["status_url"]).json
    assert job["state"] == "failed" and "tạm giữ" in job["error"]
    number = made.json["number"]
    assert not [n for n in listing(wsgi) if number in n]
    admin.get(made.json["transfer_url"], status=404)
    release_holds(wsgi, dossier_id)


# --------------------------------------------------------------------------- the bag

def test_the_job_writes_the_bag_and_records_the_transfer_once(app, source):
    import bagit

    job = source["job"]
    assert job["state"] == "done", job
    assert job["result"]["number"] == source["number"] and job["result"]["files"] == 6
    bag = bagit.Bag(source["bag"])
    bag.validate()
    wsgi, ids = app["wsgi"], app["ids"]

    def read(root):
        transfer = root["transfers"][job["result"]["transfer_id"]]
        return {"bag_dir": transfer.bag_dir, "zip": transfer.zip_path, "state": transfer.state,
                "dossiers": transfer.dossier_ids, "created_by": transfer.created_by,
                "pending": [getattr(root.objectmap[ids[k]], "transfer_pending", None)
                            for k in ("due", "due2")]}
    transfer = read_root(wsgi, read)
    assert transfer["bag_dir"] == source["bag"] and transfer["zip"] == source["bag"] + ".zip"
    assert transfer["state"] == "exported" and transfer["created_by"] == "admin"
    assert sorted(transfer["dossiers"]) == sorted([ids["due"], ids["due2"]])
    assert transfer["pending"] == [job["result"]["transfer_id"]] * 2
    exported = read_root(wsgi, lambda root: [
        (e["login"], e["detail"].get("number")) for e in root.journal.latest(0, 1000)
        if e["action"] == "transfer.export" and e["object_id"] == job["result"]["transfer_id"]])
    assert exported == [("admin", source["number"])]
    assert "job.done" in journal(wsgi)
    # only the bag and its ZIP: no leftover of the work
    name = os.path.basename(source["bag"])
    assert source["listing"] == [name, name + ".zip"]


def test_progress_is_recorded_per_file_and_shown_while_the_job_runs(source):
    copies = [c for c in source["calls"] if c[2].startswith("Đang chép tệp")]
    assert [(c[0], c[1]) for c in copies] == [(n, 6) for n in range(1, 7)]
    # the bag gets its name only once complete: never while it is written
    assert not any(c[3] or c[4] for c in source["calls"])
    assert any(c[2].startswith("Đang nén ZIP") for c in source["calls"])
    page = source["pages"][0]
    assert '<div class="progress-bar" style="width: 100%">6 / 6</div>' in page
    assert "Đang chép tệp 6/6" in page and "Đang chạy" in page
    done = source["done_page"]
    assert 'id="job-done"' in done.text and 'http-equiv="refresh"' not in done.text


def test_the_download_after_completion_is_the_bag_and_is_journaled(app, source):
    browser = app["browser"]
    transfer_page = source["done_page"].click(linkid="transfer-link")
    download = browser.get(transfer_page.request.path + "download")
    assert download.content_type == "application/zip"
    name = os.path.basename(source["bag"])
    with zipfile.ZipFile(io.BytesIO(download.body)) as zf:
        assert zf.testzip() is None
        with open(os.path.join(source["bag"], "manifest-sha256.txt"), "rb") as fh:
            assert zf.read(f"{name}/manifest-sha256.txt") == fh.read()
        assert f"{name}/data/index.html" in zf.namelist()
    assert "transfer.download" in journal(app["wsgi"])


def test_a_rerun_after_a_killed_worker_starts_clean(app, source):
    """What a worker killed by kill -9 leaves -- a half-written ``.part``
    folder, a ``.part`` ZIP, and (killed after the rename, before the store)
    the finished bag of this very transfer with stale content -- is cleared
    by the run that follows, which writes the bag anew and records it."""
    import bagit

    wsgi, admin = app["wsgi"], app["admin"]
    fields = {"notation": "07.KILL", "year": 2010, "title": "Hồ sơ của lần chạy bị ngắt",
              "retention": "permanent", "start_date": "2010", "end_date": "2010"}
    dossier_id = admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", fields).json["id"]
    from conftest import make_pdf

    admin.file_record(dossier_id, {"doc_type": "02", "number": "9", "notation": "QĐ-SNV",
                                   "issued_date": "2010-05-05", "issuer": FONDS["name"],
                                   "subject": "Quyết định", "signer": "Giám đốc"},
                      [("qd.pdf", make_pdf(1, "Bị ngắt"))])
    admin.post(f"/api/v1/dossiers/{dossier_id}/close", status=200)
    made = admin.post(f"/api/v1/fonds/{FONDS['code']}/transfers", {"dossiers": [dossier_id]},
                      status=202).json
    name = f"{made['number']}-{FONDS['code']}"
    base = out_dir(wsgi)
    os.makedirs(os.path.join(base, f".{name}.0123abcd.part", "data"), exist_ok=True)
    with open(os.path.join(base, f".{name}.0123abcd.part", "data", "half.pdf"), "wb") as fh:
        fh.write(b"%PDF-1.4 half")
    with open(os.path.join(base, f"{name}.zip.4567ef01.part"), "wb") as fh:
        fh.write(b"PK half")
    stale = os.path.join(base, name)
    os.makedirs(os.path.join(stale, "data"))
    with open(os.path.join(stale, "bag-info.txt"), "w", encoding="utf-8") as fh:
        fh.write(f"Internal-Sender-Identifier: {made['transfer_id']}\n")
    with open(os.path.join(stale, "data", "stale.txt"), "w") as fh:
        fh.write("from the killed run")
    run_jobs(wsgi)
    job = admin.get(made["status_url"]).json
    assert job["state"] == "done", job
    assert [n for n in listing(wsgi) if name in n] == [name, name + ".zip"]
    assert not os.path.exists(os.path.join(stale, "data", "stale.txt"))
    bag = bagit.Bag(stale)
    bag.validate()
    assert bag.info["Internal-Sender-Identifier"] == made["transfer_id"]
    transfer = admin.get(made["transfer_url"]).json
    assert transfer["state"] == "exported" and transfer["file_total"] == 1


def test_a_job_cut_off_midway_runs_again_and_completes_once(app, source):
    """A worker that loses its lease while it copies (LeaseLost from
    ctx.progress) stops and removes its work; after the lease expires the
    job runs again, writes the bag and records it once."""
    from archive.db import registry_db
    from archive.jobs import LeaseLost
    from archive.jobs.worker import Worker

    wsgi, admin = app["wsgi"], app["admin"]
    dossier_id = fresh_due(admin, "08.CUT", "Hồ sơ lập gói hai lần")
    made = admin.post(f"/api/v1/fonds/{FONDS['code']}/transfers", {"dossiers": [dossier_id]},
                      status=202).json
    name = f"{made['number']}-{FONDS['code']}"
    seen = {}

    def cut(done, total, message):
        if message.startswith("Đang nén ZIP"):
            seen["parts"] = [n for n in listing(wsgi) if name in n]
            raise LeaseLost(made["job_id"])
    handlers = wsgi.registry.job_handlers
    real = handlers[KIND]
    handlers[KIND] = Interposed(real, on_progress=cut)
    worker = Worker(registry_db(wsgi.registry), wsgi.registry, lease=1.0)
    try:
        assert worker.run_once()
    finally:
        handlers[KIND] = real
    assert seen["parts"] and all(n.startswith(".") or n.endswith(".part") for n in seen["parts"])
    assert [n for n in listing(wsgi) if name in n] == []      # its work removed
    assert admin.get(made["status_url"]).json["state"] == "running"
    time.sleep(1.2)
    try:
        assert worker.run_once()
    finally:
        worker.close()
    job = admin.get(made["status_url"]).json
    assert job["state"] == "done" and job["attempts"] == 2, job
    assert [n for n in listing(wsgi) if name in n] == [name, name + ".zip"]
    result = subprocess.run([os.path.join(BIN, "bagit.py"), "--validate",
                             os.path.join(out_dir(wsgi), name)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    numbers = read_root(wsgi, lambda root: [t.number for t in root["transfers"].values()])
    assert numbers.count(made["number"]) == 1


def test_a_damaged_blob_fails_the_job_and_leaves_nothing(app, source):
    """The job checks each copied file against the stored SHA-256 too."""
    from conftest import make_pdf

    from archive.services.files import blob_path

    wsgi, admin = app["wsgi"], app["admin"]
    fields = {"notation": "13.HONG", "year": 2010, "title": "Hồ sơ có tệp hỏng",
              "retention": "permanent", "start_date": "2010", "end_date": "2010"}
    dossier_id = admin.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", fields).json["id"]
    admin.file_record(dossier_id, {"doc_type": "02", "number": "13", "notation": "QĐ-SNV",
                                   "issued_date": "2010-05-05", "issuer": FONDS["name"],
                                   "subject": "Quyết định", "signer": "Giám đốc"},
                      [("hỏng.pdf", make_pdf(1, "Tệp bị hỏng"))])
    admin.post(f"/api/v1/dossiers/{dossier_id}/close", status=200)
    path = read_root(wsgi, lambda root: blob_path(root.objectmap[dossier_id].records()[0].files()[0]))
    os.chmod(path, 0o644)
    with open(path, "r+b") as fh:
        fh.seek(50)
        fh.write(b"X")
    made = admin.post(f"/api/v1/fonds/{FONDS['code']}/transfers", {"dossiers": [dossier_id]},
                      status=202).json
    run_jobs(wsgi)
    job = admin.get(made["status_url"]).json
    assert job["state"] == "failed" and "SHA-256" in job["error"], job
    assert [n for n in listing(wsgi) if made["number"] in n] == []
    admin.get(made["transfer_url"], status=404)
