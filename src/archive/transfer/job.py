"""The transfer export as a background job (kind ``transfer.export``).

The web form (``/fonds/<code>/transfer``) and the API check the selection
as before (``service.select_due``), refuse a selection that does not fit on
the disk, and queue this job in the same transaction: the transfer's number
and id are given then (a job that fails leaves its number unused).  Then:

``prepare`` (the claim's short transaction) checks every dossier again and
reads the plan: each file's blob path, bag path, size and stored SHA-256.

``run`` (outside any transaction) checks the free space, removes what an
interrupted earlier run left, writes the metadata files (METS, CSV,
index.html) from a read-only snapshot, copies every file from its blob with
progress per file, checks each SHA-256, seals the bag (bagit-python), writes
the ZIP and only then gives the bag its name (``bag.finish_bag``): a worker
killed midway leaves only hidden ``.part`` leftovers, which the run that
follows removes.

``store`` (the completing transaction, exactly once) checks every dossier
again -- destroyed, put on hold, transferred or queued in another transfer
meanwhile, its files changed -- and fails the job with the reason
(``JobFailed``) or records the Transfer exactly as the script does
(``service.record_export``: pending dossiers, TransferExported).  When the
job fails for good, a subscriber removes its bag from the disk, so that no
bag without a transfer is left to be taken for one.
"""
import hashlib
import os

from ..db import read_snapshot
from ..errors import ArchiveError
from ..events import Actor
from ..i18n import _
from ..resources import Dossier, utcnow
from ..resources.base import new_id
from . import bag as baglib
from . import service
from .errors import BagExists, NotEnoughSpace

KIND = "transfer.export"

try:
    from ..retention import is_held
except ImportError:  # pragma: no cover
    from ..retention.holds import is_held


def transfer_dir(settings):
    """Where bags are written: ``archive.transfer_dir`` (default
    ``<archive.var>/transfers``)."""
    return settings.get("archive.transfer_dir") or os.path.join(
        settings.get("archive.var", "var"), "transfers")


def payload_bytes(dossiers):
    return sum(f.size for d in dossiers for r in d.values() for f in r.values())


def keep_free(settings):
    """``archive.transfer.keep_free``: bytes the disk must keep free beyond
    the bag (default 0)."""
    try:
        return max(0, int((settings or {}).get("archive.transfer.keep_free") or 0))
    except ValueError:
        return 0


def check_space(out_dir, size, make_zip, settings=None):
    """Raise NotEnoughSpace when ``out_dir``'s disk lacks room for a bag of
    ``size`` bytes of files (and its ZIP), keeping ``archive.transfer.keep_free``."""
    need = baglib.space_needed(size, make_zip) + keep_free(settings)
    free = baglib.free_space(out_dir)
    if free < need:
        raise NotEnoughSpace(mapping={"need": _mb(need), "free": _mb(free),
                                      "path": os.path.abspath(out_dir)})


def _mb(n):
    return (n + 1024 ** 2 - 1) // 1024 ** 2


def active_jobs(root, fonds_code):
    """The export jobs of the fonds still pending or running."""
    from ..jobs import get_jobs

    transfers, queue = root.get("transfers"), get_jobs(root)
    if transfers is None or queue is None:
        return []
    jobs = (queue.get(i) for i in transfers.job_ids(fonds_code, 100))
    return [j for j in jobs if j is not None and j.state in ("pending", "running")]


def jobs_of_fonds(root, fonds_code, limit=10):
    from ..jobs import get_jobs

    transfers, queue = root.get("transfers"), get_jobs(root)
    if transfers is None or queue is None:
        return []
    return [j for j in (queue.get(i) for i in transfers.job_ids(fonds_code, limit)) if j is not None]


def enqueue_export(root, registry, actor, dossiers, out_dir, make_zip=True):
    """Queue the export of ``dossiers`` (checked here: the reasons of
    ``service.check_selection``; a dossier already in a queued export:
    TransferQueued; not enough disk: NotEnoughSpace).  Returns the Job.
    The transfer's number and id are reserved now."""
    import inspect

    from ..jobs import enqueue_job
    from .errors import TransferQueued

    dossiers = list(dossiers)
    fonds = service.check_selection(root, dossiers)
    queued = {}
    for job in active_jobs(root, fonds.code):
        for oid in job.payload.get("dossiers", ()):
            queued[oid] = job
    for dossier in dossiers:
        if dossier.id in queued:
            raise TransferQueued(mapping={"code": dossier.file_code,
                                          "number": queued[dossier.id].payload.get("number")})
    check_space(out_dir, payload_bytes(dossiers), make_zip, registry.settings)
    transfers = service.transfers_of(root)
    number = transfers.next_number(utcnow().year)
    payload = {"fonds": fonds.code, "dossiers": [d.id for d in dossiers],
               "codes": [d.file_code for d in dossiers], "number": number,
               "transfer_id": new_id(), "out_dir": os.path.abspath(out_dir),
               "make_zip": bool(make_zip), "address": getattr(actor, "address", "")}
    title = _("Lập gói nộp lưu ${number} (phông ${code}, ${n} hồ sơ)",
              mapping={"number": number, "code": fonds.code, "n": len(dossiers)}).interpolate()
    kwargs = {}
    if "context" in inspect.signature(enqueue_job).parameters:
        kwargs["context"] = fonds   # the jobs helper's per-fonds visibility (contracts.md)
    job = enqueue_job(root, KIND, payload, actor=actor, title=title, registry=registry,
                      dedupe_key=f"{KIND}:{payload['transfer_id']}", **kwargs)
    transfers.add_job(fonds.code, job)
    return job


