"""Query builder: what a user types in the search box -> a Whoosh query.

``build_query(text, exact=False, synonyms=None)`` (``None`` for a query with
nothing to search):

* Every word is required (AND across words).  A word is
  ``Or(Term("folded", f), Term("exact", e, boost=EXACT_BOOST))`` so that an
  exactly accented match ranks above a folded-only one (``đất`` above
  ``đạt`` for "đất", the reverse for "đạt").  When the query carries no
  diacritics at all ("ho so dat dai": the user did not type any), words are
  ``Term("folded", f)`` only and every accented form ranks alike.
* ``exact=True`` (the "exact tone marks" switch): ``Term("exact", e)`` only.
* Adjacent words add optional ``Term("pairs", "a_b", boost=PAIR_BOOST)``:
  documents with the words side by side rank higher.
* ``"quoted phrase"`` (also “typographic quotes”): every pair term of the
  phrase is required -- a phrase is term look-ups, never a positional
  ``Phrase`` query (2.3 s at 100k documents in Whoosh).
* Codes found by :func:`~archive.search.analysis.code_terms` (a pasted file
  code, ``504/KH-UBND``, an ID-card number) add
  ``CodeTerm("codes", c, boost=CODE_BOOST)`` (a flat score per code, not
  BM25) as an ALTERNATIVE to the words: the document with that code matches
  on it alone and comes first.
* Synonyms (:func:`load_synonyms`): when the words of one alternative of a
  group occur in the query (compared folded), the query also accepts any
  other alternative of the group -- one word as a term, several words as the
  AND of their pair terms (their AND of exact terms with ``exact=True``).
  Alternatives are scored down to about one term, so that the form the user
  typed ranks first.  A quoted phrase expands only when it is a whole
  alternative.

``highlight_terms(query)`` gives the ``folded`` terms to mark in a snippet
(exact, pair and code terms included, folded), for
``whoosh.highlight.highlight(text, terms, folded_analyzer(), ...)``.
"""
import os
import re
from functools import lru_cache

from whoosh.query import And, AndMaybe, Or, Term
from whoosh.scoring import Frequency
from whoosh.searching import SearchContext

from .analysis import PAIR_JOINER, code_terms, fold, pair_terms, tokens

__all__ = [
    "build_query",
    "highlight_terms",
    "load_synonyms",
    "parse_synonyms",
    "Synonyms",
    "EXACT_BOOST",
    "PAIR_BOOST",
    "CODE_BOOST",
    "ALT_BOOST",
    "CodeTerm",
    "DEFAULT_SYNONYMS",
]

EXACT_BOOST = 3.0
PAIR_BOOST = 1.5
# A synonym alternative scores at most about this fraction of one term.
ALT_BOOST = 0.5
# Score of one matched code: far above any text score (BM25F gives one word
# at most ~(1 + EXACT_BOOST) * 2.2 * idf, a few dozen), so the document
# with a pasted code comes first.
CODE_BOOST = 1000.0
DEFAULT_SYNONYMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "synonyms.txt")

_SEGMENT_RE = re.compile(r'["\u201c\u201d\u201e]([^"\u201c\u201d\u201e]*)(?:["\u201c\u201d\u201e]|$)')


# ---------------------------------------------------------------------------
# Synonyms

