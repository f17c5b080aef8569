"""Conversion batch services: create, add paper dossiers, move them along
the workflow, reject with a reason, and the batch's progress figures.

Workflow (DOMAIN.md §5): received -> scanned -> checked -> approved ->
archived, one step at a time, forward only.  A rejection needs a reason and
sends an item back: from ``scanned`` (the check found the scan unusable) to
``received``, to be scanned again; from ``checked`` or ``approved`` (the
approver or the archivist found a problem) to ``scanned``, to be checked
again after the fix.  An archived item cannot be rejected.  Scanning records
the number of pages; archiving needs the archive dossier the paper dossier
became (same fonds).  Every step keeps who and when and fires an event
(journaled).
"""
import datetime
from collections import Counter, OrderedDict

from archive.errors import ArchiveError, DuplicateCode, NotFound, ValidationFailed
from archive.events import ArchiveEvent
from archive.i18n import _
from archive.resources import Dossier
from archive.resources.base import utcnow

from .resources import (
    APPROVED, ARCHIVED, CHECKED, RECEIVED, SCANNED, STATE_LABELS, STATES, BatchItem,
    ConversionBatch,
)

NEXT = {RECEIVED: SCANNED, SCANNED: CHECKED, CHECKED: APPROVED, APPROVED: ARCHIVED}
REJECT_TO = {SCANNED: RECEIVED, CHECKED: SCANNED, APPROVED: SCANNED}
DEFAULT_STUCK_DAYS = 7


class IllegalTransition(ArchiveError):
    """The step asked is not the item's next one (or a rejection of an item
    that cannot be rejected)."""

    status = 409
    message = _("Không thể chuyển hồ sơ từ trạng thái \"${current}\" sang \"${target}\".")

    def __init__(self, current, target):
        super().__init__(mapping={"current": STATE_LABELS.get(current, current),
                                  "target": STATE_LABELS.get(target, target)})
        self.current, self.target = current, target


class ReasonRequired(ArchiveError):
    status = 422
    message = _("Phải ghi lý do khi trả lại.")


class PagesRequired(ArchiveError):
    status = 422
    message = _("Phải ghi số trang đã quét (số nguyên dương).")


class DossierNotLinked(ArchiveError):
    status = 409
    message = _("Phải gắn hồ sơ lưu trữ (mã hồ sơ trong cùng phông) trước khi lưu kho.")


class BatchCreated(ArchiveEvent):
    action = "batch.create"


class BatchItemAdded(ArchiveEvent):
    action = "batch.item-add"


class BatchItemAdvanced(ArchiveEvent):
    action = "batch.advance"


class BatchItemRejected(ArchiveEvent):
    action = "batch.reject"


class BatchItemLinked(ArchiveEvent):
    action = "batch.link"


def create_batch(root, registry, actor, fonds, title, notes=""):
    """A new batch of ``fonds`` in ``root["batches"]``."""
    batch = ConversionBatch(fonds.code, title, actor.login, notes=notes)
    root["batches"].add(batch.id, batch)
    registry.notify(BatchCreated(batch, actor, {"fonds": fonds.code, "title": title}))
    return batch


def add_item(batch, registry, actor, paper_file_code, title, pages=None):
    """Receive a paper dossier into ``batch``.  Raises DuplicateCode when the
    paper file code is already in the batch."""
    if paper_file_code in batch.paper_codes:
        raise DuplicateCode(fields={"paper_file_code": _(
            "Hồ sơ giấy ${code} đã có trong đợt này.", mapping={"code": paper_file_code})})
    item = batch.add_item(BatchItem(paper_file_code, title, actor.login, pages=pages))
    registry.notify(BatchItemAdded(batch, actor, {"item": item.id, "paper_file_code": paper_file_code}))
    return item


def get_item(batch, item_id):
    item = batch.get_item(item_id)
    if item is None:
        raise NotFound()
    return item


def find_dossier(root, fonds_code, file_code):
    """The dossier of ``fonds_code`` with ``file_code``; raises ValidationFailed."""
    fonds = root["fonds"].get(fonds_code)
    dossier = fonds.get(fonds.file_codes.get(file_code, ""), None) if fonds is not None else None
    if not isinstance(dossier, Dossier):
        raise ValidationFailed(fields={"file_code": _(
            "Không có hồ sơ mã ${code} trong phông ${fonds}.",
            mapping={"code": file_code, "fonds": fonds_code})})
    return dossier


