"""Generation 4: the retention schedule, due-date indexes and holds."""


def step(root):
    """the retention schedule, due-date indexes and holds"""
