"""``POST /api/v1/fonds/{code}/imports``: a ZIP (manifest.csv + files) to
import into the fonds, run as a job (``archive.imports.job``); its state,
progress and counts are read at ``GET /api/v1/jobs/{id}``.  Permission
``digitise`` on the fonds."""
import os

from pyramid.view import view_config

from archive import security as perm
from archive.db import archive_root
from archive.imports.job import enqueue_import
from archive.imports.ziparchive import check_zip, limits

from ..helpers import actor_of
from ..imports import receive_zip


@view_config(route_name="api.fonds.imports", request_method="POST", renderer="json",
             permission=perm.DIGITISE)
def start_import(context, request):
    path, name = receive_zip(request)
    try:
        check_zip(path, *limits(request.registry.settings))
        job = enqueue_import(archive_root(request), request.registry, actor_of(request), context,
                             path, name)
    except BaseException:
        os.unlink(path)
        raise
    request.response.status_int = 202
    return {"job_id": job.id, "state": job.state, "fonds": context.code, "name": name,
            "status_url": request.route_url("api.job", id=job.id)}
