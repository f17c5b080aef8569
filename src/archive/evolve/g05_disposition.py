"""Generation 5: disposal proposals, tombstones and transfers."""


def step(root):
    """disposal proposals, tombstones and transfers"""
