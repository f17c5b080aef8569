"""The search engine behind the archive's own small API.

``SearchService`` (one per application, on ``registry.search``) owns the
Whoosh index under ``archive.index_dir``:

* ``search(text, filters, principals, ...) -> Results``: permission-trimmed
  inside the query (the ``allow`` filter is applied before scoring, counting,
  faceting and highlighting), facets, sort by relevance or date, pages,
  highlighted snippets;
* ``index(docs)``, ``unindex(ids)``: idempotent by stable id;
* ``drain(db)``: apply the ZODB index queue (``archive.search.queue``);
* ``rebuild(root)``: a fresh index from the database, in chunks.

The index lives in generations: ``index_dir/gen-<n>/`` and a ``CURRENT`` file
naming the one in use, replaced atomically.  A rebuild writes a new
generation while searches go on in the old one, holding the old one's writer
lock so that no queued change is applied to the old generation meanwhile; the
changes wait in the queue and go to the new generation after the switch.

Whoosh never fsyncs: every commit of ours forces the files it wrote to disk
afterwards (``commit``), but a power cut during a commit may still leave them
truncated.  ``start`` checks the index; when it cannot be opened, searches
raise ``IndexRebuilding`` (the views say so) while the writer thread rebuilds
it from the database.  A search that fails on the index's files later also
answers ``IndexRebuilding`` and makes the writer thread check the index (and
rebuild it when the check fails).
"""
import contextlib
import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass, field

import transaction
from whoosh import highlight, index, sorting
from whoosh.index import LockError
from whoosh.query import And, Every, Or, Term

from archive.db import ROOT_KEY
from archive.resources import Dossier, Record

from .analysis import fold, folded_analyzer, normalize
from .columnar import ColumnarSearch, Unsupported
from .documents import document_for
from .query import build_query, highlight_terms, load_synonyms
from .queue import QUEUE_ATTR, get_queue
from .schema import make_schema

log = logging.getLogger(__name__)

FACETS = ("fonds", "year", "doc_type", "procedure", "retention", "access", "district")
CURRENT = "CURRENT"


def facet_value(name, value):
    """Facet values as indexed: text-valued ones (district) normalised, so
    that R'lấp and R’lấp are one value."""
    return normalize(str(value)) if name == "district" else str(value)


class IndexRebuilding(Exception):
    """The index is being rebuilt from the database; search is unavailable."""


@dataclass
class Hit:
    type: str
    id: str
    dossier_id: str
    title: str
    file_code: str
    doc_code: str
    snippet: str
    score: float
    fonds: str = ""
    date: str = ""


