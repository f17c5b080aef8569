"""Disposal of expired dossiers: propose, review, approve (four-eyes), destroy.

Shared by the web UI, the API and ``archive-disposal``.  Every function works
inside the caller's transaction, takes the acting ``Actor`` (whose ``login``
must be an active account: the four-eyes rule compares logins) and raises
named exceptions (``archive.disposal.errors``, and the retention package's
OnHold for a held dossier).

Destruction removes the dossiers from the tree, the object map, the fonds'
file-code index and the retention indexes, detaches their blobs and queues
their search entries for removal; a ``Tombstone`` remains for each.  The
bytes themselves leave the disk at the next pack (``archive.disposal.pack``,
``archive-pack``): ZODB keeps old revisions, and so their blobs, until then.
"""
import datetime

from ZODB.blob import Blob

from ..i18n import _
from ..resources import Dossier, Fonds, utcnow
from ..services.files import store_blob
from . import retention
from .errors import (
    AlreadyProposed, DossierNotClosed, EmptyProposal, FourEyesViolation, NotAllowed, NotDue,
    NotInFonds, PermanentDossier, UnknownActor, WrongDisposalState,
)
from .events import (
    DisposalApproved, DisposalDestroyed, DisposalProposed, DisposalRejected, DisposalReviewed,
    DossierDestroyed,
)
from .resources import Disposal, DisposalFile, Tombstone, ensure_disposals

STATE_LABELS = {
    "proposed": _("Đã lập danh mục"),
    "reviewed": _("Hội đồng đã thẩm định"),
    "approved": _("Đã có quyết định hủy"),
    "destroyed": _("Đã hủy"),
    "rejected": _("Không được duyệt"),
}
ADMINISTRATOR = "administrator"


def today_local():
    return datetime.date.today()


def acting_user(root, actor):
    """The active account behind ``actor``; raises UnknownActor."""
    user = root["users"].get(actor.login)
    if user is None or not user.active:
        raise UnknownActor(mapping={"login": actor.login})
    return user


def _require(disposal, *states):
    if disposal.state not in states:
        raise WrongDisposalState(mapping={"state": STATE_LABELS.get(disposal.state,
                                                                    disposal.state)})


def _item(dossier, due, early_reason):
    return {
        "dossier_id": dossier.id, "file_code": dossier.file_code,
        "fonds": dossier.fonds.code, "title": dossier.title, "year": dossier.year,
        "start_date": dossier.start_date, "end_date": dossier.end_date,
        "retention": dossier.retention, "retention_note": dossier.retention_note,
        "doc_total": dossier.doc_total, "page_total": dossier.page_total,
        "due": due.isoformat() if due else None, "early_reason": early_reason or "",
    }


def check_proposable(root, dossier, fonds, user, today, early_reason=""):
    """Why ``dossier`` may not be proposed, as a raised exception; else its due
    date.  A held dossier raises the retention package's OnHold."""
    code = dossier.file_code
    if dossier.fonds is not fonds:
        raise NotInFonds(mapping={"code": code, "fonds": fonds.code})
    retention.ensure_not_held(dossier)
    if retention.is_permanent(dossier):
        raise PermanentDossier(mapping={"code": code})
    if getattr(dossier, "disposal_id", None):
        other = root.objectmap.get(dossier.disposal_id)
        if other is not None and other.active:
            raise AlreadyProposed(mapping={"code": code, "number": other.number})
    if not dossier.closed:
        raise DossierNotClosed(mapping={"code": code})
    due = retention.due_date(dossier)
    if due is None or due > today:
        if not (early_reason and early_reason.strip() and user.role == ADMINISTRATOR):
            raise NotDue(mapping={"code": code, "due": due.strftime("%d/%m/%Y") if due else "?"})
    return due


