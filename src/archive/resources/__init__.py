"""The content tree: ArchiveRoot -> Fonds -> Dossier -> Record -> StoredFile.

Every resource has a stable ``id`` (registered in ``ArchiveRoot.objectmap``) and
plain ``__name__``/``__parent__``.  New attributes get class defaults so that
old pickles load; a renamed class needs an evolve step.
"""
from BTrees.LOBTree import LOBTree
from BTrees.Length import Length
from BTrees.OOBTree import OOBTree
from persistent import Persistent
from ZODB.blob import Blob

from .. import security
from .base import Folder, find_archive_root, find_parent, new_id, utcnow

__all__ = [
    "ArchiveRoot", "FondsContainer", "Fonds", "Dossier", "Record", "StoredFile",
    "Users", "User", "Journal", "Folder", "new_id", "utcnow", "find_archive_root",
    "find_parent",
]

# Field names of the national metadata (DOMAIN.md §2, §3, §6), shared by the API,
# the forms and the services.
DOSSIER_FIELDS = (
    "organ_id", "year", "notation", "title", "retention", "retention_note", "retention_entry",
    "access",
    "language", "start_date", "end_date", "creator", "keywords", "info_mark",
    "physical_state", "provenance", "paper_file_code", "sheet_total",
    "backup_required", "backup_done", "notes",
)
ONESTOP_FIELDS = (
    "procedure_code", "procedure_name", "receipt_code", "applicant_name",
    "applicant_kind", "applicant_id", "field_name", "received_date", "due_date",
    "returned_date", "channel", "handling_unit", "status", "district",
)
RECORD_FIELDS = (
    "doc_type", "number", "notation", "issued_date", "issuer", "subject", "signer",
    "secrecy", "urgency", "access", "language", "provenance", "physical_state",
    "keywords", "notes", "autograph",
)


class ArchiveRoot(Folder):
    """The application root: ``fonds`` and ``users`` folders, the object map
    (stable id -> resource), API tokens (sha256 -> token info), the journal and
    the data generation (see ``archive.evolve``)."""

    is_archive_root = True
    title = "Dossier Archive"
    generation = 0

    def __init__(self):
        super().__init__()
        self.objectmap = OOBTree()
        self.tokens = OOBTree()
        self.journal = Journal()
        self.add("fonds", FondsContainer())
        self.add("users", Users())

    @property
    def __acl__(self):
        return security.root_acl()


class FondsContainer(Folder):
    title = "Phông lưu trữ"


class Fonds(Folder):
    """A fonds (phông lưu trữ): one agency, keyed by its code.  Keeps a
    file_code -> dossier id index so a file code is unique within it."""

    synthetic = False  # generated sample data (archive-sample)

    def __init__(self, code, name, organ_id):
        super().__init__()
        self.id = new_id()
        self.code = code
        self.name = name
        self.organ_id = organ_id
        self.file_codes = OOBTree()
        self.created = utcnow()

    @property
    def title(self):
        return self.name

    @property
    def __acl__(self):
        return security.fonds_acl(self.code)


class OrdinalCounter(Persistent):
    """The next document ordinal of one dossier.

    Gapless numbering needs one writer at a time: this tiny object is the only
    thing concurrent filings into one dossier conflict on (the records folder
    and its Length resolve their conflicts), so a retry is cheap.
    """

    def __init__(self):
        self.value = 0

    def next(self):
        self.value += 1
        return self.value


class Dossier(Folder):
    """A dossier (hồ sơ): the unit of filing, retention and access.

    ``file_code``, ``doc_total`` and ``page_total`` are computed, never typed.
    A closed dossier is read-only (see ``archive.services.dossiers``).
    """

    # class defaults: old pickles load when fields are added
    retention_note = ""
    language = ("vi",)
    start_date = end_date = None
    creator = keywords = info_mark = paper_file_code = notes = ""
    physical_state = "01"
    provenance = "01"
    sheet_total = None
    backup_required = False
    backup_done = False
    closed = False
    closed_at = None
    closed_by = None
    procedure_code = procedure_name = receipt_code = applicant_name = ""
    applicant_kind = applicant_id = field_name = channel = handling_unit = ""
    status = district = ""
    received_date = due_date = returned_date = None
    synthetic = False
    # retention (archive.retention): the schedule entry and version the period was
    # decided under ("" / None: a typed period), the active and all legal holds
    retention_entry = ""
    retention_entry_version = None
    hold_ids = ()
    hold_history = ()

    def __init__(self, **fields):
        super().__init__()
        self.id = new_id()
        self._ordinals = OrdinalCounter()
        self.created = self.modified = utcnow()
        self.created_by = fields.pop("created_by", None)
        for name, value in fields.items():
            setattr(self, name, value)

    @property
    def file_code(self):
        return f"{self.organ_id}.{self.year}.{self.notation}"

    @property
    def fonds(self):
        return find_parent(self, Fonds)

    @property
    def doc_total(self):
        return len(self)

    @property
    def page_total(self):
        return sum(record.page_count or 0 for record in self.values())

    def records(self):
        return sorted(self.values(), key=lambda r: r.ordinal)

    def next_ordinal(self):
        return self._ordinals.next()

    @property
    def __acl__(self):
        fonds = self.fonds
        return security.dossier_acl(fonds.code if fonds else "", self.access, self.closed,
                                    held=bool(self.hold_ids))


