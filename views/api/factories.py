"""Route factories of the JSON API: each resolves the resource a route acts
on (from its stable id, code or login), so that the resource's ACL decides,
exactly as in the UI; 404 when there is none."""
from pyramid.httpexceptions import HTTPNotFound

from archive.db import archive_root


def root_factory(request):
    return archive_root(request)


def fonds_factory(request):
    fonds = archive_root(request)["fonds"].get(request.matchdict["code"])
    if fonds is None:
        raise HTTPNotFound()
    return fonds


def by_id(kind):
    """A factory of the object whose stable id is ``{id}``, of class ``kind``."""
    def factory(request):
        obj = archive_root(request).objectmap.get(request.matchdict["id"])
        if not isinstance(obj, kind):
            raise HTTPNotFound()
        return obj
    return factory


def user_factory(request):
    user = archive_root(request)["users"].get(request.matchdict["login"])
    if user is None:
        raise HTTPNotFound()
    return user
