"""Persistent transfer records: ``root["transfers"]`` and its Transfers."""
from BTrees.OOBTree import OOBTree
from persistent import Persistent

from .. import security
from ..resources.base import Folder, new_id, utcnow

EXPORTED, RECEIVED, CANCELLED = "exported", "received", "cancelled"
STATES = (EXPORTED, RECEIVED, CANCELLED)


class Transfers(Folder):
    """All transfers to the historical archive, keyed by stable id; numbers
    (``NL-<year>-<NNNN>``) are given per year by ``next_number``."""

    title = "Nộp lưu"

    def __init__(self):
        super().__init__()
        self.counters = OOBTree()   # year -> last number given

    def next_number(self, year):
        value = self.counters.get(year, 0) + 1
        self.counters[year] = value
        return f"NL-{year}-{value:04d}"

    # the export jobs (archive.transfer.job) per fonds: (fonds code, created_ns)
    # -> job id, made at the first job (no evolve step needed)
    jobs = None

    def add_job(self, fonds_code, job):
        if self.jobs is None:
            self.jobs = OOBTree()
        self.jobs[(fonds_code, job.created_ns)] = job.id

    def job_ids(self, fonds_code, limit=50):
        """Ids of the fonds' export jobs, newest first."""
        if self.jobs is None:
            return []
        out = []
        for key in reversed(self.jobs.keys((fonds_code, 0), (fonds_code, 2 ** 64))):
            out.append(self.jobs[key])
            if len(out) >= limit:
                break
        return out


class Transfer(Persistent):
    """One transfer: the dossiers in the bag, where the bag was written, its
    state (exported -> received | cancelled) and the receipt."""

    __name__ = None
    __parent__ = None
    state = EXPORTED
    receipt_number = ""
    receipt_date = None
    received_at = None
    received_by = None
    cancelled_at = None
    cancelled_by = None
    cancel_reason = ""
    zip_path = None

    def __init__(self, number, fonds_code, fonds_name, dossiers, created_by, transfer_id=None,
                 created=None):
        self.id = transfer_id or new_id()
        self.number = number
        self.fonds_code = fonds_code
        self.fonds_name = fonds_name
        self.dossiers = tuple(dict(d) for d in dossiers)   # snapshot: id, file_code, title...
        self.created = created or utcnow()
        self.created_by = created_by
        self.bag_name = None
        self.bag_dir = None
        self.payload_oxum = None
        self.file_total = 0
        self.byte_total = 0

    @property
    def dossier_ids(self):
        return tuple(d["id"] for d in self.dossiers)

    @property
    def title(self):
        return self.number

    @property
    def __acl__(self):
        # the archivists of the fonds may follow their transfer to the end
        return security.fonds_acl(self.fonds_code)


def ensure_transfers(root):
    """Create ``root["transfers"]`` when missing (evolve step; idempotent)."""
    if "transfers" not in root:
        root.add("transfers", Transfers())
    return root["transfers"]
