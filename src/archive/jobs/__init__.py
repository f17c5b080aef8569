"""Persistent jobs: slow work (OCR, renditions, imports) queued in ZODB and
done by workers.

Life cycle of a job::

    pending --claim--> running --store--> done
       ^                  |
       +--back-off--------+ (transient failure, attempts left, or a worker
                          |  that died: its lease expired)
                          +--> failed (JobFailed, or no attempts left)
    failed --retry (an archivist)--> pending

``enqueue_job`` adds a job in the caller's transaction.  A worker
(``archive-worker``, or the web process's thread when
``archive.jobs.worker = true``) claims it in a short transaction (a lease:
worker id, token, expiry, renewed by a heartbeat while the job runs), runs
the handler's heavy work outside any transaction, and stores the result in
one transaction that first checks the job is still leased to it; a worker
killed mid-job loses its lease, another worker (or the restarted one) runs
the job again, and only one result is ever stored.

Handlers are registered per kind with ``config.add_job_handler(kind,
handler)``; see /work/coord/contracts.md ("Jobs") and ``Worker``.
"""
import logging
import time

import transaction
from pyramid.settings import asbool, aslist
from pyramid.threadlocal import get_current_registry

from ..errors import ArchiveError
from ..events import SYSTEM
from ..i18n import _
from ..resources import Fonds
from ..resources.base import find_archive_root as find_root_of
from .events import JobDone, JobEnqueued, JobFailedEvent, JobRetried
from .queue import STATES, Job, JobQueue

log = logging.getLogger(__name__)

__all__ = ["enqueue_job", "get_jobs", "retry_job", "JobFailed", "LeaseLost", "Job", "JobQueue",
           "STATES", "JobEnqueued", "JobDone", "JobFailedEvent", "JobRetried", "start_worker",
           "stop_worker", "JobNotFound", "JobNotRetriable", "job_context", "place_job"]

JOBS_KEY = "jobs"


class JobFailed(ArchiveError):
    """Raised by a handler: the job failed for good (no retry); ``message`` is
    shown to archivists."""

    status = 422
    message = _("Công việc thất bại.")


class LeaseLost(Exception):
    """The job was taken over by another worker (this one was too slow or
    cut off): stop, store nothing."""


class JobNotFound(ArchiveError):
    status = 404
    message = _("Không tìm thấy công việc.")


class JobNotRetriable(ArchiveError):
    status = 409
    message = _("Chỉ có thể chạy lại một công việc đã thất bại.")


def get_jobs(root, create=False):
    """The job queue, ``root["jobs"]`` (made by evolve step 2; ``create`` for
    the step itself).  It is a child of the root so that traversal reaches
    the jobs page (``/jobs``) with the queue's own ACL."""
    queue = root.get(JOBS_KEY)
    if queue is None and create:
        queue = root.add(JOBS_KEY, JobQueue())
    return queue


def _registry(registry):
    return registry if registry is not None else get_current_registry()


# payload keys naming a job's context when the caller names none (and for the
# jobs queued before generation 6): an object id of root.objectmap, or a fonds code
CONTEXT_KEYS = ("context_id", "file_id", "record_id", "dossier_id", "batch_id", "transfer_id",
                "fonds_id")


def context_from_payload(root, payload):
    """The object a job's payload names (see CONTEXT_KEYS), or None."""
    payload = payload if isinstance(payload, dict) else {}
    for key in CONTEXT_KEYS:
        value = payload.get(key)
        if isinstance(value, str) and value:
            obj = root.objectmap.get(value)
            if obj is not None:
                return obj
    code = payload.get("fonds")
    if isinstance(code, str) and code and "fonds" in root:
        return root["fonds"].get(code)
    return None


def locate(context):
    """(id, ids of it and its ancestors, fonds code) of a job's context:
    the fonds is its Fonds ancestor's code, else the ``fonds_code`` of the
    first object in the lineage that has one (batches, transfers), else ""."""
    if context is None:
        return None, (), ""
    path, fonds, obj = [], None, context
    while obj is not None and not getattr(obj, "is_archive_root", False):
        oid = getattr(obj, "id", None)
        if isinstance(oid, str) and oid:
            path.append(oid)
        if fonds is None:
            if isinstance(obj, Fonds):
                fonds = obj.code
            elif isinstance(getattr(obj, "fonds_code", None), str):
                fonds = obj.fonds_code
        obj = getattr(obj, "__parent__", None)
    return (path[0] if path else None), tuple(path), fonds or ""


def place_job(root, queue, job, context=None):
    """Give ``job`` its context: ``context`` (an object, or an id of
    root.objectmap), else what its payload names; none: administrators
    and the job's creator only see it."""
    if isinstance(context, str):
        context = root.objectmap.get(context)
    if context is None:
        context = context_from_payload(root, job.payload)
    queue.place(job, *locate(context))


