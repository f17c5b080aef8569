"""Generation 6: who may see a job.  Each job names its context (the object
whose readers see it: the OCR job's file, the import's fonds...) and the
queue indexes the jobs by fonds and by creator (``JobQueue.by_fonds``,
``by_owner``, ``by_context``).  Jobs queued before get the context their
payload names (``archive.jobs.CONTEXT_KEYS``), or none (administrators and
their creator only)."""


def step(root):
    """the context of each job, the queue's indexes by fonds and by creator"""
    from archive.jobs import get_jobs, place_job

    queue = get_jobs(root, create=True)
    queue.add_visibility_indexes()
    for job in queue.jobs.values():
        if job.fonds is None:
            place_job(root, queue, job)
