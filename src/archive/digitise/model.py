"""What digitisation keeps about a file: its text page by page, the OCR
confidence of each page, the archivists' corrections, the scan's facts and
its rendition.

A ``FileText`` hangs off its StoredFile as ``stored.digitisation`` (absent on
files stored before this feature: read it with ``getattr``).  Each page is a
persistent object of its own, so that a correction rewrites one page, not
the whole text of a 400-page dossier.
"""
from persistent import Persistent
from persistent.list import PersistentList

from ..resources import utcnow

STATUSES = ("pending", "done", "failed", "not_needed")
ATTR = "digitisation"


class PageText(Persistent):
    """The text of one page: what the machine read (with its confidence, 0-100,
    None when it was not OCR) and the corrections, newest last."""

    def __init__(self, number, machine_text, confidence=None, flagged=False, method="ocr"):
        self.number = number
        self.machine_text = machine_text or ""
        self.confidence = confidence
        self.flagged = flagged
        self.method = method
        self.corrections = PersistentList()

    @property
    def text(self):
        return self.corrections[-1]["text"] if self.corrections else self.machine_text

    @property
    def corrected(self):
        return bool(self.corrections)

    @property
    def needs_review(self):
        return self.flagged and not self.corrections

    def correct(self, text, by, note=""):
        entry = {"text": text, "by": by, "at": utcnow(), "note": note or ""}
        self.corrections.append(entry)
        return entry


class FileText(Persistent):
    """The digitisation state of one original file."""

    error = None
    method = None
    dpi = colour_depth = colour_mode = page_count = None
    rendition_id = None
    rendition_status = "pending"
    rendition_note = ""
    rendition_pdfa = None
    job_id = None
    finished = None
    seconds = None
    engine = ""

    def __init__(self, status="pending"):
        self.status = status
        self.pages = PersistentList()
        self.created = utcnow()

    @property
    def text(self):
        return "\n\n".join(page.text for page in self.pages if page.text)

    @property
    def flagged_pages(self):
        return [page.number for page in self.pages if page.needs_review]

    def page(self, number):
        for page in self.pages:
            if page.number == number:
                return page
        return None


def file_state(stored, create=False):
    state = getattr(stored, ATTR, None)
    if state is None and create:
        state = FileText()
        setattr(stored, ATTR, state)
    return state


def text_status(stored):
    """"pending" | "done" | "failed" | "not_needed" for one file.  Renditions
    carry no text of their own (their source's is the text); an original never
    queued yet (stored before digitisation existed) counts as pending."""
    if stored.role != "original":
        return "not_needed"
    state = file_state(stored)
    return state.status if state is not None else "pending"


def record_text_status(record):
    """The state of a document's text over its originals: pending while any
    file waits, failed when any failed, done when any has text, else
    not_needed (no files, or none that has text to extract)."""
    statuses = {text_status(f) for f in record.values() if f.role == "original"}
    for status in ("pending", "failed", "done"):
        if status in statuses:
            return status
    return "not_needed"


def file_text(stored):
    """The stored text of a file (corrections preferred to the machine's), or
    None when nothing is stored: the caller may extract it itself."""
    state = file_state(stored)
    if state is None or state.status != "done":
        return None
    return state.text


def rendition_of(stored):
    state = file_state(stored)
    if state is None or not state.rendition_id or stored.__parent__ is None:
        return None
    return stored.__parent__.get(state.rendition_id)


def source_of(rendition):
    source = getattr(rendition, "source", None)
    if not source or rendition.__parent__ is None:
        return None
    return rendition.__parent__.get(source)
