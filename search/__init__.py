"""Full-text search: Vietnamese-aware, permission-trimmed, transactional.

The archive's own small API (``registry.search``, a ``SearchService``):
``index(docs)``, ``unindex(ids)``, ``search(text, filters, principals, ...)
-> Results``; the engine (Whoosh today) stays behind it.

Changes reach the index through a queue kept in ZODB (``queue``): a
subscriber queues every changed dossier or document in the same transaction
as the change, and the single writer thread of the web process applies the
queue after the commit.  ``analysis`` holds the Vietnamese analysis,
``schema`` the index fields, ``query`` the query builder, ``documents`` what
is indexed for each object.
"""
import os

from pyramid.settings import asbool

from archive.digitise.events import PageCorrected, TextStored
from archive.events import (
    DossierClosed,
    DossierCreated,
    DossierModified,
    FileAdded,
    RecordFiled,
    RecordModified,
)

from .queue import enqueue
from .service import FACETS, Hit, IndexRebuilding, Results, SearchService

__all__ = ["SearchService", "Results", "Hit", "IndexRebuilding", "FACETS", "start_writer"]

INDEXED_CHANGES = (DossierCreated, DossierModified, DossierClosed, RecordFiled, RecordModified,
                   FileAdded, TextStored, PageCorrected)


def make_change_subscriber(service):
    def queue_change(event):
        enqueue(event.obj, on_commit=service.notify)
    return queue_change


def start_writer(registry, db):
    """Start the writer thread, unless ``archive.search.writer`` is off (the
    scripts turn it off: the web process is the one writer)."""
    if asbool(registry.settings.get("archive.search.writer", "true")):
        registry.search.start(db)


def includeme(config):
    settings = config.get_settings()
    index_dir = settings.get("archive.index_dir") or os.path.join(settings["archive.var"], "index")
    service = SearchService(index_dir, settings.get("archive.search.synonyms") or None,
                            # tests only: the writer waits this long before it acts
                            delay=float(settings.get("archive.search.writer_delay") or 0),
                            # memory for decoded posting lists (search/columnar.py)
                            cache_mb=int(settings.get("archive.search.cache_mb") or 128))
    config.registry.search = service
    subscriber = make_change_subscriber(service)
    for event_type in INDEXED_CHANGES:
        config.add_subscriber(subscriber, event_type)