@dataclass
class Results:
    total: int
    hits: list
    facets: dict = field(default_factory=dict)
    page: int = 1
    size: int = 20

    @property
    def pages(self):
        return max(1, (self.total + self.size - 1) // self.size)


@dataclass(frozen=True)
class _Plan:
    query: object
    principals: tuple
    filters: dict
    sort: str


def _sorted_facets(groups):
    """Facet counts, most frequent first, empty values left out."""
    return {name: {k: v for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
                   if k not in (None, "")}
            for name, counts in groups.items()}


class SearchService:
    def __init__(self, index_dir, synonyms_path=None, batch=200, delay=0.0, cache_mb=128):
        self.index_dir = index_dir
        # seconds the writer thread waits before each rebuild or drain
        # (``archive.search.writer_delay``): lets tests see the queue and the
        # "being rebuilt" state before the writer acts; 0 in production
        self.delay = delay
        self.schema = make_schema()
        self.synonyms = load_synonyms(synonyms_path)
        self.batch = batch
        self.rebuilding = False
        self._ix = None
        self._ix_gen = None
        self._local = threading.local()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._suspect = threading.Event()  # a search failed: check the index
        self._deep_checked = -3600.0  # monotonic time of the last deep check
        self._synced = {}  # index file -> (size, mtime) when last fsynced
        self._thread = None
        self._lock = threading.RLock()
        self.analyzer = folded_analyzer()
        # decoded posting lists kept for the next queries (archive.search.cache_mb)
        self.columnar = ColumnarSearch(FACETS, cache_bytes=int(cache_mb) * 1024 * 1024)

    # ---------------------------------------------------------------- generations
    def _current_name(self):
        try:
            with open(os.path.join(self.index_dir, CURRENT)) as fh:
                return fh.read().strip() or None
        except FileNotFoundError:
            return None

    def _set_current(self, name):
        tmp = os.path.join(self.index_dir, CURRENT + ".tmp")
        with open(tmp, "w") as fh:
            fh.write(name)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, os.path.join(self.index_dir, CURRENT))

    def _new_generation(self):
        os.makedirs(self.index_dir, exist_ok=True)
        existing = [int(n[4:]) for n in os.listdir(self.index_dir)
                    if n.startswith("gen-") and n[4:].isdigit()]
        number = max(existing, default=0) + 1
        while True:  # another process may be starting a generation too
            name = f"gen-{number}"
            path = os.path.join(self.index_dir, name)
            try:
                os.makedirs(path)
                break
            except FileExistsError:
                number += 1
        index.create_in(path, self.schema)
        return name

    def _drop_old_generations(self, keep):
        for name in os.listdir(self.index_dir):
            if name.startswith("gen-") and name != keep:
                shutil.rmtree(os.path.join(self.index_dir, name), ignore_errors=True)

    def ix(self):
        """The current generation's index (reopened when CURRENT changed)."""
        with self._lock:
            name = self._current_name()
            if name is None:
                raise IndexRebuilding()
            if self._ix is None or self._ix_gen != name:
                self._ix = index.open_dir(os.path.join(self.index_dir, name), schema=self.schema)
                self._ix_gen = name
                self._local = threading.local()
            return self._ix

    def check(self, deep=False):
        """True when the current index opens and its files can be read.

        The quick check (at start) opens every segment, which reads each
        segment file's directory at its end: a truncated, emptied or missing
        file or a damaged TOC fails it.  ``deep`` also decodes every stored
        document, posting list and column (about a second per thousand
        documents): it finds what a power cut may leave inside a file of the
        right size (zeroed blocks), and runs after a search failed."""
        try:
            ix = self.ix()
            with ix.searcher() as searcher:
                reader = searcher.reader()
                count = searcher.doc_count_all()
                for fieldname in ("id", "folded", "allow"):
                    for _term in reader.lexicon(fieldname):
                        break
                if count:
                    for docnum in (0, count - 1):
                        if not reader.is_deleted(docnum):
                            reader.stored_fields(docnum)
                if deep:
                    for leaf, _offset in reader.leaf_readers():
                        _read_everything(leaf, self.schema)
            return True
        except Exception:
            log.warning("the search index cannot be read", exc_info=True)
            with self._lock:
                self._ix = None
            return False

    # ---------------------------------------------------------------- writing
    def writer(self, timeout=30.0):
        """A writer of the current generation.  Waiting for the lock may
        outlast a rebuild by another process: a writer of a generation that
        is no longer current is given up, or its changes would be lost with
        that generation."""
        while True:
            with self._lock:
                ix, name = self.ix(), self._ix_gen
            try:
                writer = ix.writer(timeout=timeout, limitmb=128)
            except OSError:
                if name != self._current_name():
                    continue  # a rebuild switched and removed that generation meanwhile
                raise
            if name == self._current_name():
                return writer
            writer.cancel()

    def commit(self, writer, **kwargs):
        """Commit ``writer``, then force the files it wrote and their
        directory to disk.  Whoosh never fsyncs: without this, a power cut
        in the next half minute could leave a committed (even a freshly
        rebuilt and switched-to) generation unreadable."""
        writer.commit(**kwargs)
        sync_directory(writer.storage.folder, self._synced)

    def index(self, docs, writer=None):
        """Add or replace documents (dicts of schema fields), by id."""
        own = writer is None
        writer = writer or self.writer()
        try:
            for doc in docs:
                writer.update_document(**doc)
        except BaseException:
            if own:
                writer.cancel()
            raise
        if own:
            self.commit(writer)

    def unindex(self, ids, writer=None):
        own = writer is None
        writer = writer or self.writer()
        for oid in ids:
            writer.delete_by_term("id", oid)
        if own:
            self.commit(writer)

    def apply(self, root, items, timeout=30.0):
        """Index (or remove) the objects of queue ``items`` as they are in ``root``."""
        writer = self.writer(timeout)
        try:
            for oid, _stamp in items:
                obj = root.objectmap.get(oid)
                doc = document_for(obj) if obj is not None else None
                if doc is None:
                    writer.delete_by_term("id", oid)
                else:
                    writer.update_document(**doc)
        except BaseException:
            writer.cancel()
            raise
        self.commit(writer)

    def drain(self, db, limit=None):
        """Apply the queue until it is empty (or ``limit`` entries); returns
        how many entries were applied."""
        applied = 0
        with archive_connection(db) as (tm, conn):
            while limit is None or applied < limit:
                with tm:
                    root = conn.root()[ROOT_KEY]
                    queue = get_queue(root, create=False)
                    items = queue.batch(self.batch) if queue is not None else []
                    if not items:
                        break
                    self.apply(root, items)
                remove_applied(tm, conn, items)
                applied += len(items)
        return applied

    def indexed_ids(self):
        """The ids of the live documents of the current index.  A deleted
        (or replaced) document keeps its terms in its segment's lexicon
        until the segment is merged: those ids are left out."""
        ids = set()
        with self.ix().searcher() as searcher:
            for reader, _offset in searcher.reader().leaf_readers():
                deletions = reader.has_deletions()
                for term in reader.lexicon("id"):
                    oid = term.decode("utf-8") if isinstance(term, bytes) else term
                    if deletions and not any(not reader.is_deleted(docnum) for docnum
                                             in reader.postings("id", term).all_ids()):
                        continue
                    ids.add(oid)
        return ids

    def pending(self, db):
        with archive_connection(db) as (tm, conn), tm:
            queue = get_queue(conn.root()[ROOT_KEY], create=False)
            return len(queue) if queue is not None else 0

    # ---------------------------------------------------------------- rebuild
    def rebuild(self, db, progress=None, chunk=500):
        """Build a new generation from the whole database and switch to it;
        ``progress(1)`` is called once per dossier.  Returns the number of
        documents indexed.

        The old generation's writer lock is held throughout, so the writer
        thread applies no queued change to it meanwhile; those changes stay
        queued and go to the new generation.  Memory stays bounded: the
        connection's cache is emptied after every chunk.

        The queue entries already in the database when the rebuild began
        are in the new generation: after the switch they are removed (each
        only if its stamp is unchanged, as ``drain`` does), so the writer
        does not index the whole archive a second time after, say,
        ``archive-sample``."""
        old_lock = None
        if self._current_name() is not None:
            try:
                old_lock = self.writer(timeout=600)
            except Exception:  # unreadable old generation: nothing to protect
                old_lock = None
        try:
            name = self._new_generation()
            ix = index.open_dir(os.path.join(self.index_dir, name), schema=self.schema)
            count = 0
            with archive_connection(db) as (tm, conn):
                with tm:
                    root = conn.root()[ROOT_KEY]
                    queue = get_queue(root, create=False)
                    covered = list(queue.entries.items()) if queue is not None else []
                    writer = ix.writer(limitmb=256)
                    try:
                        for obj in iter_indexable(root):
                            doc = document_for(obj)
                            if doc is None:
                                continue
                            writer.add_document(**doc)
                            count += 1
                            if progress is not None and doc["type"] == "dossier":
                                progress(1)
                            if count % chunk == 0:
                                conn.cacheMinimize()
                    except BaseException:
                        writer.cancel()
                        raise
                    self.commit(writer, optimize=False)
            self._set_current(name)
            with self._lock:
                self._ix = None
            with archive_connection(db) as (tm, conn):
                remove_applied(tm, conn, covered)
            return count
        finally:
            if old_lock is not None:
                old_lock.cancel()
            current = self._current_name()
            if current:
                self._drop_old_generations(keep=current)

    # ---------------------------------------------------------------- reading
    def searcher(self):
        ix = self.ix()
        local = self._local
        searcher = getattr(local, "searcher", None)
        if searcher is None:
            searcher = local.searcher = ix.searcher()
        elif not searcher.up_to_date():
            # A new searcher, not ``searcher.refresh()``: whoosh-reloaded's
            # refresh reuses the old segment readers with their old deletion
            # lists (a replaced document is found twice, old and new), keeps
            # merged-away segments, and fails on an empty index's reader.
            searcher.close()
            searcher = local.searcher = ix.searcher()
        return searcher

    def search(self, text, filters=None, principals=(), page=1, size=20, exact=False,
               sort="relevance"):
        """Search ``text`` among what ``principals`` may view.

        ``filters`` maps facet names to values.  Raises IndexRebuilding."""
        if self.rebuilding:
            raise IndexRebuilding()
        query = build_query(text or "", exact=exact, synonyms=self.synonyms)
        if query is None:
            query = Every()
        if not principals:
            return Results(0, [], {f: {} for f in FACETS}, page, size)
        filters = {name: facet_value(name, value) for name, value in (filters or {}).items()
                   if name in FACETS and value not in (None, "")}
        plan = _Plan(query, tuple(principals), filters, sort)
        terms = highlight_terms(query)
        try:
            try:
                return self._search(plan, page, size, terms)
            except IndexRebuilding:
                raise
            except Exception:
                if self._ix_gen == self._current_name():
                    raise
                # a rebuild (archive-reindex) switched generations and removed
                # the one read: once more, in the new one
                return self._search(plan, page, size, terms)
        except IndexRebuilding:
            raise
        except Exception as exc:
            # files gone or damaged under us (Whoosh raises anything from
            # OSError to struct.error and TypeError then): the user is told
            # the index is being rebuilt, and the writer thread checks it and
            # rebuilds it when it is unreadable
            log.exception("search failed; the index will be checked")
            self._suspect.set()
            self._wake.set()
            raise IndexRebuilding() from exc

    def _search(self, plan, page, size, terms):
        searcher = self.searcher()
        page = max(1, page)
        try:
            found = self.columnar.search(searcher, plan.query, plan.principals, plan.filters,
                                         (page - 1) * size, size, sort=plan.sort)
        except Unsupported as exc:
            log.debug("query evaluated by Whoosh: %s", exc)
            return self._whoosh_search(searcher, plan, page, size, terms)
        if found.total and not found.hits and page > 1:
            # past the last page: the last page, as Whoosh's search_page does
            page = (found.total + size - 1) // size
            found = self.columnar.search(searcher, plan.query, plan.principals, plan.filters,
                                         (page - 1) * size, size, sort=plan.sort)
        hits = [self._hit(searcher.stored_fields(doc), score, terms) for doc, score in found.hits]
        return Results(found.total, hits, _sorted_facets(found.facets), page, size)

    def _whoosh_search(self, searcher, plan, page, size, terms):
        """Whoosh's own search, for query shapes ``columnar`` does not know."""
        conditions = [Or([Term("allow", p) for p in plan.principals])]
        conditions += [Term(name, value) for name, value in plan.filters.items()]
        restrict = And(conditions) if len(conditions) > 1 else conditions[0]
        if next(iter(searcher.docs_for_query(restrict)), None) is None:
            # Whoosh takes a filter that matches nothing for no filter at
            # all (its totals would count what the user may not see)
            return Results(0, [], {f: {} for f in FACETS}, page, size)
        facets = {name: sorting.FieldFacet(name, maptype=sorting.Count) for name in FACETS}
        kwargs = {"filter": restrict, "groupedby": facets, "terms": False}
        if plan.sort == "date":
            kwargs["sortedby"] = sorting.FieldFacet("date", reverse=True)
        result_page = searcher.search_page(plan.query, page, pagelen=size, **kwargs)
        hits = [self._hit(hit.fields(), hit.score, terms) for hit in result_page]
        groups = {name: result_page.results.groups(name) for name in FACETS}
        return Results(result_page.total, hits, _sorted_facets(groups),
                       max(1, result_page.pagenum), size)

    def _hit(self, fields, score, terms):
        text = fields.get("folded", "")
        snippet = ""
        if text and terms:
            snippet = highlight.highlight(
                text, terms, self.analyzer, highlight.ContextFragmenter(maxchars=200, surround=60),
                highlight.HtmlFormatter(tagname="mark", between=" … "), top=2)
        if not snippet:
            snippet = highlight.htmlescape(text[:200])
        return Hit(type=fields.get("type", ""), id=fields.get("id", ""),
                   dossier_id=fields.get("dossier_id", ""), title=fields.get("title", ""),
                   file_code=fields.get("file_code", ""), doc_code=fields.get("doc_code", ""),
                   snippet=snippet, score=round(float(score or 0), 4),
                   fonds=fields.get("fonds", ""), date=fields.get("date", ""))

    # ---------------------------------------------------------------- the writer thread
    def start(self, db):
        """Start the single writer thread of this process: check the index
        (rebuild when missing or unreadable), then apply the queue whenever a
        transaction commits (``notify``) and every few seconds (changes made
        by other processes through ZEO)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, args=(db,), name="archive-indexer",
                                        daemon=True)
        if self._current_name() is None or not self.check():
            self.rebuilding = True
        self._thread.start()

    def notify(self):
        self._idle.clear()
        self._wake.set()

    def stop(self, timeout=10):
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wait_idle(self, timeout=30):
        """Wait until the writer thread has applied everything queued (tests)."""
        self.notify()
        return self._idle.wait(timeout)

    def _run(self, db, poll=2.0):
        while not self._stop.is_set():
            self._wake.clear()
            if self.delay and self._stop.wait(self.delay):
                break
            if self._suspect.is_set():  # a search failed: is the index readable?
                self._suspect.clear()
                # the deep check takes minutes on a large index: at most one
                # per ten minutes, lest a query that fails for another reason
                # keep the writer from indexing
                deep = time.monotonic() - self._deep_checked > 600
                if deep:
                    self._deep_checked = time.monotonic()
                if not self.check(deep=deep):
                    self.rebuilding = True
            if self.rebuilding:
                try:
                    log.warning("rebuilding the search index from the database")
                    started = time.monotonic()
                    count = self.rebuild(db)
                    log.warning("search index rebuilt: %s documents in %.1f s", count,
                                time.monotonic() - started)
                    self.rebuilding = False
                except Exception:
                    # searches keep saying "being rebuilt": try again
                    log.exception("rebuilding the search index failed; will retry")
                    self._stop.wait(poll)
                    continue
            try:
                self.drain(db)
            except LockError:
                pass  # a rebuild (archive-reindex) holds the index: try again later
            except Exception:
                log.exception("applying the search queue failed; will retry")
                self._stop.wait(poll)
            if not self._wake.is_set():
                self._idle.set()
            self._wake.wait(poll)


def _read_everything(reader, schema):
    """Decode every stored document, posting list and column of one segment."""
    for docnum in range(reader.doc_count_all()):
        if not reader.is_deleted(docnum):
            reader.stored_fields(docnum)
    for fieldname in reader.indexed_field_names():
        for term in reader.lexicon(fieldname):
            matcher = reader.postings(fieldname, term)
            while matcher.is_active():
                matcher.weight()
                matcher.next()
    for fieldname in schema.names():
        if reader.has_column(fieldname):
            for _value in reader.column_reader(fieldname):
                pass


def sync_directory(folder, synced):
    """fsync the files of ``folder`` that are new or changed since they
    were last synced (``synced``: path -> (size, mtime), updated), then the
    directory itself."""
    with synced_lock:
        seen = {}
        for name in os.listdir(folder):
            path = os.path.join(folder, name)
            try:
                st = os.stat(path)
                key = (st.st_size, st.st_mtime_ns)
                if synced.get(path) != key:
                    fd = os.open(path, os.O_RDONLY)
                    try:
                        os.fsync(fd)
                    finally:
                        os.close(fd)
                seen[path] = key
            except FileNotFoundError:  # removed meanwhile (Whoosh's cleanup)
                continue
        for path in [p for p in synced if os.path.dirname(p) == folder]:
            del synced[path]
        synced.update(seen)
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


synced_lock = threading.Lock()


@contextlib.contextmanager
def archive_connection(db):
    """A connection of its own, under an explicit transaction manager."""
    tm = transaction.TransactionManager(explicit=True)
    conn = db.open(tm)
    try:
        yield tm, conn
    finally:
        conn.close()


def remove_applied(tm, conn, items, chunk=5000):
    """Remove applied queue entries (those whose stamp is unchanged), a
    transaction per ``chunk``, retried on conflicts."""
    for start in range(0, len(items), chunk):
        part = items[start:start + chunk]
        for attempt in tm.attempts(10):
            with attempt:
                get_queue(conn.root()[ROOT_KEY]).done(part)
        conn.cacheMinimize()


def iter_indexable(root):
    """Every dossier and document of the archive, dossier by dossier."""
    for fonds in root["fonds"].values():
        for dossier in fonds.values():
            if isinstance(dossier, Dossier):
                yield dossier
                for record in dossier.values():
                    if isinstance(record, Record):
                        yield record


__all__ = ["SearchService", "Results", "Hit", "IndexRebuilding", "FACETS", "QUEUE_ATTR", "fold"]