def job_context(root, job):
    """The object that decides who sees ``job``, or None (none, gone, or in
    no fonds: then administrators and the job's creator only see it)."""
    if not job.context_id or not job.fonds:
        return None
    obj = root.objectmap.get(job.context_id)
    return obj if obj is not None and obj.__parent__ is not None else None


def enqueue_job(root, kind, payload, actor=None, title="", dedupe_key=None, registry=None,
                max_attempts=None, not_before=None, context=None):
    """Queue a job of ``kind`` in the current transaction and return it (the
    existing pending or running job when ``dedupe_key`` is already queued).
    Workers see it after the commit; the in-process worker is woken then.

    ``context``: the object (or its id in root.objectmap) whose readers may
    see the job (a file, dossier, fonds, batch, transfer...); by default
    the one its payload names (``CONTEXT_KEYS``); with none, only the
    administrators and the job's creator see it."""
    registry = _registry(registry)
    settings = getattr(registry, "settings", None) or {}
    actor = actor or SYSTEM
    if max_attempts is None:
        max_attempts = int(settings.get("archive.jobs.max_attempts") or 3)
    queue = get_jobs(root, create=True)
    job = Job(kind, payload, title=title, created_by=actor.login, max_attempts=max_attempts,
              not_before=not_before, dedupe_key=dedupe_key)
    place_job(root, queue, job, context)
    added = queue.add(job)
    if added is not job:
        return added
    registry.notify(JobEnqueued(job, actor, {"kind": kind, "title": title}))
    _wake_after_commit(root, registry)
    return job


def _wake_after_commit(root, registry):
    worker = getattr(registry, "job_worker", None)
    if worker is None:
        return
    jar = root._p_jar
    txn = (jar.transaction_manager if jar is not None else transaction.manager).get()
    key = ("archive.jobs.wake", id(worker))
    try:
        txn.data(key)
    except KeyError:
        txn.set_data(key, True)
        txn.addAfterCommitHook(_after_commit, (worker,))


def _after_commit(committed, worker):
    if committed:
        worker.wake()


def retry_job(root, job_id, actor, registry=None):
    """Send a failed job back to the queue (attempts counted afresh).
    Raises JobNotFound, JobNotRetriable."""
    registry = _registry(registry)
    queue = get_jobs(root)
    job = queue.get(job_id) if queue is not None else None
    if job is None:
        raise JobNotFound()
    if not queue.retry(job, time.time()):
        raise JobNotRetriable()
    registry.notify(JobRetried(job, actor, {"kind": job.kind}))
    _wake_after_commit(root, registry)
    return job


def failure_message(job, exc):
    """(message, detail) kept for a failure: a JobFailed's own message, or a
    generic one with the exception's text."""
    if isinstance(exc, JobFailed):
        return exc.message, ""
    text = f"{type(exc).__name__}: {exc}"[:2000]
    return _("Lỗi không mong đợi khi xử lý công việc: ${error}", mapping={"error": text}), text


# ---------------------------------------------------------------- configuration
def add_job_handler(config, kind, handler):
    """``config.add_job_handler(kind, handler)``: ``handler`` an object with
    prepare/run/store (or a class, or a dotted name of either)."""
    handler = config.maybe_dotted(handler)
    if isinstance(handler, type):
        handler = handler()

    def register():
        config.registry.job_handlers[kind] = handler

    config.action(("archive.jobs.handler", kind), register)


def start_worker(registry, db):
    """Start the in-process worker thread(s) when ``archive.jobs.worker`` is on."""
    settings = registry.settings
    if not asbool(settings.get("archive.jobs.worker", "false")):
        return None
    from .worker import Worker

    worker = Worker.from_settings(db, registry, threads=int(settings.get("archive.jobs.threads")
                                                            or 1), name="web")
    registry.job_worker = worker
    worker.start()
    return worker


def stop_worker(registry, timeout=30):
    worker = getattr(registry, "job_worker", None)
    if worker is not None:
        worker.stop(timeout)
        registry.job_worker = None


def forget_destroyed(event):
    """A dossier is destroyed (disposal): the jobs about it or its files are
    seen by administrators and their creators only from now on."""
    root = find_root_of(event.obj)
    queue = get_jobs(root) if root is not None else None
    oid = getattr(event.obj, "id", None)
    if queue is not None and oid:
        queue.context_gone(oid)


def includeme(config):
    from ..disposal.events import DossierDestroyed

    config.add_subscriber(forget_destroyed, DossierDestroyed)
    if getattr(config.registry, "job_handlers", None) is None:
        config.registry.job_handlers = {}
        config.registry.job_worker = None
    config.add_directive("add_job_handler", add_job_handler)
    # extra handlers by dotted name (tests): kind:package.module.Handler ...
    for item in aslist(config.get_settings().get("archive.jobs.handlers") or ""):
        kind, _sep, dotted = item.partition(":")
        if kind and dotted:
            config.add_job_handler(kind, dotted)
