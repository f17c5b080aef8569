"""The index queue: changes to index, written in the same ZODB transaction as
the change itself, applied to Whoosh after commit by a single writer.

An entry maps a stable id to a stamp.  It says only "this object changed":
the writer indexes the object as it then is, or removes it from the index
when it is gone, so applying an entry twice does no harm.  The writer
removes an entry only if its stamp is still the one it applied, so a change
made while it was indexing is not lost.  A crash between the commit and the
indexing leaves the entry in the queue: never a gap.

Entries are keyed by id in an OOBTree with a Length beside it: transactions
that queue different objects resolve their conflicts.
"""
import time

import transaction
from BTrees.Length import Length
from BTrees.OOBTree import OOBTree
from persistent import Persistent

from archive.resources import Dossier, Record, find_archive_root

QUEUE_ATTR = "search_queue"


class IndexQueue(Persistent):
    def __init__(self):
        self.entries = OOBTree()
        self._num = Length()

    def __len__(self):
        return self._num()

    def add(self, oid, stamp):
        if oid not in self.entries:
            self._num.change(1)
        self.entries[oid] = stamp

    def batch(self, size):
        """Up to ``size`` (id, stamp) pairs, oldest ids first."""
        out = []
        for item in self.entries.items():
            out.append(item)
            if len(out) >= size:
                break
        return out

    def done(self, items):
        """Remove the entries whose stamp is still the one applied."""
        removed = 0
        for oid, stamp in items:
            if self.entries.get(oid) == stamp:
                del self.entries[oid]
                removed += 1
        if removed:
            self._num.change(-removed)
        return removed


def get_queue(root, create=True):
    queue = getattr(root, QUEUE_ATTR, None)
    if queue is None and create:
        queue = IndexQueue()
        setattr(root, QUEUE_ATTR, queue)
    return queue


def stamp():
    return time.time_ns()


def affected(obj):
    """The indexed objects a change to ``obj`` affects: a dossier's documents
    carry its title, access and applicant, so they follow it."""
    if isinstance(obj, Dossier):
        return [obj] + list(obj.values())
    if isinstance(obj, Record):
        return [obj]
    record = getattr(obj, "__parent__", None)  # a StoredFile: its document
    if isinstance(record, Record):
        return [record]
    return []


def enqueue(obj, on_commit=None):
    """Queue ``obj`` (and what it affects) in the current transaction; call
    ``on_commit()`` once after the transaction commits."""
    objects = affected(obj)
    if not objects:
        return 0
    root = find_archive_root(objects[0])
    if root is None:
        return 0
    queue = get_queue(root)
    now = stamp()
    for item in objects:
        queue.add(item.id, now)
    if on_commit is not None:
        jar = root._p_jar
        txn = (jar.transaction_manager if jar is not None else transaction.manager).get()
        try:
            txn.data(on_commit)
        except KeyError:  # first change of this transaction: one hook
            txn.set_data(on_commit, True)
            txn.addAfterCommitHook(_after_commit, (on_commit,))
    return len(objects)


def _after_commit(committed, callback):
    if committed:
        callback()
