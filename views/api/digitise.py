"""The text of a document through the API: every original file's pages, with
the OCR confidence, the review flag and the archivists' corrections."""
from pyramid.view import view_config

from archive import security as perm
from archive.digitise import correct_page, file_state, record_text_status, text_status
from archive.errors import ValidationFailed
from archive.events import ObjectViewed
from archive.i18n import _

from ..helpers import actor_of
from .views import json_body

MAX_PAGES = 500


def _int(request, name, default, low, high):
    try:
        value = int(request.params.get(name, default))
    except (TypeError, ValueError):
        value = default
    return max(low, min(high, value))


def page_json(page):
    return {"number": page.number, "text": page.text, "machine_text": page.machine_text,
            "confidence": page.confidence, "flagged": bool(page.flagged),
            "needs_review": page.needs_review, "corrected": page.corrected, "method": page.method,
            "corrections": [{"text": c["text"], "by": c["by"], "at": c["at"].isoformat(),
                             "note": c["note"]} for c in page.corrections]}


def file_text_json(request, stored, start, size):
    state = file_state(stored)
    translate = request.localizer.translate
    pages = list(state.pages) if state is not None else []
    return {
        "file_id": stored.id, "name": stored.name, "media_type": stored.media_type,
        "text_status": text_status(stored),
        "error": translate(state.error) if state is not None and state.error else None,
        "method": getattr(state, "method", None),
        "dpi": getattr(state, "dpi", None),
        "colour_depth": getattr(state, "colour_depth", None),
        "colour_mode": getattr(state, "colour_mode", None),
        "page_count": getattr(state, "page_count", None) or stored.page_count,
        "rendition_id": getattr(state, "rendition_id", None),
        "rendition_status": getattr(state, "rendition_status", "pending") if state is not None else "pending",
        "rendition_note": translate(state.rendition_note) if state is not None and state.rendition_note else None,
        "flagged_pages": state.flagged_pages if state is not None else [],
        "page_total": len(pages),
        "pages": [page_json(p) for p in pages[start:start + size]],
    }


@view_config(route_name="api.record.text", request_method="GET", renderer="json",
             permission=perm.DOWNLOAD)
def record_text(context, request):
    """Pages ``start`` .. ``start + size`` (at most 500) of every original file."""
    start = _int(request, "start", 0, 0, 10 ** 6)
    size = _int(request, "size", MAX_PAGES, 1, MAX_PAGES)
    request.registry.notify(ObjectViewed(context, actor_of(request), {"what": "text"}))
    return {"record_id": context.id, "doc_code": context.doc_code,
            "text_status": record_text_status(context), "start": start, "size": size,
            "files": [file_text_json(request, f, start, size)
                      for f in context.files() if f.role == "original"]}


@view_config(route_name="api.file.page", request_method="PUT", renderer="json",
             permission=perm.DIGITISE)
def correct(context, request):
    """An archivist's text of one page, kept beside the machine's (both kept)."""
    body = json_body(request)
    text, note = body.get("text"), body.get("note", "")
    unknown = sorted(set(body) - {"text", "note"})
    if unknown:
        raise ValidationFailed(fields={name: _("Trường không được nhận.") for name in unknown})
    if not isinstance(text, str):
        raise ValidationFailed(fields={"text": _("Cần văn bản của trang (chuỗi).")})
    if not isinstance(note, str) or len(note) > 500:
        raise ValidationFailed(fields={"note": _("Ghi chú là chuỗi, tối đa 500 ký tự.")})
    try:
        number = int(request.matchdict["n"])
    except ValueError:
        number = 0
    page = correct_page(context, number, text, request.registry, actor_of(request), note=note)
    return page_json(page)
