"""Events of retention (journalled like every ArchiveEvent)."""
from ..events import ArchiveEvent


class ScheduleEntryAdded(ArchiveEvent):
    action = "retention.schedule.add"


class ScheduleEntryChanged(ArchiveEvent):
    action = "retention.schedule.change"


class HoldPlaced(ArchiveEvent):
    """obj: the Dossier; detail: hold id, kind, reference, reason."""

    action = "retention.hold.place"


class HoldReleased(ArchiveEvent):
    """obj: the Dossier; detail: hold id, reason."""

    action = "retention.hold.release"