def propose_disposal(root, registry, actor, fonds, dossiers, title, reason="", early=None,
                     today=None):
    """Open a disposal proposal for ``dossiers`` of ``fonds``.

    ``early`` maps dossier ids to the reason an administrator gives for
    proposing a dossier before it is due (refused for anybody else).  Held,
    permanent, open, already proposed or foreign dossiers are refused; so is an
    empty list.  Each dossier gets ``disposal_id`` and the state "proposed".
    """
    ensure_disposals(root)
    user = acting_user(root, actor)
    today = today or today_local()
    early = early or {}
    dossiers = list(dossiers)
    if not dossiers:
        raise EmptyProposal()
    if not isinstance(fonds, Fonds):
        raise NotInFonds(mapping={"code": "", "fonds": ""})
    items, seen = [], set()
    for dossier in dossiers:
        if not isinstance(dossier, Dossier) or dossier.id in seen:
            continue
        seen.add(dossier.id)
        early_reason = (early.get(dossier.id) or "").strip()
        due = check_proposable(root, dossier, fonds, user, today, early_reason)
        if due is not None and due <= today:
            early_reason = ""  # due after all: no override to report
        items.append(_item(dossier, due, early_reason))
    container = root["disposals"]
    disposal = Disposal(container.next_number(today.year), title, fonds.code, items,
                        actor.login, reason)
    container.add(disposal.id, disposal)
    for dossier in dossiers:
        if dossier.id in seen:
            dossier.disposal_id = disposal.id
            retention.set_state(dossier, "proposed")
    registry.notify(DisposalProposed(disposal, actor, {
        "number": disposal.number, "fonds": fonds.code, "dossiers": disposal.dossier_ids,
        "early": {i["dossier_id"]: i["early_reason"] for i in disposal.early_items}}))
    return disposal


def attach_minutes(disposal, spooled, actor):
    """Move a spooled upload into a new DisposalFile of ``disposal``."""
    stored = DisposalFile(spooled.name, spooled.size, spooled.media_type, spooled.sha256,
                          created_by=actor.login)
    return store_blob(disposal, stored, spooled)


def review_disposal(root, disposal, registry, actor, minutes, review_date, council_note=""):
    """Record the valuation council's review: its minutes (a spooled upload,
    required), the date of its meeting and a note.  proposed -> reviewed."""
    acting_user(root, actor)
    _require(disposal, "proposed")
    for dossier_id in disposal.dossier_ids:
        dossier = root.objectmap.get(dossier_id)
        if dossier is not None:
            retention.ensure_not_held(dossier)
    stored = attach_minutes(disposal, minutes, actor)
    disposal.minutes_id = stored.id
    disposal.review_date = _iso(review_date)
    disposal.council_note = council_note or ""
    disposal.reviewed_by = actor.login
    disposal.reviewed_at = utcnow()
    disposal.state = "reviewed"
    registry.notify(DisposalReviewed(disposal, actor, {
        "number": disposal.number, "minutes": stored.name, "sha256": stored.sha256,
        "review_date": disposal.review_date}))
    return disposal


def approve_disposal(root, disposal, registry, actor, decision_number, decision_date,
                     signer=""):
    """Record the destruction decision.  Four-eyes: refused (FourEyesViolation)
    when ``actor`` proposed the disposal, whatever their role.  reviewed -> approved."""
    user = acting_user(root, actor)
    if actor.login == disposal.proposed_by:
        raise FourEyesViolation()
    if user.role != ADMINISTRATOR:
        raise NotAllowed(mapping={"login": actor.login})
    _require(disposal, "reviewed")
    for dossier_id in disposal.dossier_ids:
        dossier = root.objectmap.get(dossier_id)
        if dossier is not None:
            retention.ensure_not_held(dossier)
    disposal.decision_number = decision_number.strip()
    disposal.decision_date = _iso(decision_date)
    disposal.decision_signer = (signer or "").strip()
    disposal.approved_by = actor.login
    disposal.approved_at = utcnow()
    disposal.state = "approved"
    registry.notify(DisposalApproved(disposal, actor, {
        "number": disposal.number, "decision_number": disposal.decision_number,
        "decision_date": disposal.decision_date, "proposed_by": disposal.proposed_by}))
    return disposal


def reject_disposal(root, disposal, registry, actor, reason):
    """Close a proposal without destroying anything (the council or the head
    of the agency refused it); its dossiers are free again."""
    acting_user(root, actor)
    _require(disposal, "proposed", "reviewed", "approved")
    disposal.state = "rejected"
    disposal.rejected_by = actor.login
    disposal.rejected_at = utcnow()
    disposal.reject_reason = reason or ""
    for dossier_id in disposal.dossier_ids:
        dossier = root.objectmap.get(dossier_id)
        if dossier is not None and getattr(dossier, "disposal_id", None) == disposal.id:
            dossier.disposal_id = None
            retention.set_state(dossier, "kept")
    registry.notify(DisposalRejected(disposal, actor, {"number": disposal.number,
                                                       "reason": disposal.reject_reason}))
    return disposal


