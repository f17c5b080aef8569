"""The persistent job queue and its workers (issue 4, build item 1), with the
small real handlers of ``jobkinds``: a worker thread of the application (two
slots, short lease and back-off, and a poll so long that only the wake-up
after a commit, the back-off's due time and the lease's end make it look)."""
import os
import shutil
import time

import pytest
from webtest import TestApp

from conftest import (
    ADMIN_PASSWORD, PASSWORD, Api, api_token, close_app, login, make_app, make_user, read_root,
)
from live import poll, write_ini

from archive.jobs import STATES, enqueue_job, get_jobs
from jobkinds import runs

HANDLERS = ("sleep:jobkinds.SleepHandler fail:jobkinds.FailAlwaysHandler "
            "twice:jobkinds.FailTwiceHandler refuse:jobkinds.RefuseHandler "
            "commit:jobkinds.CommitHandler flag:jobkinds.FlagHandler")
BACKOFF = (0.3, 0.6)


@pytest.fixture(scope="module")
def wsgi(tmp_path_factory):
    app_dir = tmp_path_factory.mktemp("jobs")
    write_ini(app_dir, {"archive.jobs.worker": "true", "archive.jobs.threads": "2",
                        "archive.jobs.poll": "30", "archive.jobs.lease": "1.5",
                        "archive.jobs.backoff": " ".join(map(str, BACKOFF)),
                        "archive.jobs.handlers": HANDLERS})
    app = make_app(app_dir)
    app.marks = str(app_dir / "marks")
    yield app
    close_app(app)


@pytest.fixture(scope="module")
def admin_api(wsgi):
    client = TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    return Api(client, api_token(client, "admin", ADMIN_PASSWORD))


def enqueue(wsgi, kind, name, **payload):
    payload.setdefault("marks", wsgi.marks)
    payload["name"] = name
    options = {key: payload.pop(key) for key in ("max_attempts", "not_before") if key in payload}
    return write(wsgi, lambda root: enqueue_job(root, kind, payload, title=f"Thử {name}",
                                                registry=wsgi.registry, **options).id)


def write(wsgi, fn):
    """``fn(root)`` in a transaction of its own, retried on conflicts (the
    workers write to the queue at the same time)."""
    return read_root(wsgi, fn)


def job_state(wsgi, job_id):
    def read(root):
        job = get_jobs(root)[job_id]
        return {"state": job.state, "attempts": job.attempts, "error": job.error,
                "detail": job.error_detail, "progress": job.progress, "result": job.result}
    return read_root(wsgi, read)


def wait_for(wsgi, job_id, states=("done", "failed"), timeout=20):
    return poll(lambda: (lambda s: s if s["state"] in states else None)(job_state(wsgi, job_id)),
                timeout, interval=0.05)


def results_of(wsgi, job_id):
    return read_root(wsgi, lambda root: [v for oid, v in getattr(root, "test_job_results", [])
                                         if oid == job_id])


def journal_actions(wsgi, job_id):
    return read_root(wsgi, lambda root: [e["action"] for e in root.journal.entries.values()
                                         if e["object_id"] == job_id])


def run_times(wsgi, name):
    return sorted(int(f.rsplit(".", 1)[1]) / 1e9 for f in os.listdir(wsgi.marks)
                  if f.startswith(f"{name}.run."))


def assert_documented(answer):
    """The answer matches the Job schema of the served OpenAPI document."""
    from test_openapi import assert_valid, component

    from archive.views.api.spec import load_spec

    spec = load_spec()
    assert_valid(spec, component(spec, "Job"), answer, "GET /api/v1/jobs/{id}")


def test_a_job_runs_once_stores_its_result_and_is_journaled(wsgi):
    started = time.monotonic()
    job_id = enqueue(wsgi, "sleep", "one", seconds=0.2, value="kết quả")
    state = wait_for(wsgi, job_id)
    # woken by the commit, not by the 30 s poll
    assert time.monotonic() - started < 10
    assert state["state"] == "done" and state["attempts"] == 1 and state["error"] is None
    assert state["progress"][0] == state["progress"][1] > 0
    assert results_of(wsgi, job_id) == ["kết quả"]
    assert runs(wsgi.marks, "one") == 1
    assert journal_actions(wsgi, job_id) == ["job.enqueue", "job.done"]
    # the counters and the per-state index agree
    def counts(root):
        queue = get_jobs(root)
        return [(queue.count(s), len(queue.ids_in_state(s))) for s in STATES], len(queue.jobs)
    pairs, total = read_root(wsgi, counts)
    assert all(a == b for a, b in pairs) and sum(a for a, _ in pairs) == total


