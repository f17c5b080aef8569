"""archive-reindex (issue 3, build 5 and must show), as a real subprocess on a
real FileStorage (or ZEO beside a running server) and a real Whoosh index:

* a full rebuild shows a progress bar on stderr and leaves an index with
  exactly the database's ids, each once;
* ``--check`` reports drift (exit 1) after documents were removed from the
  index behind its back or stray ones added; ``--repair`` fixes it;
* it works while the server runs on the same data through ZEO: searches keep
  working during and after the rebuild, and changes made meanwhile are not
  lost (also shown deterministically in one process: a change the server's
  writer waits to apply while the rebuild holds the index goes to the new
  generation, not to the old one);
* 100,000 records are reindexed in less than 1 GiB resident memory, with
  progress shown (``slow``: minutes).
"""
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse

import pytest
import transaction

from archive.search.service import SearchService, iter_indexable
from conftest import (
    ADMIN_PASSWORD, DOSSIER, FONDS, RECORD, close_app, index_counts, make_app, open_db,
)
from live import LiveServer, poll, write_ini
from test_scripts import zeo, zeo_settings  # noqa: F401  (the ZEO server fixture)
from test_uploads import Client

BIN = os.path.dirname(sys.executable)
GiB = 1024 ** 3


def command(name, module):
    """The console script, or its module where the script is not installed
    yet (the same ``main``)."""
    path = os.path.join(BIN, name)
    return [path] if os.path.exists(path) else [sys.executable, "-m", module]


REINDEX = command("archive-reindex", "archive.scripts.reindex")
SAMPLE = command("archive-sample", "archive.scripts.sample")
ENV = dict(os.environ, ARCHIVE_ADMIN_PASSWORD=ADMIN_PASSWORD)


