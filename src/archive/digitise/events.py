"""What digitisation does, journaled like every ArchiveEvent; the search
index re-queues the document on both (``archive.search.INDEXED_CHANGES``)."""
from ..events import ArchiveEvent


class TextStored(ArchiveEvent):
    """The text (and rendition) of an original file was stored; ``obj`` is the file."""

    action = "digitise.text"


class PageCorrected(ArchiveEvent):
    """An archivist corrected the text of one page; ``obj`` is the file."""

    action = "digitise.correct"
