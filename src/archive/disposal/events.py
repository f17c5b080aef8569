"""Events of disposal; the journal records every ArchiveEvent."""
from ..events import ArchiveEvent


class DisposalProposed(ArchiveEvent):
    action = "disposal.propose"


class DisposalReviewed(ArchiveEvent):
    action = "disposal.review"


class DisposalApproved(ArchiveEvent):
    action = "disposal.approve"


class DisposalRejected(ArchiveEvent):
    action = "disposal.reject"


class DisposalDestroyed(ArchiveEvent):
    action = "disposal.destroy"


class DossierDestroyed(ArchiveEvent):
    """One dossier destroyed; fired while it is still in the tree (the search
    queue finds its documents through it), just before it is removed."""

    action = "dossier.destroy"
