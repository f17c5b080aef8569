"""Sending stored files: correct type, safe names, Range, nosniff, audit."""
import unicodedata
from urllib.parse import quote

from pyramid.response import FileResponse
from pyramid.view import view_config

from archive import security as perm
from archive.events import FileDownloaded
from archive.resources import StoredFile
from archive.services.files import blob_path

from .helpers import actor_of

INLINE_TYPES = ("application/pdf", "image/png", "image/jpeg")


def ascii_fallback(name):
    """The name without tone marks (đ -> d), for clients that ignore filename*."""
    folded = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\;' else "_" for ch in folded)


def content_disposition(kind, name):
    """RFC 6266 / RFC 5987: an ASCII fallback and the UTF-8 name."""
    fallback = ascii_fallback(name)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def file_response(request, stored, inline=False):
    """A streaming response for ``stored``; WebOb answers Range requests
    (206/416) from the file itself.  Records the download in the journal."""
    response = FileResponse(blob_path(stored), request=request, content_type=stored.media_type)
    kind = "inline" if inline and stored.media_type in INLINE_TYPES else "attachment"
    response.headers["Content-Disposition"] = content_disposition(kind, stored.name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Accept-Ranges"] = "bytes"
    response.etag = stored.sha256
    response.conditional_response = True
    request.registry.notify(FileDownloaded(stored, actor_of(request),
                                           {"inline": kind == "inline",
                                            "range": request.headers.get("Range")}))
    return response


@view_config(context=StoredFile, name="download", permission=perm.DOWNLOAD)
def download(context, request):
    return file_response(request, context)


@view_config(context=StoredFile, name="inline", permission=perm.DOWNLOAD)
def inline(context, request):
    return file_response(request, context, inline=True)
