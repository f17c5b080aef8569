"""Full-text search (Whoosh), behind the archive's own small API.

Issue 3 builds it: Vietnamese analysis, permission-trimmed queries, and an
index queue written in the same ZODB transaction as each change.  The package
exists from the first release so that the layout and the import direction
(views -> search -> core) are fixed.
"""


def includeme(config):
    """Nothing is registered until the search issue lands."""
