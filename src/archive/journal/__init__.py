"""The first, append-only journal: who did what, when, to which object, from where.

Every ``ArchiveEvent`` is written by a subscriber in the same transaction as the
change it records; a later issue chains the entries with hashes.
"""
import time

from ..events import ArchiveEvent
from ..resources import find_archive_root


def describe(obj):
    """Stable id, kind and human code of the object an event is about."""
    if obj is None:
        return {"object_id": None, "object_type": None, "code": None}
    kind = type(obj).__name__
    code = (getattr(obj, "doc_code", None) if kind == "Record" else None) \
        or getattr(obj, "file_code", None) or getattr(obj, "code", None) \
        or getattr(obj, "login", None) or getattr(obj, "name", None)
    return {"object_id": getattr(obj, "id", None), "object_type": kind, "code": code}


def record_event(event, root=None):
    root = root if root is not None else find_archive_root(event.obj)
    if root is None:
        return None
    now = time.time()
    entry = {
        "time": now,
        "login": event.actor.login,
        "address": event.actor.address,
        "action": event.action,
        **describe(event.obj),
        "detail": dict(event.detail),
    }
    return root.journal.append(int(now * 1_000_000), entry)


def on_archive_event(event):
    record_event(event)


def includeme(config):
    config.add_subscriber(on_archive_event, ArchiveEvent)
