"""The persistent job queue (``root["jobs"]``) and its jobs.

Jobs are kept in an OOBTree keyed by id.  Beside it, indexes kept in the
same transactions, so that nothing ever scans every job:

- ``runnable``: (not_before, created, id) -> id, the pending jobs in the
  order they may run; claiming takes the smallest key;
- ``leases``: (expires, id) -> token, the running jobs by lease expiry; a
  claim first takes back the jobs whose lease has expired (a worker died);
  ``lease_of``: id -> expires finds a job's key there;
- ``by_state``: a tree set of (state, created, id), for the jobs page;
- who may see a job (evolve step 6): ``by_fonds``, a tree set of (fonds
  code, state, created, id) -- the fonds of the job's context, "" when it
  has none or its context is gone (administrators only) --, ``by_owner``,
  (login of its creator, fonds code, state, created, id), and
  ``by_context``, (id of the context or one of its ancestors, job id), to
  find the jobs of a destroyed dossier; see ``JobQueue.visible_page``;
- ``dedupe``: dedupe key -> id of the pending or running job that has it;
- one ``Length`` per state (conflict-free counters).

A job's lease is its ``token`` (new at every claim) and its entry in
``leases``: the heartbeat of the running worker moves that entry forward and
never writes the job itself, so that the worker's own progress and store
transactions do not conflict with its heartbeat.  Every write that belongs to
a claim (progress, result, failure) first checks the job still carries the
claim's token: a worker whose lease was taken over changes nothing.
"""
import heapq
import itertools
import time

from BTrees.Length import Length
from BTrees.OOBTree import OOBTree, OOTreeSet
from persistent import Persistent

from pyramid.authorization import Allow

from ..resources.base import new_id, utcnow
from ..security import DIGITISE, role_principal

STATES = ("pending", "running", "done", "failed")
MAX_KEY = "\U0010ffff"
NEVER = float("inf")


def now_ns():
    return time.time_ns()


class Job(Persistent):
    """One piece of slow work: ``kind`` names its handler, ``payload`` its
    arguments (plain values).  See ``archive.jobs`` for the life cycle."""

    __name__ = None
    __parent__ = None
    error = None            # translatable message of the last failure
    error_detail = ""       # exception text of the last unexpected failure
    result = None           # small summary a handler may set in store()
    token = None            # current claim's token (running jobs)
    worker = None           # id of the worker holding the claim
    started = None
    finished = None
    dedupe_key = None
    not_before = 0.0
    context_id = None       # id (root.objectmap) of the object that says who sees the job
    context_path = ()       # ids of the context and its ancestors
    fonds = None            # code of the context's fonds; "" none or gone; None not yet known

    def __init__(self, kind, payload, title="", created_by="", max_attempts=3,
                 not_before=None, dedupe_key=None):
        self.id = new_id()
        self.kind = kind
        self.payload = dict(payload or {})
        self.title = title or kind
        self.created_by = created_by
        self.created = utcnow()
        self.created_ns = now_ns()
        self.state = "pending"
        self.attempts = 0
        self.max_attempts = max_attempts
        self.not_before = time.time() if not_before is None else float(not_before)
        self.progress = (0, 0, "")
        self.dedupe_key = dedupe_key

    @property
    def code(self):
        """How the journal names the job: its kind and the start of its id."""
        return f"{self.kind}:{self.id[:8]}"

    @property
    def runnable_key(self):
        return (self.not_before, self.created_ns, self.id)

    @property
    def state_key(self):
        return (self.state, self.created_ns, self.id)

    @property
    def fonds_key(self):
        return (self.fonds or "", self.state, self.created_ns, self.id)

    @property
    def owner_key(self):
        return (self.created_by or "", self.fonds or "", self.state, self.created_ns, self.id)

    def __repr__(self):
        return f"<Job {self.kind} {self.id} {self.state} attempts={self.attempts}>"


