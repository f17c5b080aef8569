"""Generation 2: the persistent job queue (root.jobs)."""


def step(root):
    """the persistent job queue (root.jobs)"""
