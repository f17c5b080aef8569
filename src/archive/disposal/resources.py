"""Persistent classes of disposal: proposals (the disposal file) and tombstones.

``root["disposals"]`` (a ``DisposalContainer``) keeps every ``Disposal``: the
list of expired dossiers (danh mục tài liệu hết giá trị), the valuation
council's minutes, the destruction decision and who did what.  It is the
destruction file the law keeps at least 20 years: the container refuses to
remove one.  ``root.tombstones`` keeps one ``Tombstone`` per destroyed dossier,
forever: its codes, title, dates, retention, the decision and the approvers.
"""
import datetime

from BTrees.Length import Length
from BTrees.OOBTree import OOBTree
from persistent import Persistent
from pyramid.authorization import ALL_PERMISSIONS, Allow, Deny, Everyone

from .. import security
from ..resources import BlobFile
from ..resources.base import Folder, new_id, utcnow
from .errors import DisposalKept

STATES = ("proposed", "reviewed", "approved", "destroyed", "rejected")
ACTIVE_STATES = ("proposed", "reviewed", "approved")
KEEP_YEARS = 20


def iso(value):
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class DisposalContainer(Folder):
    """``/disposals/``: every disposal proposal, keyed by id.  Archivists may
    list it (each proposal's own ACL then decides what they see)."""

    title = "Hủy tài liệu hết giá trị"

    def __init__(self):
        super().__init__()
        self.counters = OOBTree()   # year -> last serial of the disposal number

    @property
    def __acl__(self):
        return [(Allow, security.role_principal("archivist"), (security.VIEW,))]

    def next_number(self, year):
        serial = self.counters.get(year, 0) + 1
        self.counters[year] = serial
        return f"HUY-{year}-{serial:03d}"

    def remove(self, name):
        raise DisposalKept()


class DisposalFile(BlobFile):
    """A file of the disposal record (the council's minutes): a blob with its
    name, size, media type and SHA-256, never overwritten."""

    role = "minutes"

    def to_dict(self):
        return {"id": self.id, "name": self.name, "size": self.size,
                "media_type": self.media_type, "sha256": self.sha256, "role": self.role,
                "created": iso(self.created), "created_by": self.created_by}


class Disposal(Folder):
    """One disposal proposal and, once carried out, its destruction record.

    ``items`` are frozen at proposal time (what the council reviewed).  The
    state goes proposed -> reviewed -> approved -> destroyed, or to rejected
    before destruction.  Contains its ``DisposalFile``s (the minutes).
    """

    state = "proposed"
    reason = ""
    reviewed_by = reviewed_at = review_date = None
    council_note = ""
    minutes_id = None
    approved_by = approved_at = decision_number = decision_date = None
    decision_signer = ""
    destroyed_by = destroyed_at = None
    rejected_by = rejected_at = None
    reject_reason = ""

    def __init__(self, number, title, fonds_code, items, proposed_by, reason=""):
        super().__init__()
        self.id = new_id()
        self.number = number
        self.title = title
        self.fonds_code = fonds_code
        self.items = tuple(dict(item) for item in items)
        self.proposed_by = proposed_by
        self.proposed_at = utcnow()
        self.reason = reason

    @property
    def __acl__(self):
        """Closed list: administrators everything (approval, destruction),
        auditors read the metadata, the fonds' archivists prepare the
        proposal; nobody else, whatever the container grants."""
        return [
            (Allow, security.role_principal("administrator"), ALL_PERMISSIONS),
            (Allow, security.role_principal("auditor"), (security.VIEW, security.REPORT)),
            (Allow, security.grant_principal(self.fonds_code, "archivist"),
             (security.VIEW, security.DOWNLOAD, security.PROPOSE_DISPOSAL)),
            (Deny, Everyone, ALL_PERMISSIONS),
        ]

    @property
    def minutes(self):
        return self.get(self.minutes_id) if self.minutes_id else None

    @property
    def dossier_ids(self):
        return [item["dossier_id"] for item in self.items]

    @property
    def early_items(self):
        return [item for item in self.items if item.get("early_reason")]

    @property
    def keep_until(self):
        """The destruction file is kept at least 20 years after destruction
        (2011 Law Art. 28); this archive never removes it."""
        start = self.destroyed_at or self.proposed_at
        try:
            return start.date().replace(year=start.year + KEEP_YEARS)
        except ValueError:  # 29 February
            return start.date().replace(year=start.year + KEEP_YEARS, day=28)

    @property
    def active(self):
        return self.state in ACTIVE_STATES

    def to_dict(self):
        minutes = self.minutes
        return {
            "id": self.id, "number": self.number, "title": self.title,
            "fonds": self.fonds_code, "state": self.state, "reason": self.reason,
            "proposed_by": self.proposed_by, "proposed_at": iso(self.proposed_at),
            "items": [dict(item) for item in self.items],
            "reviewed_by": self.reviewed_by, "reviewed_at": iso(self.reviewed_at),
            "review_date": self.review_date, "council_note": self.council_note,
            "minutes": minutes.to_dict() if minutes is not None else None,
            "approved_by": self.approved_by, "approved_at": iso(self.approved_at),
            "decision_number": self.decision_number, "decision_date": self.decision_date,
            "decision_signer": self.decision_signer,
            "destroyed_by": self.destroyed_by, "destroyed_at": iso(self.destroyed_at),
            "rejected_by": self.rejected_by, "rejected_at": iso(self.rejected_at),
            "reject_reason": self.reject_reason, "keep_until": iso(self.keep_until),
        }


