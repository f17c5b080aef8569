"""Generation 5: disposal proposals, tombstones and transfers."""


def step(root):
    """disposal proposals, tombstones and transfers"""
    from ..disposal.resources import ensure_disposals

    ensure_disposals(root)
    from ..transfer.resources import ensure_transfers

    ensure_transfers(root)