# ------------------------------------------------------------------ checks

def current_dossiers(root, payload):
    """The dossiers of the job as they are now, each checked (JobFailed with
    the reason, naming the dossier and the transfer)."""
    from ..jobs import JobFailed

    number = payload["number"]
    codes = dict(zip(payload["dossiers"], payload.get("codes") or payload["dossiers"]))
    dossiers = []
    due = None
    for oid in payload["dossiers"]:
        code = codes.get(oid, oid)
        dossier = root.objectmap.get(oid)
        if not isinstance(dossier, Dossier):
            raise JobFailed(_("Hồ sơ ${code} không còn trong kho (đã bị hủy hoặc xóa) trong khi "
                              "lập gói nộp lưu ${number}: gói không được ghi nhận.",
                              mapping={"code": code, "number": number}))
        if is_held(dossier):
            raise JobFailed(_("Hồ sơ ${code} bị tạm giữ trong khi lập gói nộp lưu ${number}: gói "
                              "không được ghi nhận. Hãy giải tỏa hoặc bỏ hồ sơ này rồi lập gói lại.",
                              mapping={"code": code, "number": number}))
        other = getattr(dossier, "transfer_pending", None)
        if getattr(dossier, "transferred", False) or (other and other != payload["transfer_id"]):
            raise JobFailed(_("Hồ sơ ${code} đã được nộp lưu hoặc đã vào một gói nộp lưu khác trong "
                              "khi lập gói ${number}: gói không được ghi nhận.",
                              mapping={"code": code, "number": number}))
        if dossier.fonds.code != payload["fonds"]:
            raise JobFailed(_("Hồ sơ ${code} không còn thuộc phông ${fonds}: gói nộp lưu ${number} "
                              "không được ghi nhận.",
                              mapping={"code": code, "fonds": payload["fonds"], "number": number}))
        if due is None:
            due = set(service.due_ids(root, payload["fonds"]))
        try:
            service.check_transferable(root, dossier, due)
        except ArchiveError as exc:
            raise JobFailed(exc.message)
        dossiers.append(dossier)
    return dossiers


def file_plan(dossiers):
    """[(stored id, bag path, sha256, size)] of the dossiers' files."""
    out = []
    for dossier in dossiers:
        for item in baglib.plan_files(dossier):
            out.append((item.stored.id, f"data/{dossier.file_code}/{item.path}",
                        item.stored.sha256, item.stored.size))
    return out


def plan_digest(plan):
    digest = hashlib.sha256()
    for row in plan:
        digest.update(repr(tuple(row)).encode("utf-8"))
    return digest.hexdigest()


def files_changed(number, code):
    from ..jobs import JobFailed

    return JobFailed(_("Tệp của hồ sơ trong gói nộp lưu ${number} đã thay đổi trong khi lập gói "
                       "(${code}): gói không được ghi nhận; hãy lập gói lại.",
                       mapping={"number": number, "code": code}))


# ------------------------------------------------------------------ the handler

