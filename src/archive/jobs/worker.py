"""The worker: claims jobs, runs their handlers, stores their results.

One ``Worker`` has one or more threads (slots); each slot has its own
connection and transaction manager and does one job at a time:

1. claim (one short transaction, retried on ConflictError): take back the
   jobs whose lease expired (their worker died), mark the first due job
   running with a new token and a lease, call ``handler.prepare``;
2. run ``handler.run`` outside any transaction, in a private temporary
   directory, while a heartbeat thread renews the lease every third of it;
3. store (one transaction, retried): if the job still carries this claim's
   token, ``handler.store`` and mark it done; otherwise discard the result
   (another worker took the job over after this one's lease expired).

A failure (any exception but ``JobFailed``) sends the job back to the queue
after a back-off, until its attempts are spent; ``JobFailed`` fails it at
once.  Both keep the reason for the archivists.
"""
import contextlib
import logging
import os
import shutil
import socket
import tempfile
import threading
import time

import transaction
from pyramid.settings import aslist
from ZODB.POSException import ConflictError

from ..db import ROOT_KEY
from ..events import Actor
from ..i18n import _
from ..resources.base import new_id
from . import JobFailed, LeaseLost, failure_message, get_jobs
from .events import JobDone, JobFailedEvent

log = logging.getLogger(__name__)

DEFAULT_BACKOFF = (10.0, 60.0, 300.0)


def in_transaction(tm, fn, attempts=10):
    """``fn()`` in a transaction of ``tm``, committed, retried on
    ConflictError; returns its result.  (A ``return`` inside ``with
    attempt:`` would return even when the commit failed and is retried:
    never do that.)"""
    for attempt in tm.attempts(attempts):
        with attempt:
            result = fn()
    return result


class Context:
    """What ``handler.run`` gets: see the contract in ``archive.jobs``."""

    def __init__(self, worker, slot, job_id, token, workdir):
        self.worker = worker
        self.registry = worker.registry
        self.db = worker.db
        self.job_id = job_id
        self.token = token
        self.workdir = workdir
        self._slot = slot
        self._lock = threading.RLock()
        self._last_progress = 0.0

    def _checked_root(self):
        root = self._slot.conn.root()[ROOT_KEY]
        queue = get_jobs(root)
        job = queue.get(self.job_id)
        if not queue.holds(job, self.token):
            raise LeaseLost(self.job_id)
        # the commit fails if another worker takes the job over meanwhile
        self._slot.conn.readCurrent(job)
        return root, job

    def progress(self, done, total, message=""):
        """Record progress on the job (throttled to about once a second);
        raises LeaseLost when the job is no longer this worker's."""
        now = time.monotonic()
        if done != total and now - self._last_progress < 1.0:
            return
        def record():
            _root, job = self._checked_root()
            job.progress = (int(done), int(total), str(message))

        with self._lock:
            in_transaction(self._slot.tm, record)
            self._last_progress = now

    @contextlib.contextmanager
    def transaction(self):
        """A fresh transaction for the handler's own writes (not retried);
        yields the ArchiveRoot."""
        with self._lock, self._slot.tm:
            root, _job = self._checked_root()
            yield root

    def run(self, fn, attempts=10):
        """``fn(root)`` in a transaction of its own, retried on ConflictError."""
        with self._lock:
            return in_transaction(self._slot.tm, lambda: fn(self._checked_root()[0]), attempts)


class Heartbeat(threading.Thread):
    """Renews a claim's lease every ``lease / 3`` seconds on a connection of
    its own; ``lost`` is set when the claim is gone."""

    def __init__(self, db, job_id, token, lease):
        super().__init__(name="archive-job-heartbeat", daemon=True)
        self.db, self.job_id, self.token, self.lease = db, job_id, token, lease
        self.lost = threading.Event()
        self._halt = threading.Event()

    def run(self):
        tm = transaction.TransactionManager(explicit=True)
        conn = self.db.open(tm)
        try:
            while not self._halt.wait(self.lease / 3.0):
                try:
                    renewed = in_transaction(tm, lambda: get_jobs(conn.root()[ROOT_KEY]).renew(
                        self.job_id, self.token, time.time() + self.lease), 5)
                    if not renewed:
                        self.lost.set()
                        return
                except Exception:
                    log.exception("renewing the lease of job %s failed", self.job_id)
        finally:
            with contextlib.suppress(Exception):
                tm.abort()
            conn.close()

    def stop(self):
        self._halt.set()
        if self.is_alive():
            self.join(10)