def test_transient_failures_are_retried_after_a_back_off_then_succeed(wsgi):
    job_id = enqueue(wsgi, "twice", "twice")
    state = wait_for(wsgi, job_id)
    assert state["state"] == "done", state
    assert state["attempts"] == 3
    assert results_of(wsgi, job_id) == [3]
    times = run_times(wsgi, "twice")
    assert len(times) == 3
    # the back-off between attempts: 0.3 s, then 0.6 s
    assert times[1] - times[0] >= BACKOFF[0] - 0.05
    assert times[2] - times[1] >= BACKOFF[1] - 0.05
    assert journal_actions(wsgi, job_id) == ["job.enqueue", "job.done"]


def test_a_job_failing_every_time_ends_failed_with_the_reason(wsgi):
    job_id = enqueue(wsgi, "fail", "always")
    state = wait_for(wsgi, job_id, states=("failed",))
    assert state["attempts"] == 3
    assert runs(wsgi.marks, "always") == 3
    assert "Lỗi không mong đợi" in state["error"].interpolate()
    assert "RuntimeError: hỏng hoàn toàn" in state["error"].interpolate()
    assert state["detail"] == "RuntimeError: hỏng hoàn toàn"
    assert results_of(wsgi, job_id) == []
    assert journal_actions(wsgi, job_id) == ["job.enqueue", "job.fail"]


def test_job_failed_is_not_retried_and_keeps_the_handlers_message(wsgi):
    in_run = enqueue(wsgi, "refuse", "refuse-run")
    in_prepare = enqueue(wsgi, "refuse", "refuse-prepare", in_prepare=True)
    unknown = enqueue(wsgi, "no-such-kind", "unknown")
    for job_id, message in ((in_run, "Tệp PDF bị hỏng, không đọc được."),
                            (in_prepare, "Tệp rỗng (0 byte)."),
                            (unknown, "Không có bộ xử lý cho loại công việc «no-such-kind».")):
        state = wait_for(wsgi, job_id)
        assert state["state"] == "failed" and state["attempts"] == 1, state
        assert state["error"].interpolate() == message
    assert runs(wsgi.marks, "refuse-run") == 1
    assert runs(wsgi.marks, "refuse-prepare") == 0


def test_other_jobs_keep_running_when_one_fails(wsgi):
    failing = enqueue(wsgi, "fail", "failing-neighbour")
    sleepers = [enqueue(wsgi, "sleep", f"neighbour{i}", seconds=0.1, value=i) for i in range(5)]
    for i, job_id in enumerate(sleepers):
        assert wait_for(wsgi, job_id)["state"] == "done"
        assert results_of(wsgi, job_id) == [i]
    assert wait_for(wsgi, failing)["state"] == "failed"


def test_a_worker_whose_job_was_taken_over_stores_nothing(wsgi):
    """Two slots: the job running on one is taken back (as when its lease
    expired while its worker hung) and the other slot runs it; the first
    one's result is discarded: one result."""
    job_id = enqueue(wsgi, "sleep", "taken-over", seconds=2.0, value="một lần")
    poll(lambda: runs(wsgi.marks, "taken-over") == 1, 10, 0.05)

    def take_back(root):
        queue = get_jobs(root)
        job = queue[job_id]
        assert job.state == "running"
        queue.requeue(job, time.time())   # what a claim does with an expired lease
    write(wsgi, take_back)
    wsgi.registry.job_worker.wake()
    state = wait_for(wsgi, job_id)
    assert state["state"] == "done" and state["attempts"] == 2
    assert runs(wsgi.marks, "taken-over") == 2
    assert results_of(wsgi, job_id) == ["một lần"]
    # the first run stopped at its next progress report (LeaseLost): it never finished
    assert runs(wsgi.marks, "taken-over", "ran") == 1


def test_a_job_whose_worker_died_runs_again_when_its_lease_expires(wsgi):
    job_id = enqueue(wsgi, "sleep", "orphan", seconds=0.1, value="mồ côi", not_before=time.time() + 3600)

    def claimed_by_a_dead_worker(root):
        queue = get_jobs(root)
        job = queue[job_id]
        queue.runnable.pop(job.runnable_key)
        job.not_before = time.time()
        queue.runnable[job.runnable_key] = job.id
        assert queue.claim("dead-worker", time.time(), 0.5) is job
    write(wsgi, claimed_by_a_dead_worker)
    wsgi.registry.job_worker.wake()   # the idle slots look, and wait for the lease to end
    state = wait_for(wsgi, job_id)
    assert state["state"] == "done" and state["attempts"] == 2, state
    assert results_of(wsgi, job_id) == ["mồ côi"]
    assert runs(wsgi.marks, "orphan") == 1   # the dead worker never ran it


def test_handlers_may_commit_their_own_transactions(wsgi):
    job_id = enqueue(wsgi, "commit", "commit", count=3)
    assert wait_for(wsgi, job_id)["state"] == "done"
    assert results_of(wsgi, job_id) == [("item", 0), ("item", 1), ("item", 2), "finished"]


