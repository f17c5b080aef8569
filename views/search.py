"""The search page and ``GET /api/v1/search``: one box, facets, pages.

Both call ``registry.search.search`` with the current user's principals, so
the index itself leaves out what the user may not open: totals, facet counts
and snippets included.
"""
from urllib.parse import urlencode

from pyramid.httpexceptions import HTTPServiceUnavailable
from pyramid.view import view_config

from archive import security as perm
from archive.i18n import _
from archive.resources import ArchiveRoot
from archive.search import FACETS, IndexRebuilding

from .auth import principals_of
from .helpers import page_number
from .renderglobals import TemplateHelpers

FACET_TITLES = {
    "fonds": _("Phông"),
    "year": _("Năm"),
    "doc_type": _("Tên loại văn bản"),
    "procedure": _("Mã thủ tục"),
    "retention": _("Thời hạn bảo quản"),
    "access": _("Chế độ sử dụng"),
    "district": _("Huyện/thị xã"),
}
REBUILDING = _("Chỉ mục tìm kiếm đang được xây dựng lại từ cơ sở dữ liệu. Xin thử lại sau ít phút.")
MAX_SIZE = 100


class SearchParams:
    """The parameters of a search, read the same way for the page and the API."""

    def __init__(self, request):
        params = request.params
        self.text = (params.get("q") or "").strip()[:500]
        self.exact = params.get("exact") in ("1", "true", "on")
        self.sort = "date" if params.get("sort") == "date" else "relevance"
        self.page = page_number(request)
        try:
            self.size = min(MAX_SIZE, max(1, int(params.get("size", 20))))
        except ValueError:
            self.size = 20
        self.filters = {name: params.get(name) for name in FACETS if params.get(name)}

    def run(self, request):
        """Results for the current user.  Raises IndexRebuilding."""
        return request.registry.search.search(
            self.text, self.filters, principals_of(request), page=self.page, size=self.size,
            exact=self.exact, sort=self.sort)

    def url(self, request, **changes):
        """This search with some parameters changed (None removes one)."""
        params = {"q": self.text, "exact": "1" if self.exact else None,
                  "sort": self.sort if self.sort != "relevance" else None, **self.filters}
        params.update(changes)
        query = {k: v for k, v in params.items() if v not in (None, "")}
        return request.application_url + "/search?" + urlencode(query)


def facet_label(request, name, value):
    """A facet value as the pages show the same value elsewhere."""
    h = TemplateHelpers(request)
    if name == "doc_type":
        return h.doc_type(value)
    if name == "access":
        return h.label("ACCESS", value)
    if name == "retention" and (value == "permanent" or value.isdigit()):
        return h.retention(value if value == "permanent" else int(value))
    return value


@view_config(context=ArchiveRoot, name="search", renderer="templates/search.pt", permission=perm.HOME)
def search_page(context, request):
    params = SearchParams(request)
    results, rebuilding = None, False
    if params.text or params.filters:
        try:
            results = params.run(request)
        except IndexRebuilding:
            rebuilding = True
            request.response.status_int = 503
    return {"page_title": _("Tìm kiếm"), "params": params, "results": results,
            "rebuilding": rebuilding, "rebuilding_message": REBUILDING,
            "facet_titles": FACET_TITLES, "facet_label": facet_label}


@view_config(route_name="api.search", request_method="GET", renderer="json", permission=perm.HOME)
def search_api(context, request):
    params = SearchParams(request)
    try:
        results = params.run(request)
    except IndexRebuilding:
        raise HTTPServiceUnavailable(REBUILDING)
    return {
        "total": results.total,
        "page": results.page,
        "size": results.size,
        "hits": [{"type": hit.type, "id": hit.id, "dossier_id": hit.dossier_id,
                  "title": hit.title, "file_code": hit.file_code, "doc_code": hit.doc_code,
                  "date": hit.date, "snippet": hit.snippet, "score": hit.score}
                 for hit in results.hits],
        "facets": results.facets,
    }
