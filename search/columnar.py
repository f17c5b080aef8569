"""A vectorised evaluator of the archive's queries over Whoosh's segments.

Whoosh scores, filters and counts one posting at a time in Python; with the
permission filter and seven facets on, one query over 100,000 documents took
up to two seconds (``bench/search.py``).  The queries :func:`build_query`
makes are a small algebra -- ``Term`` (BM25F), ``CodeTerm`` (a flat score per
occurrence), ``Or`` and ``And`` (sum of the matching parts), ``AndMaybe``
(required part, plus the optional part where it matches) and ``Every`` --
which this module evaluates with NumPy over each segment as a whole:

* a posting list is read block by block from Whoosh's own files (the
  ``W3LeafMatcher`` blocks: a pickled tuple of delta-coded ids and one of
  frequencies), without a Python step per posting;
* each query node becomes two dense arrays over the segment's documents, a
  match mask and a score (a few hundred kilobytes at 100,000 documents);
* the permission filter is a mask (the union of the user's principals'
  postings), the facet filters and facet counts come from the facet columns
  turned once into integer codes per segment (``numpy.bincount``), and the
  page of hits is a partial sort.

Scores are Whoosh's: the same BM25F formula with the searcher's idf and
average field lengths and Whoosh's field lengths, a compound's boost applied
to the sum of its parts, on the query as built (``Searcher.search`` does not
normalise it: a repeated part counts twice, the boost of a compound of one
part is lost); ties are broken by document number, as Whoosh does.  ``tests/test_relevance.py`` checks totals, facet counts, pages,
the order of hits and scores against Whoosh's own search on its generated
archive; ``tests/test_search_columnar.py`` the caches and the limits.

What a segment needs (field lengths, facet codes, principals' masks, and
the decoded posting lists of long terms within a memory budget,
``archive.search.cache_mb``, 128 by default) is cached by segment id (a Whoosh segment never changes, only its deletions, kept
apart), so a commit of the index costs only the new small segment's load.
Queries of any other shape return ``None``: the caller then uses Whoosh's own
search.
"""
import heapq
import pickle
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query import And, AndMaybe, Every, Or, Term
from whoosh.scoring import BM25F

from .query import CodeTerm

__all__ = ["ColumnarSearch", "Evaluation", "Unsupported"]


class Unsupported(Exception):
    """The query has a node this evaluator does not know."""


@dataclass
class Evaluation:
    total: int
    hits: list          # [(global docnum, score)] of the requested page, best first
    facets: dict        # facet name -> {value: count}


class _Segment(object):
    """What queries need of one segment, loaded once.  Valid for any reader
    of the segment (they are passed in: each thread has its own searcher)."""

    def __init__(self, segid, size):
        self.segid = segid
        self.size = size
        self._lock = threading.Lock()
        self._lengths = {}
        self._columns = {}
        self._masks = OrderedDict()   # LRU of principals' masks

    def lengths(self, reader, fieldname):
        arr = self._lengths.get(fieldname)
        if arr is None:
            length = reader.doc_field_length
            arr = np.fromiter((length(i, fieldname, 0) for i in range(self.size)),
                              dtype=np.float64, count=self.size)
            self._lengths[fieldname] = arr
        return arr

    def column(self, reader, fieldname):
        """``(codes, labels)``: codes[doc] indexes labels (sorted strings)."""
        col = self._columns.get(fieldname)
        if col is None:
            if reader.has_column(fieldname):
                values = [v if isinstance(v, str) else "" for v in reader.column_reader(fieldname)]
            else:
                values = [""] * self.size
            labels, codes = np.unique(np.array(values, dtype=str), return_inverse=True)
            col = self._columns[fieldname] = (codes.astype(np.int32), labels)
        return col

    def term_mask(self, reader, fieldname, text):
        key = (fieldname, text)
        with self._lock:
            mask = self._masks.get(key)
            if mask is not None:
                self._masks.move_to_end(key)
                return mask
        ids, _ = read_postings(reader, fieldname, text)
        mask = np.zeros(self.size, dtype=bool)
        mask[ids] = True
        with self._lock:
            self._masks[key] = mask
            while len(self._masks) > 64:
                self._masks.popitem(last=False)
        return mask


_EMPTY = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))


class PostingCache(object):
    """Decoded posting lists of the longer terms, least recently used out,
    within ``budget`` bytes.  Decoding is what a query over a long list
    spends its time on (Whoosh's blocks are pickled, most of them
    compressed: about 0.5 us per posting); like the operating system's page
    cache under a native engine, this keeps the hot lists ready."""

    MIN_POSTINGS = 2048    # shorter lists decode in well under a millisecond

    def __init__(self, budget=128 * 1024 * 1024):
        self.budget = budget
        self.used = 0
        self._lists = OrderedDict()
        self._lock = threading.Lock()

    def get(self, segid, reader, fieldname, text):
        key = (segid, fieldname, text)
        with self._lock:
            found = self._lists.get(key)
            if found is not None:
                self._lists.move_to_end(key)
                return found
        ids, weights = read_postings(reader, fieldname, text)
        size = ids.nbytes + weights.nbytes
        if len(ids) >= self.MIN_POSTINGS and size <= self.budget // 4:
            with self._lock:
                if key not in self._lists:
                    self._lists[key] = (ids, weights)
                    self.used += size
                while self.used > self.budget:
                    _, (old_ids, old_weights) = self._lists.popitem(last=False)
                    self.used -= old_ids.nbytes + old_weights.nbytes
        return ids, weights

    def forget_except(self, segids):
        with self._lock:
            for key in [k for k in self._lists if k[0] not in segids]:
                ids, weights = self._lists.pop(key)
                self.used -= ids.nbytes + weights.nbytes


