"""kill -9 of an ``archive-worker`` process in the middle of a job (issue 4,
must show): after a restart the job completes once, nothing is lost and no
result is stored twice.  Real processes: a ZEO server (``archive-zeo``), the
workers (``archive-worker``) and this test as one more ZEO client."""
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from conftest import read_root
from live import ADMIN_PASSWORD, HERE, poll, write_ini

from archive.children import kill_group

BIN = os.path.dirname(sys.executable)
LEASE = 2.0
HANDLERS = "sleep:jobkinds.SleepHandler"


def zeo_settings(app_dir, **extra):
    var = f"{app_dir}/var"
    settings = {
        "zodbconn.uri": f"zeo://{var}/zeo.sock?blob_dir={var}/blobs&shared_blob_dir=1&wait_timeout=30",
        "archive.search.writer": "false",
        "archive.jobs.handlers": HANDLERS,
        "archive.jobs.lease": str(LEASE),
        "archive.jobs.poll": "0.5",
        "archive.jobs.backoff": "0.5",
    }
    settings.update(extra)
    return settings


def command(name):
    path = os.path.join(BIN, name)
    return [path] if os.path.exists(path) else [sys.executable, "-m", f"archive.scripts.{name[8:]}"]


class Cluster:
    """A ZEO server, this process's application (a ZEO client) and workers."""

    def __init__(self, app_dir, settings):
        self.app_dir = app_dir
        self.ini = write_ini(app_dir, settings)
        self.env = dict(os.environ, ARCHIVE_ADMIN_PASSWORD=ADMIN_PASSWORD,
                        PYTHONPATH=os.pathsep.join([HERE, os.environ.get("PYTHONPATH", "")]))
        self.workers = []
        # each child in a session of its own: close() kills what it started too
        self.zeo = subprocess.Popen([os.path.join(BIN, "archive-zeo"), self.ini],
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        from archive.scripts.zeo import paths_for, wait_until_alive

        assert wait_until_alive(paths_for(self.ini).socket, timeout=60, process=self.zeo)
        from conftest import make_app

        self.app = make_app(app_dir)
        self.marks = str(app_dir / "marks")

    def start_worker(self, *args):
        log = open(self.app_dir / f"worker{uuid.uuid4().hex[:8]}.log", "wb")
        process = subprocess.Popen(command("archive-worker") + [self.ini, *args], env=self.env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        process.log_path = log.name
        self.workers.append(process)
        return process

    def worker_logs(self):
        out = []
        for process in self.workers:
            with open(process.log_path, "rb") as fh:
                out.append(fh.read().decode("utf-8", "replace")[-3000:])
        return "\n----\n".join(out)

    def write(self, fn):
        return read_root(self.app, fn)

    def stop_workers(self):
        for process in self.workers:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    pass
            kill_group(process)   # and whatever it left running
        self.workers = []

    def close(self):
        from conftest import close_app

        self.stop_workers()
        close_app(self.app)
        self.zeo.terminate()
        try:
            self.zeo.wait(30)
        finally:
            kill_group(self.zeo)


@pytest.fixture(scope="module")
def shared_cluster(tmp_path_factory):
    app_dir = tmp_path_factory.mktemp("workers")
    c = Cluster(app_dir, zeo_settings(app_dir))
    yield c
    c.close()


@pytest.fixture
def cluster(shared_cluster):
    """The module's cluster; the workers a test starts are stopped after it."""
    yield shared_cluster
    shared_cluster.stop_workers()


def enqueue(cluster, kind, name, **payload):
    from archive.jobs import enqueue_job

    payload.update(name=name, marks=cluster.marks)
    return cluster.write(lambda root: enqueue_job(root, kind, payload, title=name,
                                                  registry=cluster.app.registry).id)


def snapshot(cluster, job_ids):
    from archive.jobs import get_jobs

    def read(root):
        queue = get_jobs(root)
        results = list(getattr(root, "test_job_results", []))
        return {job_id: {"state": queue[job_id].state, "attempts": queue[job_id].attempts,
                         "results": [v for oid, v in results if oid == job_id],
                         "done_events": sum(1 for e in root.journal.entries.values()
                                            if e["object_id"] == job_id
                                            and e["action"] == "job.done")}
                for job_id in job_ids}
    return cluster.write(read)


def test_kill_9_of_a_worker_mid_job_loses_nothing_and_stores_once(cluster):
    from jobkinds import runs

    long_job = enqueue(cluster, "sleep", "long", seconds=4.0, value="dài")
    first = cluster.start_worker("--threads", "1")
    # the worker is in the middle of the long job
    poll(lambda: runs(cluster.marks, "long") == 1, 60, 0.1)
    others = [enqueue(cluster, "sleep", f"short{i}", seconds=0.2, value=i) for i in range(3)]
    time.sleep(0.5)
    first.send_signal(signal.SIGKILL)
    assert first.wait(10) == -signal.SIGKILL
    state = snapshot(cluster, [long_job])[long_job]
    assert state["state"] == "running" and state["results"] == []   # held by the dead worker

    cluster.start_worker("--threads", "2")
    ids = [long_job] + others
    try:
        final = poll(lambda: (lambda s: s if all(v["state"] == "done" for v in s.values())
                              else None)(snapshot(cluster, ids)), 60, 0.3)
    except AssertionError:
        raise AssertionError(f"{snapshot(cluster, ids)}\n{cluster.worker_logs()}")
    # the long job ran twice (killed once), completed once, stored once
    assert final[long_job]["attempts"] == 2
    assert final[long_job]["results"] == ["dài"]
    assert final[long_job]["done_events"] == 1
    assert runs(cluster.marks, "long") == 2
    assert runs(cluster.marks, "long", "ran") == 1
    # nothing lost: the jobs queued meanwhile are done, each once
    for i, job_id in enumerate(others):
        assert final[job_id]["results"] == [i]
        assert final[job_id]["done_events"] == 1


def test_two_worker_processes_share_the_queue_and_each_job_runs_once(cluster):
    from jobkinds import runs

    for _ in range(2):
        cluster.start_worker("--threads", "2")
    poll(lambda: cluster.worker_logs().count("archive-worker: 2 thread(s)") == 2, 60, 0.2)
    ids = [enqueue(cluster, "sleep", f"shared{i}", seconds=0.3, value=i) for i in range(16)]
    try:
        final = poll(lambda: (lambda s: s if all(v["state"] == "done" for v in s.values())
                              else None)(snapshot(cluster, ids)), 90, 0.3)
    except AssertionError:
        raise AssertionError(f"{snapshot(cluster, ids)}\n{cluster.worker_logs()}")
    for i, job_id in enumerate(ids):
        assert final[job_id]["results"] == [i] and final[job_id]["attempts"] == 1
        assert final[job_id]["done_events"] == 1
        assert runs(cluster.marks, f"shared{i}") == 1
    # both processes took jobs
    pids = {f.split(".")[2] for f in os.listdir(cluster.marks) if f.startswith("shared")}
    assert pids == {str(p.pid) for p in cluster.workers}


def test_archive_worker_once_processes_the_due_jobs_and_exits(cluster):
    ids = [enqueue(cluster, "sleep", f"batch{i}", seconds=0.1, value=i) for i in range(4)]
    result = subprocess.run(command("archive-worker") + [cluster.ini, "--once", "--threads", "2"],
                            env=cluster.env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    final = snapshot(cluster, ids)
    assert [final[job_id]["results"] for job_id in ids] == [[0], [1], [2], [3]]


def test_sigterm_lets_the_running_job_finish(cluster):
    job_id = enqueue(cluster, "sleep", "graceful", seconds=1.5, value="xong")
    worker = cluster.start_worker()
    from jobkinds import runs

    poll(lambda: runs(cluster.marks, "graceful") == 1, 60, 0.1)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(30) == 0
    assert snapshot(cluster, [job_id])[job_id]["results"] == ["xong"]


# --------------------------------------------------------------------------- a real OCR job

OCR_TEXT = ("Quyết định về việc công nhận kết quả tuyển dụng công chức",
            "Căn cứ Nghị định số 30/2020/NĐ-CP của Chính phủ về công tác văn thư",
            "Điều 2. Bà Nguyễn Thị Hương được bổ nhiệm vào ngạch chuyên viên")


def scan_pdf(pages):
    """Pages at 300 dpi with Vietnamese text in DejaVu Sans, image only."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 40)
    images = []
    for number in range(pages):
        image = Image.new("RGB", (2480, 3508), "white")
        draw = ImageDraw.Draw(image)
        for line_no, line in enumerate(OCR_TEXT):
            draw.text((180, 250 + line_no * 76), f"{line} – trang {number + 1}", fill="black",
                      font=font)
        images.append(image)
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=300, save_all=True, append_images=images[1:])
    return out.getvalue()


def processes_with(marker):
    """The ids of the processes with ``marker`` (the work directories of this
    test's jobs) in their command line: the Tesseracts (or OCRmyPDF) of the OCR run."""
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmdline = fh.read().decode("utf-8", "replace")
        except OSError:
            continue
        if marker in cmdline:
            pids.append(int(pid))
    return pids


def kill_leftovers(marker):
    """SIGKILL what the killed worker may have left running (the OCR
    processes run in sessions of their own)."""
    for pid in processes_with(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def test_kill_9_of_a_worker_mid_ocr_job_makes_one_rendition(tmp_path):
    import hashlib

    from webtest import TestApp

    from conftest import DOSSIER, FONDS, RECORD, Api, api_token

    cluster = Cluster(tmp_path, zeo_settings(tmp_path, **{"archive.jobs.lease": "3",
                                                          "archive.ocr.auto": "true"}))
    try:
        client = TestApp(cluster.app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        api = Api(client, api_token(client, "admin", ADMIN_PASSWORD))
        api.post("/api/v1/fonds", FONDS)
        dossier_id = api.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", DOSSIER).json["id"]
        pdf = scan_pdf(12)   # long enough a job to be killed in its middle
        record = api.file_record(dossier_id, RECORD, [("bản quét.pdf", pdf)]).json
        record_id, original_id = record["id"], record["files"][0]["id"]

        from archive.jobs import get_jobs

        def ocr_job(root):
            queue = get_jobs(root)
            return [job_id for job_id in queue.ids_in_state("pending")
                    if queue[job_id].kind == "ocr"
                    and queue[job_id].payload.get("file_id") == original_id]
        found = cluster.write(ocr_job)
        assert len(found) == 1, cluster.write(lambda root: [
            (j.kind, j.state, j.payload, j.error) for j in get_jobs(root).jobs.values()])
        [job_id] = found

        def job(root):
            j = get_jobs(root)[job_id]
            return {"state": j.state, "attempts": j.attempts, "progress": j.progress,
                    "error": j.error}

        first = cluster.start_worker("--threads", "1")
        # in the middle of the job: Tesseract is reading the pages
        poll(lambda: cluster.write(job)["state"] == "running", 60, 0.2)
        work = str(tmp_path / "var" / "tmp")
        poll(lambda: processes_with(work), 60, 0.1)   # Tesseract is at work
        time.sleep(0.5)
        assert processes_with(work)
        first.send_signal(signal.SIGKILL)
        assert first.wait(10) == -signal.SIGKILL
        kill_leftovers(work)
        state = cluster.write(job)
        assert state["state"] == "running" and state["attempts"] == 1, state

        def renditions(root):
            record = root.objectmap[record_id]
            return [f.id for f in record.files() if f.role == "rendition"]
        assert cluster.write(renditions) == []

        cluster.start_worker("--threads", "1")
        try:
            final = poll(lambda: (lambda s: s if s["state"] in ("done", "failed") else None)(
                cluster.write(job)), 240, 0.5)
        except AssertionError:
            raise AssertionError(f"{cluster.write(job)}\n{cluster.worker_logs()}")
        assert final["state"] == "done", (final, cluster.worker_logs())
        assert final["attempts"] == 2

        from archive.digitise import file_text, text_status
        from archive.services.files import blob_path

        def outcome(root):
            record = root.objectmap[record_id]
            original = root.objectmap[original_id]
            with open(blob_path(original), "rb") as fh:
                sha = hashlib.sha256(fh.read()).hexdigest()
            done = sum(1 for e in root.journal.entries.values()
                       if e["object_id"] == job_id and e["action"] == "job.done")
            return {"renditions": [f for f in record.files() if f.role == "rendition"].__len__(),
                    "status": text_status(original), "text": file_text(original) or "",
                    "sha": sha, "recorded_sha": original.sha256, "done_events": done}
        result = cluster.write(outcome)
        assert result["renditions"] == 1            # no duplicate rendition
        assert result["done_events"] == 1
        assert result["status"] == "done"
        assert "tuyển dụng" in result["text"]       # nothing lost: the pages' text is there
        assert result["sha"] == result["recorded_sha"] == hashlib.sha256(pdf).hexdigest()
    finally:
        kill_leftovers(str(tmp_path / "var" / "tmp"))
        cluster.close()
