"""JSON API of disposal: propose, review, approve (four-eyes), reject,
destroy; the disposal file and the tombstones.  Documented in
``openapi.d/disposal.json``."""
import colander
from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config

from archive import security as perm
from archive.db import archive_root
from archive.disposal import (
    Disposal, approve_disposal, destroy_disposal, destruction_records,
    propose_disposal, reject_disposal, review_disposal,
)
from archive.errors import ValidationFailed
from archive.events import ObjectViewed
from archive.i18n import _
from archive.schemas import deserialize
from archive.schemas.types import Text, length

from ..disposal import date_node as _date_node
from ..files import file_response
from ..helpers import actor_of
from ..uploads import discard_all, spool_uploads
from .factories import by_id
from .views import _metadata_part, json_body

REQUIRED = _("Bắt buộc nhập.")


def container_factory(request):
    container = archive_root(request).get("disposals")
    if container is None:
        raise HTTPNotFound()
    return container


def _text(name, max_len, required=False):
    node = colander.SchemaNode(Text(), name=name, validator=length(max_len), missing_msg=REQUIRED)
    if not required:
        node.missing = ""
    return node


def date_node(name):
    return _date_node(name, name, "")


class ProposeSchema(colander.MappingSchema):
    title = _text("title", 500, True)
    reason = _text("reason", 2000)
    dossiers = colander.SchemaNode(colander.List(), missing=())
    early = colander.SchemaNode(colander.Mapping(unknown="preserve"), missing={})


class ReviewSchema(colander.MappingSchema):
    review_date = date_node("review_date")
    council_note = _text("council_note", 2000)


class ApproveSchema(colander.MappingSchema):
    decision_number = _text("decision_number", 100, True)
    decision_date = date_node("decision_date")
    signer = _text("signer", 200)


class RejectSchema(colander.MappingSchema):
    reason = _text("reason", 2000, True)


def disposal_json(disposal):
    return disposal.to_dict()


@view_config(route_name="api.disposals", request_method="GET", renderer="json",
             permission=perm.VIEW)
def list_disposals(context, request):
    state = request.params.get("state")
    items = [d for d in context.values() if request.has_permission(perm.VIEW, d)
             and (not state or d.state == state)]
    items.sort(key=lambda d: d.proposed_at, reverse=True)
    return {"disposals": [disposal_json(d) for d in items]}


@view_config(route_name="api.fonds.disposals", request_method="POST", renderer="json",
             permission=perm.PROPOSE_DISPOSAL)
def propose(context, request):
    """Dossiers are named by id or by file code; ``early`` maps a dossier (id
    or file code) to the reason an administrator proposes it before it is due."""
    data = deserialize(ProposeSchema(), json_body(request))

    def resolve(key):
        oid = context.file_codes.get(key, key) if isinstance(key, str) else None
        dossier = context.get(oid) if oid else None
        if dossier is None:
            raise ValidationFailed(fields={"dossiers": _(
                "Không có hồ sơ ${code} trong phông này.", mapping={"code": str(key)})})
        return dossier

    dossiers = [resolve(key) for key in data["dossiers"]]
    early = {}
    for key, reason in data["early"].items():
        dossier = resolve(key)
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationFailed(fields={"early": _("Ghi rõ lý do hủy trước hạn.")})
        early[dossier.id] = reason.strip()
        if dossier not in dossiers:
            dossiers.append(dossier)
    disposal = propose_disposal(archive_root(request), request.registry, actor_of(request),
                                context, dossiers, data["title"], data["reason"], early=early)
    request.response.status_int = 201
    return disposal_json(disposal)


@view_config(route_name="api.disposal", request_method="GET", renderer="json",
             permission=perm.VIEW)
def get_disposal(context, request):
    request.registry.notify(ObjectViewed(context, actor_of(request)))
    out = disposal_json(context)
    tombstones = getattr(archive_root(request), "tombstones", None)
    out["tombstones"] = [t.to_dict() for t in (tombstones.get(i) for i in context.dossier_ids)
                         if t is not None] if tombstones is not None else []
    return out


@view_config(route_name="api.disposal.review", request_method="POST", renderer="json",
             permission=perm.PROPOSE_DISPOSAL)
def review(context, request):
    """Multipart: part ``metadata`` (JSON: review_date, council_note) and one
    part ``file``, the council's minutes."""
    data = deserialize(ReviewSchema(), _metadata_part(request))
    uploads = spool_uploads(request)
    try:
        if len(uploads) != 1:
            raise ValidationFailed(fields={"file": _("Chọn đúng một tệp biên bản.")})
        review_disposal(archive_root(request), context, request.registry, actor_of(request),
                        uploads[0], data["review_date"], data["council_note"])
    finally:
        discard_all(uploads)
    return disposal_json(context)


@view_config(route_name="api.disposal.approve", request_method="POST", renderer="json",
             permission=perm.APPROVE_DISPOSAL)
def approve(context, request):
    data = deserialize(ApproveSchema(), json_body(request))
    approve_disposal(archive_root(request), context, request.registry, actor_of(request),
                     data["decision_number"], data["decision_date"], data["signer"])
    return disposal_json(context)


@view_config(route_name="api.disposal.reject", request_method="POST", renderer="json",
             permission=perm.APPROVE_DISPOSAL)
def reject(context, request):
    data = deserialize(RejectSchema(), json_body(request))
    reject_disposal(archive_root(request), context, request.registry, actor_of(request),
                    data["reason"])
    return disposal_json(context)


@view_config(route_name="api.disposal.destroy", request_method="POST", renderer="json",
             permission=perm.APPROVE_DISPOSAL)
def destroy(context, request):
    destroy_disposal(archive_root(request), context, request.registry, actor_of(request))
    return disposal_json(context)


@view_config(route_name="api.disposal.minutes", request_method="GET",
             permission=perm.DOWNLOAD)
def minutes(context, request):
    stored = context.minutes
    if stored is None:
        raise HTTPNotFound()
    return file_response(request, stored)


@view_config(route_name="api.tombstones", request_method="GET", renderer="json",
             permission=perm.REPORT)
def tombstones(context, request):
    year = request.params.get("year")
    if year is not None and not (year.isdigit() and len(year) == 4):
        raise ValidationFailed(fields={"year": _("Năm gồm 4 chữ số.")})
    rows = destruction_records(context, fonds=request.params.get("fonds") or None,
                               year=int(year) if year else None)
    return {"tombstones": [t.to_dict() for t in rows], "total": len(rows)}


DISPOSAL_ROUTES = (
    ("api.disposals", "/api/v1/disposals", container_factory),
    ("api.disposal", "/api/v1/disposals/{id}", by_id(Disposal)),
    ("api.disposal.review", "/api/v1/disposals/{id}/review", by_id(Disposal)),
    ("api.disposal.approve", "/api/v1/disposals/{id}/approve", by_id(Disposal)),
    ("api.disposal.reject", "/api/v1/disposals/{id}/reject", by_id(Disposal)),
    ("api.disposal.destroy", "/api/v1/disposals/{id}/destroy", by_id(Disposal)),
    ("api.disposal.minutes", "/api/v1/disposals/{id}/minutes", by_id(Disposal)),
)