def read_postings(reader, fieldname, text):
    """``(ids, weights)`` of a term in one segment reader, deletions
    included (the caller masks them out); empty arrays if absent."""
    if (fieldname, text) not in reader:
        return _EMPTY
    m = reader.postings(fieldname, text)
    if isinstance(m, FilterMatcher):
        m = m.child
    id_parts, weight_parts = [], []
    if isinstance(m, W3LeafMatcher):
        # Whole blocks, as W3LeafMatcher._read_data/_read_ids/_read_weights
        # decode them, without a Python step per posting.
        while m.is_active():
            datalen = m._nextoffset - m._dataoffset
            raw = m._postfile.get(m._dataoffset, datalen)
            if m._compression:
                raw = zlib.decompress(raw)
            ids, weights, _ = pickle.loads(raw)
            ids = np.asarray(ids, dtype=np.int32)
            if not m._byteids:
                ids = np.cumsum(ids, dtype=np.int32)
            id_parts.append(ids)
            if weights is None:
                weight_parts.append(np.ones(len(ids), dtype=np.float32))
            elif isinstance(weights, float):
                weight_parts.append(np.full(len(ids), weights, dtype=np.float32))
            else:
                weight_parts.append(np.asarray(weights, dtype=np.float32))
            m._next_block()
        if not id_parts:
            return _EMPTY
        return np.concatenate(id_parts), np.concatenate(weight_parts)
    ids, weights = [], []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
    return np.asarray(ids, dtype=np.int32), np.asarray(weights, dtype=np.float32)


class ColumnarSearch(object):
    """Evaluates queries for one :class:`SearchService` (thread-safe; the
    per-segment caches are shared by its searchers)."""

    def __init__(self, facets, cache_bytes=128 * 1024 * 1024):
        self.facets = tuple(facets)
        self.postings = PostingCache(cache_bytes)
        self._segments = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------ segments
    def _segment(self, reader):
        segid = reader.segment().segment_id()
        with self._lock:
            seg = self._segments.get(segid)
            if seg is None:
                seg = self._segments[segid] = _Segment(segid, reader.doc_count_all())
            return seg

    def forget_except(self, readers):
        """Drop the caches of segments no longer in the index."""
        keep = {r.segment().segment_id() for r in readers}
        with self._lock:
            for segid in list(self._segments):
                if segid not in keep:
                    del self._segments[segid]
        self.postings.forget_except(keep)

    @staticmethod
    def _leaves(searcher):
        # an empty index's reader has no segment
        return [(r, base) for r, base in searcher.reader().leaf_readers()
                if r.segment() is not None]

    # ------------------------------------------------------------ search
    def search(self, searcher, query, principals, filters, offset, limit, sort="relevance"):
        """Evaluate ``query`` (a :func:`build_query` result, as it is: like
        Whoosh's ``Searcher.search``, without ``normalize()``) among the documents whose ``allow`` field holds one
        of ``principals`` and whose facet fields equal ``filters``.  Raises
        :class:`Unsupported` for a query shape it does not know."""
        weighting = searcher.weighting
        if not isinstance(weighting, BM25F):
            raise Unsupported(type(weighting).__name__)
        stats = _Stats(searcher, weighting, self.postings)
        _check(query)
        leaves = self._leaves(searcher)
        self.forget_except([r for r, _ in leaves])
        total = 0
        facet_counts = {name: {} for name in self.facets}
        candidates = []
        want = offset + limit
        for reader, base in leaves:
            seg = self._segment(reader)
            if seg.size == 0:
                continue
            matched, scores = _evaluate(query, reader, seg, stats)
            allowed = np.zeros(seg.size, dtype=bool)
            for principal in principals:
                allowed |= seg.term_mask(reader, "allow", principal)
            matched = matched & allowed
            if reader.has_deletions():
                deleted = np.fromiter(reader.deleted_docs_set, dtype=np.int64)
                matched[deleted] = False
            for name, value in filters.items():
                codes, labels = seg.column(reader, name)
                pos = np.searchsorted(labels, value)
                if pos >= len(labels) or labels[pos] != value:
                    matched[:] = False
                else:
                    matched &= codes == pos
            docs = np.flatnonzero(matched)
            total += len(docs)
            if not len(docs):
                continue
            for name in self.facets:
                codes, labels = seg.column(reader, name)
                counts = np.bincount(codes[docs], minlength=len(labels))
                out = facet_counts[name]
                for code in np.flatnonzero(counts):
                    label = str(labels[code])
                    out[label] = out.get(label, 0) + int(counts[code])
            doc_scores = scores[docs]
            if sort == "date":
                codes, labels = seg.column(reader, "date")
                keys = codes[docs]
                top = _top(-keys.astype(np.float64), docs, want, secondary=-doc_scores)
                candidates.extend((str(labels[codes[d]]), float(scores[d]), base + int(d))
                                  for d in top)
            else:
                top = _top(-doc_scores, docs, want)
                candidates.extend((float(scores[d]), base + int(d)) for d in top)
        if sort == "date":
            # newest first; equal dates by score, then by document number
            ranked = sorted(candidates, key=lambda c: (_Desc(c[0]), -c[1], c[2]))
            page = [(doc, score) for _, score, doc in ranked[offset:want]]
        else:
            ranked = heapq.nsmallest(want, candidates, key=lambda c: (-c[0], c[1]))
            page = [(doc, score) for score, doc in ranked[offset:want]]
        return Evaluation(total, page, facet_counts)


