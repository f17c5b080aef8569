"""Vietnamese text analysis for the search index.

Vietnamese is written with a space between syllables, so a syllable is a
token; what needs care is the many ways one syllable can be encoded:

* NFC or NFD (macOS, PDFs and some keyboards send decomposed text);
* tone mark placement: ``hòa``/``hoà``, ``thủy``/``thuỷ``, ``Ủy``/``Uỷ``,
  ``khỏe``/``khoẻ``, ``quý``/``qúy``;
* apostrophes in minority place names: ``R'lấp``, ``R’lấp``, ``Rʼlấp``;
* and users who type without any diacritics at all.

Functions
---------
``normalize(text)``
    NFC, apostrophes unified to ``'``, tone mark moved to its canonical
    vowel in every syllable.  Case and diacritics are kept: for comparing
    display strings (facet values, names).
``fold(text)``
    ``normalize`` + lower-case + every diacritic removed (tone marks, ơ→o,
    ư→u, ă/â→a, ê→e, ô→o) + đ→d + in-word apostrophes joined
    (``R'lấp`` → ``rlap``).  What a user typing without diacritics types.
``exact_analyzer()``, ``folded_analyzer()``, ``pairs_analyzer()``
    Whoosh analyzers for the ``exact``, ``folded`` and ``pairs`` fields.
``code_terms(text)``, ``code_field_text(codes)``
    Codes (file codes, organ ids, procedure and receipt codes, document
    numbers such as ``504/KH-UBND``, ID-card and tax numbers) as single
    keyword terms, for the query side and the document side.

Tokenisation
------------
A token is a run of Unicode letters and digits (``\\w`` without ``_``, plus
combining marks so that NFD text is not split inside a syllable).  Two runs
joined by one apostrophe (``' ’ ‘ ʼ ` ´``) form ONE token: ``R'lấp`` is the
exact token ``r'lấp`` (apostrophe unified) and the folded token ``rlap``, so
``rlap``, ``R'lap``, ``R’lấp`` and ``r'lấp`` all find it.  Everything else
(spaces, punctuation, ``/ - . _``) separates tokens: ``504/KH-UBND`` is the
tokens ``504 kh ubnd`` in the text fields and the single term
``504/kh-ubnd`` in the ``codes`` field.  No stop words are removed (folded
syllables collide with English stop words: thẻ→the, cản→can, tờ→to), one-letter
syllables (``ở``, ``Ý``, ``a``) and numbers (``067123456789``) are kept.

Canonical tone placement (one rule for every syllable)
------------------------------------------------------
The syllable is parsed as initial consonants + vowel nucleus + final
consonants, where ``qu`` and ``gi`` (before another vowel) belong to the
initial.  The tone mark goes on:

1. the last vowel carrying a vowel diacritic (ă â ê ô ơ ư) if there is one
   (``thuở``, ``người``, ``quyết``, ``giữa``);
2. otherwise the only vowel of a one-vowel nucleus;
3. otherwise, when a final consonant follows, the last vowel (``hoàng``,
   ``huỳnh``);
4. otherwise the FIRST vowel of a two-vowel nucleus (``hòa``, ``thủy``,
   ``Ủy``, ``khỏe``, ``mía``, ``múa``) -- the traditional placement, the
   most common in administrative texts ("Ủy ban nhân dân");
5. otherwise the middle vowel of a three-vowel nucleus (``ngoài``,
   ``khuỷu``).

Words that are not one Vietnamese syllable (more than one vowel group, as in
``José``) keep their marks where they are; a second tone mark on one
syllable (a typing slip) is dropped.

Offsets
-------
The analyzers tokenise the ORIGINAL text and normalise each token on its
own, so ``startchar``/``endchar`` always index the text as given (NFD or
not) and Whoosh's highlighter marks the original words.  Per-token work is
cached (``lru_cache``): a Vietnamese corpus has a few thousand syllables.

The analyzer classes are pickled into the Whoosh index's schema: do not
rename or move them without rebuilding the index.
"""
import re
import unicodedata
from functools import lru_cache

from whoosh.analysis import Token, Tokenizer

__all__ = [
    "normalize",
    "fold",
    "fold_token",
    "exact_token",
    "tokens",
    "exact_analyzer",
    "folded_analyzer",
    "pairs_analyzer",
    "code_terms",
    "code_field_text",
    "canonical_code",
    "pair_terms",
    "PAIR_JOINER",
]

