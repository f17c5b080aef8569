"""Transfer to the historical archive in the UI.

``/fonds/<code>/transfer`` (TRANSFER on the fonds): choose among the fonds'
dossiers due for transfer; posting checks the choice (the named reasons of
``archive.transfer.service``, a dossier already in a queued export, the
free disk space, the optional ``archive.transfer.web_max_bytes``) and
queues a ``transfer.export`` job (``archive.transfer.job``) that writes the
bag and its ZIP on the server under ``archive.transfer_dir`` (default
``<archive.var>/transfers``) and then records the transfer.  The user is
sent to ``/fonds/<code>/transfer-job?id=<job>``: the job's progress, its
reason if it failed, the link to the transfer when done.  The dossiers stay
"being transferred" until the receipt is recorded on the transfer page
(``/transfers/<id>/``), or the transfer is cancelled.
"""
import os

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.response import FileResponse
from pyramid.view import view_config, view_defaults

from archive import security as perm
from archive.db import archive_root
from archive.errors import ArchiveError
from archive.events import ArchiveEvent
from archive.i18n import _
from archive.jobs import get_jobs
from archive.resources import Fonds
from archive.schemas.transfer import CancelSchema, ReceiptSchema, TransferSelectSchema
from archive.transfer import job as transfer_job
from archive.transfer import service
from archive.transfer.bag import zip_bag
from archive.transfer.errors import TransferTooLarge
from archive.transfer.resources import EXPORTED, Transfer, Transfers

from .content import flash
from .files import content_disposition
from .forms import ArchiveForm
from .helpers import Page, actor_of
from .jobs import STATE_LABELS as JOB_STATES

MAX_CHOICES = 500   # a longer list is chosen with archive-transfer --year


class TransferDownloaded(ArchiveEvent):
    action = "transfer.download"


def transfer_dir(request):
    return transfer_job.transfer_dir(request.registry.settings)


def web_limit(settings):
    """``archive.transfer.web_max_bytes``: an optional cap on the files of a
    transfer queued from the web or the API (0 or unset: none)."""
    try:
        return int(settings.get("archive.transfer.web_max_bytes") or 0)
    except ValueError:
        return 0


