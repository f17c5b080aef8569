"""Conversion batches: paper dossiers being digitised (DOMAIN.md §5).

``/batches/<id>`` is a ConversionBatch of one fonds; its items are the paper
dossiers of the batch, each moving received -> scanned -> checked ->
approved -> archived, with who and when for every step (``history``).
"""
from BTrees.OOBTree import OOBTree
from BTrees.Length import Length
from persistent import Persistent

from archive import security
from archive.i18n import _
from archive.resources.base import Folder, new_id, utcnow

RECEIVED, SCANNED, CHECKED, APPROVED, ARCHIVED = \
    "received", "scanned", "checked", "approved", "archived"
STATES = (RECEIVED, SCANNED, CHECKED, APPROVED, ARCHIVED)
STATE_LABELS = {
    RECEIVED: _("Đã tiếp nhận"),
    SCANNED: _("Đã quét"),
    CHECKED: _("Đã kiểm tra"),
    APPROVED: _("Đã duyệt"),
    ARCHIVED: _("Đã lưu kho"),
    "rejected": _("Đã trả lại"),  # a state; the button is "Trả lại"
}


class Batches(Folder):
    """The folder of conversion batches (``root["batches"]``)."""

    title = "Đợt số hóa"


class ConversionBatch(Persistent):
    """A batch of paper dossiers of one fonds being digitised.

    ``items`` maps item id -> BatchItem; ``paper_codes`` maps a paper file
    code -> item id (unique within the batch).  Its ACL is the fonds':
    archivists granted the fonds have ``digitise`` on it.
    """

    __name__ = None
    __parent__ = None
    notes = ""

    def __init__(self, fonds_code, title, created_by, notes=""):
        self.id = new_id()
        self.fonds_code = fonds_code
        self.title = title
        self.notes = notes
        self.created_by = created_by
        self.created = utcnow()
        self.items = OOBTree()
        self.paper_codes = OOBTree()
        self._num = Length()

    def __len__(self):
        return self._num()

    def add_item(self, item):
        item.__parent__ = self
        self.items[item.id] = item
        self.paper_codes[item.paper_file_code] = item.id
        self._num.change(1)
        return item

    def get_item(self, item_id):
        return self.items.get(item_id)

    def ordered_items(self):
        """Items in the order they were received (by paper file code within a day)."""
        return sorted(self.items.values(), key=lambda i: (i.created, i.paper_file_code))

    @property
    def __acl__(self):
        return security.fonds_acl(self.fonds_code)


class BatchItem(Persistent):
    """One paper dossier of a batch: its paper file code and title, pages
    once scanned, the archive dossier it became (``dossier_id``) and every
    step taken (``history``: dicts with state, login, at, and the reason of a
    rejection)."""

    __parent__ = None
    pages = None
    dossier_id = None
    rejections = 0
    last_reason = ""

    def __init__(self, paper_file_code, title, actor_login, pages=None):
        self.id = new_id()
        self.paper_file_code = paper_file_code
        self.title = title
        self.pages = pages
        self.created = utcnow()
        self.state = RECEIVED
        self.entered = self.created  # when it reached its present state
        self.history = [{"state": RECEIVED, "login": actor_login, "at": self.created}]

    def step(self, state, login, at, **extra):
        self.state = state
        self.entered = at
        self.history = self.history + [dict(extra, state=state, login=login, at=at)]
