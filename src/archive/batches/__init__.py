"""Conversion batches (DOMAIN.md §5): resources in ``resources``, the
workflow in ``service``."""
from .resources import (
    APPROVED, ARCHIVED, CHECKED, RECEIVED, SCANNED, STATES, BatchItem, Batches, ConversionBatch,
)
from .service import (
    DossierNotLinked, IllegalTransition, PagesRequired, ReasonRequired, add_item, advance,
    create_batch, find_dossier, get_item, link_dossier, progress, reject,
)

__all__ = ["APPROVED", "ARCHIVED", "CHECKED", "RECEIVED", "SCANNED", "STATES", "BatchItem",
           "Batches", "ConversionBatch", "DossierNotLinked", "IllegalTransition", "PagesRequired",
           "ReasonRequired", "add_item", "advance", "create_batch", "find_dossier", "get_item",
           "link_dossier", "progress", "reject"]


def ensure_batches(root):
    """``root["batches"]``, created when missing (evolve step 3)."""
    if "batches" not in root:
        root.add("batches", Batches())
    return root["batches"]


def on_dossier_created(event, registry):
    """A dossier created with the paper file code of an item of a batch of
    its fonds (by hand or by an import) is linked to that item at once."""
    from archive.resources import find_archive_root

    dossier = event.obj
    code = (getattr(dossier, "paper_file_code", "") or "").strip()
    fonds = getattr(dossier, "fonds", None)
    root = find_archive_root(dossier)
    batches = root.get("batches") if root is not None and code and fonds is not None else None
    if batches is None:
        return
    for batch in batches.values():
        if batch.fonds_code != fonds.code:
            continue
        item = batch.get_item(batch.paper_codes.get(code, ""))
        if item is not None and not item.dossier_id:
            link_dossier(batch, item, registry, event.actor, dossier)


def includeme(config):
    from archive.events import DossierCreated

    registry = config.registry  # events carry none; scripts and workers have no current one
    config.add_subscriber(lambda event: on_dossier_created(event, registry), DossierCreated)