def link_dossier(batch, item, registry, actor, dossier):
    """Link an item to the archive dossier it became (same fonds)."""
    if dossier.fonds is None or dossier.fonds.code != batch.fonds_code:
        raise ValidationFailed(fields={"file_code": _("Hồ sơ phải thuộc phông của đợt số hóa.")})
    item.dossier_id = dossier.id
    registry.notify(BatchItemLinked(batch, actor, {"item": item.id, "dossier": dossier.id,
                                                   "file_code": dossier.file_code}))
    return item


def advance(batch, item, registry, actor, target, pages=None, now=None):
    """Move ``item`` one step forward to ``target``.  Scanning needs
    ``pages`` (> 0); archiving needs a linked dossier.  Raises
    IllegalTransition, PagesRequired, DossierNotLinked."""
    if NEXT.get(item.state) != target:
        raise IllegalTransition(item.state, target)
    extra = {}
    if target == SCANNED:
        if not isinstance(pages, int) or isinstance(pages, bool) or pages < 1:
            raise PagesRequired()
        item.pages = pages
        extra["pages"] = pages
    if target == ARCHIVED and not item.dossier_id:
        raise DossierNotLinked()
    previous = item.state
    item.step(target, actor.login, now or utcnow(), **extra)
    registry.notify(BatchItemAdvanced(batch, actor, dict(extra, item=item.id, paper_file_code=item.paper_file_code,
                                                         **{"from": previous, "to": target})))
    return item


def reject(batch, item, registry, actor, reason, now=None):
    """Send ``item`` back (see the module's docstring) with ``reason``.
    Raises ReasonRequired, IllegalTransition."""
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired(fields={"reason": ReasonRequired.message})
    target = REJECT_TO.get(item.state)
    if target is None:
        raise IllegalTransition(item.state, "rejected")
    previous = item.state
    item.step(target, actor.login, now or utcnow(), reason=reason, rejected_from=previous)
    item.rejections += 1
    item.last_reason = reason
    registry.notify(BatchItemRejected(batch, actor, {"item": item.id, "paper_file_code": item.paper_file_code,
                                                     "from": previous, "to": target, "reason": reason}))
    return item


def progress(batch, now=None, stuck_days=DEFAULT_STUCK_DAYS):
    """The batch's figures: ``counts`` per state (in workflow order),
    ``pages_per_day`` (pages scanned each day, oldest first; a rescan counts
    again), ``pages`` (pages of the items scanned so far), ``stuck`` (items
    not archived that have been in their state more than ``stuck_days``
    days, longest first, with their days) and ``rejections``."""
    now = now or utcnow()
    counts = Counter(item.state for item in batch.items.values())
    per_day = Counter()
    stuck = []
    limit = datetime.timedelta(days=stuck_days)
    rejections = 0
    pages = 0
    for item in batch.items.values():
        rejections += item.rejections
        if item.state != RECEIVED and item.pages:
            pages += item.pages
        for step in item.history:
            if step["state"] == SCANNED and step.get("pages"):
                per_day[step["at"].astimezone().date()] += step["pages"]  # the server's day
        if item.state != ARCHIVED and now - item.entered > limit:
            stuck.append((item, (now - item.entered).days))
    stuck.sort(key=lambda pair: pair[0].entered)
    return {
        "counts": OrderedDict((state, counts.get(state, 0)) for state in STATES),
        "total": len(batch),
        "pages": pages,
        "pages_per_day": sorted(per_day.items()),
        "stuck": stuck,
        "rejections": rejections,
    }


__all__ = ["IllegalTransition", "ReasonRequired", "PagesRequired", "DossierNotLinked",
           "BatchCreated", "BatchItemAdded", "BatchItemAdvanced", "BatchItemRejected",
           "BatchItemLinked", "create_batch", "add_item", "get_item", "find_dossier",
           "link_dossier", "advance", "reject", "progress", "NEXT", "REJECT_TO", "STATES"]