TOMBSTONE_FIELDS = (
    "dossier_id", "file_code", "fonds", "organ_id", "year", "notation", "title",
    "start_date", "end_date", "retention", "retention_note", "access", "doc_total",
    "page_total", "records", "disposal_id", "disposal_number", "decision_number",
    "decision_date", "decision_signer", "proposed_by", "reviewed_by", "approved_by",
    "destroyed_by", "destroyed_at", "early_reason",
)


class Tombstone(Persistent):
    """What remains of a destroyed dossier, forever: never changed, never removed."""

    early_reason = ""
    decision_signer = ""
    access = None

    def __init__(self, **fields):
        for name in TOMBSTONE_FIELDS:
            setattr(self, name, fields.get(name))

    @property
    def id(self):
        return self.dossier_id

    def to_dict(self):
        out = {name: iso(getattr(self, name, None)) for name in TOMBSTONE_FIELDS}
        out["records"] = [dict(r) for r in (self.records or ())]
        return out


class Tombstones(Persistent):
    """``root.tombstones``: dossier id -> Tombstone, plus (destroyed_at, file
    code, id) keys in destruction order for the destruction report."""

    def __init__(self):
        self.data = OOBTree()
        self.by_date = OOBTree()
        self._num = Length()

    def add(self, tombstone):
        if tombstone.dossier_id in self.data:
            raise KeyError(tombstone.dossier_id)
        self.data[tombstone.dossier_id] = tombstone
        key = (tombstone.destroyed_at.isoformat(), tombstone.file_code, tombstone.dossier_id)
        self.by_date[key] = tombstone.dossier_id
        self._num.change(1)
        return tombstone

    def get(self, dossier_id, default=None):
        return self.data.get(dossier_id, default)

    def __len__(self):
        return self._num()

    def __iter__(self):
        """Tombstones in order of destruction."""
        for dossier_id in self.by_date.values():
            yield self.data[dossier_id]

    def in_year(self, year):
        low, high = (f"{year:04d}",), (f"{year + 1:04d}",)
        for dossier_id in self.by_date.values(low, high, excludemax=True):
            yield self.data[dossier_id]


def date_value(value):
    """An ISO date string (or date) as a ``datetime.date``, None when empty."""
    if not value:
        return None
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def ensure_disposals(root):
    """Create ``root["disposals"]`` and ``root.tombstones`` when missing
    (evolve step 5; works on an empty and on a full archive)."""
    if "disposals" not in root:
        root.add("disposals", DisposalContainer())
    if getattr(root, "tombstones", None) is None:
        root.tombstones = Tombstones()
