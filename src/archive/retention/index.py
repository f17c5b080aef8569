"""ZODB indexes of due dates, states, fonds and holds (``root.retention_index``).

Kept in the same transaction as the change that moves a dossier (subscribers
of the dossier events and calls of ``reindex_dossier``), so that "what is due
in 2027" is answered from BTrees without loading any dossier that is not in
the answer.  Each dossier's indexed values are kept in ``entries`` (a plain
tuple per dossier id) so that it can be taken out of the sets it was in, and so
that answers can be sorted by file code without loading the dossiers.
"""
import datetime

from BTrees.Length import Length
from BTrees.OOBTree import OOBTree, OOTreeSet, difference, intersection, union
from persistent import Persistent

from .duedates import dossier_due_dates

STATES = ("open", "closed", "proposed", "transferring", "transferred", "destroyed")
KINDS = ("disposal", "transfer", "current")

# positions in an entry tuple
FIELDS = ("fonds", "state", "held", "disposal_year", "transfer_year", "current_year",
          "file_code", "retention", "regime")


class RetentionIndex(Persistent):
    def __init__(self):
        self.entries = OOBTree()      # dossier id -> tuple (FIELDS)
        self.by_state = OOBTree()     # state -> OOTreeSet(ids)
        self.by_fonds = OOBTree()     # fonds code -> OOTreeSet(ids)
        self.disposal = OOBTree()     # disposal year -> OOTreeSet(ids)
        self.transfer = OOBTree()     # historical-archive deadline year -> OOTreeSet(ids)
        self.current = OOBTree()      # current-archive deadline year -> OOTreeSet(ids)
        self.held = OOTreeSet()
        self.count = Length()

    # ---- upkeep
    def _add(self, tree, key, oid):
        if key is None:
            return
        members = tree.get(key)
        if members is None:
            members = tree[key] = OOTreeSet()
        members.insert(oid)

    def _remove(self, tree, key, oid):
        if key is None:
            return
        members = tree.get(key)
        if members is not None:
            members.remove(oid) if oid in members else None
            if not members:
                del tree[key]

    def _trees(self):
        return (("state", self.by_state), ("fonds", self.by_fonds),
                ("disposal_year", self.disposal), ("transfer_year", self.transfer),
                ("current_year", self.current))

    def index(self, oid, entry):
        old = self.entries.get(oid)
        if old == entry:
            return False
        new = dict(zip(FIELDS, entry))
        before = dict(zip(FIELDS, old)) if old is not None else None
        for name, tree in self._trees():
            if before is None or before[name] != new[name]:
                if before is not None:
                    self._remove(tree, before[name], oid)
                self._add(tree, new[name], oid)
        if new["held"] and oid not in self.held:
            self.held.insert(oid)
        elif not new["held"] and oid in self.held:
            self.held.remove(oid)
        if old is None:
            self.count.change(1)
        self.entries[oid] = entry
        return True

    def unindex(self, oid):
        old = self.entries.get(oid)
        if old is None:
            return False
        before = dict(zip(FIELDS, old))
        for name, tree in self._trees():
            self._remove(tree, before[name], oid)
        if oid in self.held:
            self.held.remove(oid)
        del self.entries[oid]
        self.count.change(-1)
        return True

    def __len__(self):
        return self.count()


def get_index(root):
    return getattr(root, "retention_index", None)


def state_of(dossier):
    """The disposition state of a dossier (see the contract in README)."""
    if getattr(dossier, "__parent__", None) is None and getattr(dossier, "destroyed", False):
        return "destroyed"
    if getattr(dossier, "transferred", False):
        return "transferred"
    if getattr(dossier, "transfer_pending", None):
        return "transferring"
    if getattr(dossier, "disposal_id", None):
        return "proposed"
    if getattr(dossier, "closed", False):
        return "closed"
    return "open"


def entry_of(dossier):
    """The index tuple of a dossier (FIELDS order)."""
    due = dossier_due_dates(dossier)
    fonds = dossier.fonds
    retention = dossier.retention
    return (fonds.code if fonds is not None else "", state_of(dossier),
            bool(getattr(dossier, "hold_ids", ())), due.disposal_year, due.transfer_year,
            due.current_archive_year, dossier.file_code,
            retention if retention == "permanent" else (int(retention) if retention else None),
            due.regime)


def reindex_dossier(root, dossier):
    """Bring the indexes up to date for ``dossier`` (in the caller's
    transaction).  Writes nothing when nothing changed.  Returns True when
    the index changed."""
    idx = get_index(root)
    if idx is None or getattr(dossier, "id", None) is None:
        return False
    return idx.index(dossier.id, entry_of(dossier))


