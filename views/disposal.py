"""UI of disposal: the proposal (danh mục tài liệu hết giá trị), the council's
review, the decision (four-eyes), destruction; the tombstones it leaves.

Views parse a form and call one service of ``archive.disposal``; the services
enforce the rules (due dates, holds, four-eyes) for the API and the scripts
alike.  The subscriber at the end queues a destroyed dossier's search entries
for removal (the search package is not known to the core).
"""
import colander
import deform.widget as w
from pyramid.events import subscriber
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.threadlocal import get_current_registry
from pyramid.view import view_config, view_defaults

from archive import security as perm
from archive.db import archive_root
from archive.disposal import (
    STATE_LABELS, Disposal, DisposalContainer, DisposalFile, FourEyesViolation, approve_disposal,
    destroy_disposal, propose_disposal, reject_disposal, review_disposal,
)
from archive.disposal import retention as disposal_retention
from archive.disposal.events import DossierDestroyed
from archive.disposal.services import today_local
from archive.errors import ArchiveError, ValidationFailed
from archive.events import ObjectViewed
from archive.i18n import _
from archive.resources import Fonds
from archive.schemas.types import PartialDate, Text, length

from .content import flash
from .files import file_response
from .forms import ArchiveForm, files_node
from .helpers import Page, actor_of
from .uploads import discard_all, spool_uploads

REQUIRED = _("Bắt buộc nhập.")
MAX_CANDIDATES = 500   # dossiers offered on one proposal form


def text_node(name, title, description, max_len, required=False, textarea=False):
    node = colander.SchemaNode(Text(), name=name, title=title, description=description,
                               validator=length(max_len), missing_msg=REQUIRED,
                               widget=w.TextAreaWidget(rows=3) if textarea else w.TextInputWidget())
    if not required:
        node.missing = ""
    return node


def full_date(node, value):
    if len(value) != 10:
        raise colander.Invalid(node, _("Nhập đủ ngày, tháng, năm (DD/MM/YYYY)."))


def date_node(name, title, description):
    """A full date typed DD/MM/YYYY (or YYYY-MM-DD), kept as its ISO string."""
    return colander.SchemaNode(PartialDate(), name=name, title=title, description=description,
                               missing_msg=REQUIRED, validator=full_date,
                               widget=w.TextInputWidget(placeholder="DD/MM/YYYY"))


@colander.deferred
def deferred_candidates(node, kw):
    return w.CheckboxChoiceWidget(values=kw.get("candidates", []))


def propose_schema(candidates, may_override):
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(text_node("title", _("Tên danh mục"), _("Ví dụ: Danh mục tài liệu hết giá trị "
                                                       "năm 2026 của Sở Nội vụ."), 500, True))
    schema.add(text_node("reason", _("Lý do, ghi chú"),
                         _("Căn cứ và ghi chú cho Hội đồng xác định giá trị tài liệu."), 2000,
                         textarea=True))
    schema.add(colander.SchemaNode(
        colander.Set(), name="dossiers", title=_("Hồ sơ đã hết thời hạn bảo quản"),
        description=_("Hồ sơ đã đóng, hết hạn, không bị phong tỏa, chưa nằm trong danh mục nào."),
        widget=deferred_candidates, missing=set()))
    if may_override:
        schema.add(text_node("early_codes", _("Hồ sơ đề nghị hủy trước hạn (mã hồ sơ)"),
                             _("Chỉ quản trị viên: mỗi dòng một mã hồ sơ chưa đến hạn."), 5000,
                             textarea=True))
        schema.add(text_node("early_reason", _("Lý do hủy trước hạn"),
                             _("Bắt buộc khi có hồ sơ hủy trước hạn; được ghi vào báo cáo."),
                             2000, textarea=True))
    return schema


def review_schema():
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(date_node("review_date", _("Ngày họp Hội đồng"),
                         _("Ngày Hội đồng xác định giá trị tài liệu thẩm định danh mục.")))
    schema.add(text_node("council_note", _("Ý kiến của Hội đồng"),
                         _("Tóm tắt kết luận của Hội đồng và ý kiến của cơ quan lưu trữ."), 2000,
                         textarea=True))
    schema.add(files_node(_("Biên bản họp Hội đồng"),
                          _("Bản quét hoặc bản điện tử của biên bản (PDF, ảnh, ODT, DOCX).")))
    return schema