class Record(Folder):
    """A document (văn bản) of a dossier; contains its StoredFiles."""

    number = notation = signer = keywords = notes = autograph = ""
    secrecy = "none"
    urgency = "none"
    language = ("vi",)
    access = None
    provenance = None
    physical_state = None

    def __init__(self, ordinal, **fields):
        super().__init__()
        self.id = new_id()
        self.ordinal = ordinal
        self.created = self.modified = utcnow()
        self.created_by = fields.pop("created_by", None)
        for name, value in fields.items():
            setattr(self, name, value)

    @property
    def dossier(self):
        return find_parent(self, Dossier)

    @property
    def __acl__(self):
        """A classified (access 03) document is hidden from officials even in
        an open dossier."""
        dossier = self.dossier
        fonds = dossier.fonds if dossier is not None else None
        return security.dossier_acl(fonds.code if fonds else "", self.access, closed=False)

    @property
    def doc_code(self):
        return f"{self.dossier.file_code}.{self.ordinal:07d}"

    @property
    def display_number(self):
        if self.number and self.notation:
            return f"{self.number}/{self.notation}"
        return self.number or self.notation or ""

    @property
    def page_count(self):
        counts = [f.page_count for f in self.values() if f.role == "original" and f.page_count]
        return sum(counts) if counts else None

    def files(self):
        return sorted(self.values(), key=lambda f: f.created)


class BlobFile(Persistent):
    """A computer file kept in a ZODB blob, with its name, size, media type,
    SHA-256, who and when.  Never overwritten: a new version is a new object."""

    __name__ = None
    __parent__ = None
    page_count = None
    role = "original"

    def __init__(self, name, size, media_type, sha256, created_by, role=None):
        self.id = new_id()
        self.name = name
        self.size = size
        self.media_type = media_type
        self.sha256 = sha256
        self.created_by = created_by
        self.created = utcnow()
        self.role = role or type(self).role
        self.blob = Blob()

    @property
    def title(self):
        return self.name


class StoredFile(BlobFile):
    """One file of a document (record): the original, or a rendition."""

    def __init__(self, name, size, media_type, sha256, created_by, role="original"):
        super().__init__(name, size, media_type, sha256, created_by, role)

    @property
    def record(self):
        return self.__parent__


class Users(Folder):
    title = "Người dùng"


class User(Persistent):
    """An account: login, argon2 password hash, one role, granted fonds codes."""

    __name__ = None
    __parent__ = None
    name = ""
    active = True
    language = "vi"

    def __init__(self, login, role, password_hash, fonds=(), name=""):
        self.id = new_id()
        self.login = login
        self.role = role
        self.password_hash = password_hash
        self.fonds = tuple(fonds)
        self.name = name
        self.created = utcnow()

    @property
    def title(self):
        return self.name or self.login


class Journal(Persistent):
    """The append-only journal of changes, reads and downloads.

    Entries are immutable dicts in an LOBTree keyed by a microsecond timestamp
    (made unique); inserts of new keys resolve their conflicts, so concurrent
    requests can all append.  There is no method to change or remove an entry.
    """

    def __init__(self):
        self.entries = LOBTree()
        self._num = Length()

    def append(self, key, entry):
        while key in self.entries:
            key += 1
        self.entries[key] = dict(entry)
        self._num.change(1)
        return key

    def __len__(self):
        return self._num()

    def latest(self, start=0, size=50):
        """Newest first, paginated."""
        out = []
        for i, key in enumerate(reversed(self.entries.keys())):
            if i < start:
                continue
            if len(out) >= size:
                break
            out.append(dict(self.entries[key]))
        return out
