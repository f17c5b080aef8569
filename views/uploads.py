"""Uploads from multipart requests, shared by the UI and the API.

waitress spools request bodies over 512 KB to disk and WebOb parses file
parts into temporary files, so an upload is on disk before we see it; from
there ``archive.services.files.spool_upload`` copies it in chunks, hashing on
the way.  A request whose declared length exceeds the limit is refused with
413 before its body is read.
"""
from pyramid.events import NewRequest, subscriber
from pyramid.httpexceptions import HTTPRequestEntityTooLarge

from archive.errors import FileTooLarge
from archive.services.files import spool_upload

# multipart framing and metadata allowed on top of the file limit
OVERHEAD = 1024 * 1024


def max_upload(request):
    return int(request.registry.settings.get("archive.max_upload", 2 * 1024 ** 3))


def refuse_classified(request):
    value = request.registry.settings.get("archive.refuse_classified_files", "true")
    return str(value).lower() in ("true", "1", "yes", "on")


def spool_uploads(request, name="file"):
    """Spool every file part called ``name``; on error, discard what was spooled."""
    done = []
    try:
        for field in request.POST.getall(name):
            if not hasattr(field, "file"):
                continue
            done.append(spool_upload(field.file, field.filename, max_upload(request),
                                     request.registry.settings["archive.upload_tmp"]))
    except BaseException:
        discard_all(done)
        raise
    return done


def discard_all(spooled):
    for item in spooled:
        item.discard()


@subscriber(NewRequest)
def refuse_oversized(event):
    request = event.request
    length = request.content_length
    if length is not None and length > max_upload(request) + OVERHEAD:
        raise HTTPRequestEntityTooLarge(FileTooLarge.message)