class Synonyms(object):
    """Groups of equivalent words or phrases.

    Each alternative is kept as ``(exact_tokens, folded_tokens)``; matching
    is on the folded tokens.  ``Synonyms()`` (no groups) disables expansion.
    """

    def __init__(self, groups=()):
        self.groups = []
        self._index = {}
        self.maxlen = 0
        for group in groups:
            alternatives = []
            seen = set()
            for alternative in group:
                toks = tokens(alternative)
                if not toks:
                    continue
                exact = tuple(t[0] for t in toks)
                folded = tuple(t[1] for t in toks)
                if exact in seen:
                    continue
                seen.add(exact)
                alternatives.append((exact, folded))
            if len(alternatives) < 2:
                continue
            number = len(self.groups)
            self.groups.append(alternatives)
            for exact, folded in alternatives:
                self._index.setdefault(folded, []).append(number)
                self.maxlen = max(self.maxlen, len(folded))

    def __len__(self):
        return len(self.groups)

    def __bool__(self):
        return bool(self.groups)

    def match(self, folded, start):
        """Longest alternative starting at ``folded[start]``:
        ``(length, [group, ...])`` or ``(0, [])``."""
        for length in range(min(self.maxlen, len(folded) - start), 0, -1):
            groups = self._index.get(tuple(folded[start:start + length]))
            if groups:
                return length, groups
        return 0, []

    def alternatives(self, groups, exact, folded, exact_mode):
        """The alternatives of ``groups`` other than the typed one."""
        out = []
        seen = {exact if exact_mode else folded}
        for number in groups:
            for alt_exact, alt_folded in self.groups[number]:
                key = alt_exact if exact_mode else alt_folded
                if key not in seen:
                    seen.add(key)
                    out.append((alt_exact, alt_folded))
        return out


def parse_synonyms(lines):
    """Groups from lines of ``a | b | c``; ``#`` starts a comment."""
    groups = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        alternatives = [a.strip() for a in line.split("|") if a.strip()]
        if len(alternatives) > 1:
            groups.append(alternatives)
    return Synonyms(groups)


def load_synonyms(path=None):
    """Read a synonym file (UTF-8); ``None``: the package's ``synonyms.txt``."""
    if path is None:
        return _default_synonyms()
    with open(path, encoding="utf-8") as f:
        return parse_synonyms(f)


@lru_cache(maxsize=1)
def _default_synonyms():
    with open(DEFAULT_SYNONYMS, encoding="utf-8") as f:
        return parse_synonyms(f)


# ---------------------------------------------------------------------------
# Query building

_FREQUENCY = Frequency()


class CodeTerm(Term):
    """A ``codes`` term scored ``boost`` per match, without BM25.

    BM25F makes a code term worth about one word (or less, when a code is
    shared by a dossier and its records), so that a text match of several
    words would outrank the document whose code was pasted; a flat score
    keeps the code match first whatever the rest of the query.
    (``whoosh.query.WeightingQuery`` would do this, but it drops the
    weighting it sets: ``context.set()`` returns a copy.)
    """

    def matcher(self, searcher, context=None):
        if context is None:
            context = SearchContext(weighting=_FREQUENCY)
        else:
            context = context.set(weighting=_FREQUENCY)
        return Term.matcher(self, searcher, context)


def _and(queries, boost=1.0):
    if len(queries) == 1 and boost == 1.0:
        return queries[0]
    return And(queries, boost=boost)


def _or(queries, boost=1.0):
    if len(queries) == 1 and boost == 1.0:
        return queries[0]
    return Or(queries, boost=boost)


def _segments(text):
    """``[(is_phrase, text), ...]``: quoted parts are phrases."""
    out = []
    pos = 0
    for m in _SEGMENT_RE.finditer(text):
        if m.start() > pos:
            out.append((False, text[pos:m.start()]))
        out.append((True, m.group(1)))
        pos = m.end()
    if pos < len(text):
        out.append((False, text[pos:]))
    return out