PAIR_JOINER = "_"

# Apostrophe look-alikes: right/left single quotation mark, modifier letter
# apostrophe, grave accent, acute accent.
_APOSTROPHES = "\u2019\u2018\u02bc`\u00b4"
_APOS_TABLE = str.maketrans({c: "'" for c in _APOSTROPHES})

# Letters and digits plus combining diacritics (NFD input); in-word
# apostrophes join two runs into one token.  "_" is a word character for
# the regex engine: the tokenizers blank it out first (same length, so the
# offsets hold) because it is the pair joiner.
_TOKEN_RE = re.compile(
    r"[\w\u0300-\u036f]+(?:['\u2019\u2018\u02bc`\u00b4][\w\u0300-\u036f]+)*"
)
_SYLLABLE_RE = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+")

# Tone marks (as combining characters) and vowel-quality marks.
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền sắc ngã hỏi nặng
_VOWELS = frozenset("aeiouyAEIOUY")


def _build_fold_table():
    table = {}
    for cp in list(range(0x00C0, 0x0250)) + list(range(0x1E00, 0x1F00)):
        ch = chr(cp)
        d = unicodedata.normalize("NFD", ch)
        if len(d) > 1 and d[0].isascii() and all(unicodedata.combining(c) for c in d[1:]):
            table[cp] = d[0]
    for cp in range(0x0300, 0x0370):  # stray combining marks
        table[cp] = None
    table[ord("đ")] = "d"
    table[ord("Đ")] = "D"
    table[ord("'")] = None  # in-word apostrophes only ever reach this table
    return table


_FOLD_TABLE = _build_fold_table()
_FOLD_TABLE_KEEP_APOS = dict(_FOLD_TABLE)
del _FOLD_TABLE_KEEP_APOS[ord("'")]
_INWORD_APOS_RE = re.compile(r"(?<=[^\W_])'(?=[^\W_])")


# ---------------------------------------------------------------------------
# Tone placement

def _retone_syllable(word):
    """Move the tone mark of one apostrophe-free word to its canonical vowel.

    ``word`` is NFC; returns NFC.  Words that are not one syllable are
    returned unchanged.
    """
    d = unicodedata.normalize("NFD", word)
    tone = None
    clusters = []  # [base, modifiers]
    for ch in d:
        if ch in _TONES:
            if tone is None:
                tone = ch
            continue
        if clusters and unicodedata.combining(ch):
            clusters[-1][1] += ch
        else:
            clusters.append([ch, ""])
    if tone is None:
        return word
    # One group of vowels: consonants* vowels+ consonants*
    start = end = -1
    for i, (base, _) in enumerate(clusters):
        if base in _VOWELS:
            if start < 0:
                start = i
            elif end >= 0:
                return word  # a second vowel group: not one syllable
        elif start >= 0 and end < 0:
            end = i
    if start < 0:
        return word  # a tone mark on no vowel: leave it
    if end < 0:
        end = len(clusters)
    if end - start > 1 and start >= 1:
        # qu- and gi- (before another vowel) are initials: quý, già, giữa
        initial = clusters[start - 1][0].lower()
        vowel = clusters[start][0].lower()
        if (initial == "q" and vowel == "u") or (initial == "g" and vowel == "i" and start == 1):
            start += 1
    marked = [i for i in range(start, end) if clusters[i][1]]
    n = end - start
    if marked:
        pos = marked[-1]
    elif n == 1:
        pos = start
    elif end < len(clusters):
        pos = end - 1
    elif n == 2:
        pos = start
    else:
        pos = start + 1
    clusters[pos][1] += tone
    return unicodedata.normalize("NFC", "".join(b + m for b, m in clusters))


@lru_cache(maxsize=65536)
def _retone_word(word):
    """Canonical tone placement for a word that may contain apostrophes."""
    if "'" in word:
        return "'".join(_retone_syllable(part) for part in word.split("'"))
    return _retone_syllable(word)


def _retone_match(match):
    word = match.group(0)
    if word.isascii():
        return word
    return _retone_word(word)