def approve_schema():
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(text_node("decision_number", _("Số quyết định hủy"),
                         _("Số, ký hiệu quyết định hủy tài liệu, ví dụ 12/QĐ-SNV."), 100, True))
    schema.add(date_node("decision_date", _("Ngày quyết định"),
                         _("Ngày người đứng đầu cơ quan ký quyết định hủy.")))
    schema.add(text_node("signer", _("Người ký quyết định"),
                         _("Chức vụ, họ tên người ký quyết định."), 200))
    return schema


def reject_schema():
    schema = colander.SchemaNode(colander.Mapping())
    schema.add(text_node("reason", _("Lý do không duyệt"),
                         _("Vì sao danh mục không được duyệt; hồ sơ được giữ lại."), 2000, True,
                         textarea=True))
    return schema


def state_label(request, state):
    return request.localizer.translate(STATE_LABELS.get(state, state))


@view_defaults(context=DisposalContainer)
class DisposalContainerViews:
    def __init__(self, context, request):
        self.context, self.request = context, request

    @view_config(renderer="templates/disposals.pt", permission=perm.VIEW)
    def list(self):
        has = self.request.has_permission
        visible = sorted((d for d in self.context.values() if has(perm.VIEW, d)),
                         key=lambda d: d.proposed_at, reverse=True)
        fonds = [f for f in archive_root(self.request)["fonds"].values()
                 if has(perm.PROPOSE_DISPOSAL, f)]
        return {"page": Page.from_request(self.request, visible), "fonds": fonds,
                "state_label": lambda s: state_label(self.request, s),
                "page_title": _("Hủy tài liệu hết giá trị")}


@view_config(context=Fonds, name="propose-disposal", renderer="templates/form.pt",
             permission=perm.PROPOSE_DISPOSAL)
def propose(context, request):
    root = archive_root(request)
    today = today_local()
    total = len(disposal_retention.due_dossier_ids(root, context, today))
    candidates = disposal_retention.due_dossiers(root, context, today, limit=MAX_CANDIDATES)
    choices = [(d.id, f"{d.file_code} – {d.title} ({request.localizer.translate(_('đến hạn'))} "
                      f"{disposal_retention.due_date(d).strftime('%d/%m/%Y')})")
               for d in candidates if request.has_permission(perm.PROPOSE_DISPOSAL, d)]
    may_override = request.has_permission(perm.MANAGE, root)
    form = ArchiveForm(request, propose_schema(choices, may_override),
                       buttons=((_("Lập danh mục"), "save"),), candidates=choices)

    def submit(data):
        dossiers = [root.objectmap.get(oid) for oid in sorted(data["dossiers"])]
        early = {}
        codes = [c.strip() for c in data.get("early_codes", "").splitlines() if c.strip()]
        if codes and not data.get("early_reason"):
            raise ValidationFailed(fields={"early_reason": REQUIRED})
        for code in codes:
            oid = context.file_codes.get(code)
            if oid is None:
                raise ValidationFailed(fields={"early_codes": _(
                    "Không có hồ sơ ${code} trong phông này.", mapping={"code": code})})
            dossiers.append(context[oid])
            early[oid] = data["early_reason"]
        return propose_disposal(root, request.registry, actor_of(request), context,
                                [d for d in dossiers if d is not None], data["title"],
                                data["reason"], early=early, today=today)

    disposal = form.submit(submit)
    if disposal is not None:
        flash(request, _("Đã lập danh mục ${number}.", mapping={"number": disposal.number}))
        return HTTPSeeOther(request.resource_url(disposal))
    message = form.message
    if message is None and not choices:
        message = _("Phông này chưa có hồ sơ nào hết thời hạn bảo quản.")
    elif message is None and total > MAX_CANDIDATES:
        message = _("${total} hồ sơ đã hết hạn: hiện ${shown} hồ sơ đầu tiên (theo mã hồ sơ); "
                    "lập danh mục này rồi lập tiếp danh mục sau.",
                    mapping={"total": total, "shown": MAX_CANDIDATES})
    return {"form": form.render(), "message": message,
            "page_title": _("Lập danh mục tài liệu hết giá trị – ${name}",
                            mapping={"name": context.name})}


