"""Uploads from multipart requests, shared by the UI and the API.

waitress spools request bodies over 512 KB to disk and WebOb parses file
parts into temporary files, so an upload is on disk before we see it; from
there ``archive.services.files.spool_upload`` copies it in chunks, hashing on
the way.  A request whose declared length exceeds the limit is refused with
413 before its body is parsed.

pyramid_retry runs a request again after a ConflictError with the same
environ, where WebOb keeps the parsed parts: every attempt reads them from
the start, and while requests are being retried the unsafe ones take turns
(``ConflictGate``).  When the request is answered for good, the temporary
files that hold its body are closed at once: left to the garbage collector
(requests live in reference cycles), a 1 GiB upload kept 2 GiB of deleted
temporary files open in the server for as long as no full collection ran.
"""
import io
import logging
import sys
import threading
import time

from pyramid.events import NewRequest, subscriber
from pyramid.httpexceptions import HTTPRequestEntityTooLarge
from pyramid_retry import IBeforeRetry, is_error_retryable

from archive.errors import FileTooLarge, IncompleteUpload
from archive.services.files import spool_upload

log = logging.getLogger(__name__)

# multipart framing and metadata allowed on top of the file limit
OVERHEAD = 1024 * 1024
# where WebOb caches the parsed body, shared by every attempt of a request
PARSED_POST = "webob._parsed_post_vars"


def max_upload(request):
    return int(request.registry.settings.get("archive.max_upload", 2 * 1024 ** 3))


def refuse_classified(request):
    value = request.registry.settings.get("archive.refuse_classified_files", "true")
    return str(value).lower() in ("true", "1", "yes", "on")


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


class ConflictGate:
    """Unsafe requests take turns while requests are being retried.

    Requests run side by side and a ConflictError is retried, but under
    contention that alone does not end: twenty clients filing into one
    dossier all take the next ordinal of its counter, each commit makes the
    others conflict, and an unlucky request lost ten times in a row (500).
    So a retried attempt runs alone in this process, and so does every
    unsafe request while one is retried (and for a moment after the last
    retry): each takes its turn in NewRequest, then begins its transaction
    afresh so that it sees the commits it waited for (pyramid_tm began it,
    and the security policy opened the ZODB connection, before NewRequest;
    nothing has been changed yet), and gives the turn back after the commit
    (finished callbacks).  A retried attempt can then lose only to attempts
    already running when the contention began.  Without contention nothing
    waits.  Other processes (ZEO) still conflict and are retried.
    """

    SAFE = ("GET", "HEAD", "OPTIONS")
    TIMEOUT = 120  # seconds to wait for a turn before going ahead anyway
    CALM = 1.0  # seconds after the last retry until requests run side by side

    def __init__(self):
        self.turn = threading.Lock()
        self.guard = threading.Lock()
        self.retried_attempts = 0  # retried attempts waiting for or holding the turn
        self.calm_after = 0.0

    def contended(self):
        return self.retried_attempts > 0 or time.monotonic() < self.calm_after

    def retrying(self):
        """pyramid_retry is about to run a request again."""
        self.calm_after = time.monotonic() + self.CALM

    def enter(self, request):
        retried = bool(request.environ.get("retry.attempt"))
        if not retried and (request.method in self.SAFE or not self.contended()):
            return
        if retried:
            with self.guard:
                self.retried_attempts += 1
        holds = self.turn.acquire(timeout=self.TIMEOUT)
        request.add_finished_callback(lambda request: self.leave(retried, holds))
        begin_afresh(request)

    def leave(self, retried, holds):
        if holds:
            self.turn.release()
        if retried:
            with self.guard:
                self.retried_attempts -= 1


def begin_afresh(request):
    """Abort the request's transaction and begin a new one, keeping its
    notes: the new one sees the database as it is now.  Only where nothing
    has been changed yet."""
    if not request.environ.get("tm.active"):
        return
    manager = request.tm
    old = manager.get()
    user, description, extension = old.user, old.description, dict(old.extension)
    manager.abort()
    new = manager.begin()
    new.user, new.description = user, description
    new.extension.update(extension)


conflict_gate = ConflictGate()


@subscriber(NewRequest)
def take_turn_under_contention(event):
    conflict_gate.enter(event.request)


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
    conflict_gate.retrying()
    request = event.request
    log.info("retrying %s %s (attempt %s) after %s", request.method, request.path,
             request.environ.get("retry.attempt", 0) + 2, type(event.exception).__name__)
