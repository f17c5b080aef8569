"""The web import: a ZIP (manifest.csv + files) uploaded on a fonds' import
page, run as a job of kind ``import`` (see archive.jobs).

``prepare`` reads the payload; ``run`` unpacks the ZIP into the job's private
work folder (``ziparchive.unpack``: no unsafe entry, no zip bomb), validates
the whole manifest (rows may only name the page's fonds) and imports it one
item per transaction (``ctx.run``) with progress on the job; ``store`` keeps
the counts and problems on the job (``job.result``) and removes the uploaded
ZIP after the commit.  A job run again (a worker died) skips what the first
run imported.  A refused manifest ends the job as done with
``result["refused"]`` and every problem listed: nothing was imported.
"""
import os

from archive.db import read_snapshot
from archive.events import Actor
from archive.i18n import _
from archive.resources.base import utcnow

from .manifest import make_translate
from .service import ManifestInvalid, check_manifest, import_plan
from .ziparchive import UnsafeZip, limits, unpack

KIND = "import"
MAX_PROBLEMS_SHOWN = 500


def import_jobs(root):
    """``root.import_jobs``: (fonds code, created_ns) -> job id (evolve step 3)."""
    return getattr(root, "import_jobs", None)


def zip_folder(settings):
    path = os.path.join(settings["archive.upload_tmp"], "imports")
    os.makedirs(path, exist_ok=True)
    return path


def enqueue_import(root, registry, actor, fonds, zip_path, name):
    """Queue the import of an uploaded, checked ZIP into ``fonds``."""
    from archive.jobs import enqueue_job

    job = enqueue_job(root, KIND, {"fonds": fonds.code, "zip": zip_path, "name": name},
                      actor=actor, registry=registry, context=fonds,
                      title=_("Nhập hàng loạt ${name} vào phông ${code}",
                              mapping={"name": name, "code": fonds.code}).interpolate())
    index = import_jobs(root)
    if index is not None:
        index[(fonds.code, job.created_ns)] = job.id
    return job


def jobs_of_fonds(root, code, limit=20):
    """The import jobs of fonds ``code``, newest first."""
    from archive.jobs import get_jobs

    index, queue = import_jobs(root), get_jobs(root)
    if index is None or queue is None:
        return []
    out = []
    for key in reversed(index.keys((code, 0), (code, 2 ** 64))):
        job = queue.get(index[key])
        if job is not None:
            out.append(job)
        if len(out) >= limit:
            break
    return out


class ImportHandler:
    """Job handler of kind ``import`` (contract: /work/coord/contracts.md, Jobs)."""

    def prepare(self, root, job, registry):
        return {"fonds": job.payload["fonds"], "zip": job.payload["zip"],
                "name": job.payload.get("name", ""), "login": job.created_by or "system",
                "job_id": job.id}

    def run(self, prepared, ctx):
        from archive.jobs import JobFailed

        registry = ctx.registry
        settings = registry.settings
        translate = make_translate(registry, "vi")
        if not os.path.exists(prepared["zip"]):
            raise JobFailed(_("Tệp ZIP đã tải lên không còn trên máy chủ; hãy tải lên lại."))
        ctx.progress(0, 0, "đang giải nén")
        try:
            folder = unpack(prepared["zip"], os.path.join(ctx.workdir, "zip"), *limits(settings))
        except UnsafeZip as exc:
            os.unlink(prepared["zip"])  # it will never do: keep no copy
            raise JobFailed(exc.message)
        ctx.progress(0, 0, "đang kiểm tra manifest.csv")
        try:
            plan = check_manifest(lambda fn: read_snapshot(ctx.db, fn), folder, settings,
                                  translate=translate, only_fonds=prepared["fonds"])
        except ManifestInvalid as exc:
            return {"refused": True, "problem_count": len(exc.problems),
                    "problems": [{"line": p.line, "message": p.text(translate)}
                                 for p in exc.problems[:MAX_PROBLEMS_SHOWN]]}
        actor = Actor(prepared["login"], f"job:import:{prepared['job_id']}")
        result = import_plan(plan, ctx.run, registry, actor,
                             progress=lambda done, total: ctx.progress(done, total, "đang nhập"),
                             source=prepared["name"])
        out = result.as_dict(translate)
        out["refused"] = False
        return out

    def store(self, root, job, result, registry):
        result = dict(result, finished=utcnow().isoformat())
        job.result = result
        path = job.payload.get("zip")
        if path:
            txn = root._p_jar.transaction_manager.get() if root._p_jar is not None else None
            if txn is not None:
                txn.addAfterCommitHook(_remove_after_commit, (path,))


def _remove_after_commit(committed, path):
    if committed and os.path.exists(path):
        os.unlink(path)


def register(config):
    config.include("archive.jobs")
    config.add_job_handler(KIND, ImportHandler())
