"""Who sees which job: the jobs page and the jobs API show a user only the
jobs they may see (administrators all; an archivist the jobs of the fonds
they are granted and their own; a job whose context is gone, or that has
none, administrators and its creator only).  Everything else answers 404.

One archive for the module (real ZODB, the real application, no worker
thread, ``archive.ocr.auto = false``): fonds A and B, one file in each; jobs
of an unknown kind about those files, failed by a real worker (in this
process, ``run_jobs``), interleaved in time; OCR jobs queued (pending, never
run) by the real service; a job of archivist A about B's file; a job with no
context; a job whose dossier was destroyed.
"""
import re

import pytest
from webtest import TestApp

from conftest import (
    ADMIN_PASSWORD, DOSSIER, FONDS, PASSWORD, RECORD, Api, api_token, login, make_pdf, make_user,
    module_app, read_root, run_jobs,
)

from archive.events import Actor
from archive.jobs import STATES, enqueue_job, get_jobs

FONDS_A = FONDS["code"]
FONDS_B = {"code": "VPUB", "name": "Văn phòng UBND tỉnh Đắk Nông", "organ_id": "H17.1.2"}
N_FAILED = 28   # failed jobs in each fonds: two pages of the UI (25 a page) for each


class World:
    pass


def browser_for(wsgi, who, password=PASSWORD):
    browser = TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    login(browser, who, password)
    return browser


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with module_app(tmp_path_factory, "jobs_visibility") as wsgi:
        w = World()
        w.wsgi = wsgi
        client = TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        admin = w.admin = Api(client, api_token(client, "admin", ADMIN_PASSWORD))
        admin.post("/api/v1/fonds", FONDS)
        admin.post("/api/v1/fonds", FONDS_B)
        pdf = make_pdf(1, "Tờ trình")
        files = {}
        for label, code in (("A", FONDS_A), ("B", FONDS_B["code"]), ("C", FONDS_A)):
            dossier = admin.post(f"/api/v1/fonds/{code}/dossiers",
                                 dict(DOSSIER, notation=f"0{len(files) + 1}.TCCB")).json["id"]
            record = admin.file_record(dossier, RECORD, [(f"bí mật {label}.pdf", pdf)]).json
            files[label] = record["files"][0]["id"]
            if label == "C":
                w.dossier_c = dossier
        w.files = files
        w.lan = make_user(admin, "lan", "archivist", [FONDS_A])      # archivist of A
        w.minh = make_user(admin, "minh", "archivist", [FONDS_B["code"]])
        lan = Actor("lan", "127.0.0.1")

        # failed jobs of A and of B, interleaved in time, and two of lan about B's file
        def failed(root):
            ids = {"A": [], "B": [], "own": []}
            for i in range(N_FAILED):
                for label in ("A", "B"):
                    ids[label].append(enqueue_job(
                        root, "no-such-kind", {"file_id": files[label]},
                        title=f"Hỏng {label} {i:02d}",
                        context=files[label], registry=wsgi.registry).id)
                if i in (3, 17):
                    ids["own"].append(enqueue_job(
                        root, "no-such-kind", {"file_id": files["B"]}, actor=lan,
                        title=f"Của Lan {i:02d}", registry=wsgi.registry).id)
            return ids
        w.failed = read_root(wsgi, failed)
        run_jobs(wsgi)

        # pending jobs: OCR of A's and B's files (the real service), a job with no
        # context, a job about dossier C, which is then destroyed
        def pending(root):
            from archive.digitise.services import enqueue_text_job

            ocr = {label: enqueue_text_job(root, root.objectmap[files[label]],
                                           Actor("admin", "127.0.0.1"),
                                           registry=wsgi.registry).id for label in ("A", "B")}
            lone = enqueue_job(root, "maintenance", {}, title="Không ngữ cảnh",
                               registry=wsgi.registry).id
            gone = enqueue_job(root, "no-such-kind", {"file_id": files["C"]},
                               title="Hồ sơ đã hủy", registry=wsgi.registry).id
            return ocr, lone, gone
        w.ocr, w.lone, w.gone = read_root(wsgi, pending)

        def destroy(root):
            from archive.disposal.events import DossierDestroyed
            from archive.disposal.services import remove_dossier

            dossier = root.objectmap[w.dossier_c]
            wsgi.registry.notify(DossierDestroyed(dossier, Actor("admin", "127.0.0.1"), {}))
            remove_dossier(root, dossier)
        read_root(wsgi, destroy)
        yield w


def titles(page):
    return [row.select_one("td a").text for row in page.html.select("tr.job-row")]


def counts(page):
    return {state: int(page.html.select_one(f"#count-{state} strong").text) for state in STATES}


def visible_to_lan(world):
    """What lan must see, per state: the jobs of fonds A and lan's own."""
    return {"failed": N_FAILED + 2, "pending": 1, "running": 0, "done": 0}


