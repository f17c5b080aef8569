"""The jobs page (``/jobs/``): counts per state, the jobs of one state page
by page, failed jobs with their reason and a button to run them again; one
job's page (``/jobs/<id>``).

Who: DIGITISE on the job queue opens the page, i.e. administrators and
every archivist (``JobQueue.__acl__``); but each one sees only the jobs they
may see (``may_see``): administrators (MANAGE) all; the others the jobs
whose context (the object the job works on: a file, a fonds...) they may
VIEW -- i.e. the jobs of the fonds they are granted --, and the jobs they
queued themselves.  A job whose context is gone (destroyed) or lies in no
fonds is seen by administrators and its creator only.  Counts, pages and
the API's list (``visible_page``) use the queue's indexes by fonds and by
creator; a job one may not see answers 404 (its page, the API, "Chạy lại"),
as if it did not exist.
"""
import datetime

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config, view_defaults

from archive import security as perm
from archive.db import archive_root
from archive.errors import ArchiveError
from archive.i18n import _
from archive.jobs import STATES, Job, JobQueue, job_context, retry_job
from archive.security import GRANTED_ROLES

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


class Visibility:
    """Which jobs the request's user sees: ``everything`` (administrators),
    else the jobs of ``fonds`` (the codes of the fonds they may VIEW) and
    those ``login`` queued."""

    def __init__(self, request, root=None):
        root = root if root is not None else archive_root(request)
        user = request.identity
        self.login = getattr(user, "login", "") or ""
        self.everything = bool(request.has_permission(perm.MANAGE, root))
        self.fonds = []
        if not self.everything and user is not None:
            container = root["fonds"]
            codes = list(user.fonds) if user.role in GRANTED_ROLES else list(container.keys())
            for code in codes:
                fonds = container.get(code)
                if fonds is not None and request.has_permission(perm.VIEW, fonds):
                    self.fonds.append(code)

    def count(self, queue, state):
        if self.everything:
            return queue.count(state)
        if not queue.indexed:   # the database is not evolved yet (archive-evolve)
            return 0
        return queue.count_visible(state, self.fonds, self.login)

    def page(self, queue, state, start, size):
        """(total, jobs) of ``state``, newest first."""
        if self.everything:
            return queue.page(state, start, size)
        if not queue.indexed:   # the database is not evolved yet (archive-evolve)
            return 0, []
        return queue.visible_page(state, self.fonds, self.login, start, size)


def may_see(request, job, root=None):
    """True when the request's user may see ``job`` (see the module)."""
    root = root if root is not None else archive_root(request)
    if request.has_permission(perm.MANAGE, root):
        return True
    user = request.identity
    if user is not None and job.created_by and job.created_by == user.login:
        return True
    context = job_context(root, job)
    return context is not None and bool(request.has_permission(perm.VIEW, context))


def visible_job(request, job):
    """``job`` if the user may see it; HTTPNotFound otherwise (as if it did not exist)."""
    if job is None or not may_see(request, job):
        raise HTTPNotFound()
    return job


@view_defaults(context=JobQueue, permission=perm.DIGITISE)
class JobQueueViews:
    def __init__(self, context, request):
        self.context, self.request = context, request

    @view_config(renderer="templates/jobs.pt")
    def list(self):
        queue = self.context
        seen = Visibility(self.request)
        counts = {s: seen.count(queue, s) for s in STATES}
        state = self.request.params.get("state")
        if state not in STATES:
            state = "failed" if counts["failed"] else "running" if counts["running"] \
                else "pending" if counts["pending"] else "done"
        number = page_number(self.request)
        total, jobs = seen.page(queue, state, (number - 1) * PAGE_SIZE, PAGE_SIZE)
        count = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
        if number > count:
            number = count
            total, jobs = seen.page(queue, state, (number - 1) * PAGE_SIZE, PAGE_SIZE)
        translate = self.request.localizer.translate
        return {"counts": [(s, translate(STATE_LABELS[s]), counts[s]) for s in STATES],
                "state": state, "jobs": [job_summary(j, self.request) for j in jobs],
                "number": number, "count": count, "total": total, "when": when,
                "everything": seen.everything, "page_title": _("Công việc xử lý")}


@view_defaults(context=Job, permission=perm.DIGITISE)
class JobViews:
    def __init__(self, context, request):
        self.context, self.request = context, request

    @view_config(renderer="templates/job.pt")
    def show(self):
        job = visible_job(self.request, self.context)
        return {"job": job_summary(job, self.request), "detail": job.error_detail,
                "lease": self.context.__parent__.lease_expiry(job.id), "when": when,
                "lease_when": lambda t: datetime.datetime.fromtimestamp(t).strftime("%H:%M:%S"),
                "page_title": _("Công việc xử lý")}

    @view_config(name="retry", request_method="POST")
    def retry(self):
        visible_job(self.request, self.context)
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
