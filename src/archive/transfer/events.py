"""Events of transfers; every one is journaled (ArchiveEvent subclasses)."""
from ..events import ArchiveEvent


class TransferExported(ArchiveEvent):
    """A bag was written (obj: the Transfer)."""

    action = "transfer.export"


class TransferReceived(ArchiveEvent):
    """The historical archive's receipt was recorded (obj: the Transfer)."""

    action = "transfer.receipt"


class TransferCancelled(ArchiveEvent):
    action = "transfer.cancel"


class DossierTransferred(ArchiveEvent):
    """One dossier is now transferred (obj: the Dossier); fired in the same
    transaction as the change of its state, so indexes can follow."""

    action = "dossier.transfer"


class BagImported(ArchiveEvent):
    """A transfer bag was loaded into this archive (obj: the Fonds)."""

    action = "transfer.import"