def queue_export(request, dossiers):
    """Check the size cap and queue the export job of ``dossiers`` (checked
    by ``enqueue_export``); returns the Job."""
    limit = web_limit(request.registry.settings)
    if limit:
        size = transfer_job.payload_bytes(dossiers)
        if size > limit:
            raise TransferTooLarge(mapping={"size": size // 1024 ** 2, "max": limit // 1024 ** 2})
    return transfer_job.enqueue_export(archive_root(request), request.registry, actor_of(request), dossiers,
                                       transfer_dir(request), make_zip=True)


def job_url(request, fonds, job):
    return request.resource_url(fonds, "transfer-job", query={"id": job.id})


@view_config(context=Fonds, name="transfer", renderer="templates/transfer_export.pt",
             permission=perm.TRANSFER)
def choose_and_export(context, request):
    """The dossiers of this fonds due for transfer (those not already in a
    queued export), all ticked; posting queues the export job."""
    root = archive_root(request)
    queued = {oid for job in transfer_job.active_jobs(root, context.code)
              for oid in job.payload.get("dossiers", ())}
    due = service.load_dossiers(root, service.due_ids(root, context.code))
    due = [d for d in due if request.has_permission(perm.TRANSFER, d) and d.id not in queued]
    choices = [(d.id, f"{d.file_code} – {d.title}") for d in due[:MAX_CHOICES]]
    form = ArchiveForm(request, TransferSelectSchema(), buttons=((_("Lập gói nộp lưu"), "save"),),
                       appstruct={"dossiers": [c[0] for c in choices]}, dossier_choices=choices)

    def export(data):
        dossiers = service.select_due(root, context.code, dossier_ids=sorted(data["dossiers"]))
        return queue_export(request, dossiers)

    job = form.submit(export) if choices else None
    if job is not None:
        flash(request, _("Đã đưa việc lập gói nộp lưu ${number} (${n} hồ sơ) vào hàng đợi; trang "
                         "này cho biết tiến độ. Hồ sơ được ghi là đã nộp lưu khi nhập biên bản "
                         "giao nhận.", mapping={"number": job.payload["number"],
                                                "n": len(job.payload["dossiers"])}))
        return HTTPSeeOther(job_url(request, context, job))
    message = form.message
    if not choices:
        message = _("Không có hồ sơ nào đến hạn nộp lưu trong lựa chọn này.")
    elif len(due) > MAX_CHOICES and message is None:
        message = _("Chỉ hiện ${n} hồ sơ đầu tiên; dùng archive-transfer --year để chọn theo năm.",
                    mapping={"n": MAX_CHOICES})
    return {"form": form.render() if choices else "", "message": message,
            "jobs": transfer_job.jobs_of_fonds(root, context.code), "job_states": JOB_STATES,
            "job_url": lambda job: job_url(request, context, job),
            "page_title": _("Nộp lưu hồ sơ của phông ${name} vào lưu trữ lịch sử",
                            mapping={"name": context.name})}


@view_config(context=Fonds, name="transfer-job", renderer="templates/transfer_job.pt",
             permission=perm.TRANSFER)
def export_progress(context, request):
    """One export job of this fonds: progress (the page reloads itself while
    the job runs), the reason of a failure, the transfer when done."""
    root = archive_root(request)
    queue = get_jobs(root)
    job = queue.get(str(request.params.get("id", ""))) if queue is not None else None
    if job is None or job.kind != transfer_job.KIND or job.payload.get("fonds") != context.code:
        raise HTTPNotFound()
    transfer = None
    if job.state == "done" and job.result:
        transfer = service.transfers_of(root).get(job.result.get("transfer_id"))
    done, total, message = job.progress
    return {"job": job, "transfer": transfer, "job_states": JOB_STATES,
            "running": job.state in ("pending", "running"),
            "percent": int(100 * done / total) if total else 0,
            "error": request.localizer.translate(job.error) if job.error is not None else None,
            "page_title": _("Lập gói nộp lưu ${number}", mapping={"number": job.payload["number"]})}


@view_config(context=Transfers, renderer="templates/transfers.pt", permission=perm.HOME)
def list_transfers(context, request):
    visible = [t for t in service.list_transfers(archive_root(request))
               if request.has_permission(perm.VIEW, t)]
    root = archive_root(request)
    fonds = [f for f in root["fonds"].values() if request.has_permission(perm.TRANSFER, f)]
    # exports still being written (queued or running jobs), for the fonds one may transfer
    making = [(f, job) for f in fonds for job in transfer_job.jobs_of_fonds(root, f.code)
              if job.state in ("pending", "running")]
    return {"page": Page.from_request(request, visible), "fonds": fonds, "making": making,
            "job_states": JOB_STATES, "job_url": lambda f, job: job_url(request, f, job),
            "page_title": _("Nộp lưu vào lưu trữ lịch sử")}


@view_defaults(context=Transfer)
class TransferViews:
    def __init__(self, context, request):
        self.context, self.request = context, request

    def forms(self):
        request, context = self.request, self.context
        receipt = ArchiveForm(request, ReceiptSchema(), buttons=((_("Ghi biên bản giao nhận"), "save"),),
                              formid="receipt", action=request.resource_url(context, "receipt"))
        cancel = ArchiveForm(request, CancelSchema(), buttons=((_("Hủy gói nộp lưu"), "save"),),
                             formid="cancel", action=request.resource_url(context, "cancel"))
        return receipt, cancel

    @view_config(renderer="templates/transfer.pt", permission=perm.VIEW)
    def view(self):
        request, context = self.request, self.context
        can = context.state == EXPORTED and request.has_permission(perm.TRANSFER, context)
        receipt, cancel = self.forms() if can else (None, None)
        root = archive_root(request)
        return {"receipt_form": receipt.render() if receipt else "",
                "cancel_form": cancel.render() if cancel else "",
                "can_download": request.has_permission(perm.TRANSFER, context),
                "dossiers": [(d, root.objectmap.get(d["id"])) for d in context.dossiers],
                "page_title": _("Gói nộp lưu ${number}", mapping={"number": context.number})}

    def _post(self, form, action, done):
        """Validate ``form``, call ``action(data)``; flash the outcome and go
        back to the transfer page (nothing is committed on an error)."""
        request = self.request
        data = form.validate()
        if data is None:
            errors = form.error.error.asdict() if form.error is not None else {}
            flash(request, "; ".join(request.localizer.translate(m) for m in errors.values())
                  or form.message, "danger")
            return HTTPSeeOther(request.resource_url(self.context))
        try:
            action(data)
        except ArchiveError as exc:
            request.tm.doom()
            text = request.localizer.translate(exc.message)
            if exc.fields:
                text += " " + "; ".join(request.localizer.translate(m) for m in exc.fields.values())
            flash(request, text, "danger")
        else:
            flash(request, done)
        return HTTPSeeOther(request.resource_url(self.context))

    @view_config(name="receipt", request_method="POST", permission=perm.TRANSFER)
    def receipt(self):
        receipt, _cancel = self.forms()
        return self._post(receipt, lambda data: service.record_receipt(
            self.context, self.request.registry, actor_of(self.request), data["receipt_number"],
            data["receipt_date"]), _("Đã ghi biên bản giao nhận: các hồ sơ đã được nộp lưu."))

    @view_config(name="cancel", request_method="POST", permission=perm.TRANSFER)
    def cancel(self):
        _receipt, cancel = self.forms()
        return self._post(cancel, lambda data: service.cancel_transfer(
            self.context, self.request.registry, actor_of(self.request), data["reason"]),
            _("Đã hủy gói nộp lưu."))

    @view_config(name="download", permission=perm.TRANSFER)
    def download(self):
        """The bag as a ZIP (made now when the script wrote none)."""
        context, request = self.context, self.request
        path = context.zip_path
        if not path or not os.path.exists(path):
            if not context.bag_dir or not os.path.isdir(context.bag_dir):
                raise HTTPNotFound(_("Không còn thư mục gói trên máy chủ."))
            path = zip_bag(context.bag_dir, context.bag_dir + ".zip")
            context.zip_path = path
        response = FileResponse(path, request=request, content_type="application/zip")
        response.headers["Content-Disposition"] = content_disposition(
            "attachment", os.path.basename(path))
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, no-store"
        request.registry.notify(TransferDownloaded(context, actor_of(request),
                                                   {"number": context.number, "zip": path}))
        return response
