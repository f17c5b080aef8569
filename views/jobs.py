"""The jobs page (``/jobs/``): counts per state, the jobs of one state page
by page, failed jobs with their reason and a button to run them again; one
job's page (``/jobs/<id>``).

Who: DIGITISE on the job queue, i.e. administrators and every archivist
(whatever fonds they are granted: the queue is one for the whole archive;
``JobQueue.__acl__``).  A job shows its title, kind, state and reason only,
never the content it works on.
"""
import datetime

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config, view_defaults

from archive import security as perm
from archive.db import archive_root
from archive.errors import ArchiveError
from archive.i18n import _
from archive.jobs import STATES, Job, JobQueue, retry_job

from .content import flash
from .helpers import actor_of, page_number

PAGE_SIZE = 25

STATE_LABELS = {
    "pending": _("Đang chờ"),
    "running": _("Đang chạy"),
    "done": _("Đã xong"),
    "failed": _("Thất bại"),
}


def when(value):
    if value is None:
        return ""
    return value.astimezone().strftime("%d/%m/%Y %H:%M:%S")


def job_summary(job, request):
    """What the page and the API show of a job."""
    translate = request.localizer.translate
    done, total, message = job.progress
    handler = (getattr(request.registry, "job_handlers", None) or {}).get(job.kind)
    label = getattr(handler, "label", None)
    return {
        "id": job.id, "kind": job.kind, "title": translate(job.title), "state": job.state,
        "kind_label": translate(label) if label else job.kind,
        "state_label": translate(STATE_LABELS[job.state]),
        "attempts": job.attempts, "max_attempts": job.max_attempts,
        "progress": {"done": done, "total": total, "message": message},
        "error": translate(job.error) if job.error is not None else None,
        "created": job.created, "started": job.started, "finished": job.finished,
        "created_by": job.created_by,
    }


@view_defaults(context=JobQueue, permission=perm.DIGITISE)
class JobQueueViews:
    def __init__(self, context, request):
        self.context, self.request = context, request

    @view_config(renderer="templates/jobs.pt")
    def list(self):
        queue = self.context
        state = self.request.params.get("state")
        if state not in STATES:
            state = "failed" if queue.count("failed") else "running" if queue.count("running") \
                else "pending" if queue.count("pending") else "done"
        number = page_number(self.request)
        total, jobs = queue.page(state, (number - 1) * PAGE_SIZE, PAGE_SIZE)
        count = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
        if number > count:
            number = count
            total, jobs = queue.page(state, (number - 1) * PAGE_SIZE, PAGE_SIZE)
        translate = self.request.localizer.translate
        return {"counts": [(s, translate(STATE_LABELS[s]), queue.count(s)) for s in STATES],
                "state": state, "jobs": [job_summary(j, self.request) for j in jobs],
                "number": number, "count": count, "total": total, "when": when,
                "page_title": _("Công việc xử lý")}


@view_defaults(context=Job, permission=perm.DIGITISE)
class JobViews:
    def __init__(self, context, request):
        self.context, self.request = context, request

    @view_config(renderer="templates/job.pt")
    def show(self):
        job = self.context
        return {"job": job_summary(job, self.request), "detail": job.error_detail,
                "lease": self.context.__parent__.lease_expiry(job.id), "when": when,
                "lease_when": lambda t: datetime.datetime.fromtimestamp(t).strftime("%H:%M:%S"),
                "page_title": _("Công việc xử lý")}

    @view_config(name="retry", request_method="POST")
    def retry(self):
        try:
            retry_job(archive_root(self.request), self.context.id, actor_of(self.request),
                      self.request.registry)
        except ArchiveError as exc:
            flash(self.request, exc.message, "danger")
        else:
            flash(self.request, _("Đã đưa công việc trở lại hàng đợi."))
        back = self.request.params.get("back") == "list"
        target = self.request.resource_url(self.context.__parent__, query={"state": "failed"}) \
            if back else self.request.resource_url(self.context)
        return HTTPSeeOther(target)
