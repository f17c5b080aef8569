"""The Whoosh schema of the archive's one index.

One Whoosh document per dossier and per record (``type``).  Fields:

========== ============================ =========================================
field      type                         content
========== ============================ =========================================
id         ID unique stored             stable id of the dossier or record
type       ID stored                    ``"dossier"`` or ``"record"``
dossier_id ID stored                    the dossier's id (itself for a dossier)
fonds      ID stored sortable           facet/filter: fonds code
year       ID stored sortable           facet/filter: year
doc_type   ID stored sortable           facet/filter: document type
procedure  ID stored sortable           facet/filter: procedure code
retention  ID stored sortable           facet/filter: retention period
access     ID stored sortable           facet/filter: access mode
district   ID stored sortable           facet/filter: district name, one term
                                        (spaces, tone marks): pass it through
                                        ``analysis.normalize`` on both sides
date       ID stored sortable           ISO or partial ISO date, sort by date
title      STORED                       display
file_code  STORED                       display
doc_code   STORED                       display
allow      KEYWORD, not scorable        principals allowed to view, space
                                        separated, case-sensitive (kept as is)
codes      KEYWORD lowercase scorable   ``analysis.code_field_text(codes)``
exact      TEXT exact_analyzer          all searchable text, tone marks kept
folded     TEXT folded_analyzer stored  the same text, folded; stored: the
                                        highlighter builds snippets from it
pairs      TEXT pairs_analyzer          the same text as folded syllable pairs
========== ============================ =========================================

``exact``, ``folded`` and ``pairs`` keep frequencies but no positions
(``phrase=False``): the query builder never builds positional phrase
queries (phrases are pair terms), and a positions-free index is smaller and
faster to write.  A ``Phrase`` query on these fields raises in Whoosh.

The analyzers are pickled into the index: changing this schema or the
analyzer classes needs a rebuild (``archive-reindex``).
"""
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

from .analysis import exact_analyzer, folded_analyzer, pairs_analyzer

__all__ = ["make_schema", "FACET_FIELDS"]

FACET_FIELDS = ("fonds", "year", "doc_type", "procedure", "retention", "access", "district")


def make_schema():
    """A new :class:`whoosh.fields.Schema` for the archive index."""
    facets = {name: ID(stored=True, sortable=True) for name in FACET_FIELDS}
    return Schema(
        id=ID(unique=True, stored=True),
        type=ID(stored=True),
        dossier_id=ID(stored=True),
        date=ID(stored=True, sortable=True),
        title=STORED(),
        file_code=STORED(),
        doc_code=STORED(),
        allow=KEYWORD(stored=False, lowercase=False, scorable=False),
        codes=KEYWORD(lowercase=True, scorable=True),
        exact=TEXT(analyzer=exact_analyzer(), phrase=False),
        folded=TEXT(analyzer=folded_analyzer(), phrase=False, stored=True),
        pairs=TEXT(analyzer=pairs_analyzer(), phrase=False),
        **facets
    )
