"""``GET /api/v1/jobs/{id}``: a job's state, progress and reason of failure
(administrators and archivists: DIGITISE on the job queue)."""
from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config

from archive import security as perm
from archive.db import archive_root
from archive.jobs import get_jobs

from ..jobs import job_summary


def job_factory(request):
    queue = get_jobs(archive_root(request))
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
    return job_json(context, request)
