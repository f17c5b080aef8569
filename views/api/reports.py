"""``GET /api/v1/reports``: the report kinds; ``GET /api/v1/reports/{kind}``:
one report as CSV, XLSX or PDF (auditors and administrators)."""
from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config

from archive import security as perm
from archive.db import archive_root
from archive.reports import UnknownReport, export_report, get_kind, kinds

from ..helpers import actor_of
from ..reports import download


def report_factory(request):
    """The archive root, once the kind is known: an unknown kind is 404 for
    everybody, before any permission check."""
    try:
        get_kind(request.matchdict["kind"])
    except UnknownReport:
        raise HTTPNotFound()
    return archive_root(request)


@view_config(route_name="api.reports", request_method="GET", renderer="json",
             permission=perm.REPORT)
def list_reports(context, request):
    translate = request.localizer.translate
    return {"reports": [{"kind": k.name, "title": translate(k.title),
                         "description": translate(k.description),
                         "year": translate(k.year_meaning),
                         "columns": [{"key": c.key, "title": translate(c.title)} for c in k.columns]}
                        for k in kinds(context)]}


@view_config(route_name="api.report", request_method="GET", permission=perm.REPORT)
def get_report(context, request):
    params = request.params
    export = export_report(context, request.registry, actor_of(request), request.matchdict["kind"],
                           params.get("format", "csv"), fonds=params.get("fonds"),
                           year=params.get("year"), translate=request.localizer.translate)
    return download(export)
