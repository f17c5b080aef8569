"""Digitisation services: queue a file, store a run's result, correct a page."""
import hashlib
import logging
import os

from ..events import Actor
from ..i18n import _
from ..resources import StoredFile, utcnow
from ..services.dossiers import ensure_open
from ..services.files import CHUNK, Spooled, attach_file
from . import errors
from .engine import IMAGES, PDF, XML_TEXT
from .events import PageCorrected, TextStored
from .model import PageText, file_state, rendition_of

log = logging.getLogger(__name__)

JOB_KIND = "ocr"
WORKER = Actor("system", "worker:ocr")
MAX_PAGE_TEXT = 100_000


def needs_text_job(stored):
    return stored.role == "original" and (stored.media_type in (PDF,) + IMAGES
                                          or stored.media_type in XML_TEXT)


def enqueue_text_job(root, stored, actor, registry=None):
    """Mark ``stored`` pending and queue its ``ocr`` job (in the current
    transaction); files with nothing to read are marked not_needed."""
    from ..jobs import enqueue_job  # the queue is optional for the model functions

    state = file_state(stored, create=True)
    if not needs_text_job(stored):
        state.status = "not_needed"
        state.rendition_status = "not_needed"
        return None
    state.status = "pending"
    state.error = None
    job = enqueue_job(root, JOB_KIND, {"file_id": stored.id}, actor=actor,
                      title=_("Nhận dạng văn bản: ${name}", mapping={"name": stored.name}),
                      dedupe_key=f"{JOB_KIND}:{stored.id}", registry=registry, context=stored)
    state.job_id = job.id
    return job


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def rendition_name(name):
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{stem}.pdfa.pdf"


def find_rendition(stored):
    """The rendition of ``stored``: the one its state names, or any file of
    the record made from it."""
    found = rendition_of(stored)
    if found is not None:
        return found
    record = stored.__parent__
    for other in record.values() if record is not None else ():
        if other.role == "rendition" and getattr(other, "source", None) == stored.id:
            return other
    return None


def store_result(root, file_id, result, registry, actor=WORKER, job_id=None):
    """Keep a run's result (``engine.Result``) on the file: its pages, facts
    and rendition.  Idempotent: a second result for the same file (a job run
    again) never makes a second rendition and never drops a correction."""
    stored = root.objectmap.get(file_id)
    if not isinstance(stored, StoredFile):
        raise errors.FileGone()
    state = file_state(stored, create=True)
    corrected = any(page.corrected for page in state.pages)
    if not corrected:
        state.pages = type(state.pages)()
        for page in result.pages:
            state.pages.append(PageText(page.number, page.text[:MAX_PAGE_TEXT], page.confidence,
                                        page.flagged, page.method))
    state.method = result.method
    state.dpi, state.colour_depth, state.colour_mode = result.dpi, result.colour_depth, result.colour_mode
    state.page_count = result.page_count
    if stored.page_count is None and result.page_count:
        stored.page_count = result.page_count
    state.engine = result.engine
    state.seconds = round(result.seconds, 2)
    state.finished = utcnow()
    state.error = None
    state.job_id = job_id or state.job_id
    state.status = result.status
    existing = find_rendition(stored)
    dossier = stored.__parent__.dossier if stored.__parent__ is not None else None
    if existing is None and result.rendition_path and dossier is not None and dossier.closed:
        # a closed dossier is read-only: its text is kept, no file is added
        _remove_after_commit(stored, result.rendition_path)
        result.rendition_path = None
        result.rendition_status = "failed"
        result.rendition_note = _("Hồ sơ đã đóng trước khi bản chuyển đổi PDF/A làm xong: "
                                  "không thêm tệp vào hồ sơ đã đóng.")
    if existing is not None:
        state.rendition_id = existing.id
        state.rendition_status = "done"
        if result.rendition_path:  # never a second one: the run's file is dropped
            _remove_after_commit(stored, result.rendition_path)
    elif result.rendition_path:
        rendition = _attach_rendition(stored, result.rendition_path, registry, actor)
        state.rendition_id = rendition.id
        state.rendition_status = "done"
    else:
        state.rendition_status = result.rendition_status
    state.rendition_note = result.rendition_note
    state.rendition_pdfa = result.rendition_pdfa
    registry.notify(TextStored(stored, actor, {
        "name": stored.name, "pages": len(state.pages), "method": state.method,
        "flagged": state.flagged_pages, "rendition": state.rendition_id}))
    return state


def _attach_rendition(stored, path, registry, actor):
    """A new StoredFile of the same record, role "rendition", ``source`` the
    original's id.  The run's file is hard-linked (or copied) first: the blob
    consumes the link, so a retried transaction finds the file again."""
    import shutil

    link = f"{path}.{os.urandom(6).hex()}"
    try:
        os.link(path, link)
    except OSError:
        shutil.copyfile(path, link)
    spooled = Spooled(link, rendition_name(stored.name), os.path.getsize(link), sha256_of(link), PDF)
    try:
        rendition = attach_file(stored.__parent__, spooled, registry, actor, role="rendition")
    except BaseException:
        spooled.discard()
        raise
    rendition.source = stored.id
    _remove_after_commit(stored, path)  # the run's file goes once the rendition is committed
    return rendition


def _remove_after_commit(stored, path):
    jar = stored._p_jar
    if jar is not None:
        jar.transaction_manager.get().addAfterCommitHook(_remove_when_committed, (path,))


def _remove_when_committed(committed, path):
    if committed and os.path.exists(path):
        os.unlink(path)


def mark_failed(root, file_id, message, job_id=None):
    stored = root.objectmap.get(file_id)
    if not isinstance(stored, StoredFile):
        return None
    state = file_state(stored, create=True)
    if state.status == "done":
        return state  # an earlier run stored the text: keep it
    state.status = "failed"
    state.error = message
    state.rendition_status = "failed" if needs_text_job(stored) else "not_needed"
    state.finished = utcnow()
    if job_id:
        state.job_id = job_id
    return state


def mark_pending(root, file_id, job_id=None):
    stored = root.objectmap.get(file_id)
    if not isinstance(stored, StoredFile):
        return None
    state = file_state(stored, create=True)
    if state.status != "done":
        state.status = "pending"
        state.error = None
    return state


def correct_page(stored, number, text, registry, actor, note=""):
    """Keep an archivist's text of page ``number`` beside the machine's (both
    kept, with who and when).  Raises NoSuchPage, DossierClosed, ValidationFailed."""
    from ..errors import ValidationFailed

    ensure_open(stored.__parent__.dossier)
    state = file_state(stored)
    page = state.page(number) if state is not None else None
    if page is None:
        raise NoSuchPage()
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > MAX_PAGE_TEXT:
        raise ValidationFailed(fields={"text": _("Văn bản của một trang tối đa 100 000 ký tự.")})
    if text == page.text:
        return page
    entry = page.correct(text, actor.login, note)
    registry.notify(PageCorrected(stored, actor, {
        "name": stored.name, "page": number, "version": len(page.corrections), "note": entry["note"]}))
    return page


class NoSuchPage(errors.DigitiseError):
    status = 404
    message = _("Không có trang này trong văn bản đã nhận dạng.")


