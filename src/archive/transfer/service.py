"""Transfers: choose the dossiers due, export them as a bag, record the
historical archive's receipt, or cancel.

Every dossier of a transfer is checked, on every path (web, API, script),
by ``check_transferable``: permanent, due for transfer (the retention
index's query), not on hold (``ensure_not_held``), closed, not transferred
and not in another pending transfer.  Export marks the dossiers
``transfer_pending``; only ``record_receipt`` marks them ``transferred``.
The services never commit: the caller's transaction does.
"""
import datetime

from ..errors import NotFound, ValidationFailed
from ..i18n import _
from ..resources import Dossier, utcnow
from ..resources.base import new_id
from . import bag as baglib
from .errors import (
    AlreadyTransferred, MixedFonds, NoTransfers, NothingToTransfer, NotDueForTransfer,
    NotPermanent, TransferPending, TransferState,
)
from .events import DossierTransferred, TransferCancelled, TransferExported, TransferReceived
from .resources import CANCELLED, EXPORTED, RECEIVED, Transfer

try:  # the retention package's public names (contracts.md)
    from ..retention import (
        due_for_transfer, ensure_not_held, index_entry, load_dossiers, reindex_dossier,
    )
except ImportError:  # pragma: no cover - before its __init__ exports them
    from ..retention.holds import ensure_not_held
    from ..retention.index import due_for_transfer, index_entry, load_dossiers, reindex_dossier


def transfers_of(root):
    transfers = root.get("transfers") if hasattr(root, "get") else None
    if transfers is None:
        raise NoTransfers()
    return transfers


def get_transfer(root, transfer_id):
    transfer = transfers_of(root).get(transfer_id)
    if transfer is None:
        raise NotFound()
    return transfer


def due_ids(root, fonds_code=None, until=None):
    """Ids of the dossiers due for transfer now (or by ``until``), not held,
    closed and not pending or transferred (the retention index's query)."""
    return due_for_transfer(root, until=until or datetime.date.today().year, fonds=fonds_code)


def check_transferable(root, dossier, due=None):
    """Raise the reason ``dossier`` may not go into a transfer now."""
    code = {"code": dossier.file_code}
    ensure_not_held(dossier)
    if getattr(dossier, "transferred", False):
        raise AlreadyTransferred(mapping=code)
    pending = getattr(dossier, "transfer_pending", None)
    if pending:
        transfer = root["transfers"].get(pending) if "transfers" in root else None
        raise TransferPending(mapping=dict(code, number=transfer.number if transfer else pending))
    if dossier.retention != "permanent":
        raise NotPermanent(mapping=code)
    if due is None:
        due = set(due_ids(root, dossier.fonds.code))
    if dossier.id not in due:
        raise NotDueForTransfer(mapping=code)


def select_due(root, fonds_code=None, year=None, dossier_ids=None, today=None):
    """The dossiers of one transfer.

    ``dossier_ids``: exactly those (each checked: an unknown id is NotFound,
    one that may not be transferred raises its reason).  Otherwise every
    dossier due now (``year``: only those whose deadline year is ``year``) of
    ``fonds_code``; without a fonds, the due dossiers must all be of one fonds
    (MixedFonds).  Raises NothingToTransfer when none is left.
    """
    this_year = (today or datetime.date.today()).year
    if dossier_ids:
        dossiers = []
        for oid in dict.fromkeys(dossier_ids):
            obj = root.objectmap.get(oid)
            if not isinstance(obj, Dossier) or (fonds_code and obj.fonds.code != fonds_code):
                # another fonds' dossier is "not found" here: no hint that it exists
                raise NotFound(message=_("Không có hồ sơ ${id}.", mapping={"id": oid}))
            dossiers.append(obj)
        fonds = {d.fonds.code for d in dossiers}
        if len(fonds) > 1:
            raise MixedFonds()
        due = set(due_ids(root, fonds.pop(), this_year))
        for dossier in dossiers:
            check_transferable(root, dossier, due)
        return sorted(dossiers, key=lambda d: d.file_code)
    if fonds_code is not None and fonds_code not in root["fonds"]:
        raise NotFound(message=_("Không có phông ${code}.", mapping={"code": fonds_code}))
    ids = due_ids(root, fonds_code, this_year)
    dossiers = load_dossiers(root, ids)
    if year is not None:
        dossiers = [d for d in dossiers if (index_entry(root, d.id) or {}).get("transfer_year") == year]
    if not dossiers:
        raise NothingToTransfer()
    if len({d.fonds.code for d in dossiers}) > 1:
        raise MixedFonds()
    due = set(ids)
    for dossier in dossiers:
        check_transferable(root, dossier, due)
    return sorted(dossiers, key=lambda d: d.file_code)


