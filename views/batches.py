"""Conversion batches (DOMAIN.md §5): the list, a batch's page with its
progress, and the workflow steps.  Permission ``digitise`` on the batch
(its fonds' archivists, administrators)."""
from types import SimpleNamespace

import colander
import deform.widget as w
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config, view_defaults

from archive import security as perm
from archive.batches import (
    STATES, ConversionBatch, add_item, advance, create_batch, find_dossier, get_item,
    link_dossier, progress, reject,
)
from archive.batches.resources import ARCHIVED, RECEIVED, STATE_LABELS, Batches
from archive.batches.service import DEFAULT_STUCK_DAYS, NEXT, REJECT_TO
from archive.db import archive_root
from archive.errors import ArchiveError
from archive.i18n import _
from archive.resources import Fonds
from archive.schemas import text
from archive.schemas.types import Integer

from .content import flash
from .forms import ArchiveForm
from .helpers import Page, actor_of


class BatchSchema(colander.MappingSchema):
    title = text(_("Tên đợt số hóa"), _("Ví dụ: Hồ sơ hộ tịch xã Đắk Ha 2010–2015, hộp 1–20."), 300,
                 required=True)
    notes = text(_("Ghi chú"), _("Phạm vi, đơn vị thực hiện, yêu cầu riêng của đợt."), 2000, textarea=True)


class ItemSchema(colander.MappingSchema):
    paper_file_code = text(_("Mã hồ sơ gốc giấy"), _("Nơi để bản giấy: kho.giá/hộp.hồ sơ, ví dụ "
                                                     "LTCQ.K1/G01/H001.01."), 100, required=True)
    title = text(_("Tiêu đề hồ sơ"), _("Tiêu đề ghi trên bìa hồ sơ giấy."), 1000, required=True)
    pages = colander.SchemaNode(
        Integer(), title=_("Số trang dự kiến"), missing=None,
        description=_("Số trang của bản giấy, nếu đã đếm; số trang thực tế ghi khi quét."),
        validator=colander.Range(min=1, min_err=_("Phải là số nguyên dương.")),
        widget=w.TextInputWidget(attributes={"inputmode": "numeric"}))


def stuck_days(request):
    default = int(request.registry.settings.get("archive.batches.stuck_days", DEFAULT_STUCK_DAYS))
    try:
        return max(0, int(request.params.get("days", default)))
    except ValueError:
        return default


@view_defaults(context=Batches)
class BatchesViews:
    def __init__(self, context, request):
        self.context, self.request = context, request

    @view_config(renderer="templates/batches.pt", permission=perm.HOME)
    def list(self):
        """The batches the user may work on, newest first, and the fonds
        they may start one in."""
        has = self.request.has_permission
        batches = sorted((b for b in self.context.values() if has(perm.DIGITISE, b)),
                         key=lambda b: b.created, reverse=True)
        fonds = [f for f in archive_root(self.request)["fonds"].values() if has(perm.DIGITISE, f)]
        rows = [(b, progress(b)["counts"]) for b in batches]
        page = Page.from_request(self.request, rows)
        return {"page": page, "fonds": fonds, "states": STATES, "labels": STATE_LABELS,
                "page_title": _("Đợt số hóa")}


@view_config(context=Fonds, name="add-batch", renderer="templates/form.pt", permission=perm.DIGITISE)
def add_batch(context, request):
    form = ArchiveForm(request, BatchSchema(), buttons=((_("Tạo đợt số hóa"), "save"),))
    batch = form.submit(lambda data: create_batch(archive_root(request), request.registry,
                                                  actor_of(request), context, data["title"],
                                                  data["notes"]))
    if batch is not None:
        flash(request, _("Đã tạo đợt số hóa."))
        return HTTPSeeOther(request.resource_url(batch))
    return {"form": form.render(), "message": form.message,
            "page_title": _("Đợt số hóa mới trong phông ${name}", mapping={"name": context.name})}