def normalize(text):
    """NFC, unified apostrophes and canonical tone placement; keeps case.

    >>> normalize("Uỷ ban hoà giải") == normalize("Ủy ban hòa giải")
    True
    """
    if text.isascii():
        return text.replace("`", "'") if "`" in text else text
    text = unicodedata.normalize("NFC", text).translate(_APOS_TABLE)
    return _SYLLABLE_RE.sub(_retone_match, text)


def fold(text):
    """Lower-case, all diacritics off, đ→d, in-word apostrophes joined.

    >>> fold("Đắk R’lấp, Ủy ban")
    'dak rlap, uy ban'
    """
    if text.isascii():
        text = text.lower()
        if "'" in text or "`" in text:
            text = _INWORD_APOS_RE.sub("", text.replace("`", "'"))
        return text
    text = unicodedata.normalize("NFC", text).translate(_APOS_TABLE).lower()
    text = _INWORD_APOS_RE.sub("", text)
    return text.translate(_FOLD_TABLE_KEEP_APOS)


# ---------------------------------------------------------------------------
# Per-token forms (cached)

def _compute_forms(raw):
    """(exact, folded) forms of one raw token as found in a text."""
    if raw.isascii():
        exact = raw.lower()
        if "`" in exact:
            exact = exact.replace("`", "'")
        return exact, exact.replace("'", "") if "'" in exact else exact
    word = unicodedata.normalize("NFC", raw).translate(_APOS_TABLE)
    exact = _retone_word(word).lower()
    return exact, exact.translate(_FOLD_TABLE)


# One cache per form, so that the tokenizers' inner loop is one call.
# ~15 MB each at most; the few thousand common syllables always stay in.
@lru_cache(maxsize=65536)
def _exact_form(raw):
    return _compute_forms(raw)[0]


@lru_cache(maxsize=65536)
def _folded_form(raw):
    return _compute_forms(raw)[1]


def _forms(raw):
    return _exact_form(raw), _folded_form(raw)


def exact_token(raw):
    """The ``exact`` field form of one token (lower-cased, canonical tones)."""
    return _exact_form(raw)


def fold_token(raw):
    """The ``folded`` field form of one token."""
    return _folded_form(raw)


def tokens(text):
    """``[(exact, folded, startchar, endchar), ...]`` for the query builder."""
    forms = _forms
    out = []
    if "_" in text:
        text = text.replace("_", " ")
    for m in _TOKEN_RE.finditer(text):
        exact, folded = forms(m.group(0))
        out.append((exact, folded, m.start(), m.end()))
    return out


# ---------------------------------------------------------------------------
# Whoosh analyzers.  One class per field, tokenising and normalising in one
# generator (no filter chain: every generator layer costs per token).

class _VietnameseTokenizer(Tokenizer):
    _form = staticmethod(_folded_form)

    def __eq__(self, other):
        return other is not None and self.__class__ is other.__class__

    def __hash__(self):
        return hash(self.__class__)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        form = self._form
        if not tokenize:
            t.original = value
            t.text = form(value)
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar = start_char
                t.endchar = start_char + len(value)
            yield t
            return
        if "_" in value:
            value = value.replace("_", " ")
        if not (positions or chars or keeporiginal):
            # What the writer asks for (frequency-only fields): the fast path.
            for raw in _TOKEN_RE.findall(value):
                t.text = form(raw)
                yield t
            return
        pos = start_pos
        for m in _TOKEN_RE.finditer(value):
            raw = m.group(0)
            t.text = form(raw)
            if keeporiginal:
                t.original = raw
            if positions:
                t.pos = pos
                pos += 1
            if chars:
                t.startchar = start_char + m.start()
                t.endchar = start_char + m.end()
            yield t


class ExactTokenizer(_VietnameseTokenizer):
    """Tokens lower-cased, NFC, tone placement canonical, marks kept."""
    _form = staticmethod(_exact_form)


class FoldedTokenizer(_VietnameseTokenizer):
    """Tokens folded as :func:`fold`."""
    _form = staticmethod(_folded_form)