class JobQueue(Persistent):
    """``root["jobs"]``: every job, and the indexes described in the module.
    Archivists (of any fonds) may open the jobs page (DIGITISE here) and
    administrators anyway (the root's ACL); which jobs each one sees there
    is decided per job (``archive.views.jobs.may_see``): administrators all,
    others those of the fonds they may view and their own."""

    __name__ = "jobs"
    __parent__ = None
    title = "Công việc xử lý"
    __acl__ = [(Allow, role_principal("archivist"), (DIGITISE,))]

    def __init__(self):
        self.jobs = OOBTree()
        self.runnable = OOBTree()
        self.leases = OOBTree()
        self.lease_of = OOBTree()
        self.by_state = OOTreeSet()
        self.dedupe = OOBTree()
        self.counts = {state: Length() for state in STATES}
        # A sentinel in each index: a bucket that would become empty cannot
        # resolve a conflict (BTrees refuses), so without them a claim that
        # takes the last pending job would conflict with every enqueue.
        self.runnable[(NEVER, 0, "")] = ""
        self.leases[(NEVER, "")] = ""
        self.lease_of[""] = NEVER
        self.by_state.add(("", 0, ""))
        self.dedupe[""] = ""
        self.add_visibility_indexes()

    def add_visibility_indexes(self):
        """The indexes of who sees which job (evolve step 6 for an older
        queue, which then fills them with ``place``); False if present."""
        if getattr(self, "by_fonds", None) is not None:
            return False
        self.by_fonds = OOTreeSet()
        self.by_owner = OOTreeSet()
        self.by_context = OOTreeSet()
        self.by_fonds.add(("", "", 0, ""))   # sentinels (see above)
        self.by_owner.add(("", "", "", 0, ""))
        self.by_context.add(("", ""))
        return True

    @property
    def indexed(self):
        """True when the visibility indexes exist (generation 6)."""
        return getattr(self, "by_fonds", None) is not None

    # ------------------------------------------------------------- reading
    def get(self, job_id, default=None):
        return self.jobs.get(job_id, default)

    def __getitem__(self, job_id):
        return self.jobs[job_id]

    def __contains__(self, job_id):
        return job_id in self.jobs

    def __len__(self):
        return sum(self.counts[state]() for state in STATES)

    def __bool__(self):
        return True

    def count(self, state):
        return self.counts[state]()

    def ids_in_state(self, state):
        """The ids of the jobs in ``state``, oldest first, as a lazy sequence
        (len(), indexing and slicing without reading the others)."""
        return _Ids(self.by_state.keys((state, 0, ""), (state, 2 ** 64, MAX_KEY)))

    def page(self, state, start, size, newest_first=True):
        keys = self.by_state.keys((state, 0, ""), (state, 2 ** 64, MAX_KEY))
        total = len(keys)
        if newest_first:
            lo, hi = max(0, total - start - size), max(0, total - start)
            chosen = [keys[i] for i in range(hi - 1, lo - 1, -1)]
        else:
            chosen = [keys[i] for i in range(start, min(total, start + size))]
        return total, [self.jobs[key[2]] for key in chosen]

    # ------------------------------------------------------------- visibility
    def _range(self, tree, prefix):
        return tree.keys(prefix + (0, ""), prefix + (2 ** 64, MAX_KEY))

    def owner_fonds(self, login):
        """The fonds codes ("" included) of the jobs ``login`` created: a
        skip-scan of ``by_owner`` (one lookup per code, not per job)."""
        codes, low = [], (login, "")
        while True:
            try:
                key = self.by_owner.minKey(low)
            except ValueError:
                break
            if key[0] != login:
                break
            codes.append(key[1])
            low = (login, key[1] + MAX_KEY)
        return codes

    def _visible_ranges(self, state, fonds_codes, login):
        """Disjoint key ranges whose union is the jobs of ``state`` seen by a
        user who may view ``fonds_codes`` and is ``login``: the jobs of
        those fonds, and their own jobs of any other fonds (or of none)."""
        fonds_codes = sorted({code for code in fonds_codes if code})
        ranges = [(self._range(self.by_fonds, (code, state)), 2) for code in fonds_codes]
        if login:
            ranges += [(self._range(self.by_owner, (login, code, state)), 3)
                       for code in self.owner_fonds(login) if code not in fonds_codes]
        return ranges

    def count_visible(self, state, fonds_codes, login):
        return sum(len(keys) for keys, _at in self._visible_ranges(state, fonds_codes, login))

    def visible_page(self, state, fonds_codes, login, start, size):
        """(total, jobs): the jobs of ``state`` that a user who may view the
        fonds ``fonds_codes`` and whose login is ``login`` sees, newest
        first, ``size`` of them from ``start``.  Reads start + size keys of
        the indexes and ``size`` jobs, never the whole queue."""
        ranges = self._visible_ranges(state, fonds_codes, login)
        total = sum(len(keys) for keys, _at in ranges)

        def newest_first(keys, at):
            for i in range(len(keys) - 1, -1, -1):
                key = keys[i]
                yield (key[at], key[at + 1])   # (created_ns, id)

        merged = heapq.merge(*(newest_first(keys, at) for keys, at in ranges), reverse=True)
        chosen = itertools.islice(merged, start, start + size)
        return total, [self.jobs[job_id] for _ns, job_id in chosen]

    def _index(self, job):
        if not self.indexed:
            return
        self.by_fonds.add(job.fonds_key)
        self.by_owner.add(job.owner_key)
        for oid in job.context_path:
            self.by_context.add((oid, job.id))

    def _unindex(self, job):
        if not self.indexed:
            return
        self.by_fonds.remove(job.fonds_key)
        self.by_owner.remove(job.owner_key)
        for oid in job.context_path:
            self.by_context.remove((oid, job.id))

    def place(self, job, context_id, context_path, fonds):
        """Name (or change) the job's context and fonds, its index entries with them."""
        if job.fonds is not None and job.__parent__ is self:
            self._unindex(job)
        job.context_id = context_id
        job.context_path = tuple(context_path)
        job.fonds = fonds or ""
        if job.__parent__ is self:
            self._index(job)

    def jobs_about(self, oid):
        """The ids of the jobs whose context is ``oid`` or lies under it."""
        if not self.indexed:
            return []
        return [job_id for _oid, job_id in self.by_context.keys((oid, ""), (oid, MAX_KEY))
                if job_id]

    def context_gone(self, oid):
        """The object ``oid`` (and what is under it) left the archive: its
        jobs are then seen by administrators and their creators only."""
        for job_id in self.jobs_about(oid):
            job = self.jobs[job_id]
            self.place(job, job.context_id, (), "")

    def next_due(self):
        """The earliest time a pending job may run (None: nothing pending)."""
        due = self.runnable.minKey()[0]
        return None if due == NEVER else due

    def next_wake(self):
        """When a worker should look again: the earliest back-off or lease end."""
        soonest = min(self.runnable.minKey()[0], self.leases.minKey()[0])
        return None if soonest == NEVER else soonest

    def lease_expiry(self, job_id):
        return self.lease_of.get(job_id)

    # ------------------------------------------------------------- changing
    def _set_state(self, job, state):
        if job.state == state:
            return
        self.by_state.remove(job.state_key)
        self.counts[job.state].change(-1)
        if self.indexed and job.fonds is not None:
            self.by_fonds.remove(job.fonds_key)
            self.by_owner.remove(job.owner_key)
        job.state = state
        if self.indexed and job.fonds is not None:
            self.by_fonds.add(job.fonds_key)
            self.by_owner.add(job.owner_key)
        self.by_state.add(job.state_key)
        self.counts[state].change(1)
        if state in ("done", "failed") and job.dedupe_key:
            if self.dedupe.get(job.dedupe_key) == job.id:
                del self.dedupe[job.dedupe_key]

    def add(self, job):
        if job.dedupe_key:
            existing = self.dedupe.get(job.dedupe_key)
            if existing is not None:
                return self.jobs[existing]
            self.dedupe[job.dedupe_key] = job.id
        job.__name__ = job.id
        job.__parent__ = self
        self.jobs[job.id] = job
        self.by_state.add(job.state_key)
        self.counts[job.state].change(1)
        self.runnable[job.runnable_key] = job.id
        if job.fonds is None:
            job.fonds = ""
        self._index(job)
        return job

    def _drop_lease(self, job):
        expires = self.lease_of.pop(job.id, None)
        if expires is not None:
            self.leases.pop((expires, job.id), None)

    def expired(self, now, limit=20):
        """Up to ``limit`` running jobs whose lease expired before ``now``."""
        out = []
        for expires, job_id in self.leases.keys(None, (now, MAX_KEY)):
            if expires >= now:
                break
            out.append(self.jobs[job_id])
            if len(out) >= limit:
                break
        return out

    def claim(self, worker, now, lease):
        """Mark the first due pending job running for ``worker`` (a new token,
        a lease until ``now + lease``) and return it, or None."""
        key = self.runnable.minKey()
        if key[0] > now:   # not due yet (or the sentinel: nothing pending)
            return None
        job = self.jobs[self.runnable.pop(key)]
        job.attempts += 1
        job.token = new_id()
        job.worker = worker
        job.started = utcnow()
        job.finished = None
        job.progress = (0, 0, "")
        self._set_state(job, "running")
        self.lease_of[job.id] = now + lease
        self.leases[(now + lease, job.id)] = job.token
        return job

    def renew(self, job_id, token, expires):
        """Move the lease of a job still claimed with ``token``; False when
        the claim is gone (taken over, finished)."""
        old = self.lease_of.get(job_id)
        if old is None or self.leases.get((old, job_id)) != token:
            return False
        del self.leases[(old, job_id)]
        self.leases[(expires, job_id)] = token
        self.lease_of[job_id] = expires
        return True

    def holds(self, job, token):
        return job is not None and job.state == "running" and job.token == token

    def requeue(self, job, not_before):
        """Back to pending (a retry after a failed attempt or a lost worker)."""
        self._drop_lease(job)
        job.token = None
        job.worker = None
        job.not_before = not_before
        self._set_state(job, "pending")
        self.runnable[job.runnable_key] = job.id

    def finish(self, job, state):
        """Mark the job done or failed (its claim ends)."""
        self._drop_lease(job)
        job.token = None
        job.finished = utcnow()
        self._set_state(job, state)

    def retry(self, job, now):
        """A failed job back to pending, its attempts counted afresh."""
        if job.state != "failed":
            return False
        if job.dedupe_key:
            if self.dedupe.get(job.dedupe_key) not in (None, job.id):
                return False  # another job for the same thing was queued meanwhile
            self.dedupe[job.dedupe_key] = job.id
        job.attempts = 0
        job.error = None
        job.error_detail = ""
        job.finished = None
        job.not_before = now
        self._set_state(job, "pending")
        self.runnable[job.runnable_key] = job.id
        return True


class _Ids:
    def __init__(self, keys):
        self.keys = keys

    def __len__(self):
        return len(self.keys)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [key[2] for key in self.keys[index]]
        return self.keys[index][2]

    def __iter__(self):
        return (key[2] for key in self.keys)
