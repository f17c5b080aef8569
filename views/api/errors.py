"""API errors as JSON: ``{"error": {"message": "...", "fields": {"name": "..."}}}``."""
import logging

import colander
from pyramid.httpexceptions import HTTPException, HTTPForbidden
from pyramid.view import exception_view_config

from archive.errors import ArchiveError
from archive.i18n import _

API = r"^/api/"
log = logging.getLogger(__name__)


def error_body(request, status, message, fields=None):
    request.response.status_int = status
    translate = request.localizer.translate
    return {"error": {"message": translate(message) if message is not None else "",
                      "fields": {name: translate(msg) for name, msg in (fields or {}).items()}}}


@exception_view_config(colander.Invalid, path_info=API, renderer="json")
def invalid(exc, request):
    request.tm.doom()
    fields = {}
    for path, message in exc.asdict(translate=request.localizer.translate).items():
        fields[path.split(".")[-1] if path else "_"] = message
    return error_body(request, 422, _("Dữ liệu chưa hợp lệ, xin kiểm tra các trường được nêu."), fields)


@exception_view_config(ArchiveError, path_info=API, renderer="json")
def archive_error(exc, request):
    request.tm.doom()
    return error_body(request, exc.status, exc.message, exc.fields)


@exception_view_config(HTTPForbidden, path_info=API, renderer="json")
def forbidden(exc, request):
    if request.identity is None:
        body = error_body(request, 401, _("Cần đăng nhập: gửi Authorization: Bearer <token>."))
        request.response.headers["WWW-Authenticate"] = 'Bearer realm="archive"'
        return body
    return error_body(request, 403, _("Bạn không có quyền thực hiện thao tác này."))


@exception_view_config(HTTPException, path_info=API, renderer="json")
def http_error(exc, request):
    messages = {
        400: _("Yêu cầu không hợp lệ."),
        404: _("Không tìm thấy."),
        405: _("Phương thức không được hỗ trợ."),
        413: _("Tệp vượt quá dung lượng cho phép."),
    }
    if exc.code == 503 and exc.detail:
        return error_body(request, 503, exc.detail)
    if exc.code < 400:
        return exc
    return error_body(request, exc.code, messages.get(
        exc.code, _("Lỗi ${code}.", mapping={"code": exc.code})))


class RangeNotSatisfiable(ArchiveError):
    """416 on a file download: the Range header asks for bytes past the end."""
    status = 416
    message = _("Khoảng byte yêu cầu (Range) nằm ngoài tệp.")

    def __init__(self, size):
        super().__init__()
        self.size = size


@exception_view_config(RangeNotSatisfiable, path_info=API, renderer="json")
def range_not_satisfiable(exc, request):
    request.tm.doom()  # nothing was downloaded: no journal entry
    request.response.headers["Content-Range"] = f"bytes */{exc.size}"
    return error_body(request, exc.status, exc.message)


def check_range(request, response):
    """WebOb answers an unsatisfiable Range itself, as text/plain, when the
    response is sent; the API raises RangeNotSatisfiable first instead, so its
    416 is a JSON error like every other.  Same conditions as WebOb's
    ``conditional_response_app`` (a 304 wins; If-Range must match)."""
    if request.method not in ("GET", "HEAD") or not request.range:
        return
    if request.if_none_match and response.etag:
        if response.etag in request.if_none_match:
            return
    elif request.if_modified_since and response.last_modified:
        if response.last_modified <= request.if_modified_since:
            return
    size = response.content_length
    if (size is not None and response in request.if_range and response.content_range is None
            and request.range.content_range(size) is None):
        close = getattr(response.app_iter, "close", None)
        if close is not None:
            close()  # the opened blob file
        raise RangeNotSatisfiable(size)


class BadJSON(ArchiveError):
    status = 400
    message = _("Nội dung JSON không hợp lệ.")
