"""The JSON API, ``/api/v1``: the same services as the UI.

Routes use factories that resolve the resource from its stable id, so the
resource's ACL decides, exactly as in the UI.  Documented in ``openapi.json``
(served at ``/api/v1/openapi.json``).
"""
from archive.resources import Dossier, Record, StoredFile

from .disposal import DISPOSAL_ROUTES
from .factories import by_id as _by_id
from .factories import fonds_factory, root_factory, user_factory
from .transfer import TRANSFER_ROUTES


def _report_factory(request):
    from .reports import report_factory

    return report_factory(request)


def _job_factory(request):
    from .jobs import job_factory

    return job_factory(request)


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
    ("api.jobs", "/api/v1/jobs", _job_factory),
    ("api.job", "/api/v1/jobs/{id}", _job_factory),
    ("api.fonds.imports", "/api/v1/fonds/{code}/imports", fonds_factory),
    ("api.reports", "/api/v1/reports", root_factory),
    ("api.report", "/api/v1/reports/{kind}", _report_factory),
)


def includeme(config):
    for name, pattern, factory in ROUTES:
        config.add_route(name, pattern, factory=factory)
    config.scan(".")
