"""Legal holds (tạm giữ): while a dossier is held nothing about it may change,
be proposed for disposal, destroyed or transferred, by any path.

The web layer refuses through the dossier's ACL (``archive.security
.dossier_acl``, held=True); the services refuse through ``ensure_not_held``,
so that scripts and jobs are refused too.  Every hold is kept forever in
``root.holds``; a release is recorded on the hold (who, when, why).
"""
from persistent import Persistent

from ..errors import ValidationFailed
from ..i18n import _
from ..resources import new_id, utcnow
from .errors import NotHeld, OnHold
from .events import HoldPlaced, HoldReleased
from .index import reindex_dossier

KINDS = (
    ("complaint", _("Khiếu nại, tố cáo")),
    ("inspection", _("Thanh tra, kiểm tra")),
    ("litigation", _("Tranh chấp, tố tụng")),
    ("other", _("Lý do khác")),
)
KIND_CODES = tuple(code for code, _label in KINDS)


class Hold(Persistent):
    """One hold on one dossier.  Never removed; released at most once."""

    released_at = None
    released_by = None
    release_reason = ""

    def __init__(self, dossier, kind, reference, reason, placed_by):
        self.id = new_id()
        self.dossier_id = dossier.id
        self.file_code = dossier.file_code
        self.fonds = dossier.fonds.code if dossier.fonds is not None else ""
        self.kind = kind
        self.reference = reference
        self.reason = reason
        self.placed_by = placed_by
        self.placed_at = utcnow()

    @property
    def active(self):
        return self.released_at is None

    def as_dict(self):
        return {"id": self.id, "dossier_id": self.dossier_id, "file_code": self.file_code,
                "fonds": self.fonds, "kind": self.kind, "reference": self.reference,
                "reason": self.reason, "placed_by": self.placed_by,
                "placed_at": self.placed_at.isoformat(), "active": self.active,
                "released_by": self.released_by,
                "released_at": self.released_at.isoformat() if self.released_at else None,
                "release_reason": self.release_reason}


def is_held(dossier):
    return bool(getattr(dossier, "hold_ids", ()))


def ensure_not_held(dossier):
    """Raise OnHold (409) when ``dossier`` is under an active hold."""
    if dossier is not None and is_held(dossier):
        raise OnHold()


def _root_holds(root):
    holds = getattr(root, "holds", None)
    if holds is None:
        raise ValidationFailed(message=_("Cơ sở dữ liệu chưa được nâng cấp (archive-evolve)."))
    return holds


def place_holds(root, registry, actor, dossiers, reason, kind, reference):
    """Put every dossier of ``dossiers`` on hold with ``reason``, ``kind``
    (complaint, inspection, litigation, other) and ``reference`` (the number
    of the complaint, inspection decision or case).  Returns the new Holds.
    A dossier already held gets one more hold (each is released on its own).
    Raises ValidationFailed (no dossier, no reason, unknown kind)."""
    holds = _root_holds(root)
    reason = (reason or "").strip()
    reference = (reference or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = _("Bắt buộc nhập.")
    if kind not in KIND_CODES:
        errors["kind"] = _("Giá trị không hợp lệ: chọn một mục trong danh sách.")
    if not dossiers:
        errors["dossiers"] = _("Chọn ít nhất một hồ sơ.")
    if errors:
        raise ValidationFailed(fields=errors)
    placed = []
    for dossier in dossiers:
        hold = Hold(dossier, kind, reference, reason, actor.login)
        holds[hold.id] = hold
        dossier.hold_ids = tuple(getattr(dossier, "hold_ids", ())) + (hold.id,)
        dossier.hold_history = tuple(getattr(dossier, "hold_history", ())) + (hold.id,)
        reindex_dossier(root, dossier)
        registry.notify(HoldPlaced(dossier, actor, {"hold_id": hold.id, "kind": kind,
                                                    "reference": reference, "reason": reason}))
        placed.append(hold)
    return placed


def release_hold(root, registry, actor, hold, reason):
    """Release ``hold`` with ``reason``.  Raises NotHeld (already released),
    ValidationFailed (no reason)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": _("Bắt buộc nhập.")})
    if not hold.active:
        raise NotHeld()
    hold.released_at = utcnow()
    hold.released_by = actor.login
    hold.release_reason = reason
    dossier = root.objectmap.get(hold.dossier_id)
    if dossier is not None:
        dossier.hold_ids = tuple(h for h in getattr(dossier, "hold_ids", ()) if h != hold.id)
        reindex_dossier(root, dossier)
        registry.notify(HoldReleased(dossier, actor, {"hold_id": hold.id, "reason": reason,
                                                      "kind": hold.kind,
                                                      "reference": hold.reference}))
    return hold


def get_hold(root, hold_id):
    holds = getattr(root, "holds", None)
    return holds.get(hold_id) if holds is not None else None


def active_holds(root, dossier):
    return [h for h in (get_hold(root, i) for i in getattr(dossier, "hold_ids", ())) if h]


def hold_history(root, dossier):
    """Every hold of ``dossier``, oldest first."""
    return [h for h in (get_hold(root, i) for i in getattr(dossier, "hold_history", ())) if h]


def all_holds(root, active=None):
    """Every hold (newest first), or only the active / released ones."""
    holds = getattr(root, "holds", None)
    if holds is None:
        return []
    out = [h for h in holds.values() if active is None or h.active == active]
    out.sort(key=lambda h: h.placed_at, reverse=True)
    return out


def find_dossiers(root, tokens):
    """``(dossiers, unknown)`` for ``tokens``: stable ids or file codes (a file
    code is unique within its fonds; one found in several fonds takes them
    all).  Each dossier once, in the order given."""
    from ..resources import Dossier

    found, unknown, seen = [], [], set()
    for token in tokens:
        token = token.strip()
        if not token:
            continue
        matches = []
        obj = root.objectmap.get(token)
        if isinstance(obj, Dossier):
            matches = [obj]
        else:
            for fonds in root["fonds"].values():
                oid = fonds.file_codes.get(token)
                if oid is not None and fonds.get(oid) is not None:
                    matches.append(fonds[oid])
        if not matches:
            unknown.append(token)
        for dossier in matches:
            if dossier.id not in seen:
                seen.add(dossier.id)
                found.append(dossier)
    return found, unknown