def test_the_jobs_are_placed_in_their_fonds(world):
    def read(root):
        queue = get_jobs(root)
        return {job_id: (queue[job_id].fonds, queue[job_id].context_id)
                for job_id in [world.failed["A"][0], world.failed["B"][0], world.failed["own"][0],
                               world.ocr["A"], world.lone, world.gone]}
    placed = read_root(world.wsgi, read)
    assert placed[world.failed["A"][0]] == (FONDS_A, world.files["A"])
    assert placed[world.failed["B"][0]] == (FONDS_B["code"], world.files["B"])
    # without context= the payload's file_id names it
    assert placed[world.failed["own"][0]] == (FONDS_B["code"], world.files["B"])
    assert placed[world.ocr["A"]] == (FONDS_A, world.files["A"])
    assert placed[world.lone] == ("", None)
    # the dossier was destroyed: no fonds any more
    assert placed[world.gone][0] == ""


def test_an_archivist_sees_on_the_page_only_the_jobs_of_their_fonds_and_their_own(world):
    browser = browser_for(world.wsgi, "lan")
    first = browser.get("/jobs/?state=failed")
    assert counts(first) == visible_to_lan(world)
    second = browser.get("/jobs/?state=failed&page=2")
    seen = titles(first) + titles(second)
    assert len(titles(first)) == 25 and len(seen) == N_FAILED + 2
    assert len(set(seen)) == len(seen)
    assert not any(title.startswith("Hỏng B") for title in seen)
    assert sum(title.startswith("Hỏng A") for title in seen) == N_FAILED
    assert "Của Lan 03" in seen and "Của Lan 17" in seen
    # newest first, across fonds A and lan's own jobs
    assert seen[0] == f"Hỏng A {N_FAILED - 1:02d}" and seen[-1] == "Hỏng A 00"
    assert seen.index("Của Lan 17") < seen.index("Hỏng A 17")
    assert seen.index("Của Lan 17") > seen.index("Hỏng A 18")
    assert "bí mật B" not in first.text + second.text
    pending = browser.get("/jobs/?state=pending")
    assert titles(pending) == ["Nhận dạng văn bản: bí mật A.pdf"]
    assert "Không ngữ cảnh" not in pending.text and "Hồ sơ đã hủy" not in pending.text
    # beyond the last page: the last page
    assert titles(browser.get("/jobs/?state=failed&page=99")) == titles(second)
    # the page says whose jobs it shows
    assert first.html.find(id="jobs-scope") is not None


def test_an_archivist_gets_404_for_the_jobs_of_another_fonds(world):
    browser = browser_for(world.wsgi, "lan")
    job_b = world.failed["B"][0]
    page = browser.get(f"/jobs/{job_b}", status=404)
    assert "Hỏng B" not in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/jobs/").text).group(1)
    browser.post(f"/jobs/{job_b}/retry", {"csrf_token": token}, status=404)
    assert read_root(world.wsgi, lambda root: get_jobs(root)[job_b].state) == "failed"
    answer = world.lan.get(f"/api/v1/jobs/{job_b}", status=404).json
    assert answer["error"]["message"]
    # the same answer as for a job that does not exist
    missing = world.lan.get("/api/v1/jobs/0123456789abcdef", status=404).json
    assert answer == missing
    for hidden in (world.ocr["B"], world.lone, world.gone):
        world.lan.get(f"/api/v1/jobs/{hidden}", status=404)
        browser.get(f"/jobs/{hidden}", status=404)
    # their own job about fonds B, and the jobs of fonds A, they see
    own = world.failed["own"][0]
    assert world.lan.get(f"/api/v1/jobs/{own}").json["title"] == "Của Lan 03"
    assert "Hỏng A 00" in browser.get(f"/jobs/{world.failed['A'][0]}").text
    # the archivist of B sees B's jobs, lan's own job about B's file too, not A's
    assert world.minh.get(f"/api/v1/jobs/{job_b}").json["title"] == "Hỏng B 00"
    assert world.minh.get(f"/api/v1/jobs/{own}").json["title"] == "Của Lan 03"
    world.minh.get(f"/api/v1/jobs/{world.failed['A'][0]}", status=404)


def test_an_archivist_retries_a_job_of_their_fonds(world):
    browser = browser_for(world.wsgi, "lan")
    page = browser.get("/jobs/?state=failed")
    job_a = world.failed["A"][-1]
    form = [f for f in page.forms.values() if f.action.endswith(f"/jobs/{job_a}/retry")][0]
    assert form.submit().status_int == 303
    assert read_root(world.wsgi, lambda root: get_jobs(root)[job_a].state) == "pending"
    # it moved from the failed jobs to the pending ones, for lan as for the index
    after = counts(browser.get("/jobs/?state=failed"))
    assert after["failed"] == N_FAILED + 1 and after["pending"] == 2

    def back(root):   # failed again, as the module's other tests expect
        queue = get_jobs(root)
        job = queue[job_a]
        del queue.runnable[job.runnable_key]
        queue.finish(job, "failed")
    read_root(world.wsgi, back)
    assert counts(browser.get("/jobs/?state=failed")) == visible_to_lan(world)


