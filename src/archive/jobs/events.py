"""What happens to jobs: journaled like every ArchiveEvent (``obj`` is the Job)."""
from ..events import ArchiveEvent


class JobEnqueued(ArchiveEvent):
    action = "job.enqueue"


class JobDone(ArchiveEvent):
    action = "job.done"


class JobFailedEvent(ArchiveEvent):
    """A job failed for good (after its last attempt, or a permanent failure)."""

    action = "job.fail"


class JobRetried(ArchiveEvent):
    """An archivist sent a failed job back to the queue."""

    action = "job.retry"