@view_defaults(context=ConversionBatch, permission=perm.DIGITISE)
class BatchViews:
    def __init__(self, context, request):
        self.context, self.request = context, request

    @view_config(renderer="templates/batch.pt")
    def view(self):
        """Counts per state, pages per day, what is stuck, and the items
        (filtered by ``state``, paginated) with their next steps."""
        days = stuck_days(self.request)
        figures = SimpleNamespace(**progress(self.context, stuck_days=days))
        state = self.request.params.get("state", "")
        items = self.context.ordered_items()
        if state in STATES:
            items = [i for i in items if i.state == state]
        else:
            state = ""
        fonds = archive_root(self.request)["fonds"].get(self.context.fonds_code)
        return {"figures": figures, "days": days, "state": state, "states": STATES,
                "labels": STATE_LABELS, "next": NEXT, "reject_to": REJECT_TO,
                "received": RECEIVED, "archived": ARCHIVED, "fonds": fonds,
                "objectmap": archive_root(self.request).objectmap,
                "page": Page.from_request(self.request, items, size=50),
                "max_pages": max([p for _d, p in figures.pages_per_day] or [1]),
                "page_title": self.context.title}

    @view_config(name="add-item", renderer="templates/form.pt")
    def add_item(self):
        form = ArchiveForm(self.request, ItemSchema(), buttons=((_("Tiếp nhận"), "save"),))
        item = form.submit(lambda data: add_item(self.context, self.request.registry,
                                                 actor_of(self.request), data["paper_file_code"],
                                                 data["title"], pages=data["pages"]))
        if item is not None:
            flash(self.request, _("Đã tiếp nhận hồ sơ giấy ${code}.", mapping={"code": item.paper_file_code}))
            return HTTPSeeOther(self.request.resource_url(self.context, "add-item"))
        return {"form": form.render(), "message": form.message,
                "page_title": _("Tiếp nhận hồ sơ giấy vào đợt: ${title}", mapping={"title": self.context.title})}

    def label(self, state):
        return self.request.localizer.translate(STATE_LABELS[state])

    def _back(self):
        query = {k: self.request.params[k] for k in ("state", "page", "days") if self.request.params.get(k)}
        return HTTPSeeOther(self.request.resource_url(self.context, query=query or None))

    def _fail(self, exc):
        self.request.tm.doom()
        translate = self.request.localizer.translate
        parts = [translate(exc.message)] + [translate(m) for m in exc.fields.values()
                                            if m != exc.message]
        self.request.session.flash(" ".join(parts), "danger")

    @view_config(name="advance", request_method="POST")
    def advance(self):
        """One step forward: ``item``, ``to``; ``pages`` when scanning;
        ``file_code`` (the archive dossier) links it, needed to archive."""
        params = self.request.POST
        try:
            item = get_item(self.context, params.get("item", ""))
            file_code = params.get("file_code", "").strip()
            if file_code:
                dossier = find_dossier(archive_root(self.request), self.context.fonds_code, file_code)
                link_dossier(self.context, item, self.request.registry, actor_of(self.request), dossier)
            pages = params.get("pages", "").strip()
            pages = int(pages) if pages.isdigit() else None
            advance(self.context, item, self.request.registry, actor_of(self.request),
                    params.get("to", ""), pages=pages)
        except ArchiveError as exc:
            self._fail(exc)
        else:
            flash(self.request, _("${code}: ${state}.", mapping={
                "code": item.paper_file_code, "state": self.label(item.state)}))
        return self._back()

    @view_config(name="reject", request_method="POST")
    def reject(self):
        """Send an item back with a reason (see archive.batches.service)."""
        params = self.request.POST
        try:
            item = get_item(self.context, params.get("item", ""))
            reject(self.context, item, self.request.registry, actor_of(self.request),
                   params.get("reason", ""))
        except ArchiveError as exc:
            self._fail(exc)
        else:
            flash(self.request, _("${code}: trả lại, về trạng thái \"${state}\".", mapping={
                "code": item.paper_file_code, "state": self.label(item.state)}))
        return self._back()
