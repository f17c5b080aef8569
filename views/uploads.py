"""Uploads from multipart requests, shared by the UI and the API.

waitress spools request bodies over 512 KB to disk and WebOb parses file
parts into temporary files, so an upload is on disk before we see it; from
there ``archive.services.files.spool_upload`` copies it in chunks, hashing on
the way.  A request whose declared length exceeds the limit is refused with
413 before its body is parsed.

pyramid_retry runs a request again after a ConflictError with the same
environ, where WebOb keeps the parsed parts: every attempt reads them from
the start (and while requests are being retried the unsafe ones take turns:
``archive.views.conflicts``).  When the request is answered for good, the temporary
files that hold its body are closed at once: left to the garbage collector
(requests live in reference cycles), a 1 GiB upload kept 2 GiB of deleted
temporary files open in the server for as long as no full collection ran.
"""
import io
import logging
import sys

from pyramid.events import NewRequest, subscriber
from pyramid.httpexceptions import HTTPRequestEntityTooLarge
from pyramid_retry import IBeforeRetry, is_error_retryable

from archive.errors import FileTooLarge, IncompleteUpload
from archive.services.files import spool_upload
from archive.services.records import refuses_classified

log = logging.getLogger(__name__)

# multipart framing and metadata allowed on top of the file limit
OVERHEAD = 1024 * 1024
# where WebOb caches the parsed body, shared by every attempt of a request
PARSED_POST = "webob._parsed_post_vars"


def max_upload(request):
    return int(request.registry.settings.get("archive.max_upload", 2 * 1024 ** 3))


def refuse_classified(request):
    return refuses_classified(request.registry.settings)


def spool_uploads(request, name="file"):
    """Spool every file part called ``name``; on error, discard what was spooled.

    Raises IncompleteUpload when the body ended inside a file part (a
    truncated multipart body would otherwise be stored as a shorter file),
    and what ``spool_upload`` raises."""
    done = []
    try:
        for field in request.POST.getall(name):
            if not hasattr(field, "file"):
                continue
            if not part_complete(field):
                raise IncompleteUpload()
            field.file.seek(0)  # a retried request reads the same part again
            done.append(spool_upload(field.file, field.filename, max_upload(request),
                                     request.registry.settings["archive.upload_tmp"]))
    except BaseException:
        discard_all(done)
        raise
    return done


def part_complete(field):
    """False when the multipart body ended inside this part (cgi's parser
    stops at the end of the body without complaint): the part neither ended
    the body with the closing boundary (``done == 1``) nor left any of the
    body after it."""
    done = getattr(field, "done", 1)
    if done == -1:
        return False
    limit = getattr(field, "limit", None)
    return done == 1 or limit is None or getattr(field, "bytes_read", 0) < limit


def discard_all(spooled):
    for item in spooled:
        item.discard()


def parsed_file_parts(environ):
    """The file parts WebOb parsed from the request body, if it did."""
    parsed = environ.get(PARSED_POST)
    if not parsed:
        return []
    return [value for value in parsed[0].values() if hasattr(value, "file")]


@subscriber(NewRequest)
def refuse_oversized(event):
    request = event.request
    length = request.content_length
    if length is not None and length > max_upload(request) + OVERHEAD:
        raise HTTPRequestEntityTooLarge(FileTooLarge.message)


@subscriber(NewRequest)
def close_body_when_answered(event):
    if event.request.content_length:
        event.request.add_finished_callback(release_body)


def retry_pending(request):
    """True when pyramid_retry will run this request again after this attempt
    (the exception is raised through the router, or rendered by a view)."""
    exc = sys.exc_info()[1] or request.exception
    return exc is not None and is_error_retryable(request, exc)


def release_body(request):
    """Close the temporary files of the request body (WebOb's parsed parts
    and its seekable copy of the body, made for pyramid_retry) unless
    pyramid_retry is about to run the request again on them."""
    if retry_pending(request):
        return
    environ = request.environ
    for field in parsed_file_parts(environ):
        field.file.close()
    environ.pop(PARSED_POST, None)
    body = environ.get("wsgi.input")
    if isinstance(body, io.IOBase) and not isinstance(body, io.BytesIO):
        body.close()


@subscriber(IBeforeRetry)
def rewind_parsed_parts(event):
    """pyramid_retry runs the request again: its parsed parts (the files and
    a ``metadata`` part sent as a file) are read again from the start."""
    for field in parsed_file_parts(event.environ):
        field.file.seek(0)
    request = event.request
    log.info("retrying %s %s (attempt %s) after %s", request.method, request.path,
             request.environ.get("retry.attempt", 0) + 2, type(event.exception).__name__)
