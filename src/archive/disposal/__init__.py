"""Disposal of expired dossiers (DOMAIN.md §4): the proposal (danh mục tài liệu
hết giá trị), the valuation council's review, the destruction decision approved
by a second person (four-eyes), destruction with a tombstone per dossier, and
the pack that purges the bytes.  See ``services`` and ``resources``."""
from .errors import (
    AlreadyProposed, DisposalKept, DossierNotClosed, EmptyProposal, FourEyesViolation,
    NotAllowed, NotDue, NotInFonds, PermanentDossier, UnknownActor, WrongDisposalState,
)
from .resources import (
    ACTIVE_STATES, STATES, Disposal, DisposalContainer, DisposalFile, Tombstone, Tombstones,
    ensure_disposals,
)
from .services import (
    STATE_LABELS, approve_disposal, check_proposable, destroy_disposal, destruction_records,
    get_disposals, get_tombstones, propose_disposal, reject_disposal, review_disposal,
)

__all__ = [
    "AlreadyProposed", "DisposalKept", "DossierNotClosed", "EmptyProposal", "FourEyesViolation",
    "NotAllowed", "NotDue", "NotInFonds", "PermanentDossier", "UnknownActor",
    "WrongDisposalState", "ACTIVE_STATES", "STATES", "Disposal", "DisposalContainer",
    "DisposalFile", "Tombstone", "Tombstones", "ensure_disposals", "STATE_LABELS",
    "approve_disposal", "check_proposable", "destroy_disposal", "destruction_records",
    "get_disposals", "get_tombstones", "propose_disposal", "reject_disposal",
    "review_disposal",
]
