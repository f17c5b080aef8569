"""The retention schedule (bảng thời hạn bảo quản) as data, versioned.

``root.retention_schedule`` holds one ``ScheduleEntry`` per code.  An entry's
``versions`` is a tuple of immutable dicts; an edit appends a new version and
never changes an old one.  A dossier decided under an entry keeps the code and
the version number (``retention_entry``, ``retention_entry_version``) and the
period applied (``retention``): a later edit of the entry does not touch it.
"""
from BTrees.OOBTree import OOBTree
from persistent import Persistent

from ..errors import ValidationFailed
from ..i18n import _
from ..resources import utcnow
from .duedates import PERMANENT
from .errors import DuplicateScheduleEntry, UnknownScheduleEntry
from .events import ScheduleEntryAdded, ScheduleEntryChanged

REQUIRED = _("Bắt buộc nhập.")


class RetentionSchedule(Persistent):
    """Entries keyed by code (OOBTree), in code order."""

    __name__ = "retention_schedule"
    __parent__ = None
    title = _("Bảng thời hạn bảo quản")

    def __init__(self):
        self.entries = OOBTree()

    def get(self, code, default=None):
        return self.entries.get(code, default)

    def __contains__(self, code):
        return code in self.entries

    def __len__(self):
        return len(self.entries)

    def values(self):
        return sorted(self.entries.values(), key=lambda e: code_key(e.code))

    def active(self):
        return [e for e in self.values() if not e.retired]


def code_key(code):
    """Natural order of codes like ``1.2``, ``1.10``, ``10.1``."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in code.split("."))


class ScheduleEntry(Persistent):
    """One row of the schedule: a code and its versions (newest last)."""

    __parent__ = None

    def __init__(self, code, version):
        self.code = code
        self.versions = (dict(version),)

    @property
    def __name__(self):
        return self.code

    @property
    def id(self):
        return "schedule:" + self.code

    @property
    def current(self):
        return dict(self.versions[-1])

    def version(self, number):
        for v in self.versions:
            if v["version"] == number:
                return dict(v)
        return None

    @property
    def title(self):
        return self.versions[-1]["title"]

    @property
    def period(self):
        return self.versions[-1]["period"]

    @property
    def citation(self):
        return self.versions[-1]["citation"]

    @property
    def note(self):
        return self.versions[-1].get("note", "")

    @property
    def retired(self):
        return bool(self.versions[-1].get("retired", False))

    @property
    def number(self):
        return self.versions[-1]["version"]


def get_schedule(root):
    return getattr(root, "retention_schedule", None)


def schedule_entry(root, code):
    schedule = get_schedule(root)
    return schedule.get(code) if schedule is not None and code else None


def _version(number, data, actor):
    return {"version": number, "title": data["title"], "period": data["period"],
            "citation": data["citation"], "note": data.get("note", ""),
            "retired": bool(data.get("retired", False)),
            "changed_by": actor.login, "changed_at": utcnow().isoformat()}


def add_entry(root, registry, actor, data):
    """Add an entry (``code``, ``title``, ``period``, ``citation``, ``note``).
    Raises DuplicateScheduleEntry."""
    schedule = get_schedule(root)
    code = data["code"]
    if code in schedule:
        raise DuplicateScheduleEntry(fields={"code": DuplicateScheduleEntry.message})
    entry = ScheduleEntry(code, _version(1, data, actor))
    entry.__parent__ = schedule
    schedule.entries[code] = entry
    if registry is not None:
        registry.notify(ScheduleEntryAdded(entry, actor, {"version": 1, "period": data["period"],
                                                          "citation": data["citation"]}))
    return entry


def update_entry(root, registry, actor, code, data):
    """A new version of entry ``code`` from ``data`` (title, period, citation,
    note, retired); the old versions stay as they were.  Returns the entry (its
    version unchanged when nothing changed).  Raises UnknownScheduleEntry."""
    entry = schedule_entry(root, code)
    if entry is None:
        raise UnknownScheduleEntry()
    current = entry.current
    merged = {k: data.get(k, current.get(k)) for k in ("title", "period", "citation", "note", "retired")}
    changed = sorted(k for k in merged if merged[k] != current.get(k, "" if k == "note" else None))
    if not changed:
        return entry
    number = current["version"] + 1
    entry.versions = entry.versions + (_version(number, merged, actor),)
    if registry is not None:
        registry.notify(ScheduleEntryChanged(entry, actor, {"version": number, "fields": changed}))
    return entry


def period_text(period):
    return "vĩnh viễn" if period == PERMANENT else f"{period} năm"


def apply_schedule(root, fields, dossier=None):
    """Resolve the retention of dossier ``fields`` (create: ``dossier`` None;
    update: the dossier) in place.

    With ``retention_entry`` the period comes from the entry's current version,
    and ``retention_entry_version`` records that version; a typed ``retention``
    different from it needs a reason (``retention_note``).  An update that keeps
    the code and the period keeps the version decided before.  Without an
    entry the typed period stands (its reason, if any, in ``retention_note``).
    Raises ValidationFailed (unknown or retired entry, no period, no reason).
    """
    if "retention_entry" not in fields and "retention" not in fields:
        return fields
    code = (fields.get("retention_entry") or "").strip()
    typed = fields.get("retention")
    if not code:
        fields["retention_entry"] = ""
        fields["retention_entry_version"] = None
        if "retention" in fields and typed in (None, ""):
            raise ValidationFailed(fields={"retention": REQUIRED})
        return fields
    entry = schedule_entry(root, code)
    if dossier is not None and getattr(dossier, "retention_entry", "") == code \
            and typed in (None, "", dossier.retention):
        # unchanged decision: keep the version it was taken under
        fields["retention"] = dossier.retention
        fields.pop("retention_entry_version", None)
        return fields
    if entry is None or entry.retired:
        raise ValidationFailed(fields={"retention_entry": _(
            "Không có mục ${code} (còn hiệu lực) trong bảng thời hạn bảo quản.",
            mapping={"code": code})})
    period = entry.period
    if typed in (None, ""):
        fields["retention"] = period
    elif typed != period and not (fields.get("retention_note") or "").strip():
        raise ValidationFailed(fields={"retention_note": _(
            "Thời hạn nhập (${typed}) khác với mục ${code} của bảng thời hạn (${period}): "
            "ghi rõ lý do.", mapping={"typed": period_text(typed), "code": code,
                                      "period": period_text(period)})})
    fields["retention_entry"] = code
    fields["retention_entry_version"] = entry.number
    return fields


def retention_basis(root, dossier):
    """Where the dossier's period comes from: the schedule entry and version it
    was decided under, or a typed value and its reason."""
    code = getattr(dossier, "retention_entry", "") or ""
    basis = {"source": "typed", "code": None, "version": None, "title": None, "citation": None,
             "period": dossier.retention, "reason": getattr(dossier, "retention_note", "") or ""}
    if code:
        entry = schedule_entry(root, code)
        number = getattr(dossier, "retention_entry_version", None)
        version = entry.version(number) if entry is not None and number else None
        basis.update(source="schedule", code=code, version=number,
                     title=version["title"] if version else None,
                     citation=version["citation"] if version else None,
                     entry_period=version["period"] if version else None)
    return basis
