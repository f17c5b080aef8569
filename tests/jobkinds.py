"""Small real job handlers for the queue's tests (registered through the
setting ``archive.jobs.handlers = sleep:jobkinds.SleepHandler ...``).

Each stores its result by appending ``(job id, value)`` to
``root.test_job_results`` (a PersistentList), so tests count how many times
a result was stored; ``run`` writes a file per run in ``payload["marks"]``
(when given), so tests count how many times the work ran.
"""
import os
import time

from persistent.list import PersistentList

from archive.i18n import _
from archive.jobs import JobFailed


def mark(payload, what):
    folder = payload.get("marks")
    if folder:
        os.makedirs(folder, exist_ok=True)
        name = f"{payload.get('name', 'job')}.{what}.{os.getpid()}.{time.time_ns()}"
        with open(os.path.join(folder, name), "w") as fh:
            fh.write(what)


def runs(folder, name, what="run"):
    if not os.path.isdir(folder):
        return 0
    return sum(1 for f in os.listdir(folder) if f.startswith(f"{name}.{what}."))


def store_result(root, job, value):
    results = getattr(root, "test_job_results", None)
    if results is None:
        results = root.test_job_results = PersistentList()
    results.append((job.id, value))
    job.result = {"value": value}


class SleepHandler:
    """Sleeps ``payload["seconds"]`` in small steps, reporting progress, then
    stores ``payload["value"]``."""

    def prepare(self, root, job, registry):
        return dict(job.payload)

    def run(self, prepared, ctx):
        mark(prepared, "run")
        steps = max(1, int(prepared.get("seconds", 0) * 10))
        for step in range(steps):
            time.sleep(prepared.get("seconds", 0) / steps)
            ctx.progress(step + 1, steps, "đang ngủ")
        mark(prepared, "ran")
        return prepared.get("value")

    def store(self, root, job, result, registry):
        store_result(root, job, result)


class FailAlwaysHandler:
    """An unexpected error on every attempt."""

    def prepare(self, root, job, registry):
        return dict(job.payload)

    def run(self, prepared, ctx):
        mark(prepared, "run")
        raise RuntimeError("hỏng hoàn toàn")

    def store(self, root, job, result, registry):
        store_result(root, job, result)


class FailTwiceHandler:
    """Fails its first two attempts, then succeeds."""

    def prepare(self, root, job, registry):
        return {"attempt": job.attempts, **job.payload}

    def run(self, prepared, ctx):
        mark(prepared, "run")
        if prepared["attempt"] <= 2:
            raise OSError(f"tạm thời không được (lần {prepared['attempt']})")
        return prepared["attempt"]

    def store(self, root, job, result, registry):
        store_result(root, job, result)


class RefuseHandler:
    """A permanent failure with a message for the archivists."""

    def prepare(self, root, job, registry):
        if job.payload.get("in_prepare"):
            raise JobFailed(_("Tệp rỗng (0 byte)."))
        return dict(job.payload)

    def run(self, prepared, ctx):
        mark(prepared, "run")
        raise JobFailed(_("Tệp PDF bị hỏng, không đọc được."))

    def store(self, root, job, result, registry):
        store_result(root, job, result)


class CommitHandler:
    """Commits its own small transactions while running (like an import)."""

    def prepare(self, root, job, registry):
        return dict(job.payload)

    def run(self, prepared, ctx):
        for i in range(prepared.get("count", 3)):
            ctx.run(lambda root, i=i: store_result(root, _Fake(ctx.job_id), ("item", i)))
        return "finished"

    def store(self, root, job, result, registry):
        store_result(root, job, result)


class _Fake:
    def __init__(self, job_id):
        self.id = job_id


class FlagHandler:
    """Fails (transiently) until the file ``payload["flag"]`` exists."""

    def prepare(self, root, job, registry):
        return dict(job.payload)

    def run(self, prepared, ctx):
        mark(prepared, "run")
        if not os.path.exists(prepared["flag"]):
            raise FileNotFoundError(prepared["flag"])
        return "flag found"

    def store(self, root, job, result, registry):
        store_result(root, job, result)
