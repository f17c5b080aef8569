"""The few things disposal needs from the retention package, in one place:
due dates, holds, the state kept in the retention indexes (archive.retention
owns those rules)."""
from .. import retention as _retention
from ..resources import find_archive_root


def is_permanent(dossier):
    return getattr(dossier, "retention", None) == "permanent"


def due_date(dossier):
    """The day the dossier's retention expires (1 January, DOMAIN.md §4), as
    the retention package computes it; None for permanent or unknown."""
    return _retention.dossier_due_dates(dossier).disposal_date


def ensure_not_held(dossier):
    """Raise the retention package's OnHold when ``dossier`` is on hold."""
    _retention.ensure_not_held(dossier)


def set_state(dossier, state=None):
    """Bring the dossier's entry in the retention indexes up to date after its
    ``disposal_id`` changed (same transaction): its state follows from it."""
    root = find_archive_root(dossier)
    if root is not None:
        _retention.reindex_dossier(root, dossier)


def forget(dossier):
    """Remove a destroyed dossier from every retention index."""
    root = find_archive_root(dossier)
    if root is not None:
        _retention.unindex_dossier(root, dossier)


def due_dossier_ids(root, fonds, today):
    """Ids of the closed dossiers of ``fonds`` due for disposal on ``today``
    (never permanent, never held, in no proposal), from the retention indexes,
    by file code."""
    return _retention.due_for_disposal(root, until=today.year, fonds=fonds.code)


def due_dossiers(root, fonds, today, limit=None):
    """The dossiers of ``due_dossier_ids`` (the first ``limit`` of them),
    loading only those."""
    ids = due_dossier_ids(root, fonds, today)
    if limit is not None:
        ids = ids[:limit]
    return [d for d in _retention.load_dossiers(root, ids)
            if d is not None and not getattr(d, "disposal_id", None)]
