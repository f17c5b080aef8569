"""Receiving, checking and storing computer files.

An upload is streamed in chunks into a temporary file beside the blob
directory, hashed (SHA-256) and counted on the way, never read whole into
memory; its media type is sniffed from the content and checked against an
allow-list; then the file is moved (renamed, not copied) into a ZODB blob.
The stored original is never modified afterwards.
"""
import hashlib
import os
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass

import filetype

from ..errors import EmptyFile, FileTooLarge, IncompleteUpload, UnsupportedMediaType
from ..events import FileAdded
from ..resources import StoredFile

CHUNK = 1024 * 1024

PDF = "application/pdf"
ODT = "application/vnd.oasis.opendocument.text"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ALLOWED = {
    PDF: ".pdf",
    "image/tiff": ".tif",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    ODT: ".odt",
    DOCX: ".docx",
    XLSX: ".xlsx",
}


@dataclass
class Spooled:
    """An upload received in full and checked, waiting to become a blob."""

    path: str
    name: str
    size: int
    sha256: str
    media_type: str

    def discard(self):
        if self.path and os.path.exists(self.path):
            os.unlink(self.path)
        self.path = None


def safe_filename(name, media_type=None):
    """A file name that is safe to store and to send back: no directories, no
    control characters, NFC, at most 200 characters, never empty."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().lstrip(".").strip()
    name = re.sub(r"\s+", " ", name)
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else name[:200]
    if not name:
        name = "tep" + ALLOWED.get(media_type, "")
    return name


def sniff(path):
    """The media type of the file at ``path`` judged by its content, or None."""
    kind = filetype.guess(path)
    mime = kind.mime if kind else None
    if mime in (PDF, "image/tiff", "image/jpeg", "image/png"):
        return mime
    # Office formats are ZIP files: decide by what is inside, not the name.
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
                if "mimetype" in names and archive.read("mimetype").strip() == ODT.encode():
                    return ODT
                if "[Content_Types].xml" in names:
                    if "word/document.xml" in names:
                        return DOCX
                    if "xl/workbook.xml" in names:
                        return XLSX
        except (zipfile.BadZipFile, OSError, KeyError):
            return None
    return None


def spool_upload(stream, filename, max_size, tmpdir, expected_size=None):
    """Copy ``stream`` in chunks into a temporary file under ``tmpdir``.

    Raises FileTooLarge past ``max_size`` bytes, IncompleteUpload when fewer
    bytes than ``expected_size`` arrive, EmptyFile, UnsupportedMediaType; the
    temporary file is removed whenever it raises.
    """
    if expected_size is not None and expected_size > max_size:
        raise FileTooLarge()
    os.makedirs(tmpdir, exist_ok=True)
    fd, path = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=tmpdir)
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_size:
                    raise FileTooLarge()
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if expected_size is not None and size != expected_size:
            raise IncompleteUpload()
        if size == 0:
            raise EmptyFile()
        media_type = sniff(path)
        if media_type not in ALLOWED:
            raise UnsupportedMediaType()
    except BaseException:
        if os.path.exists(path):
            os.unlink(path)
        raise
    return Spooled(path, safe_filename(filename, media_type), size, digest.hexdigest(), media_type)


def pdf_page_count(path, limit=512 * 1024 * 1024):
    """Pages of a PDF, or None when it cannot be read cheaply and strictly."""
    if os.path.getsize(path) > limit:
        return None
    try:
        from pypdf import PdfReader

        with open(path, "rb") as fh:
            return len(PdfReader(fh, strict=True).pages)
    except Exception:  # a broken PDF is still kept; its page count is unknown
        return None


def image_page_count(path, media_type):
    if media_type in ("image/jpeg", "image/png"):
        return 1
    if media_type == "image/tiff":
        try:
            from PIL import Image

            with Image.open(path) as im:
                return getattr(im, "n_frames", 1)
        except Exception:
            return None
    return None


def attach_file(record, spooled, registry, actor, role="original"):
    """Move a spooled upload into a new StoredFile of ``record``.

    The caller has checked that the record may change.  The blob is fsynced
    by the storage (``archive.storage``) before the transaction completes.
    """
    stored = StoredFile(spooled.name, spooled.size, spooled.media_type, spooled.sha256,
                        created_by=actor.login, role=role)
    if spooled.media_type == PDF:
        stored.page_count = pdf_page_count(spooled.path)
    else:
        stored.page_count = image_page_count(spooled.path, spooled.media_type)
    store_blob(record, stored, spooled)
    registry.notify(FileAdded(stored, actor, {"name": stored.name, "sha256": stored.sha256,
                                              "size": stored.size}))
    return stored


def store_blob(container, stored, spooled):
    """Move a spooled upload into the blob of ``stored`` (a new BlobFile) and
    add it to ``container``; the blob file is fsynced by the storage
    (``archive.storage``) before the transaction completes."""
    jar = _find_jar(container)
    if jar is not None:
        # Known to the connection, the blob takes the file into the storage's
        # own temporary directory: a rename on the same disk, not a copy.
        jar.add(stored)
        jar.add(stored.blob)
    stored.blob.consumeFile(spooled.path)
    spooled.path = None
    if jar is not None:
        # When the transaction is aborted, or fails to commit (a
        # ConflictError, retried), ZODB leaves a new blob's file in its
        # temporary directory until the Blob object happens to be garbage
        # collected: remove it as soon as the transaction is over.
        txn = jar.transaction_manager.get()
        txn.addAfterAbortHook(_remove_uncommitted, (stored.blob,))
        txn.addAfterCommitHook(_remove_uncommitted_unless_committed, (stored.blob,))
    container.add(stored.id, stored)
    return stored


def _remove_uncommitted(blob):
    path = getattr(blob, "_p_blob_uncommitted", None)
    if path and os.path.exists(path):
        os.remove(path)


def _remove_uncommitted_unless_committed(committed, blob):
    if not committed:
        _remove_uncommitted(blob)


def _find_jar(resource):
    while resource is not None:
        jar = getattr(resource, "_p_jar", None)
        if jar is not None:
            return jar
        resource = getattr(resource, "__parent__", None)
    return None


def blob_path(stored):
    """The path of a committed blob's file (for FileResponse, Range support)."""
    return stored.blob.committed()


def verify(stored):
    """Recompute a stored file's SHA-256; True when it matches."""
    digest = hashlib.sha256()
    with stored.blob.open("r") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest() == stored.sha256