def test_an_administrator_sees_every_job(world):
    browser = browser_for(world.wsgi, "admin", ADMIN_PASSWORD)
    page = browser.get("/jobs/?state=pending")
    shown = counts(page)
    assert shown == read_root(world.wsgi, lambda root: {s: get_jobs(root).count(s) for s in STATES})
    assert shown["failed"] == 2 * N_FAILED + 2 and shown["pending"] == 4
    assert page.html.find(id="jobs-scope") is None   # an administrator sees them all
    assert set(titles(page)) == {"Nhận dạng văn bản: bí mật A.pdf",
                                 "Nhận dạng văn bản: bí mật B.pdf", "Không ngữ cảnh",
                                 "Hồ sơ đã hủy"}
    for job_id in (world.failed["B"][0], world.failed["A"][0], world.lone, world.gone):
        world.admin.get(f"/api/v1/jobs/{job_id}")
        browser.get(f"/jobs/{job_id}")
    listed = world.admin.get("/api/v1/jobs?size=200").json
    assert listed["total"] == 2 * N_FAILED + 2 + 4 and len(listed["items"]) == listed["total"]


def test_the_list_api_pages_through_the_visible_jobs_newest_first(world):
    from test_openapi import assert_valid, component

    from archive.views.api.spec import load_spec

    spec = load_spec()
    everything = world.lan.get("/api/v1/jobs?size=200").json
    assert_valid(spec, component(spec, "JobList"), everything, "GET /api/v1/jobs")
    assert everything["total"] == N_FAILED + 2 + 1 == len(everything["items"])
    items = everything["items"]
    assert [i["created"] for i in items] == sorted((i["created"] for i in items), reverse=True)
    assert {i["id"] for i in items} == set(world.failed["A"] + world.failed["own"] + [world.ocr["A"]])
    # page by page (size 4): the same jobs, in the same order, each once
    pages, start = [], 0
    while True:
        answer = world.lan.get(f"/api/v1/jobs?state=failed&start={start}&size=4").json
        assert answer["total"] == N_FAILED + 2 and answer["start"] == start and answer["size"] == 4
        if not answer["items"]:
            break
        assert len(answer["items"]) <= 4
        pages.extend(answer["items"])
        start += 4
    assert [i["id"] for i in pages] == [i["id"] for i in items if i["state"] == "failed"]
    assert all(i["state"] == "failed" for i in pages)
    # by kind
    ocr = world.lan.get("/api/v1/jobs?kind=ocr").json
    assert [i["id"] for i in ocr["items"]] == [world.ocr["A"]] and ocr["total"] == 1
    assert ocr["items"][0]["title"] == "Nhận dạng văn bản: bí mật A.pdf"
    failed_ocr = world.lan.get("/api/v1/jobs?state=failed&kind=ocr").json
    assert failed_ocr == {"total": 0, "start": 0, "size": 50, "items": []}
    # the archivist of B: B's jobs and lan's own about B, never A's
    minh = world.minh.get("/api/v1/jobs?state=failed&size=200").json
    assert {i["id"] for i in minh["items"]} == set(world.failed["B"] + world.failed["own"])
    assert minh["total"] == N_FAILED + 2


@pytest.mark.parametrize("query, field", [
    ("state=finished", "state"), ("size=0", "size"), ("size=201", "size"), ("size=nhi%E1%BB%81u", "size"),
    ("start=-1", "start"),
])
def test_the_list_api_refuses_bad_parameters(world, query, field):
    answer = world.lan.get(f"/api/v1/jobs?{query}", status=400).json
    assert answer["error"]["message"]
    assert field in answer["error"].get("fields", {}), answer
    if field == "state":
        assert "Trạng thái công việc không hợp lệ: finished" in answer["error"]["message"]


def test_evolve_gives_old_jobs_their_context_from_the_payload(world):
    """Generation 6 on a queue of generation 5: the indexes and each job's
    context are made from the payloads; counts come out as before."""
    from archive.evolve import GENERATION, STEPS, g06_jobs_context

    assert GENERATION == max(STEPS) == 6

    def before(root):
        queue = get_jobs(root)
        return {s: queue.count_visible(s, [FONDS_A], "lan") for s in STATES}
    expected = read_root(world.wsgi, before)

    def make_old_and_evolve(root):
        queue = get_jobs(root)
        for name in ("by_fonds", "by_owner", "by_context"):
            delattr(queue, name)
        for job in queue.jobs.values():
            job._p_activate()
            for name in ("context_id", "context_path", "fonds"):
                job.__dict__.pop(name, None)
            job._p_changed = True
        assert not queue.indexed and get_jobs(root)[world.lone].fonds is None
        g06_jobs_context.step(root)
        g06_jobs_context.step(root)   # twice: nothing more
        return {s: queue.count_visible(s, [FONDS_A], "lan") for s in STATES}
    assert read_root(world.wsgi, make_old_and_evolve) == expected
    # lan's pages as before (the OCR jobs and the failed ones name their file in the payload)
    browser = browser_for(world.wsgi, "lan")
    assert counts(browser.get("/jobs/?state=failed")) == visible_to_lan(world)
