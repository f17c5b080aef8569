"""The archive's scripts on the same data as the running server (ZEO), the
launcher of `make run`, archive-admin and archive-evolve."""
import io
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from live import ADMIN_PASSWORD, LiveServer, poll, write_ini

BIN = os.path.dirname(sys.executable)


def zeo_settings(app_dir):
    var = f"{app_dir}/var"
    return {"zodbconn.uri": f"zeo://{var}/zeo.sock?blob_dir={var}/blobs&shared_blob_dir=1&wait_timeout=30"}


def run_script(name, *args, stdin=None, check=True):
    result = subprocess.run([os.path.join(BIN, name), *args], input=stdin, capture_output=True,
                            text=True, timeout=120,
                            env=dict(os.environ, ARCHIVE_ADMIN_PASSWORD=ADMIN_PASSWORD))
    if check and result.returncode != 0:
        raise AssertionError(f"{name} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def http(method, url, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


@pytest.fixture
def zeo(tmp_path):
    ini = write_ini(tmp_path, zeo_settings(tmp_path))
    process = subprocess.Popen([os.path.join(BIN, "archive-zeo"), ini], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    from archive.scripts.zeo import paths_for, wait_until_alive

    paths = paths_for(ini)
    assert wait_until_alive(paths.socket, timeout=60, process=process), process.stdout.read()
    yield ini, paths, process
    if process.poll() is None:
        process.terminate()
        process.wait(30)


def test_scripts_share_the_database_with_the_running_server(tmp_path, zeo):
    ini, paths, zeo_process = zeo
    with LiveServer(tmp_path, zeo_settings(tmp_path)) as server:
        # scripts write while the server runs ...
        run_script("archive-admin", ini, "fonds", "add", "SNV", "Sở Nội vụ", "000.00.17.H17")
        run_script("archive-admin", ini, "user", "add", "lan", "--role", "archivist",
                   "--fonds", "SNV", "--name", "Nguyễn Thị Lan", stdin="mat-khau-123\n")
        token = run_script("archive-admin", ini, "token", "create", "lan").stdout.strip()
        # ... and the server sees it at once, and the reverse
        status, body = http("POST", server.url + "/api/v1/fonds/SNV/dossiers",
                            {"notation": "01.TCCB", "title": "Hồ sơ thử", "retention": 10},
                            token=token)
        assert status == 201, body
        listing = run_script("archive-admin", ini, "user", "list").stdout
        assert "lan\tarchivist\tSNV" in listing
        status, body = http("GET", server.url + f"/api/v1/dossiers/{body['id']}", token=token)
        assert status == 200 and body["title"] == "Hồ sơ thử"
    # a clean stop: the ZEO server closes the storage and removes its socket
    result = run_script("archive-zeo", ini, "--stop")
    assert "stopped" in result.stdout
    assert zeo_process.wait(30) == 0
    assert not os.path.exists(paths.socket)
    assert os.path.exists(paths.data + ".index")  # written only by a clean close


def alive(pid):
    """True while ``pid`` runs (a zombie waiting for its reaper counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def children_of(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def start_archive_run(tmp_path):
    """``archive-run`` in its own session (so that the test can kill it and
    everything it started, whatever happens), with SIGINT ignored, as a shell
    starts a command run with `&` (a CI runner may too); waits for /login."""
    from live import free_port

    port = free_port()
    ini = write_ini(tmp_path, zeo_settings(tmp_path), {"listen": f"127.0.0.1:{port}"})
    log = open(tmp_path / "run.log", "wb")
    process = subprocess.Popen([os.path.join(BIN, "archive-run"), ini], stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True,
                               env=dict(os.environ, ARCHIVE_ADMIN_PASSWORD=ADMIN_PASSWORD),
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    process.log = log
    deadline = time.time() + 90
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as r:
                assert r.status == 200
                return process, ini, port
        except OSError:
            assert time.time() < deadline, (tmp_path / "run.log").read_text()
            assert process.poll() is None, (tmp_path / "run.log").read_text()
            time.sleep(0.3)


def kill_everything(process, tmp_path):
    """For ``finally``: SIGKILL archive-run's process group (it, pserve) and
    the ZEO server (its own session; found by its pid file)."""
    from archive.children import kill_group

    kill_group(process)
    process.log.close()
    pidfile = tmp_path / "var" / "zeo.sock.pid"
    try:
        pid = int(pidfile.read_text())
    except (OSError, ValueError):
        return
    if alive(pid):
        os.kill(pid, signal.SIGKILL)


def test_archive_run_starts_zeo_and_pserve_and_stops_both(tmp_path):
    # started with SIGINT ignored: archive-run must still stop pserve on Ctrl-C
    process, ini, port = start_archive_run(tmp_path)
    try:
        # a script works against the running archive
        result = run_script("archive-admin", ini, "user", "list")
        assert "admin\tadministrator" in result.stdout
        process.send_signal(signal.SIGINT)
        try:
            process.wait(120)
        except subprocess.TimeoutExpired:
            raise AssertionError("archive-run did not stop within 120 s of Ctrl-C:\n"
                                 + (tmp_path / "run.log").read_text(errors="replace"))
        assert process.returncode in (0, -signal.SIGINT, 130), \
            (tmp_path / "run.log").read_text(errors="replace")
    finally:
        kill_everything(process, tmp_path)
    assert not os.path.exists(tmp_path / "var" / "zeo.sock")
    assert os.path.exists(tmp_path / "var" / "Data.fs.index")


def test_archive_run_leaves_nothing_running_when_terminated_or_killed(tmp_path):
    # SIGTERM (systemd, docker stop): pserve, then ZEO, stop cleanly
    process, ini, port = start_archive_run(tmp_path)
    try:
        zeo = int((tmp_path / "var" / "zeo.sock.pid").read_text())
        web = [pid for pid in children_of(process.pid) if pid != zeo]  # pserve
        assert len(web) == 1 and zeo in children_of(process.pid)
        process.send_signal(signal.SIGTERM)
        assert process.wait(120) == 128 + signal.SIGTERM, (tmp_path / "run.log").read_text()
        assert not alive(web[0]) and not alive(zeo)
        assert os.path.exists(tmp_path / "var" / "Data.fs.index")
        assert not os.path.exists(tmp_path / "var" / "zeo.sock")
    finally:
        kill_everything(process, tmp_path)
    os.unlink(tmp_path / "var" / "Data.fs.index")
    # SIGKILL cannot be handled: the kernel stops both children (SIGTERM)
    process, ini, port = start_archive_run(tmp_path)
    try:
        zeo = int((tmp_path / "var" / "zeo.sock.pid").read_text())
        web = [pid for pid in children_of(process.pid) if pid != zeo]
        assert len(web) == 1
        process.kill()
        process.wait()
        poll(lambda: not alive(web[0]) and not alive(zeo), 60)
        # the ZEO server stopped cleanly (the index is written only then)
        assert os.path.exists(tmp_path / "var" / "Data.fs.index")
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2)
    finally:
        kill_everything(process, tmp_path)


def admin_main(app_dir, *argv, stdin=""):
    from archive.scripts import admin

    out = io.StringIO()
    code = admin.main([str(app_dir / "testing.ini"), *argv], out=out, stdin=io.StringIO(stdin))
    return code, out.getvalue()


def test_archive_admin_users_tokens_and_errors(app_dir, monkeypatch, capsys):
    monkeypatch.setenv("ARCHIVE_ADMIN_PASSWORD", ADMIN_PASSWORD)
    assert admin_main(app_dir, "fonds", "add", "SNV", "Sở Nội vụ", "000.00.17.H17")[0] == 0
    code, out = admin_main(app_dir, "user", "add", "minh", "--role", "official", "--fonds", "SNV",
                           stdin="mat-khau-123\n")
    assert code == 0 and "minh created" in out
    code, out = admin_main(app_dir, "token", "create", "minh", "--label", "một cửa")
    token = out.strip()
    assert code == 0 and len(token) > 30
    # wrong input: a clear message in Vietnamese, exit 2, nothing changed
    code, _ = admin_main(app_dir, "user", "set", "minh", "--fonds", "KHONGCO")
    assert code == 2
    assert "Phông không tồn tại: KHONGCO" in capsys.readouterr().err
    code, _ = admin_main(app_dir, "user", "add", "ngan", "--role", "official", stdin="ngan\n")
    assert code == 2
    assert "ít nhất 8 ký tự" in capsys.readouterr().err
    code, out = admin_main(app_dir, "user", "list")
    assert "minh\tofficial\tSNV" in out and "ngan" not in out
    # the token works in the web application, and stops working once revoked
    from webtest import TestApp

    from conftest import close_app, make_app

    app = make_app(app_dir)
    try:
        client = TestApp(app)
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/fonds", headers=headers).json["fonds"][0]["code"] == "SNV"
        client.delete(f"/api/v1/tokens/{token}", headers=headers, status=204)
        client.get("/api/v1/fonds", headers=headers, status=401)
    finally:
        close_app(app)


def test_verify_reports_a_corrupted_file(app_dir, admin_api, dossier_id):
    from conftest import RECORD, make_pdf

    from conftest import close_app

    body = admin_api.file_record(dossier_id, RECORD, [("a.pdf", make_pdf(1))]).json
    close_app(admin_api.app.app)  # FileStorage: one process (or one opener) at a time
    assert admin_main(app_dir, "verify")[1].endswith("1 files checked, 0 mismatches\n")
    # damage the stored blob behind the archive's back
    blobs = [os.path.join(d, f) for d, _, files in os.walk(app_dir / "var" / "blobs")
             for f in files if f.endswith(".blob")]
    assert len(blobs) == 1
    os.chmod(blobs[0], 0o644)
    with open(blobs[0], "r+b") as fh:
        fh.seek(100)
        fh.write(b"XXXX")
    code, out = admin_main(app_dir, "verify")
    assert code == 1
    assert "MISMATCH" in out and body["files"][0]["id"] in out


def test_evolve_runs_pending_steps_once(app_dir, monkeypatch):
    from archive import evolve
    from archive.scripts import evolve as evolve_script

    monkeypatch.setenv("ARCHIVE_ADMIN_PASSWORD", ADMIN_PASSWORD)
    out = io.StringIO()
    assert evolve_script.main([str(app_dir / "testing.ini")], out=out) == 0
    assert "nothing to do" in out.getvalue()  # a new database is born at the latest generation

    calls = []

    def step2(root):
        """mark every fonds"""
        calls.append(root.generation)
        root.evolved_marker = True

    nxt = evolve.GENERATION + 1
    monkeypatch.setattr(evolve, "GENERATION", nxt)
    monkeypatch.setitem(evolve.STEPS, nxt, step2)
    out = io.StringIO()
    assert evolve_script.main([str(app_dir / "testing.ini"), "--dry-run"], out=out) == 0
    assert f"pending: {nxt}" in out.getvalue() and calls == []
    out = io.StringIO()
    assert evolve_script.main([str(app_dir / "testing.ini")], out=out) == 0
    assert f"applied: {nxt}" in out.getvalue() and calls == [nxt - 1]
    out = io.StringIO()
    assert evolve_script.main([str(app_dir / "testing.ini")], out=out) == 0
    assert "nothing to do" in out.getvalue() and calls == [nxt - 1]
    from conftest import open_db

    db = open_db(app_dir)
    try:
        root = db.open().root()["archive"]
        assert root.generation == nxt and root.evolved_marker is True
    finally:
        db.close()
