"""Unsafe requests take turns while requests are being retried.

See ``ConflictGate``.  One gate per application, kept on the registry.
"""
import threading
import time

from pyramid.events import NewRequest
from pyramid_retry import IBeforeRetry


class ConflictGate:
    """Unsafe requests take turns while requests are being retried.

    Requests run side by side and a ConflictError is retried, but under
    contention that alone does not end: twenty clients filing into one
    dossier all take the next ordinal of its counter, each commit makes the
    others conflict, and an unlucky request lost ten times in a row (500).
    So a retried attempt runs alone in this process, and so does every
    unsafe request while one is retried (and for a moment after the last
    retry): each takes its turn in NewRequest, then begins its transaction
    afresh so that it sees the commits it waited for (pyramid_tm began it,
    and the security policy opened the ZODB connection, before NewRequest;
    nothing has been changed yet), and gives the turn back after the commit
    (finished callbacks).  A retried attempt can then lose only to attempts
    already running when the contention began.  Without contention nothing
    waits.  Other processes (ZEO) still conflict and are retried.
    """

    SAFE = ("GET", "HEAD", "OPTIONS")
    TIMEOUT = 120  # seconds to wait for a turn before going ahead anyway
    CALM = 1.0  # seconds after the last retry until requests run side by side

    def __init__(self):
        self.turn = threading.RLock()  # a subrequest in a turn does not wait for itself
        self.guard = threading.Lock()
        self.retried_attempts = 0  # retried attempts waiting for or holding the turn
        self.calm_after = 0.0

    def contended(self):
        return self.retried_attempts > 0 or time.monotonic() < self.calm_after

    def retrying(self):
        """pyramid_retry is about to run a request again."""
        self.calm_after = time.monotonic() + self.CALM

    def enter(self, request):
        retried = bool(request.environ.get("retry.attempt"))
        if not retried and (request.method in self.SAFE or not self.contended()):
            return
        if retried:
            with self.guard:
                self.retried_attempts += 1
        holds = self.turn.acquire(timeout=self.TIMEOUT)
        request.add_finished_callback(lambda request: self.leave(retried, holds))
        begin_afresh(request)

    def leave(self, retried, holds):
        if holds:
            self.turn.release()
        if retried:
            with self.guard:
                self.retried_attempts -= 1


def begin_afresh(request):
    """Abort the request's transaction and begin a new one, keeping its
    notes: the new one sees the database as it is now.  Only where nothing
    has been changed yet."""
    if not request.environ.get("tm.active"):
        return
    manager = request.tm
    old = manager.get()
    user, description, extension = old.user, old.description, dict(old.extension)
    manager.abort()
    new = manager.begin()
    new.user, new.description = user, description
    new.extension.update(extension)


def take_turn_under_contention(event):
    event.request.registry.conflict_gate.enter(event.request)


def note_retry(event):
    event.request.registry.conflict_gate.retrying()


def includeme(config):
    config.registry.conflict_gate = ConflictGate()
    config.add_subscriber(take_turn_under_contention, NewRequest)
    config.add_subscriber(note_retry, IBeforeRetry)
