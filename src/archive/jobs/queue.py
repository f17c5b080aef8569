"""The persistent job queue (``root["jobs"]``) and its jobs.

Jobs are kept in an OOBTree keyed by id.  Beside it, indexes kept in the
same transactions, so that nothing ever scans every job:

- ``runnable``: (not_before, created, id) -> id, the pending jobs in the
  order they may run; claiming takes the smallest key;
- ``leases``: (expires, id) -> token, the running jobs by lease expiry; a
  claim first takes back the jobs whose lease has expired (a worker died);
  ``lease_of``: id -> expires finds a job's key there;
- ``by_state``: a tree set of (state, created, id), for the jobs page;
- ``dedupe``: dedupe key -> id of the pending or running job that has it;
- one ``Length`` per state (conflict-free counters).

A job's lease is its ``token`` (new at every claim) and its entry in
``leases``: the heartbeat of the running worker moves that entry forward and
never writes the job itself, so that the worker's own progress and store
transactions do not conflict with its heartbeat.  Every write that belongs to
a claim (progress, result, failure) first checks the job still carries the
claim's token: a worker whose lease was taken over changes nothing.
"""
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

    def __repr__(self):
        return f"<Job {self.kind} {self.id} {self.state} attempts={self.attempts}>"


class JobQueue(Persistent):
    """``root["jobs"]``: every job, and the indexes described in the module.
    Archivists (of any fonds) may see the jobs and retry failed ones
    (DIGITISE here); administrators may anyway (the root's ACL)."""

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
        job.state = state
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