def run(cmd, *args, timeout=600):
    return subprocess.run([*cmd, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=ENV)


def sample(ini, dossiers, timeout=600):
    result = run(SAMPLE, ini, "--dossiers", dossiers, "--quiet", timeout=timeout)
    assert result.returncode == 0, result.stderr
    match = re.search(r"(\d+) dossiers \(\d+ closed\), (\d+) records", result.stdout)
    assert match, result.stdout
    return int(match.group(1)), int(match.group(2))


def reindex(ini, *args, expect=0, timeout=600):
    result = run(REINDEX, ini, *args, timeout=timeout)
    assert result.returncode == expect, f"{result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def database_ids(app_dir):
    """Every dossier and document id, read from the database (closed after)."""
    db = open_db(app_dir)
    try:
        conn = db.open()
        try:
            return {obj.id for obj in iter_indexable(conn.root()["archive"])}
        finally:
            transaction.abort()
            conn.close()
    finally:
        db.close()


def index_of(app_dir):
    return SearchService(os.path.join(str(app_dir), "var", "index"))




def generations(app_dir):
    path = os.path.join(str(app_dir), "var", "index")
    return sorted(n for n in os.listdir(path) if n.startswith("gen-"))


def current(app_dir):
    with open(os.path.join(str(app_dir), "var", "index", "CURRENT")) as fh:
        return fh.read().strip()


# --------------------------------------------------------------------------
# full rebuild, check, repair

def test_a_full_rebuild_shows_progress_and_indexes_exactly_the_database(tmp_path):
    ini = write_ini(tmp_path)
    dossiers, records = sample(ini, 40)
    result = reindex(ini)
    # tqdm's bar on stderr: one step per dossier
    assert re.search(rf"reindex: 100%\|.*\| {dossiers}/{dossiers} ", result.stderr), result.stderr
    assert f"{dossiers + records} dossiers and documents indexed" in result.stdout
    expected = database_ids(tmp_path)
    assert len(expected) == dossiers + records
    service = index_of(tmp_path)
    assert service.indexed_ids() == expected
    assert index_counts(service) == {oid: 1 for oid in expected}
    # what archive-sample queued is in the new generation: the queue is empty
    from test_search_recovery import read_queue

    assert read_queue(tmp_path) == {}
    first = current(tmp_path)
    # again: a new generation replaces the old one, same content
    reindex(ini, "--quiet")
    assert current(tmp_path) != first and generations(tmp_path) == [current(tmp_path)]
    assert index_counts(index_of(tmp_path)) == {oid: 1 for oid in expected}
    reindex(ini, "--check")


def stray_document(oid):
    return {"id": oid, "type": "dossier", "dossier_id": oid, "title": "Hồ sơ lạc",
            "file_code": "X", "allow": "role:administrator", "folded": "hồ sơ lạc",
            "exact": "hồ sơ lạc", "pairs": "hồ sơ lạc", "fonds": "SNV", "year": "2024"}


def test_check_reports_drift_and_repair_fixes_it(tmp_path):
    ini = write_ini(tmp_path)
    sample(ini, 15)
    reindex(ini, "--quiet")
    result = reindex(ini, "--check")
    assert "missing from the index: 0; in the index but not in the database: 0" in result.stdout
    expected = database_ids(tmp_path)

    # behind the archive's back: three documents removed, two stray ones added
    service = index_of(tmp_path)
    removed = sorted(expected)[:3]
    service.unindex(removed)
    stray = ["0" * 31 + "1", "0" * 31 + "2"]
    service.index([stray_document(oid) for oid in stray])
    assert service.indexed_ids() == (expected - set(removed)) | set(stray)

    result = reindex(ini, "--check", expect=1)
    assert "missing from the index: 3; in the index but not in the database: 2" in result.stdout
    for oid in removed:
        assert f"missing {oid}" in result.stdout
    for oid in stray:
        assert f"extra   {oid}" in result.stdout
    assert index_of(tmp_path).indexed_ids() != expected  # --check changed nothing

    result = reindex(ini, "--repair")
    assert "repaired: 3 indexed, 2 removed" in result.stdout
    reindex(ini, "--check")
    service = index_of(tmp_path)
    assert service.indexed_ids() == expected
    assert index_counts(service) == {oid: 1 for oid in expected}
    reindex(ini, "--repair")  # nothing left to do


# --------------------------------------------------------------------------
# beside a running server

def api_search(api, text="", **params):
    return api.get("/api/v1/search?" + urllib.parse.urlencode({"q": text, "size": 5, **params}))




def test_reindex_beside_the_running_server_through_zeo(tmp_path, zeo):  # noqa: F811
    ini, _paths, _zeo_process = zeo
    with LiveServer(tmp_path, zeo_settings(tmp_path)) as server:
        dossiers, records = sample(ini, 300)
        api = Client.login(server.url)
        total = dossiers + records
        # the server's writer applies what the script queued (it polls the queue)
        poll(lambda: api_search(api).json["total"] == total, timeout=120)
        before = current(tmp_path)

        log = open(tmp_path / "reindex.err", "w+")
        process = subprocess.Popen([*REINDEX, ini], stdout=subprocess.PIPE, stderr=log, text=True,
                                   env=ENV)
        try:
            # the rebuild has begun once its new generation exists
            poll(lambda: len(generations(tmp_path)) > 1 or process.poll() is not None, timeout=60)
            # meanwhile: people search, and file new documents
            statuses = []
            response = api_search(api, "ket hon")
            statuses.append(response.status)
            dossier_id = api.new_dossier(title="Hồ sơ chen ngang lúc xây dựng lại chỉ mục")
            filed = set()
            for n in range(3):
                response = api.file_record(dossier_id, dict(RECORD, number=str(900 + n),
                                                            subject=f"Văn bản chen ngang số {n}"))
                assert response.status == 201, response
                filed.add(response.json["id"])
                response = api_search(api)
                statuses.append(response.status)
                assert response.status == 200 and response.json["total"] >= total, response
            during = current(tmp_path) == before and process.poll() is None
            while process.poll() is None:
                statuses.append(api_search(api, "giay phep").status)
                time.sleep(0.2)
            out = process.stdout.read()
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
        log.seek(0)
        err = log.read()
        assert process.returncode == 0, err
        assert during, "the changes were not made while the rebuild ran: make the sample bigger"
        assert f"{dossiers}/{dossiers}" in err
        assert set(statuses) == {200}, statuses  # searches never stopped working
        assert current(tmp_path) != before and generations(tmp_path) == [current(tmp_path)]
        # nothing made during the rebuild is lost: found in the new generation
        expected = filed | {dossier_id}
        poll(lambda: {h["id"] for h in api_search(api, "chen ngang", size=20).json["hits"]}
             == expected or None, timeout=60)
        poll(lambda: api_search(api).json["total"] == total + len(expected), timeout=60)
        assert "dossiers and documents indexed" in out
        # database and index agree (the script reads the data through ZEO)
        result = reindex(ini, "--check")
        assert "missing from the index: 0; in the index but not in the database: 0" in result.stdout
    assert "Traceback" not in server.output()


def test_a_change_waiting_for_the_index_during_a_rebuild_goes_to_the_new_generation(
        app_dir, monkeypatch):
    """The server's writer waits for the index lock while a rebuild (of
    another process) holds it; when the rebuild switches generations and lets
    go, the writer must not apply the change to the old generation (lost with
    it) but to the new one."""
    from webtest import TestApp

    from archive.db import registry_db
    from conftest import Api, api_token

    app = make_app(app_dir)
    try:
        web = app.registry.search
        api = Api(TestApp(app, extra_environ={"REMOTE_ADDR": "127.0.0.1"}),
                  api_token(TestApp(app), "admin", ADMIN_PASSWORD))
        api.post("/api/v1/fonds", FONDS)
        dossier_id = api.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", DOSSIER).json["id"]
        assert web.wait_idle(30)
        # archive-reindex: its own SearchService on the same index directory
        script = SearchService(web.index_dir)
        filed = []

        def progress(_n):
            if not filed:  # mid-rebuild: a document is filed and committed
                filed.append(api.file_record(dossier_id, dict(RECORD, subject="Văn bản chen ngang"))
                             .json["id"])
                time.sleep(1.0)  # the web writer now waits for the lock

        real_drop = script._drop_old_generations

        def slow_drop(keep):
            time.sleep(1.5)  # the old generation outlives the switch a moment
            real_drop(keep)

        monkeypatch.setattr(script, "_drop_old_generations", slow_drop)
        thread = threading.Thread(target=script.rebuild, args=(registry_db(app.registry),),
                                  kwargs={"progress": progress})
        thread.start()
        thread.join(60)
        assert filed and not thread.is_alive()
        assert web.wait_idle(60)
        hits = api.get("/api/v1/search", params={"q": "chen ngang"}).json["hits"]
        assert [hit["id"] for hit in hits] == filed
        assert index_counts(web) == {dossier_id: 1, filed[0]: 1}
    finally:
        close_app(app)


# --------------------------------------------------------------------------
# 100,000 records

def peak_rss(pid):
    """VmHWM of a running process, in bytes (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


@pytest.mark.slow
def test_reindex_of_100000_records_stays_under_1_gib_and_shows_progress(tmp_path):
    ini = write_ini(tmp_path)
    started = time.monotonic()
    dossiers, records = sample(ini, 21_000, timeout=1800)  # about 4.8 documents each
    sampled = time.monotonic() - started
    assert records >= 100_000

    err = open(tmp_path / "reindex.err", "w+")
    started = time.monotonic()
    process = subprocess.Popen([*REINDEX, ini], stdout=subprocess.PIPE, stderr=err, text=True,
                               env=ENV)
    peak = 0
    try:
        while True:
            # VmHWM while it runs; at its end the kernel's own account of its
            # peak (wait4's ru_maxrss, of this child alone)
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                process.returncode = os.waitstatus_to_exitcode(status)
                peak = max(peak, usage.ru_maxrss * 1024)
                break
            peak = max(peak, peak_rss(process.pid) or 0)
            assert time.monotonic() - started < 3600, "archive-reindex took more than an hour"
            time.sleep(0.1)
        out = process.stdout.read()
    finally:
        if process.returncode is None:
            process.kill()
            process.wait()
    took = time.monotonic() - started
    err.seek(0)
    progress = err.read()
    assert process.returncode == 0, progress[-3000:]
    print(f"\narchive-sample: {dossiers} dossiers, {records} records in {sampled:.0f} s; "
          f"archive-reindex: {dossiers + records} index documents in {took:.0f} s, "
          f"peak RSS {peak / 2**20:.0f} MiB")
    assert peak < GiB, f"peak RSS {peak / 2**20:.0f} MiB"
    # the progress bar went from the start to the end, updated on the way
    assert f"0/{dossiers}" in progress and f"{dossiers}/{dossiers}" in progress
    assert len(re.findall(r"reindex: +\d+%", progress)) > 10
    assert f"{dossiers + records} dossiers and documents indexed" in out
    assert len(index_of(tmp_path).indexed_ids()) == dossiers + records

