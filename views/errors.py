"""Error pages of the UI (the API answers JSON: ``archive.views.api.errors``)."""
from urllib.parse import urlencode

from pyramid.csrf import BadCSRFToken
from pyramid.httpexceptions import (
    HTTPForbidden,
    HTTPNotFound,
    HTTPRequestEntityTooLarge,
    HTTPSeeOther,
)
from pyramid.view import exception_view_config

from archive.errors import ArchiveError, FileTooLarge
from archive.i18n import _

NOT_API = r"^(?!/api/)"


def _error(request, status, message):
    request.response.status_int = status
    return {"page_title": _("Lỗi"), "status": status, "message": message}


@exception_view_config(HTTPForbidden, path_info=NOT_API, renderer="templates/error.pt")
def forbidden(exc, request):
    if request.identity is None:
        login = request.application_url + "/login?" + urlencode({"next": request.path_qs})
        return HTTPSeeOther(login)
    return _error(request, 403, _("Bạn không có quyền thực hiện thao tác này."))


@exception_view_config(HTTPNotFound, path_info=NOT_API, renderer="templates/error.pt")
def not_found(exc, request):
    return _error(request, 404, _("Không tìm thấy trang này."))


@exception_view_config(HTTPRequestEntityTooLarge, path_info=NOT_API, renderer="templates/error.pt")
def too_large(exc, request):
    return _error(request, 413, FileTooLarge.message)


@exception_view_config(BadCSRFToken, path_info=NOT_API, renderer="templates/error.pt")
def bad_csrf(exc, request):
    return _error(request, 400, _("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Xin tải lại trang và thử lại."))


@exception_view_config(ArchiveError, path_info=NOT_API, renderer="templates/error.pt")
def archive_error(exc, request):
    request.tm.doom()
    return _error(request, exc.status, exc.message)