class _Slot:
    def __init__(self, worker, index):
        self.index = index
        self.id = f"{socket.gethostname()}:{os.getpid()}:{worker.name}{index}:{new_id()[:6]}"
        self.wake = threading.Event()
        self.tm = transaction.TransactionManager(explicit=True)
        self.conn = None
        self.next_wake = None

    def open(self, db):
        if self.conn is None:
            self.conn = db.open(self.tm)
        return self.conn

    def close(self):
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.tm.abort()
            with contextlib.suppress(Exception):
                self.conn.close()
            self.conn = None


class Worker:
    """Processes the job queue of ``db`` with the handlers of ``registry``."""

    def __init__(self, db, registry, threads=1, lease=60.0, poll=2.0, backoff=DEFAULT_BACKOFF,
                 name="worker"):
        self.db = db
        self.registry = registry
        self.lease = float(lease)
        self.poll = float(poll)
        self.backoff = tuple(float(b) for b in backoff) or DEFAULT_BACKOFF
        self.name = name
        self.slots = [_Slot(self, i) for i in range(max(1, int(threads)))]
        self.threads = []
        self._stop = threading.Event()
        settings = registry.settings or {}
        self.tmp = settings.get("archive.upload_tmp") or None

    @classmethod
    def from_settings(cls, db, registry, threads=1, name="worker"):
        settings = registry.settings or {}
        backoff = [float(b) for b in aslist(settings.get("archive.jobs.backoff") or "")]
        return cls(db, registry, threads=threads,
                   lease=float(settings.get("archive.jobs.lease") or 60),
                   poll=float(settings.get("archive.jobs.poll") or 2),
                   backoff=backoff or DEFAULT_BACKOFF, name=name)

    @property
    def handlers(self):
        return self.registry.job_handlers

    def actor(self, slot):
        return Actor("system", "worker:" + slot.id)

    # ------------------------------------------------------------ threads
    def start(self):
        for slot in self.slots:
            thread = threading.Thread(target=self._loop, args=(slot,), daemon=True,
                                      name=f"archive-jobs-{slot.index}")
            self.threads.append(thread)
            thread.start()
        threading.Thread(target=self.warm, daemon=True, name="archive-jobs-warm").start()

    def warm(self):
        """Let each handler with a ``warm()`` load what its first job would
        (libraries, versions of the tools): the first job then runs as fast
        as the next ones."""
        for kind, handler in list(self.handlers.items()):
            warm = getattr(handler, "warm", None)
            if warm is None:
                continue
            try:
                warm()
            except Exception:
                log.warning("job handler %s: warming up failed; its first job will load it", kind,
                            exc_info=True)

    def wake(self):
        for slot in self.slots:
            slot.wake.set()

    def stop(self, timeout=30):
        """Stop taking jobs; wait up to ``timeout`` s for the running ones."""
        self._stop.set()
        self.wake()
        for thread in self.threads:
            thread.join(timeout)

    def close(self):
        """Close the slots' connections (after ``run_once`` calls)."""
        for slot in self.slots:
            slot.close()

    @property
    def stopping(self):
        return self._stop.is_set()

    def _loop(self, slot, once=False):
        try:
            while not self._stop.is_set():
                slot.wake.clear()
                try:
                    did = self.run_once(slot)
                except Exception:
                    log.exception("job worker %s: unexpected error; going on", slot.id)
                    did = False
                    slot.close()
                    self._stop.wait(self.poll)
                if did:
                    continue
                if once:
                    break
                # until the next poll, or the next back-off or lease that ends sooner
                wait = self.poll
                if slot.next_wake is not None:
                    wait = min(wait, max(0.05, slot.next_wake - time.time() + 0.01))
                slot.wake.wait(wait)
        finally:
            slot.close()

    def run_until_idle(self):
        """Process due jobs until none is left (``archive-worker --once``),
        with every slot in a thread of its own."""
        threads = [threading.Thread(target=self._loop, args=(slot, True), daemon=True)
                   for slot in self.slots]
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(0.5)

    # ------------------------------------------------------------ one job
    def run_once(self, slot=None):
        """Claim and process one job; False when none was due."""
        slot = slot or self.slots[0]
        conn = slot.open(self.db)
        claimed = self._claim(slot, conn)
        if claimed is None:
            return False
        if claimed is True:  # failed while preparing, or unknown kind
            return True
        job_id, token, handler, prepared = claimed
        workdir = tempfile.mkdtemp(prefix="job-", dir=self.tmp)
        heartbeat = Heartbeat(self.db, job_id, token, self.lease)
        heartbeat.start()
        try:
            ctx = Context(self, slot, job_id, token, workdir)
            try:
                result = handler.run(prepared, ctx)
            except LeaseLost:
                log.warning("job %s was taken over by another worker; result discarded", job_id)
                return True
            except Exception as exc:
                log.warning("job %s failed: %s", job_id, exc, exc_info=not isinstance(exc, JobFailed))
                self._record_failure(slot, conn, job_id, token, exc)
                return True
            # the lease has two thirds of its time left at least: the heartbeat
            # stops, lest it conflict with the store transaction; the work
            # directory stays until the result is stored
            heartbeat.stop()
            self._store(slot, conn, job_id, token, handler, result)
            return True
        finally:
            heartbeat.stop()
            shutil.rmtree(workdir, ignore_errors=True)

    def _claim(self, slot, conn):
        """None: nothing due; True: a job was claimed and failed at once;
        else (job_id, token, handler, prepared)."""
        def claim():
            root = conn.root()[ROOT_KEY]
            queue = get_jobs(root)
            if queue is None:
                return None
            now = time.time()
            self._take_back_expired(slot, root, queue, now)
            job = queue.claim(slot.id, now, self.lease)
            if job is None:
                slot.next_wake = queue.next_wake()
                return None
            handler = self.handlers.get(job.kind)
            if handler is None:
                self._fail(slot, queue, job, JobFailed(
                    _("Không có bộ xử lý cho loại công việc «${kind}».",
                      mapping={"kind": job.kind})), final=True)
                return True
            try:
                prepared = handler.prepare(root, job, self.registry)
            except ConflictError:
                raise
            except Exception as exc:
                log.warning("job %s failed while preparing: %s", job.id, exc,
                            exc_info=not isinstance(exc, JobFailed))
                self._fail(slot, queue, job, exc)
                return True
            return job.id, job.token, handler, prepared

        return in_transaction(slot.tm, claim)

    def _take_back_expired(self, slot, root, queue, now):
        """Jobs whose worker died (lease expired): back to the queue, or
        failed when that was their last attempt."""
        for job in queue.expired(now):
            log.warning("job %s: the lease of worker %s expired; running it again", job.id,
                        job.worker)
            if job.attempts >= job.max_attempts:
                job.error = _("Công việc bị ngắt giữa chừng ${count} lần (tiến trình xử lý "
                              "dừng đột ngột).", mapping={"count": job.attempts})
                job.error_detail = ""
                queue.finish(job, "failed")
                self.registry.notify(JobFailedEvent(job, self.actor(slot), {
                    "kind": job.kind, "attempts": job.attempts, "reason": "lease expired"}))
            else:
                queue.requeue(job, now)

    def _fail(self, slot, queue, job, exc, final=False):
        """Record a failed attempt of ``job`` (in the current transaction)."""
        message, detail = failure_message(job, exc)
        job.error = message
        job.error_detail = detail
        if final or isinstance(exc, JobFailed) or job.attempts >= job.max_attempts:
            queue.finish(job, "failed")
            text = message.interpolate() if hasattr(message, "interpolate") else str(message)
            self.registry.notify(JobFailedEvent(job, self.actor(slot), {
                "kind": job.kind, "attempts": job.attempts, "error": text}))
        else:
            delay = self.backoff[min(job.attempts, len(self.backoff)) - 1]
            queue.requeue(job, time.time() + delay)

    def _record_failure(self, slot, conn, job_id, token, exc):
        def record():
            queue = get_jobs(conn.root()[ROOT_KEY])
            job = queue.get(job_id)
            if not queue.holds(job, token):
                log.warning("job %s: failure not recorded, the job is no longer ours", job_id)
                return
            self._fail(slot, queue, job, exc)

        in_transaction(slot.tm, record)

    def _store(self, slot, conn, job_id, token, handler, result):
        def store():
            root = conn.root()[ROOT_KEY]
            queue = get_jobs(root)
            job = queue.get(job_id)
            if not queue.holds(job, token):
                log.warning("job %s: the lease was lost; result discarded", job_id)
                return False
            handler.store(root, job, result, self.registry)
            job.progress = (job.progress[1] or 1, job.progress[1] or 1, "")
            queue.finish(job, "done")
            self.registry.notify(JobDone(job, self.actor(slot), {
                "kind": job.kind, "attempts": job.attempts}))
            return True

        try:
            return in_transaction(slot.tm, store)
        except Exception as exc:  # JobFailed, or a failure of store() (or of its commit)
            log.warning("job %s: storing the result failed: %s", job_id, exc,
                        exc_info=not isinstance(exc, JobFailed))
            self._record_failure(slot, conn, job_id, token, exc)
            return False
