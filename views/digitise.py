"""The text of a document, page by page, and the archivists' corrections.

``<record>/@@text`` (DOWNLOAD, like the files themselves): every original's
pages with the OCR confidence, the pages flagged for review, the scan's
facts and the rendition.  ``<record>/@@correct-page?file=ID&n=N`` (DIGITISE):
a form whose text is kept as a new version beside the machine's.
"""
import colander
import deform
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config

from archive import security as perm
from archive.digitise import correct_page, file_state, record_text_status, text_status
from archive.events import ObjectViewed
from archive.i18n import _
from archive.resources import Record, StoredFile

from .content import flash
from .forms import ArchiveForm
from .helpers import Page, actor_of

PAGES_PER_SCREEN = 20


class CorrectionSchema(colander.Schema):
    text = colander.SchemaNode(
        colander.String(), title=_("Văn bản của trang"),
        description=_("Gõ lại đúng nội dung trang như trên bản giấy. Văn bản máy đọc vẫn được giữ; "
                      "bản sửa này trở thành văn bản dùng để tìm kiếm."),
        validator=colander.Length(max=100_000), missing="",
        widget=deform.widget.TextAreaWidget(rows=18))
    note = colander.SchemaNode(
        colander.String(), title=_("Ghi chú"),
        description=_("Không bắt buộc: vì sao sửa, phần nào còn đọc không rõ."),
        validator=colander.Length(max=500), missing="")


def _original(record, file_id):
    stored = record.get(file_id) if file_id else None
    if not isinstance(stored, StoredFile) or stored.role != "original":
        raise HTTPNotFound()
    return stored


@view_config(context=Record, name="text", renderer="templates/digitise_text.pt",
             permission=perm.DOWNLOAD)
def record_text(context, request):
    request.registry.notify(ObjectViewed(context, actor_of(request), {"what": "text"}))
    files = [(f, file_state(f)) for f in context.files() if f.role == "original"]
    pages = [(f, page) for f, state in files if state is not None for page in state.pages]
    return {"files": files, "page": Page.from_request(request, pages, PAGES_PER_SCREEN),
            "text_status": text_status, "record_status": record_text_status(context),
            "can_correct": request.has_permission(perm.DIGITISE, context),
            "threshold": request.registry.settings.get("archive.ocr.review_threshold", "70"),
            "page_title": _("Văn bản nhận dạng: ${code}", mapping={"code": context.doc_code})}


@view_config(context=Record, name="correct-page", renderer="templates/form.pt",
             permission=perm.DIGITISE)
def correct(context, request):
    stored = _original(context, request.params.get("file"))
    try:
        number = int(request.params.get("n", ""))
    except ValueError:
        raise HTTPNotFound()
    state = file_state(stored)
    page = state.page(number) if state is not None else None
    if page is None:
        raise HTTPNotFound()
    form = ArchiveForm(request, CorrectionSchema(), buttons=((_("Lưu bản sửa"), "save"),),
                       appstruct={"text": page.text, "note": ""}, formid="correct-page")
    done = form.submit(lambda data: correct_page(stored, number, data["text"], request.registry,
                                                 actor_of(request), note=data["note"]))
    if done is not None:
        flash(request, _("Đã lưu bản sửa trang ${n}.", mapping={"n": number}))
        index = next(i for i, p in enumerate(state.pages) if p.number == number)
        return HTTPSeeOther(request.resource_url(
            context, "text", query={"page": index // PAGES_PER_SCREEN + 1}, anchor=f"p-{stored.id}-{number}"))
    return {"form": form.render(), "message": form.message,
            "page_title": _("Sửa văn bản trang ${n} của ${name}", mapping={"n": number, "name": stored.name})}
