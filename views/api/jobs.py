"""The jobs in the API (DIGITISE on the job queue: administrators and
archivists; each sees only the jobs they may see, see ``archive.views.jobs``):

- ``GET /api/v1/jobs?state=&kind=&start=&size=``: the visible jobs, newest
  first, page by page;
- ``GET /api/v1/jobs/{id}``: a job's state, progress and reason of failure;
  404 for a job the caller may not see, as for one that does not exist.
"""
from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config

from archive import security as perm
from archive.db import archive_root
from archive.errors import ArchiveError
from archive.i18n import _
from archive.jobs import STATES, get_jobs

from ..jobs import Visibility, job_summary, visible_job

MAX_SIZE = 200
DEFAULT_SIZE = 50
# a kind filter reads at most this many visible jobs of each state to fill a page
KIND_SCAN_LIMIT = 10_000


class BadJobQuery(ArchiveError):
    status = 400
    message = _("Tham số không hợp lệ.")


def job_factory(request):
    """``/api/v1/jobs/{id}``: the job (404 if it does not exist);
    ``/api/v1/jobs``: the job queue."""
    queue = get_jobs(archive_root(request))
    if "id" not in request.matchdict:
        if queue is None:
            raise HTTPNotFound()
        return queue
    job = queue.get(request.matchdict["id"]) if queue is not None else None
    if job is None:
        raise HTTPNotFound()
    return job


def job_json(job, request):
    out = job_summary(job, request)
    for key in ("created", "started", "finished"):
        out[key] = out[key].isoformat() if out[key] is not None else None
    result = job.result if isinstance(job.result, dict) else None
    out["result"] = {k: v for k, v in result.items() if isinstance(v, (str, int, float, bool))} \
        if result else None
    return out


@view_config(route_name="api.job", request_method="GET", renderer="json", permission=perm.DIGITISE)
def get_job(context, request):
    return job_json(visible_job(request, context), request)


def _int_param(request, name, default, low, high, message):
    raw = request.params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise BadJobQuery(fields={name: message})
    return value


def list_query(request):
    """(states, kind, start, size) of the query; BadJobQuery (400) if wrong."""
    state = request.params.get("state") or None
    if state is not None and state not in STATES:
        raise BadJobQuery(_("Trạng thái công việc không hợp lệ: ${state} (dùng một trong: "
                            "${states}).", mapping={"state": state[:40],
                                                     "states": ", ".join(STATES)}),
                          fields={"state": _("Không hợp lệ.")})
    kind = (request.params.get("kind") or "").strip() or None
    if kind is not None and len(kind) > 100:
        raise BadJobQuery(fields={"kind": _("Loại công việc quá dài.")})
    start = _int_param(request, "start", 0, 0, 10 ** 9,
                       _("Vị trí bắt đầu phải là số nguyên không âm."))
    size = _int_param(request, "size", DEFAULT_SIZE, 1, MAX_SIZE,
                      _("Số công việc mỗi trang phải từ 1 đến ${max}.",
                        mapping={"max": MAX_SIZE}))
    return ((state,) if state else STATES), kind, start, size


def newest_visible(queue, seen, states, kind, start, size):
    """(total, jobs): the visible jobs of ``states`` (of ``kind``), newest
    first.  One state without kind: straight from the indexes.  Otherwise
    the states' pages are merged, reading only what the page needs (a kind
    filter reads jobs until the page is full, at most KIND_SCAN_LIMIT)."""
    if len(states) == 1 and kind is None:
        return seen.page(queue, states[0], start, size)
    batch = 100
    streams = [_stream(queue, seen, state, batch) for state in states]
    if kind is None:
        total = sum(seen.count(queue, state) for state in states)
    else:
        total = None
    merged = _merge_newest(streams)
    jobs, index = [], 0
    for job in merged:
        if kind is not None and job.kind != kind:
            continue
        if index >= start + size and total is not None:
            break
        if start <= index < start + size:
            jobs.append(job)
        index += 1
        if kind is not None and index >= KIND_SCAN_LIMIT:
            break
    if total is None:
        total = index
    return total, jobs


def _stream(queue, seen, state, batch):
    start = 0
    while True:
        _total, jobs = seen.page(queue, state, start, batch)
        yield from jobs
        if len(jobs) < batch:
            return
        start += batch


def _merge_newest(streams):
    import heapq

    keyed = [(((job.created_ns, job.id), job) for job in stream) for stream in streams]
    return (job for _key, job in heapq.merge(*keyed, key=lambda pair: pair[0], reverse=True))


@view_config(route_name="api.jobs", request_method="GET", renderer="json",
             permission=perm.DIGITISE)
def list_jobs(context, request):
    states, kind, start, size = list_query(request)
    seen = Visibility(request)
    total, jobs = newest_visible(context, seen, states, kind, start, size)
    return {"total": total, "start": start, "size": size,
            "items": [job_json(job, request) for job in jobs]}
