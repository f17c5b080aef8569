"""Generation 2: the persistent job queue (root["jobs"])."""


def step(root):
    """the persistent job queue (root["jobs"])"""
    from archive.jobs import get_jobs

    get_jobs(root, create=True)