class _Builder(object):
    def __init__(self, exact_mode, accented, synonyms):
        self.exact_mode = exact_mode
        self.accented = accented
        self.synonyms = synonyms

    def word(self, exact, folded):
        if self.exact_mode:
            return Term("exact", exact)
        if self.accented:
            return Or([Term("folded", folded), Term("exact", exact, boost=EXACT_BOOST)])
        return Term("folded", folded)

    def words(self, toks):
        return [self.word(e, f) for e, f in toks]

    def alternative(self, exact, folded):
        """Clause for one synonym alternative, scored below the typed form."""
        if len(folded) == 1:
            if self.exact_mode:
                return Term("exact", exact[0], boost=ALT_BOOST)
            return Term("folded", folded[0], boost=ALT_BOOST)
        terms = [Term("pairs", p) for p in pair_terms(list(folded))]
        if self.exact_mode:
            terms += [Term("exact", e) for e in exact]
        return And(terms, boost=ALT_BOOST / len(terms))

    def expanded(self, typed_clause, toks, groups):
        exact = tuple(e for e, _ in toks)
        folded = tuple(f for _, f in toks)
        alternatives = self.synonyms.alternatives(groups, exact, folded, self.exact_mode)
        if not alternatives:
            return typed_clause
        return Or([typed_clause] + [self.alternative(e, f) for e, f in alternatives])

    def free(self, toks):
        """Required clauses for unquoted words, synonyms expanded."""
        clauses = []
        folded = [f for _, f in toks]
        synonyms = self.synonyms
        i = 0
        while i < len(toks):
            length, groups = synonyms.match(folded, i) if synonyms else (0, [])
            if length:
                span = toks[i:i + length]
                clauses.append(self.expanded(_and(self.words(span)), span, groups))
                i += length
            else:
                clauses.append(self.word(*toks[i]))
                i += 1
        return clauses

    def phrase(self, toks):
        """One required clause: all pair terms of the phrase, and its words."""
        words = self.words(toks)
        if len(toks) == 1:
            clause = words[0]
        else:
            pairs = [Term("pairs", p) for p in pair_terms([f for _, f in toks])]
            clause = And(pairs + words)
        if self.synonyms:
            folded = [f for _, f in toks]
            length, groups = self.synonyms.match(folded, 0)
            if length == len(toks):
                clause = self.expanded(clause, toks, groups)
        return clause


def build_query(text, exact=False, synonyms=None):
    """The Whoosh query for a search box input; ``None`` if there is nothing
    to search.  ``synonyms``: a :class:`Synonyms` (``load_synonyms(path)``),
    ``None`` for the package's list, ``Synonyms()`` for none."""
    if not text or not text.strip():
        return None
    if synonyms is None:
        synonyms = _default_synonyms()
    segments = []
    all_toks = []
    for is_phrase, segment in _segments(text):
        toks = [(e, f) for e, f, _, _ in tokens(segment)]
        if toks:
            segments.append((is_phrase, toks))
            all_toks.extend(toks)
    codes = code_terms(text)
    if not all_toks and not codes:
        return None
    # Did the user type any diacritics?  Apostrophes do not count.
    accented = any(e != f and e.replace("'", "") != f for e, f in all_toks)
    builder = _Builder(exact, accented, synonyms)

    required = []
    optional = []
    for is_phrase, toks in segments:
        if is_phrase:
            required.append(builder.phrase(toks))
        else:
            required.extend(builder.free(toks))
            optional.extend(Term("pairs", p, boost=PAIR_BOOST)
                            for p in pair_terms([f for _, f in toks]))

    text_query = None
    if required:
        text_query = _and(required)
        if optional:
            text_query = AndMaybe(text_query, _or(optional))
    if not codes:
        return text_query
    code_query = _or([CodeTerm("codes", c, boost=CODE_BOOST) for c in codes])
    if text_query is None:
        return code_query
    return Or([text_query, code_query])


def highlight_terms(query):
    """The ``folded`` terms to mark when highlighting the results of ``query``.

    Terms searched in ``exact`` are folded, pair terms split into their two
    syllables, codes into their folded tokens -- so the snippet marks what
    matched whichever field it matched in.  A frozenset of str (empty for
    ``None``).
    """
    if query is None:
        return frozenset()
    out = set()
    for fieldname, text in query.iter_all_terms():
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        if fieldname == "folded":
            out.add(text)
        elif fieldname == "exact":
            out.add(fold(text))
        elif fieldname == "pairs":
            out.update(text.split(PAIR_JOINER))
        elif fieldname == "codes":
            out.update(f for _, f, _, _ in tokens(text))
    return frozenset(out)
