"""What happened in the archive.  Fired by services (and by views for reads),
handled by subscribers: the journal now, the search index and audit later."""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    """Who does something, and from where (an IP address, or ``script:<name>``)."""

    login: str
    address: str = ""


SYSTEM = Actor("system", "script")


@dataclass
class ArchiveEvent:
    obj: object
    actor: Actor
    detail: dict = field(default_factory=dict)

    action = "event"


class FondsCreated(ArchiveEvent):
    action = "fonds.create"


class DossierCreated(ArchiveEvent):
    action = "dossier.create"


class DossierModified(ArchiveEvent):
    action = "dossier.modify"


class DossierClosed(ArchiveEvent):
    action = "dossier.close"


class RecordFiled(ArchiveEvent):
    action = "record.file"


class RecordModified(ArchiveEvent):
    action = "record.modify"


class FileAdded(ArchiveEvent):
    action = "file.add"


class ObjectViewed(ArchiveEvent):
    action = "view"


class FileDownloaded(ArchiveEvent):
    action = "file.download"


class UserChanged(ArchiveEvent):
    action = "user.change"


class TokenCreated(ArchiveEvent):
    action = "token.create"


class TokenRevoked(ArchiveEvent):
    action = "token.revoke"


class LoggedIn(ArchiveEvent):
    action = "login"


class LoginFailed(ArchiveEvent):
    action = "login.failed"
