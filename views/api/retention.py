"""Retention in the JSON API: the schedule, what is due, holds, a dossier's
retention (same services as the UI)."""
from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config

from archive import retention
from archive import security as perm
from archive.errors import ValidationFailed
from archive.i18n import _
from archive.resources import Dossier
from archive.schemas import deserialize
from archive.schemas.retention import (
    HoldApiSchema, ReleaseSchema, ScheduleEntryEditSchema, ScheduleEntrySchema,
)

from ..helpers import actor_of
from .views import json_body

PAGE_SIZE = 100
KINDS = ("disposal", "transfer", "current", "hold")


def entry_json(entry, versions=False):
    out = {"code": entry.code, "version": entry.number, "title": entry.title,
           "period": entry.period, "citation": entry.citation, "note": entry.note,
           "retired": entry.retired}
    if versions:
        out["versions"] = [dict(v) for v in entry.versions]
    return out


def hold_json(hold):
    return hold.as_dict()


def _entry(request):
    entry = retention.schedule_entry(request.context, request.matchdict["code"])
    if entry is None:
        raise HTTPNotFound()
    return entry


@view_config(route_name="api.retention.schedule", request_method="GET", renderer="json",
             permission=perm.HOME)
def list_schedule(context, request):
    schedule = retention.get_schedule(context)
    return {"entries": [entry_json(e) for e in (schedule.values() if schedule is not None else [])]}


@view_config(route_name="api.retention.schedule", request_method="POST", renderer="json",
             permission=perm.MANAGE)
def add_schedule_entry(context, request):
    data = deserialize(ScheduleEntrySchema(), json_body(request))
    entry = retention.add_entry(context, request.registry, actor_of(request), data)
    request.response.status_int = 201
    return entry_json(entry, versions=True)


@view_config(route_name="api.retention.schedule.entry", request_method="GET", renderer="json",
             permission=perm.HOME)
def get_schedule_entry(context, request):
    return entry_json(_entry(request), versions=True)


@view_config(route_name="api.retention.schedule.entry", request_method="PUT", renderer="json",
             permission=perm.MANAGE)
def update_schedule_entry(context, request):
    entry = _entry(request)
    body = json_body(request)
    schema = ScheduleEntryEditSchema()
    for node in list(schema.children):
        if node.name not in body:
            del schema[node.name]
    data = deserialize(schema, body)
    entry = retention.update_entry(context, request.registry, actor_of(request), entry.code, data)
    return entry_json(entry, versions=True)


def _int(request, name):
    value = request.params.get(name)
    if value in (None, ""):
        return None
    if not value.isdigit() or len(value) > 4:
        raise ValidationFailed(fields={name: _("Phải là một năm (4 chữ số).")})
    return int(value)


@view_config(route_name="api.retention.due", request_method="GET", renderer="json",
             permission=perm.REPORT)
def due(context, request):
    """``?kind=disposal|transfer|current|hold&fonds=&year=&until=&page=``: the
    dossiers due (from the indexes), 100 a page, with the total."""
    kind = request.params.get("kind", "disposal")
    if kind not in KINDS:
        raise ValidationFailed(fields={"kind": _("Giá trị không hợp lệ: chọn một mục trong danh sách.")})
    fonds = request.params.get("fonds") or None
    year, until = _int(request, "year"), _int(request, "until")
    if kind == "disposal":
        ids = retention.due_for_disposal(context, year=year, until=until, fonds=fonds)
    elif kind == "transfer":
        ids = retention.due_for_transfer(context, year=year, until=until, fonds=fonds)
    elif kind == "current":
        ids = retention.overdue_for_current_archive(context, as_of=(until + 1) if until else None,
                                                    fonds=fonds, year=year)
    else:
        ids = retention.on_hold(context, fonds=fonds)
    page = max(1, _int(request, "page") or 1)
    chunk = ids[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    items = []
    for dossier in retention.load_dossiers(context, chunk):
        entry = retention.index_entry(context, dossier.id)
        items.append({"id": dossier.id, "file_code": dossier.file_code, "title": dossier.title,
                      "fonds": entry["fonds"], "retention": dossier.retention,
                      "end_date": dossier.end_date, "state": entry["state"], "held": entry["held"],
                      "disposal_year": entry["disposal_year"], "transfer_year": entry["transfer_year"],
                      "current_archive_year": entry["current_year"]})
    return {"kind": kind, "total": len(ids), "page": page, "page_size": PAGE_SIZE, "dossiers": items}


@view_config(route_name="api.holds", request_method="GET", renderer="json", permission=perm.REPORT)
def list_holds(context, request):
    show = request.params.get("active")
    active = None if show in (None, "") else show in ("1", "true", "yes")
    return {"holds": [hold_json(h) for h in retention.all_holds(context, active)]}


@view_config(route_name="api.holds", request_method="POST", renderer="json", permission=perm.HOLD)
def place_holds(context, request):
    data = deserialize(HoldApiSchema(), json_body(request))
    dossiers, unknown = [], []
    for oid in data["dossiers"]:
        obj = context.objectmap.get(oid)
        (dossiers if isinstance(obj, Dossier) else unknown).append(obj if isinstance(obj, Dossier) else oid)
    if unknown:
        raise ValidationFailed(fields={"dossiers": _("Không tìm thấy hồ sơ: ${codes}",
                                                     mapping={"codes": ", ".join(unknown[:20])})})
    holds = retention.place_holds(context, request.registry, actor_of(request), dossiers,
                                  data["reason"], data["kind"], data["reference"])
    request.response.status_int = 201
    return {"holds": [hold_json(h) for h in holds]}


@view_config(route_name="api.hold.release", request_method="POST", renderer="json",
             permission=perm.HOLD)
def release_hold(context, request):
    hold = retention.get_hold(context, request.matchdict["id"])
    if hold is None:
        raise HTTPNotFound()
    data = deserialize(ReleaseSchema(), json_body(request))
    retention.release_hold(context, request.registry, actor_of(request), hold, data["reason"])
    return hold_json(hold)


@view_config(route_name="api.dossier.retention", request_method="GET", renderer="json",
             permission=perm.VIEW)
def dossier_retention(context, request):
    from archive.db import archive_root

    root = archive_root(request)
    return {"id": context.id, "file_code": context.file_code,
            "basis": retention.retention_basis(root, context),
            "due": retention.dossier_due_dates(context).as_dict(),
            "state": retention.state_of(context), "held": retention.is_held(context),
            "holds": [hold_json(h) for h in retention.hold_history(root, context)]}