@view_defaults(context=Disposal)
class DisposalViews:
    def __init__(self, context, request):
        self.context, self.request = context, request

    @property
    def number(self):
        return {"number": self.context.number}

    @property
    def root(self):
        return archive_root(self.request)

    @view_config(renderer="templates/disposal.pt", permission=perm.VIEW)
    def view(self):
        self.request.registry.notify(ObjectViewed(self.context, actor_of(self.request)))
        has = self.request.has_permission
        d = self.context
        login = self.request.identity.login if self.request.identity else None
        tombstones = getattr(self.root, "tombstones", None)
        return {"d": d, "state_label": lambda s: state_label(self.request, s),
                "can_review": d.state == "proposed" and has(perm.PROPOSE_DISPOSAL, d),
                "can_approve": d.state == "reviewed" and has(perm.APPROVE_DISPOSAL, d),
                "is_proposer": login == d.proposed_by,
                "can_destroy": d.state == "approved" and has(perm.APPROVE_DISPOSAL, d),
                "can_reject": d.active and has(perm.APPROVE_DISPOSAL, d),
                "can_download": has(perm.DOWNLOAD, d),
                "tombstones": [tombstones.get(i) for i in d.dossier_ids
                               if tombstones is not None and tombstones.get(i) is not None],
                "page_title": _("Danh mục hủy ${number}", mapping={"number": d.number})}

    def _form_page(self, schema, button, action, done, title):
        form = ArchiveForm(self.request, schema, buttons=((button, "save"),), formid="disposal")
        if form.submit(action) is not None:
            flash(self.request, done)
            return HTTPSeeOther(self.request.resource_url(self.context))
        return {"form": form.render(), "message": form.message,
                "page_title": title}

    @view_config(name="review", renderer="templates/form.pt", permission=perm.PROPOSE_DISPOSAL)
    def review(self):
        def action(data):
            uploads = spool_uploads(self.request)
            try:
                if len(uploads) != 1:
                    raise ValidationFailed(fields={"file": _("Chọn đúng một tệp biên bản.")})
                return review_disposal(self.root, self.context, self.request.registry,
                                       actor_of(self.request), uploads[0], data["review_date"],
                                       data["council_note"])
            finally:
                discard_all(uploads)
        return self._form_page(review_schema(), _("Ghi nhận thẩm định"), action,
                               _("Đã ghi nhận ý kiến thẩm định của Hội đồng."),
                               _("Thẩm định danh mục ${number}", mapping=self.number))

    @view_config(name="approve", renderer="templates/form.pt", permission=perm.APPROVE_DISPOSAL)
    def approve(self):
        def action(data):
            return approve_disposal(self.root, self.context, self.request.registry,
                                    actor_of(self.request), data["decision_number"],
                                    data["decision_date"], data["signer"])
        page = self._form_page(approve_schema(), _("Phê duyệt"), action,
                               _("Đã ghi nhận quyết định hủy."),
                               _("Phê duyệt danh mục ${number}", mapping=self.number))
        identity = self.request.identity
        if isinstance(page, dict) and page["message"] is None and identity is not None \
                and identity.login == self.context.proposed_by:
            page["message"] = FourEyesViolation.message  # said before the proposer tries
        return page

    @view_config(name="reject", renderer="templates/form.pt", permission=perm.APPROVE_DISPOSAL)
    def reject(self):
        def action(data):
            return reject_disposal(self.root, self.context, self.request.registry,
                                   actor_of(self.request), data["reason"])
        return self._form_page(reject_schema(), _("Không duyệt"), action,
                               _("Danh mục không được duyệt; hồ sơ được giữ lại."),
                               _("Không duyệt danh mục ${number}", mapping=self.number))

    @view_config(name="destroy", request_method="POST", permission=perm.APPROVE_DISPOSAL)
    def destroy(self):
        try:
            destroy_disposal(self.root, self.context, self.request.registry, actor_of(self.request))
        except ArchiveError as exc:
            self.request.tm.doom()
            flash(self.request, exc.message, "danger")
        else:
            flash(self.request, _("Đã hủy ${n} hồ sơ; bia hồ sơ được giữ vĩnh viễn.",
                                  mapping={"n": len(self.context.items)}))
        return HTTPSeeOther(self.request.resource_url(self.context))


@view_config(context=DisposalFile, name="download", permission=perm.DOWNLOAD)
def download_minutes(context, request):
    return file_response(request, context)


@subscriber(DossierDestroyed)
def unindex_destroyed(event):
    """Queue a destroyed dossier and its documents for removal from the search
    index, in the destroying transaction (the dossier is still in the tree)."""
    from archive.search.queue import enqueue

    service = getattr(get_current_registry(), "search", None)
    enqueue(event.obj, on_commit=service.notify if service is not None else None)