def unindex_dossier(root, dossier_or_id):
    """Take a dossier (or its id) out of every index: destruction."""
    idx = get_index(root)
    if idx is None:
        return False
    oid = dossier_or_id if isinstance(dossier_or_id, str) else dossier_or_id.id
    return idx.unindex(oid)


def index_entry(root, dossier_id):
    idx = get_index(root)
    entry = idx.entries.get(dossier_id) if idx is not None else None
    return dict(zip(FIELDS, entry)) if entry is not None else None


# ---- queries

def _union_of(tree, keys):
    out = None
    for key in keys:
        members = tree.get(key)
        if members is not None:
            out = members if out is None else union(out, members)
    return out if out is not None else OOTreeSet()


def _years(tree, year=None, until=None, before=None):
    if year is not None:
        return [year] if year in tree else []
    if before is not None:
        return [y for y in tree.keys() if y < before]
    return list(tree.keys(None, until))


def _restrict(idx, ids, fonds=None, states=None, include_held=True):
    if fonds:
        ids = intersection(ids, idx.by_fonds.get(fonds, OOTreeSet()))
    if states:
        ids = intersection(ids, _union_of(idx.by_state, states))
    if not include_held:
        ids = difference(ids, idx.held)
    return ids if ids is not None else OOTreeSet()


def _sorted(idx, ids):
    entries = idx.entries
    return sorted(ids, key=lambda oid: (entries[oid][0], entries[oid][6]))


def this_year():
    return datetime.date.today().year


def due_for_disposal(root, year=None, until=None, fonds=None, include_held=False,
                     states=("closed",)):
    """Ids of dossiers whose period ends (1 January) in ``year``, or by
    ``until`` (default: this year), of ``fonds``, in ``states``; held ones only
    with ``include_held``.  Sorted by (fonds, file code)."""
    return _due(root, "disposal", year, until, fonds, include_held, states)


def due_for_transfer(root, year=None, until=None, fonds=None, include_held=False,
                     states=("closed",)):
    """Ids of permanent dossiers whose deadline for the historical archive is
    ``year`` or no later than ``until`` (default: this year)."""
    return _due(root, "transfer", year, until, fonds, include_held, states)


def _due(root, tree, year, until, fonds, include_held, states):
    """The dossiers of the index's ``tree`` (year -> ids) due in ``year`` or
    by ``until``, restricted and sorted as the callers say."""
    idx = get_index(root)
    if idx is None:
        return []
    if year is None and until is None:
        until = this_year()
    by_year = getattr(idx, tree)
    ids = _union_of(by_year, _years(by_year, year, until))
    return _sorted(idx, _restrict(idx, ids, fonds, states, include_held))


def overdue_for_current_archive(root, as_of=None, fonds=None, year=None):
    """Ids of open dossiers (kept 5 years or more) that should have entered the
    current archive before ``as_of`` (default this year): their deadline year
    is earlier.  ``year``: only those whose deadline was that year."""
    idx = get_index(root)
    if idx is None:
        return []
    as_of = as_of or this_year()
    years = [year] if year is not None and year < as_of and year in idx.current \
        else ([] if year is not None else _years(idx.current, before=as_of))
    ids = _union_of(idx.current, years)
    return _sorted(idx, _restrict(idx, ids, fonds, ("open",), True))


def on_hold(root, fonds=None):
    idx = get_index(root)
    if idx is None:
        return []
    return _sorted(idx, _restrict(idx, idx.held, fonds))


TREES = {"disposal": "disposal", "transfer": "transfer", "current": "current"}


def counts_by_year(root, kind, fonds=None, states=None, include_held=True):
    """{year: number of dossiers} of the ``kind`` index ("disposal",
    "transfer", "current"), restricted to ``fonds`` and ``states``."""
    idx = get_index(root)
    if idx is None:
        return {}
    tree = getattr(idx, TREES[kind])
    out = {}
    for year, members in tree.items():
        n = len(_restrict(idx, members, fonds, states, include_held))
        if n:
            out[year] = n
    return out


def load_dossiers(root, ids):
    """The dossiers of ``ids`` (missing ones skipped), loading only those."""
    objectmap = root.objectmap
    out = []
    for oid in ids:
        obj = objectmap.get(oid)
        if obj is not None:
            out.append(obj)
    return out


def rebuild(root, dossiers, progress=None):
    """Index every dossier of ``dossiers`` (an iterable) afresh; returns how
    many were indexed."""
    n = 0
    for dossier in dossiers:
        reindex_dossier(root, dossier)
        n += 1
        if progress is not None:
            progress(n)
    return n


def walk_dossiers(root):
    """Every dossier of the tree (for rebuilding and checking only)."""
    from ..resources import Dossier

    for fonds in root["fonds"].values():
        for obj in fonds.values():
            if isinstance(obj, Dossier):
                yield obj
