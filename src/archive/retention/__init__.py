"""Retention: the schedule as data, due dates, their ZODB indexes and legal holds.

Public API (see /work/coord/contracts.md, "Retention", and README):
holds (``ensure_not_held``, ``OnHold``, ``place_holds``, ``release_hold``),
index upkeep (``reindex_dossier``, ``unindex_dossier``, ``state_of``), index
queries (``due_for_disposal``, ``due_for_transfer``,
``overdue_for_current_archive``, ``on_hold``, ``counts_by_year``), pure due-date
functions (``due_dates``, ``dossier_due_dates``) and the schedule.
"""
from ..events import ArchiveEvent
from ..resources import Dossier, find_archive_root
from .duedates import DueDates, dossier_due_dates, due_dates
from .errors import DuplicateScheduleEntry, NotHeld, OnHold, UnknownScheduleEntry
from .holds import (
    KINDS as HOLD_KINDS, Hold, active_holds, all_holds, ensure_not_held, get_hold, hold_history,
    is_held, place_holds, release_hold,
)
from .index import (
    counts_by_year, due_for_disposal, due_for_transfer, get_index, index_entry, load_dossiers,
    on_hold, overdue_for_current_archive, reindex_dossier, state_of, unindex_dossier,
)
from .schedule import (
    add_entry, apply_schedule, get_schedule, retention_basis, schedule_entry, update_entry,
)

__all__ = [
    "OnHold", "NotHeld", "UnknownScheduleEntry", "DuplicateScheduleEntry", "Hold", "HOLD_KINDS",
    "ensure_not_held", "is_held", "place_holds", "release_hold", "active_holds", "hold_history",
    "all_holds", "get_hold", "state_of", "reindex_dossier", "unindex_dossier", "due_for_disposal",
    "due_for_transfer", "overdue_for_current_archive", "on_hold", "counts_by_year",
    "index_entry", "load_dossiers", "get_index", "due_dates", "dossier_due_dates", "DueDates",
    "get_schedule", "schedule_entry", "add_entry", "update_entry", "apply_schedule",
    "retention_basis",
]

DESTROY_ACTIONS = ("dossier.destroy",)


def on_dossier_event(event):
    """Every event about a dossier (created, modified, closed, viewed, and the
    disposal and transfer helpers' own) brings its index entry up to date in
    the same transaction; ``reindex_dossier`` writes only when it changed."""
    obj = event.obj
    if not isinstance(obj, Dossier):
        return
    root = find_archive_root(obj)
    if root is None:
        return
    if event.action in DESTROY_ACTIONS:
        unindex_dossier(root, obj)
    else:
        reindex_dossier(root, obj)


def includeme(config):
    config.add_subscriber(on_dossier_event, ArchiveEvent)
