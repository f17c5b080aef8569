"""Digitisation: the text of every original file, page by page, and a
searchable PDF/A-2b rendition of every scan (issue 4, DOMAIN.md §5).

- ``engine``: the run phase, free of ZODB: checks, text layers, DOCX/ODT
  text, and OCR: plain scans through ``scans`` (one Tesseract pass, PDF/A-2b
  by pikepdf), every other file through OCRmyPDF, office documents'
  renditions through LibreOffice (``office``); ``pdfa`` declares and
  validates PDF/A-2b;
- ``model``: ``FileText``/``PageText`` kept on each original as
  ``stored.digitisation``; ``text_status``, ``record_text_status``, ``file_text``;
- ``services``: queue a file, store a result (once), correct a page;
- ``handler``: the ``ocr`` job of ``archive.jobs``.

Every original added to a document (``FileAdded``) is marked pending and
queued in the same transaction; the job's store phase keeps the pages and
attaches the rendition (role ``rendition``, ``source`` = the original's id);
a job that fails for good marks the file failed with the job's reason.
"""
from pyramid.settings import asbool

from ..events import FileAdded
from ..resources import StoredFile, find_archive_root
from .model import (
    FileText, PageText, file_state, file_text, record_text_status, rendition_of, source_of,
    text_status,
)
from .services import JOB_KIND, correct_page, enqueue_text_job, find_rendition

__all__ = ["FileText", "PageText", "file_state", "file_text", "record_text_status", "rendition_of",
           "source_of", "text_status", "correct_page", "enqueue_text_job", "find_rendition",
           "JOB_KIND"]


def on_file_added(event, registry):
    stored = event.obj
    if not isinstance(stored, StoredFile) or stored.role != "original":
        return
    root = find_archive_root(stored)
    if root is None:
        return
    enqueue_text_job(root, stored, event.actor, registry=registry)


def on_job_failed(event):
    from .services import mark_failed

    job = event.obj
    if getattr(job, "kind", None) != JOB_KIND:
        return
    root = find_archive_root(job)
    if root is not None:
        mark_failed(root, job.payload.get("file_id"), job.error, job.id)


def on_job_retried(event):
    from .services import mark_pending

    job = event.obj
    if getattr(job, "kind", None) != JOB_KIND:
        return
    root = find_archive_root(job)
    if root is not None:
        mark_pending(root, job.payload.get("file_id"), job.id)


def includeme(config):
    from ..jobs.events import JobFailedEvent, JobRetried
    from .handler import OcrHandler

    config.include("archive.jobs")
    config.add_job_handler(JOB_KIND, OcrHandler())
    registry = config.registry  # events carry none; worker threads have no current one
    if asbool(config.get_settings().get("archive.ocr.auto", "true")):
        config.add_subscriber(lambda event: on_file_added(event, registry), FileAdded)
    config.add_subscriber(on_job_failed, JobFailedEvent)
    config.add_subscriber(on_job_retried, JobRetried)