def test_a_dedupe_key_queues_one_job(wsgi):
    def twice(root):
        payload = {"seconds": 0.3, "value": "x", "name": "dedupe", "marks": wsgi.marks}
        first = enqueue_job(root, "sleep", payload, dedupe_key="sleep:x", registry=wsgi.registry)
        second = enqueue_job(root, "sleep", payload, dedupe_key="sleep:x", registry=wsgi.registry)
        return first.id, second.id
    first, second = write(wsgi, twice)
    assert first == second
    assert wait_for(wsgi, first)["state"] == "done"
    # once done, the key is free again
    again = write(wsgi, lambda root: enqueue_job(
        root, "sleep", {"seconds": 0, "value": "y"}, dedupe_key="sleep:x",
        registry=wsgi.registry).id)
    assert again != first
    assert wait_for(wsgi, again)["state"] == "done"


def test_archivists_see_failed_jobs_with_their_reason_and_retry_them(wsgi, admin_api, tmp_path):
    flag = str(tmp_path / "flag")
    # an archivist sees the jobs of the fonds granted to them (the payload's
    # fonds code names the job's context; see test_jobs_visibility.py)
    admin_api.post("/api/v1/fonds", {"code": "CVXL", "name": "Phông thử công việc",
                                     "organ_id": "H17.9.9"})
    job_id = enqueue(wsgi, "flag", "flag", flag=flag, max_attempts=1, fonds="CVXL")
    assert wait_for(wsgi, job_id)["state"] == "failed"
    make_user(admin_api, "lan", "archivist", ["CVXL"])
    browser = TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    login(browser, "lan", PASSWORD)
    page = browser.get("/jobs/?state=failed")
    assert 'id="count-failed"' in page.text
    row = [r for r in page.html.select("tr.job-row") if "Thử flag" in r.text][0]
    assert "FileNotFoundError" in row.select_one(".job-error").text
    # the job's state through the API
    token = api_token(browser, "lan", PASSWORD)
    answer = Api(browser, token).get(f"/api/v1/jobs/{job_id}").json
    assert answer["state"] == "failed" and answer["attempts"] == 1
    assert answer["error"].startswith("Lỗi không mong đợi khi xử lý công việc: FileNotFoundError")
    english = Api(browser, token).get(f"/api/v1/jobs/{job_id}?_LOCALE_=en").json
    assert "FileNotFoundError" in english["error"]
    assert_documented(answer)
    Api(browser, token).get("/api/v1/jobs/0123456789abcdef", status=404)
    # the cause is fixed; the archivist runs the job again
    open(flag, "w").close()
    form = [f for f in page.forms.values() if f.action.endswith(f"/jobs/{job_id}/retry")][0]
    response = form.submit()
    assert response.status_int == 303
    assert "Đã đưa công việc trở lại hàng đợi." in response.follow().text
    state = wait_for(wsgi, job_id)
    assert state["state"] == "done" and state["error"] is None
    assert results_of(wsgi, job_id) == ["flag found"]
    done = Api(browser, token).get(f"/api/v1/jobs/{job_id}").json
    assert done["state"] == "done" and done["result"] == {"value": "flag found"}
    assert_documented(done)
    assert journal_actions(wsgi, job_id) == ["job.enqueue", "job.fail", "job.retry", "job.done"]
    # a job that has not failed cannot be retried
    response = browser.post(f"/jobs/{job_id}/retry", {"csrf_token": form["csrf_token"].value})
    assert "Chỉ có thể chạy lại một công việc đã thất bại." in response.follow().text


def test_the_jobs_page_pages_through_many_jobs(wsgi, admin_api):
    def many(root):
        return [enqueue_job(root, "no-such-kind", {}, title=f"Trang {i:02d}",
                            registry=wsgi.registry).id for i in range(30)]
    ids = write(wsgi, many)
    for job_id in ids:
        wait_for(wsgi, job_id)
    browser = TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    login(browser, "admin", ADMIN_PASSWORD)
    failed = read_root(wsgi, lambda root: get_jobs(root).count("failed"))
    first = browser.get("/jobs/?state=failed")
    assert f"<strong>{failed}</strong>" in first.text
    assert len(first.html.select("tr.job-row")) == 25
    assert "Trang 29" in first.text and "Trang 00" not in first.text   # newest first
    last = browser.get(f"/jobs/?state=failed&page={(failed + 24) // 25}")
    assert "Trang 00" in last.text
    assert browser.get("/jobs/?state=failed&page=999").status_int == 200
    one = browser.get(f"/jobs/{ids[0]}")
    assert one.html.select_one("#job-error").text.startswith("Không có bộ xử lý")


def test_a_new_database_has_the_queue_and_evolve_creates_it(wsgi):
    from archive.evolve import g02_jobs
    from archive.resources import ArchiveRoot

    root = ArchiveRoot()
    g02_jobs.step(root)
    queue = get_jobs(root)
    assert queue is not None and queue.__parent__ is root and len(queue) == 0
    g02_jobs.step(root)   # twice: harmless
    assert get_jobs(root) is queue
    shutil.rmtree(wsgi.marks, ignore_errors=True)