def export_transfer(root, registry, actor, dossiers, out_dir, doc_type_name=None, make_zip=False):
    """Write the bag of ``dossiers`` (see ``select_due``) under ``out_dir``,
    record the Transfer and mark the dossiers pending, all in the caller's
    transaction (the script; the web and the API queue a job instead:
    ``archive.transfer.job``).  Every dossier is checked again here.  Raises
    the errors of ``check_transferable``, MixedFonds, NothingToTransfer,
    BagExists, BagIntegrityError.  The bag is removed again when the
    transaction does not commit."""
    dossiers = list(dossiers)
    fonds = check_selection(root, dossiers)
    transfers = transfers_of(root)
    now = utcnow()
    number = transfers.next_number(now.year)
    transfer_id = new_id()
    name = bag_name(number, fonds.code)
    result = baglib.write_bag(out_dir, name, fonds, dossiers, number, transfer_id,
                              now.isoformat(), actor, doc_type_name, make_zip=make_zip)
    _remove_unless_committed(root, result.path)
    if result.zip_path:
        _remove_unless_committed(root, result.zip_path)
    return record_export(root, registry, actor, dossiers, fonds, number, transfer_id, {
        "bag_name": result.name, "bag_dir": result.path, "zip_path": result.zip_path,
        "payload_oxum": result.payload_oxum, "counts": result.counts}, created=now)


def bag_name(number, fonds_code):
    return f"{number}-{fonds_code}"


def check_selection(root, dossiers):
    """The fonds of ``dossiers`` after checking each may go into a transfer
    now (NothingToTransfer, MixedFonds, the reasons of check_transferable)."""
    if not dossiers:
        raise NothingToTransfer()
    if len({d.fonds.code for d in dossiers}) > 1:
        raise MixedFonds()
    fonds = dossiers[0].fonds
    due = set(due_ids(root, fonds.code))
    for dossier in dossiers:
        check_transferable(root, dossier, due)
    return fonds


def record_export(root, registry, actor, dossiers, fonds, number, transfer_id, bag, created=None):
    """Record the Transfer of a bag written for ``dossiers`` (already
    checked) and mark them pending; fires TransferExported.  ``bag``: dict
    of bag_name, bag_dir, zip_path, payload_oxum, counts (dossiers, records,
    files, bytes)."""
    transfers = transfers_of(root)
    snapshot = []
    for dossier in dossiers:
        files = [f for r in dossier.values() for f in r.values()]
        snapshot.append({"id": dossier.id, "file_code": dossier.file_code, "title": dossier.title,
                         "start_date": dossier.start_date, "end_date": dossier.end_date,
                         "doc_total": dossier.doc_total, "page_total": dossier.page_total,
                         "files": len(files), "bytes": sum(f.size for f in files)})
    transfer = Transfer(number, fonds.code, fonds.name, snapshot, actor.login,
                        transfer_id=transfer_id, created=created)
    counts = bag["counts"]
    transfer.bag_name = bag["bag_name"]
    transfer.bag_dir = bag["bag_dir"]
    transfer.zip_path = bag.get("zip_path")
    transfer.payload_oxum = bag["payload_oxum"]
    transfer.file_total = counts["files"]
    transfer.byte_total = counts["bytes"]
    transfers.add(transfer.id, transfer)
    for dossier in dossiers:
        dossier.transfer_pending = transfer.id
        reindex_dossier(root, dossier)
    registry.notify(TransferExported(transfer, actor, {
        "number": number, "fonds": fonds.code, "dossiers": [d.file_code for d in dossiers],
        "files": counts["files"], "bytes": counts["bytes"],
        "bag": bag["bag_dir"], "payload_oxum": bag["payload_oxum"]}))
    return transfer