def destroy_disposal(root, disposal, registry, actor):
    """Carry out an approved disposal: every dossier leaves the archive and a
    tombstone remains.  Nothing is destroyed when any of them is on hold (the
    retention package's OnHold is raised).  approved -> destroyed.

    The dossier's stored files lose their blobs here; the blob files leave the
    disk at the next pack.
    """
    user = acting_user(root, actor)
    if user.role != ADMINISTRATOR:
        raise NotAllowed(mapping={"login": actor.login})
    _require(disposal, "approved")
    ensure_disposals(root)
    dossiers = []
    for dossier_id in disposal.dossier_ids:
        dossier = root.objectmap.get(dossier_id)
        if isinstance(dossier, Dossier):
            retention.ensure_not_held(dossier)
            dossiers.append(dossier)
    now = utcnow()
    early = {item["dossier_id"]: item.get("early_reason", "") for item in disposal.items}
    for dossier in dossiers:
        root.tombstones.add(make_tombstone(dossier, disposal, actor, now,
                                           early.get(dossier.id, "")))
        registry.notify(DossierDestroyed(dossier, actor, {
            "file_code": dossier.file_code, "disposal": disposal.number,
            "decision_number": disposal.decision_number}))
        remove_dossier(root, dossier)
    disposal.destroyed_by = actor.login
    disposal.destroyed_at = now
    disposal.state = "destroyed"
    registry.notify(DisposalDestroyed(disposal, actor, {
        "number": disposal.number, "dossiers": [d.id for d in dossiers],
        "decision_number": disposal.decision_number}))
    return disposal


def make_tombstone(dossier, disposal, actor, now, early_reason=""):
    records = []
    for record in dossier.records():
        records.append({
            "doc_code": record.doc_code, "doc_type": getattr(record, "doc_type", ""),
            "number": record.display_number, "issued_date": getattr(record, "issued_date", None),
            "subject": getattr(record, "subject", ""),
            "files": [{"name": f.name, "size": f.size, "sha256": f.sha256,
                       "media_type": f.media_type, "role": getattr(f, "role", "")}
                      for f in record.values() if hasattr(f, "sha256")],
        })
    return Tombstone(
        dossier_id=dossier.id, file_code=dossier.file_code, fonds=dossier.fonds.code,
        organ_id=dossier.organ_id, year=dossier.year, notation=dossier.notation,
        title=dossier.title, start_date=dossier.start_date, end_date=dossier.end_date,
        retention=dossier.retention, retention_note=dossier.retention_note,
        access=getattr(dossier, "access", None), doc_total=dossier.doc_total,
        page_total=dossier.page_total, records=tuple(records), disposal_id=disposal.id,
        disposal_number=disposal.number, decision_number=disposal.decision_number,
        decision_date=disposal.decision_date, decision_signer=disposal.decision_signer,
        proposed_by=disposal.proposed_by, reviewed_by=disposal.reviewed_by,
        approved_by=disposal.approved_by, destroyed_by=actor.login, destroyed_at=now,
        early_reason=early_reason)


def _subtree(obj):
    """``obj`` and every persistent descendant kept in its folders."""
    yield obj
    values = getattr(obj, "values", None)
    if callable(values) and hasattr(obj, "data"):
        for child in list(values()):
            yield from _subtree(child)


def remove_dossier(root, dossier):
    """Take ``dossier`` out of the archive: retention indexes, object map
    (its documents and files too), the fonds' file codes, the tree; detach
    every blob beneath it so that no stray reference keeps one alive."""
    retention.forget(dossier)
    fonds = dossier.fonds
    for obj in list(_subtree(dossier)):
        oid = getattr(obj, "id", None)
        if oid and root.objectmap.get(oid) is obj:
            del root.objectmap[oid]
        if hasattr(obj, "_p_activate"):
            obj._p_activate()  # a ghost's __dict__ is empty
        for name, value in list(vars(obj).items()):
            if isinstance(value, Blob):
                setattr(obj, name, None)
    if fonds.file_codes.get(dossier.file_code) == dossier.id:
        del fonds.file_codes[dossier.file_code]
    fonds.remove(dossier.id)


def _iso(value):
    if value is None or value == "":
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# ---------------------------------------------------------------- queries

def get_disposals(root, state=None, fonds=None):
    """Disposals, newest first; optionally of one state or one fonds code."""
    container = root.get("disposals")
    if container is None:
        return []
    out = [d for d in container.values()
           if (state is None or d.state == state) and (fonds is None or d.fonds_code == fonds)]
    return sorted(out, key=lambda d: d.proposed_at, reverse=True)


def get_tombstones(root):
    tombstones = getattr(root, "tombstones", None)
    return tombstones if tombstones is not None else ()


def destruction_records(root, fonds=None, year=None):
    """Tombstones in order of destruction (then file code), optionally of one
    fonds code and one year of destruction: the destruction report's rows."""
    tombstones = getattr(root, "tombstones", None)
    if tombstones is None:
        return []
    source = tombstones.in_year(year) if year is not None else iter(tombstones)
    return [t for t in source if fonds is None or t.fonds == fonds]
