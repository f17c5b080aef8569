"""The JSON API, ``/api/v1``: the same services as the UI.

Routes use factories that resolve the resource from its stable id, so the
resource's ACL decides, exactly as in the UI.  Documented in ``openapi.json``
(served at ``/api/v1/openapi.json``).
"""
from pyramid.httpexceptions import HTTPNotFound

from archive.db import archive_root
from archive.resources import Dossier, Record, StoredFile

from .disposal import DISPOSAL_ROUTES
from .transfer import TRANSFER_ROUTES


def root_factory(request):
    return archive_root(request)


def fonds_factory(request):
    fonds = archive_root(request)["fonds"].get(request.matchdict["code"])
    if fonds is None:
        raise HTTPNotFound()
    return fonds


def _by_id(kind):
    def factory(request):
        obj = archive_root(request).objectmap.get(request.matchdict["id"])
        if not isinstance(obj, kind):
            raise HTTPNotFound()
        return obj
    return factory


def _report_factory(request):
    from .reports import report_factory

    return report_factory(request)


def _job_factory(request):
    from .jobs import job_factory

    return job_factory(request)


def user_factory(request):
    user = archive_root(request)["users"].get(request.matchdict["login"])
    if user is None:
        raise HTTPNotFound()
    return user


ROUTES = (
    ("api.openapi", "/api/v1/openapi.json", root_factory),
    ("api.fonds", "/api/v1/fonds", root_factory),
    ("api.fonds.dossiers", "/api/v1/fonds/{code}/dossiers", fonds_factory),
    ("api.dossier", "/api/v1/dossiers/{id}", _by_id(Dossier)),
    ("api.dossier.records", "/api/v1/dossiers/{id}/records", _by_id(Dossier)),
    ("api.dossier.close", "/api/v1/dossiers/{id}/close", _by_id(Dossier)),
    ("api.record", "/api/v1/records/{id}", _by_id(Record)),
    ("api.file", "/api/v1/files/{id}", _by_id(StoredFile)),
    ("api.tokens", "/api/v1/tokens", root_factory),
    ("api.token", "/api/v1/tokens/{token}", root_factory),
    ("api.users", "/api/v1/users", root_factory),
    ("api.search", "/api/v1/search", root_factory),
    ("api.user", "/api/v1/users/{login}", user_factory),
    ("api.retention.schedule", "/api/v1/retention/schedule", root_factory),
    ("api.retention.schedule.entry", "/api/v1/retention/schedule/{code}", root_factory),
    ("api.retention.due", "/api/v1/retention/due", root_factory),
    ("api.holds", "/api/v1/holds", root_factory),
    ("api.hold.release", "/api/v1/holds/{id}/release", root_factory),
    ("api.dossier.retention", "/api/v1/dossiers/{id}/retention", _by_id(Dossier)),
    ("api.record.text", "/api/v1/records/{id}/text", _by_id(Record)),
    ("api.file.page", "/api/v1/files/{id}/pages/{n}", _by_id(StoredFile)),
    ("api.fonds.disposals", "/api/v1/fonds/{code}/disposals", fonds_factory),
    ("api.tombstones", "/api/v1/tombstones", root_factory),
    *DISPOSAL_ROUTES,
    *TRANSFER_ROUTES,
    ("api.job", "/api/v1/jobs/{id}", _job_factory),
    ("api.fonds.imports", "/api/v1/fonds/{code}/imports", fonds_factory),
    ("api.reports", "/api/v1/reports", root_factory),
    ("api.report", "/api/v1/reports/{kind}", _report_factory),
)


def includeme(config):
    for name, pattern, factory in ROUTES:
        config.add_route(name, pattern, factory=factory)
    config.scan(".")
