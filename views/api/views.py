"""JSON API views: parse, call one service, answer."""
import json

from pyramid.httpexceptions import HTTPNoContent
from pyramid.view import view_config

from archive import security as perm
from archive.db import archive_root
from archive.digitise import record_text_status, text_status
from archive.errors import ValidationFailed
from archive.events import ObjectViewed
from archive.i18n import _
from archive.resources import DOSSIER_FIELDS, ONESTOP_FIELDS, RECORD_FIELDS
from archive.schemas import (
    DossierSchema, FondsSchema, RecordSchema, TokenRequestSchema, UserEditSchema, UserSchema,
    deserialize,
)
from archive.services import dossiers as dossier_service
from archive.services import records as record_service
from archive.services import users as user_service
from archive.services.fonds import create_fonds

from ..files import file_response
from ..helpers import actor_of
from ..uploads import discard_all, refuse_classified, spool_uploads
from .errors import BadJSON, check_range
from .spec import spec_bytes

MAX_JSON = 1024 * 1024


def json_body(request):
    try:
        body = request.json_body
    except (ValueError, UnicodeDecodeError):
        raise BadJSON()
    if not isinstance(body, dict):
        raise BadJSON()
    return body


def plain(value):
    if isinstance(value, (tuple, set, frozenset)):
        return sorted(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def file_json(stored):
    out = {"id": stored.id, "name": stored.name, "size": stored.size,
           "media_type": stored.media_type, "sha256": stored.sha256, "role": stored.role,
           "page_count": stored.page_count, "created": stored.created.isoformat(),
           "created_by": stored.created_by, "text_status": text_status(stored)}
    if stored.role == "rendition":
        out["source"] = getattr(stored, "source", None)
    return out


def record_json(record):
    out = {"id": record.id, "dossier_id": record.dossier.id, "ordinal": record.ordinal,
           "doc_code": record.doc_code, "page_count": record.page_count,
           "text_status": record_text_status(record)}
    out.update({name: plain(getattr(record, name, None)) for name in RECORD_FIELDS})
    out["files"] = [file_json(f) for f in record.files()]
    return out


def dossier_json(dossier, can_view=None):
    """The dossier's fields and the documents ``can_view`` lets through."""
    out = {"id": dossier.id, "fonds": dossier.fonds.code, "file_code": dossier.file_code,
           "doc_total": dossier.doc_total, "page_total": dossier.page_total,
           "closed": dossier.closed, "closed_at": plain(dossier.closed_at),
           "created": plain(dossier.created), "created_by": dossier.created_by}
    out.update({name: plain(getattr(dossier, name, None)) for name in DOSSIER_FIELDS + ONESTOP_FIELDS})
    if can_view is not None:
        out["records"] = [record_json(r) for r in dossier.records() if can_view(r)]
    return out


@view_config(route_name="api.openapi", request_method="GET", permission=perm.PUBLIC)
def openapi(request):
    response = request.response
    response.body = spec_bytes()
    response.content_type = "application/json"
    return response


def visible_dossier_count(request, fonds):
    """How many dossiers of ``fonds`` the caller may open: a count never
    includes a dossier hidden from them (classified ones, for officials)."""
    if request.has_permission(perm.EDIT, fonds) or request.has_permission(perm.REPORT, fonds):
        return len(fonds)  # these callers see every dossier of the fonds
    return sum(1 for dossier in fonds.values() if request.has_permission(perm.VIEW, dossier))


@view_config(route_name="api.fonds", request_method="GET", renderer="json", permission=perm.HOME)
def list_fonds(context, request):
    return {"fonds": [{"id": f.id, "code": f.code, "name": f.name, "organ_id": f.organ_id,
                       "dossiers": visible_dossier_count(request, f)}
                      for f in context["fonds"].values() if request.has_permission(perm.VIEW, f)]}


@view_config(route_name="api.fonds", request_method="POST", renderer="json", permission=perm.MANAGE)
def add_fonds(context, request):
    data = deserialize(FondsSchema(), json_body(request))
    fonds = create_fonds(context, request.registry, actor_of(request), **data)
    request.response.status_int = 201
    return {"id": fonds.id, "code": fonds.code}


@view_config(route_name="api.fonds.dossiers", request_method="POST", renderer="json",
             permission=perm.ADD_DOSSIER)
def add_dossier(context, request):
    data = deserialize(DossierSchema(), json_body(request))
    dossier = dossier_service.create_dossier(context, request.registry, actor_of(request), data)
    request.response.status_int = 201
    return {"id": dossier.id, "file_code": dossier.file_code}


@view_config(route_name="api.dossier", request_method="GET", renderer="json", permission=perm.VIEW)
def get_dossier(context, request):
    request.registry.notify(ObjectViewed(context, actor_of(request)))
    return dossier_json(context, lambda record: request.has_permission(perm.VIEW, record))


@view_config(route_name="api.dossier.close", request_method="POST", renderer="json",
             permission=perm.CLOSE)
def close_dossier(context, request):
    dossier_service.close_dossier(context, request.registry, actor_of(request))
    return {"id": context.id, "file_code": context.file_code, "closed": True}


def _metadata_part(request):
    part = request.POST.get("metadata")
    if part is None:
        raise ValidationFailed(fields={"metadata": _("Thiếu phần metadata (JSON).")})
    if hasattr(part, "file"):
        part.file.seek(0)
        raw = part.file.read(MAX_JSON + 1)
    else:
        raw = part.encode("utf-8")
    if len(raw) > MAX_JSON:
        raise BadJSON()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadJSON()
    if not isinstance(data, dict):
        raise BadJSON()
    return data


@view_config(route_name="api.dossier.records", request_method="POST", renderer="json",
             permission=perm.ADD_RECORD)
def add_record(context, request):
    data = deserialize(RecordSchema().bind(), _metadata_part(request))
    if any(isinstance(part, str) and part for part in request.POST.getall("file")):
        # a "file" part sent without a filename arrives as text: refuse it
        # rather than file the document without the bytes the client meant
        raise ValidationFailed(fields={"file": _("Phần \"file\" phải là một tệp (có tên tệp).")})
    dossier_service.ensure_open(context)
    uploads = spool_uploads(request)
    try:
        record = record_service.file_record(context, request.registry, actor_of(request), data,
                                            uploads, refuse_classified=refuse_classified(request))
    except BaseException:
        discard_all(uploads)
        raise
    request.response.status_int = 201
    return {"id": record.id, "doc_code": record.doc_code, "ordinal": record.ordinal,
            "files": [file_json(f) for f in record.files()]}


@view_config(route_name="api.record", request_method="GET", renderer="json", permission=perm.VIEW)
def get_record(context, request):
    request.registry.notify(ObjectViewed(context, actor_of(request)))
    return record_json(context)


@view_config(route_name="api.file", request_method="GET", permission=perm.DOWNLOAD)
def get_file(context, request):
    response = file_response(request, context, inline=request.params.get("inline") == "1")
    check_range(request, response)  # a bad Range: 416 as JSON, not WebOb's text/plain
    return response


@view_config(route_name="api.tokens", request_method="POST", renderer="json",
             permission=perm.PUBLIC, require_csrf=False)
def create_token(context, request):
    """Credentials in the body, no cookie involved: CSRF does not apply."""
    data = deserialize(TokenRequestSchema(), json_body(request))
    user = user_service.authenticate(context, request.registry.password_hasher,
                                     data["login"], data["password"])
    token = user_service.create_token(context, request.registry, actor_of(request, user.login),
                                      user, data["label"])
    request.response.status_int = 201
    return {"token": token, "login": user.login}


@view_config(route_name="api.token", request_method="DELETE", permission=perm.HOME)
def revoke_token(context, request):
    user_service.revoke_token(context, request.registry, actor_of(request),
                              request.matchdict["token"],
                              may_revoke_others=request.has_permission(perm.MANAGE, context))
    return HTTPNoContent()


def user_json(user):
    return {"id": user.id, "login": user.login, "name": user.name, "role": user.role,
            "fonds": list(user.fonds), "active": user.active}


@view_config(route_name="api.users", request_method="GET", renderer="json", permission=perm.MANAGE)
def list_users(context, request):
    return {"users": [user_json(u) for u in context["users"].values()]}


@view_config(route_name="api.users", request_method="POST", renderer="json", permission=perm.MANAGE)
def add_user(context, request):
    data = deserialize(UserSchema().bind(), json_body(request))
    user = user_service.create_user(context, request.registry, actor_of(request),
                                    request.registry.password_hasher, data["login"],
                                    data["password"], data["role"], sorted(data["fonds"]),
                                    data["name"])
    request.response.status_int = 201
    return user_json(user)


@view_config(route_name="api.user", request_method="PUT", renderer="json", permission=perm.MANAGE)
def update_user(context, request):
    body = json_body(request)
    schema = UserEditSchema().bind()
    for node in list(schema.children):
        if node.name not in body:
            del schema[node.name]
    data = deserialize(schema, body)
    user = user_service.update_user(
        archive_root(request), request.registry, actor_of(request),
        request.registry.password_hasher, context.login, role=data.get("role"),
        fonds=sorted(data["fonds"]) if "fonds" in data else None,
        password=data.get("password") or None, name=data.get("name"), active=data.get("active"))
    return user_json(user)