class TransferExportHandler:
    """Job handler of kind ``transfer.export`` (see the module docstring)."""

    label = _("Lập gói nộp lưu")

    def prepare(self, root, job, registry):
        payload = dict(job.payload)
        dossiers = current_dossiers(root, payload)
        plan = file_plan(dossiers)
        blobs = {}
        for dossier in dossiers:
            for record in dossier.records():
                for stored in record.files():
                    blobs[stored.id] = baglib.blob_path(stored)
        files = [{"stored_id": sid, "bag_path": path, "sha256": sha, "size": size,
                  "blob": blobs[sid]} for sid, path, sha, size in plan]
        return {"payload": payload, "files": files, "bytes": sum(f["size"] for f in files),
                "digest": plan_digest(plan), "login": job.created_by or "system",
                "job_id": job.id, "created": utcnow().isoformat()}

    def run(self, prepared, ctx):
        from ..jobs import JobFailed

        payload = prepared["payload"]
        number, transfer_id = payload["number"], payload["transfer_id"]
        out_dir, make_zip = payload["out_dir"], payload.get("make_zip", True)
        name = service.bag_name(number, payload["fonds"])
        target = os.path.join(out_dir, name)
        files = prepared["files"]
        ctx.progress(0, len(files), "Đang chuẩn bị")
        try:
            baglib.clear_leftovers(out_dir, name, owner=transfer_id)
            check_space(out_dir, prepared["bytes"], make_zip, ctx.registry.settings)
        except (BagExists, NotEnoughSpace) as exc:
            raise JobFailed(exc.message)
        os.makedirs(out_dir, exist_ok=True)
        staging = os.path.join(out_dir, f".{name}.{baglib._part_suffix()}.part")
        os.makedirs(staging)
        try:
            from ..schemas.vocabularies import doc_type_name

            def metadata(root):
                dossiers = [root.objectmap.get(oid) for oid in payload["dossiers"]]
                if any(not isinstance(d, Dossier) for d in dossiers):
                    raise files_changed(number, "?")
                fonds = dossiers[0].fonds
                return baglib.write_metadata(staging, fonds, dossiers, number, transfer_id,
                                             prepared["created"], prepared["login"],
                                             doc_type_name)

            planned, info, counts = read_snapshot(ctx.db, metadata)
            if [(f["stored_id"], f["bag_path"], f["sha256"]) for f in planned] != \
                    [(f["stored_id"], f["bag_path"], f["sha256"]) for f in files]:
                raise files_changed(number, name)
            total = len(files)
            baglib.copy_files(staging, files, lambda done, _n: ctx.progress(
                done, total, f"Đang chép tệp {done}/{total}"))
            ctx.progress(total, total + 1, "Đang lập manifest SHA-256")
            expected = {f["bag_path"]: f["sha256"] for f in files}
            oxum = baglib.seal_bag(staging, info, expected)
            zip_path = baglib.finish_bag(staging, target, make_zip, progress=lambda done, n: (
                ctx.progress(done, n + 1, f"Đang nén ZIP {done}/{n}")))
        except BaseException as exc:
            baglib._remove(staging)
            if isinstance(exc, ArchiveError) and not isinstance(exc, JobFailed):
                raise JobFailed(exc.message)   # BagIntegrityError: a damaged blob
            raise
        return {"bag_name": name, "bag_dir": target, "zip_path": zip_path,
                "payload_oxum": oxum, "counts": counts, "digest": prepared["digest"],
                "created": prepared["created"]}

    def store(self, root, job, result, registry):
        payload = job.payload
        transfers = service.transfers_of(root)
        if payload["transfer_id"] in transfers:   # never twice
            return
        dossiers = current_dossiers(root, payload)
        if plan_digest(file_plan(dossiers)) != result["digest"]:
            raise files_changed(payload["number"], ", ".join(payload.get("codes") or ()))
        if baglib.bag_owner(result["bag_dir"]) != payload["transfer_id"]:
            # somebody removed it meanwhile: a transient failure, the job runs again
            raise RuntimeError(f"the bag {result['bag_dir']} is no longer on the disk")
        actor = Actor(job.created_by or "system", payload.get("address") or f"job:{job.code}")
        import datetime

        created = datetime.datetime.fromisoformat(result["created"])
        transfer = service.record_export(root, registry, actor, dossiers, dossiers[0].fonds,
                                         payload["number"], payload["transfer_id"], result,
                                         created=created)
        job.result = {"transfer_id": transfer.id, "number": transfer.number,
                      "bag_name": transfer.bag_name, "dossiers": len(dossiers),
                      "files": transfer.file_total, "bytes": transfer.byte_total}


def on_job_failed(event):
    """A transfer export failed for good: remove its bag and ZIP (after the
    commit), so that no bag of an unrecorded transfer is left on the disk."""
    job = event.obj
    if getattr(job, "kind", None) != KIND:
        return
    payload = job.payload
    target = os.path.join(payload["out_dir"], service.bag_name(payload["number"], payload["fonds"]))
    owner = payload["transfer_id"]
    jar = getattr(job, "_p_jar", None)

    def remove(committed=True):
        if not committed:
            return
        if os.path.isdir(target) and baglib.bag_owner(target) == owner:
            baglib._remove(target + ".zip")
            baglib._remove(target)
        try:
            baglib.clear_leftovers(payload["out_dir"], os.path.basename(target))
        except (BagExists, OSError):
            pass

    if jar is None:
        remove()
    else:
        jar.transaction_manager.get().addAfterCommitHook(remove)


def includeme(config):
    from ..jobs import JobFailedEvent

    config.include("archive.jobs")
    config.add_job_handler(KIND, TransferExportHandler())
    config.add_subscriber(on_job_failed, JobFailedEvent)