def _remove_unless_committed(root, path):
    """A bag written for a transaction that then fails is removed."""
    jar = getattr(root, "_p_jar", None)
    if jar is None:
        return
    import os
    import shutil

    def cleanup(committed):
        if not committed and os.path.exists(path):
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.remove(path)

    txn = jar.transaction_manager.get()
    txn.addAfterCommitHook(cleanup)
    txn.addAfterAbortHook(lambda: cleanup(False))


def parse_date(value):
    """An ISO date (YYYY-MM-DD) or DD/MM/YYYY, as ISO text; ValidationFailed otherwise."""
    text = str(value or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise ValidationFailed(fields={"receipt_date": _("Ngày không hợp lệ: nhập DD/MM/YYYY.")})


def record_receipt(transfer, registry, actor, receipt_number, receipt_date):
    """Record the receipt (biên bản giao nhận) of the historical archive:
    the transfer becomes ``received`` and its dossiers ``transferred``.
    Raises TransferState (not pending), OnHold (a dossier was put on hold
    meanwhile: release it or cancel the transfer), ValidationFailed."""
    if transfer.state != EXPORTED:
        raise TransferState(mapping={"number": transfer.number, "state": transfer.state})
    receipt_number = str(receipt_number or "").strip()
    if not receipt_number:
        raise ValidationFailed(fields={"receipt_number": _("Bắt buộc nhập.")})
    if len(receipt_number) > 100:
        raise ValidationFailed(fields={"receipt_number": _("Tối đa ${max} ký tự.", mapping={"max": 100})})
    receipt_date = parse_date(receipt_date)
    if receipt_date < transfer.created.date().isoformat() or \
            receipt_date > datetime.date.today().isoformat():
        raise ValidationFailed(fields={"receipt_date": _(
            "Ngày giao nhận phải từ ngày lập gói đến hôm nay.")})
    root = transfer.__parent__.__parent__
    dossiers = [root.objectmap.get(oid) for oid in transfer.dossier_ids]
    for dossier in dossiers:
        if dossier is not None:
            ensure_not_held(dossier)
    transfer.state = RECEIVED
    transfer.receipt_number = receipt_number
    transfer.receipt_date = receipt_date
    transfer.received_at = utcnow()
    transfer.received_by = actor.login
    for dossier in dossiers:
        if dossier is None:
            continue
        dossier.transferred = True
        dossier.transferred_at = receipt_date
        dossier.transfer_id = transfer.id
        dossier.transfer_receipt = receipt_number
        dossier.transfer_pending = None
        reindex_dossier(root, dossier)
        registry.notify(DossierTransferred(dossier, actor, {
            "transfer": transfer.number, "receipt_number": receipt_number,
            "receipt_date": receipt_date}))
    registry.notify(TransferReceived(transfer, actor, {
        "number": transfer.number, "receipt_number": receipt_number, "receipt_date": receipt_date,
        "dossiers": [d["file_code"] for d in transfer.dossiers]}))
    return transfer


def cancel_transfer(transfer, registry, actor, reason):
    """Cancel a transfer not yet received: its dossiers may be offered again.
    The bag on disk is left for the operator to delete.  Raises TransferState,
    ValidationFailed (no reason)."""
    if transfer.state != EXPORTED:
        raise TransferState(mapping={"number": transfer.number, "state": transfer.state})
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": _("Bắt buộc nhập.")})
    root = transfer.__parent__.__parent__
    transfer.state = CANCELLED
    transfer.cancelled_at = utcnow()
    transfer.cancelled_by = actor.login
    transfer.cancel_reason = reason[:1000]
    for oid in transfer.dossier_ids:
        dossier = root.objectmap.get(oid)
        if dossier is not None and getattr(dossier, "transfer_pending", None) == transfer.id:
            dossier.transfer_pending = None
            reindex_dossier(root, dossier)
    registry.notify(TransferCancelled(transfer, actor, {"number": transfer.number, "reason": reason}))
    return transfer


def list_transfers(root):
    """Newest first."""
    return sorted(transfers_of(root).values(), key=lambda t: t.created, reverse=True)