class PairsTokenizer(_VietnameseTokenizer):
    """Folded pairs of adjacent tokens joined with ``_``: ``ho_so so_dat``.

    A pair's chars span both syllables; its position is the first one's.
    A text of one token yields no pair.
    """

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if "_" in value:
            value = value.replace("_", " ")
        if not (positions or chars or keeporiginal):
            folded = list(map(_folded_form, _TOKEN_RE.findall(value)))
            for a, b in zip(folded, folded[1:]):
                t.text = a + "_" + b
                yield t
            return
        form = _folded_form
        prev = None
        prevstart = 0
        pos = start_pos
        for m in _TOKEN_RE.finditer(value):
            folded = form(m.group(0))
            if prev is not None:
                t.text = prev + "_" + folded
                if keeporiginal:
                    t.original = value[prevstart:m.end()]
                if positions:
                    t.pos = pos
                    pos += 1
                if chars:
                    t.startchar = start_char + prevstart
                    t.endchar = start_char + m.end()
                yield t
            prev = folded
            prevstart = m.start()


def exact_analyzer():
    """Analyzer of the ``exact`` field."""
    return ExactTokenizer()


def folded_analyzer():
    """Analyzer of the ``folded`` field."""
    return FoldedTokenizer()


def pairs_analyzer():
    """Analyzer of the ``pairs`` field."""
    return PairsTokenizer()


def pair_terms(folded_tokens):
    """``["a_b", "b_c", ...]`` for a sequence of folded tokens."""
    return [a + PAIR_JOINER + b for a, b in zip(folded_tokens, folded_tokens[1:])]


# ---------------------------------------------------------------------------
# Codes

# Spaces typed around "/" and "-" inside a code ("504 / KH-UBND").
_CODE_SPACES_RE = re.compile(r"(?<=[^\W_])\s*([/\-])\s*(?=[^\W_])")
# Alphanumeric runs joined by "." "/" "-": 000.00.17.H17.2024.01.TCCB,
# H17.1.2, 1.001193, 000.00.21.H17-240315-0012, 504/KH-UBND, 12/2024/NĐ-CP.
_CODE_RE = re.compile(r"(?<![\w./\-])[^\W_]+(?:[./\-][^\W_]+)+(?![\w/\-]|\.[^\W_])")
# ID numbers (9 or 12 digits), tax codes (10, or 13 with the branch suffix
# written without its dash), and any other long number.
_NUMBER_RE = re.compile(r"(?<![\w./\-])\d{9,13}(?![\w/\-]|\.\d)")
_DIGIT_RE = re.compile(r"\d")


def canonical_code(code):
    """The ``codes`` term of one code: folded (``QĐ`` is typed ``QD``), no spaces.

    >>> canonical_code("504 / QĐ-UBND")
    '504/qd-ubnd'
    """
    code = fold(code.strip())
    return _CODE_SPACES_RE.sub(r"\1", code)


def code_terms(text):
    """Codes found in a text or a query, as ``codes`` field terms.

    A code is a run of letters/digits joined by ``.``, ``/`` or ``-`` that
    contains a digit (file, doc, organ, procedure and receipt codes, document
    numbers, dates), or a number of 9 to 13 digits (ID-card numbers, tax
    codes).  Terms are folded and lower-cased (``504/QĐ-UBND`` →
    ``504/qd-ubnd``); spaces around ``/`` and ``-`` are ignored.  Order of
    appearance, no duplicates.
    """
    if not text or not _DIGIT_RE.search(text):
        return []
    folded = _CODE_SPACES_RE.sub(r"\1", fold(text))
    found = []
    seen = set()
    for m in _CODE_RE.finditer(folded):
        term = m.group(0)
        if term not in seen and _DIGIT_RE.search(term):
            seen.add(term)
            found.append(term)
    for m in _NUMBER_RE.finditer(folded):
        term = m.group(0)
        if term not in seen:
            seen.add(term)
            found.append(term)
    return found


def code_field_text(codes):
    """The text to store into the ``codes`` field for a document's codes.

    ``codes`` is an iterable of codes as written (file_code, doc_code,
    organ id, procedure code, receipt code, document number, ID numbers, tax
    code; ``None`` and empty values are skipped).  Each one becomes its
    :func:`canonical_code` term when that has no space in it (so a free
    receipt number is found when pasted whole), plus the :func:`code_terms`
    found inside it.  Space-separated, no duplicates.
    """
    out = []
    seen = set()
    for code in codes:
        if not code:
            continue
        terms = code_terms(code)
        whole = canonical_code(code)
        if whole and not any(c.isspace() for c in whole):
            terms.insert(0, whole)
        for term in terms:
            if term not in seen:
                seen.add(term)
                out.append(term)
    return " ".join(out)
