"""Creating, changing and closing dossiers."""
from ..errors import DossierClosed, DuplicateCode, NotFound, ValidationFailed
from ..events import DossierClosed as DossierClosedEvent
from ..events import DossierCreated, DossierModified
from ..i18n import _
from ..resources import DOSSIER_FIELDS, ONESTOP_FIELDS, Dossier, find_archive_root, utcnow
from ..retention.holds import ensure_not_held
from ..retention.schedule import apply_schedule

EDITABLE = DOSSIER_FIELDS + ONESTOP_FIELDS


def _check_dates(data):
    start, end = data.get("start_date"), data.get("end_date")
    if start and end:
        n = min(len(start), len(end))
        if end[:n] < start[:n]:
            raise ValidationFailed(fields={"end_date": _("Ngày kết thúc không được trước ngày bắt đầu.")})


def create_dossier(fonds, registry, actor, data, synthetic=False):
    """Create a dossier in ``fonds`` from validated ``data`` (DOMAIN.md §2 names).

    ``organ_id`` defaults to the fonds'.  ``synthetic`` marks generated sample
    data (``archive-sample``).  Raises DuplicateCode when the
    resulting file_code already exists in the fonds, ValidationFailed when
    the end date is before the start date.
    """
    fields = {k: v for k, v in data.items() if k in EDITABLE}
    if not fields.get("organ_id"):
        fields["organ_id"] = fonds.organ_id
    apply_schedule(find_archive_root(fonds), fields)
    if not fields.get("year"):
        start = fields.get("start_date")
        fields["year"] = int(start[:4]) if start else utcnow().year
    if fields.get("language"):
        fields["language"] = tuple(sorted(fields["language"]))
    _check_dates(fields)
    dossier = Dossier(created_by=actor.login, synthetic=synthetic, **fields)
    if dossier.file_code in fonds.file_codes:
        raise DuplicateCode(fields={"notation": _("Mã hồ sơ ${code} đã tồn tại trong phông này.",
                                                  mapping={"code": dossier.file_code})})
    fonds.add(dossier.id, dossier)
    fonds.file_codes[dossier.file_code] = dossier.id
    registry.notify(DossierCreated(dossier, actor, {"file_code": dossier.file_code,
                                                    "synthetic": synthetic}))
    return dossier


def ensure_open(dossier):
    """Raise DossierClosed, or OnHold (a legal hold: archive.retention), when
    the dossier may not change: every change service checks this first."""
    if dossier.closed:
        raise DossierClosed()
    ensure_not_held(dossier)


def update_dossier(dossier, registry, actor, data):
    """Change a dossier's metadata.  Raises DossierClosed, DuplicateCode."""
    ensure_open(dossier)
    fields = {k: v for k, v in data.items() if k in EDITABLE}
    if not fields.get("organ_id"):
        fields["organ_id"] = dossier.fonds.organ_id
    apply_schedule(find_archive_root(dossier), fields, dossier)
    if not fields.get("year"):
        fields.pop("year", None)
    if fields.get("language"):
        fields["language"] = tuple(sorted(fields["language"]))
    merged = {k: getattr(dossier, k, None) for k in ("start_date", "end_date")}
    merged.update({k: v for k, v in fields.items() if k in merged})
    _check_dates(merged)
    fonds = dossier.fonds
    old_code = dossier.file_code
    changed = {k: v for k, v in fields.items() if getattr(dossier, k, None) != v}
    parts = {k: changed.get(k, getattr(dossier, k)) for k in ("organ_id", "year", "notation")}
    new_code = "{organ_id}.{year}.{notation}".format(**parts)
    if new_code != old_code and new_code in fonds.file_codes:
        raise DuplicateCode(fields={"notation": _("Mã hồ sơ ${code} đã tồn tại trong phông này.",
                                                  mapping={"code": new_code})})
    for name, value in changed.items():
        setattr(dossier, name, value)
    if new_code != old_code:
        fonds.file_codes.pop(old_code, None)
        fonds.file_codes[new_code] = dossier.id
    dossier.modified = utcnow()
    registry.notify(DossierModified(dossier, actor, {"fields": sorted(changed)}))
    return dossier


def close_dossier(dossier, registry, actor):
    """Close a dossier: from now on it is read-only.  Raises DossierClosed."""
    ensure_open(dossier)
    dossier.closed = True
    dossier.closed_at = utcnow()
    dossier.closed_by = actor.login
    registry.notify(DossierClosedEvent(dossier, actor, {"doc_total": dossier.doc_total}))
    return dossier


def get_by_id(root, oid, kind):
    obj = root.objectmap.get(oid)
    if obj is None or not isinstance(obj, kind):
        raise NotFound()
    return obj