class _Desc(object):
    """Reverses the order of strings in a sort key."""
    __slots__ = ("s",)

    def __init__(self, s):
        self.s = s

    def __lt__(self, other):
        return self.s > other.s

    def __eq__(self, other):
        return self.s == other.s


def _top(keys, docs, want, secondary=None):
    """The ``want`` documents of ``docs`` with the smallest ``keys`` (ties by
    ``secondary`` then document number), in order."""
    n = len(docs)
    if want < n:
        kth = np.partition(keys, want - 1)[want - 1]
        keep = keys <= kth
        keys, docs = keys[keep], docs[keep]
        if secondary is not None:
            secondary = secondary[keep]
    order = (np.lexsort((docs, secondary, keys)) if secondary is not None
             else np.lexsort((docs, keys)))
    return docs[order[:want]]


class _Stats(object):
    """Index-wide statistics of the searcher, as Whoosh's scorers take them."""

    def __init__(self, searcher, weighting, postings):
        self.searcher = searcher
        self.weighting = weighting
        self.postings = postings
        self._idf = {}

    def idf(self, fieldname, text):
        key = (fieldname, text)
        value = self._idf.get(key)
        if value is None:
            value = self._idf[key] = self.searcher.idf(fieldname, text)
        return value

    def avgfl(self, fieldname):
        return self.searcher.avg_field_length(fieldname) or 1

    def B(self, fieldname):
        return self.weighting._field_B.get(fieldname, self.weighting.B)


def _check(query):
    if type(query) not in (Term, CodeTerm, And, Or, AndMaybe, Every):
        raise Unsupported(type(query).__name__)
    if isinstance(query, Or) and (query.minmatch or query.scale):
        raise Unsupported("Or with minmatch/scale")
    for child in query.children():
        _check(child)


def _evaluate(query, reader, seg, stats):
    """``(mask, scores)`` of ``query`` over the segment."""
    n = seg.size
    if isinstance(query, Every):
        return np.ones(n, dtype=bool), np.ones(n)  # Whoosh scores Every 1.0
    if isinstance(query, Term):
        mask = np.zeros(n, dtype=bool)
        scores = np.zeros(n)
        ids, tf = stats.postings.get(seg.segid, reader, query.fieldname, query.text)
        if not len(ids):
            return mask, scores
        mask[ids] = True
        schema_field = reader.schema[query.fieldname]
        if isinstance(query, CodeTerm):
            values = tf.astype(np.float64)  # Frequency weighting: the occurrences
        elif not schema_field.scorable:
            values = tf.astype(np.float64)
        else:
            K1 = stats.weighting.K1
            B = stats.B(query.fieldname)
            dl = seg.lengths(reader, query.fieldname)[ids]
            avgfl = stats.avgfl(query.fieldname)
            idf = stats.idf(query.fieldname, query.text)
            tf = tf.astype(np.float64)
            values = idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * dl / avgfl)))
        scores[ids] = values * query.boost
        return mask, scores
    if isinstance(query, AndMaybe):
        mask, scores = _evaluate(query.a, reader, seg, stats)
        bmask, bscores = _evaluate(query.b, reader, seg, stats)
        return mask, scores + np.where(mask & bmask, bscores, 0.0)
    if len(query.subqueries) == 1:
        # Whoosh takes the one part's matcher, and the compound's boost is lost
        return _evaluate(query.subqueries[0], reader, seg, stats)
    parts = [_evaluate(q, reader, seg, stats) for q in query.subqueries]
    if isinstance(query, And):
        mask = np.logical_and.reduce([m for m, _ in parts])
    else:
        mask = np.logical_or.reduce([m for m, _ in parts])
    scores = np.add.reduce([np.where(m, s, 0.0) for m, s in parts])
    if query.boost != 1.0:
        scores = scores * query.boost
    return mask, scores
