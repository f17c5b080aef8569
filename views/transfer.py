"""Transfer to the historical archive in the UI.

``/fonds/<code>/transfer`` (TRANSFER on the fonds): choose among the fonds'
dossiers due for transfer and build the bag, during the request (up to
``archive.transfer.web_max_bytes`` of files, default 2 GiB; larger transfers
with ``archive-transfer``).  The bag is written on the
server under ``archive.transfer_dir`` (default ``<archive.var>/transfers``),
with a ZIP of it that the transfer page offers for download; the dossiers
stay "being transferred" until the receipt is recorded on the transfer page
(``/transfers/<id>/``), or the transfer is cancelled.  Every step goes
through ``archive.transfer.service``, which refuses held dossiers.
"""
import os

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.response import FileResponse
from pyramid.view import view_config, view_defaults

from archive import security as perm
from archive.db import archive_root
from archive.errors import ArchiveError, ValidationFailed
from archive.events import ArchiveEvent
from archive.i18n import _
from archive.resources import Fonds
from archive.schemas.transfer import CancelSchema, ReceiptSchema, TransferSelectSchema
from archive.schemas.vocabularies import doc_type_name
from archive.transfer import service
from archive.transfer.bag import zip_bag
from archive.transfer.resources import EXPORTED, Transfer, Transfers

from .content import flash
from .files import content_disposition
from .forms import ArchiveForm
from .helpers import Page, actor_of

MAX_CHOICES = 500   # a longer list is chosen with archive-transfer --year
# the bag is written during the request: above this many bytes of files the
# web action refuses and names the script (archive.transfer.web_max_bytes)
WEB_MAX_BYTES = 2 * 1024 ** 3


class TransferDownloaded(ArchiveEvent):
    action = "transfer.download"


def transfer_dir(request):
    settings = request.registry.settings
    return settings.get("archive.transfer_dir") or os.path.join(
        settings.get("archive.var", "var"), "transfers")


@view_config(context=Fonds, name="transfer", renderer="templates/form.pt", permission=perm.TRANSFER)
def choose_and_export(context, request):
    """The dossiers of this fonds due for transfer, all ticked; posting
    builds the bag and records the transfer."""
    root = archive_root(request)
    due = service.load_dossiers(root, service.due_ids(root, context.code))
    due = [d for d in due if request.has_permission(perm.TRANSFER, d)]
    choices = [(d.id, f"{d.file_code} – {d.title}") for d in due[:MAX_CHOICES]]
    form = ArchiveForm(request, TransferSelectSchema(), buttons=((_("Lập gói nộp lưu"), "save"),),
                       appstruct={"dossiers": [c[0] for c in choices]}, dossier_choices=choices)

    def export(data):
        dossiers = service.select_due(root, context.code, dossier_ids=sorted(data["dossiers"]))
        limit = int(request.registry.settings.get("archive.transfer.web_max_bytes", WEB_MAX_BYTES))
        size = sum(f.size for d in dossiers for r in d.values() for f in r.values())
        if size > limit:
            raise ValidationFailed(fields={"dossiers": _(
                "Gói quá lớn để lập trên web (${size} MB, tối đa ${max} MB): chọn ít hồ sơ hơn "
                "hoặc dùng lệnh archive-transfer trên máy chủ.",
                mapping={"size": size // 1024 ** 2, "max": limit // 1024 ** 2})})
        return service.export_transfer(root, request.registry, actor_of(request), dossiers,
                                       transfer_dir(request), doc_type_name=doc_type_name,
                                       make_zip=True)

    transfer = form.submit(export) if choices else None
    if transfer is not None:
        flash(request, _("Đã lập gói nộp lưu ${number}: ${n} hồ sơ. Hồ sơ được ghi là đã nộp lưu "
                         "khi nhập biên bản giao nhận.",
                         mapping={"number": transfer.number, "n": len(transfer.dossiers)}))
        return HTTPSeeOther(request.resource_url(transfer))
    message = form.message
    if not choices:
        message = _("Không có hồ sơ nào đến hạn nộp lưu trong lựa chọn này.")
    elif len(due) > MAX_CHOICES and message is None:
        message = _("Chỉ hiện ${n} hồ sơ đầu tiên; dùng archive-transfer --year để chọn theo năm.",
                    mapping={"n": MAX_CHOICES})
    return {"form": form.render() if choices else "", "message": message,
            "page_title": _("Nộp lưu hồ sơ của phông ${name} vào lưu trữ lịch sử",
                            mapping={"name": context.name})}


@view_config(context=Transfers, renderer="templates/transfers.pt", permission=perm.HOME)
def list_transfers(context, request):
    visible = [t for t in service.list_transfers(archive_root(request))
               if request.has_permission(perm.VIEW, t)]
    fonds = [f for f in archive_root(request)["fonds"].values()
             if request.has_permission(perm.TRANSFER, f)]
    return {"page": Page.from_request(request, visible), "fonds": fonds,
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
