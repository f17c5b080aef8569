"""Retention in the UI: the schedule (administrators edit it), the dashboards
of what is due (auditors and administrators), legal holds, and the retention
page of a dossier."""
import datetime
from urllib.parse import urlencode

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config, view_defaults

from archive import retention
from archive import security as perm
from archive.errors import ValidationFailed
from archive.i18n import _
from archive.resources import ArchiveRoot, Dossier
from archive.retention.holds import KINDS as HOLD_KINDS
from archive.retention.holds import find_dossiers
from archive.schemas.retention import (
    HoldSchema, ReleaseSchema, ScheduleEntryEditSchema, ScheduleEntrySchema,
)

from .content import flash
from .forms import ArchiveForm
from .helpers import Page, actor_of, page_number

DASHBOARDS = (
    ("disposal", _("Đến hạn hủy")),
    ("transfer", _("Đến hạn nộp lưu lịch sử")),
    ("current", _("Quá hạn nộp lưu cơ quan")),
    ("hold", _("Đang tạm giữ")),
)
PAGE_SIZE = 50
STATES = {
    "open": _("đang mở"),
    "closed": _("đã đóng"),
    "proposed": _("đã đề nghị hủy"),
    "transferring": _("đang nộp lưu"),
    "transferred": _("đã nộp lưu"),
    "destroyed": _("đã hủy"),
}


def int_param(request, name):
    value = (request.params.get(name) or "").strip()
    return int(value) if value.isdigit() and len(value) <= 4 else None


def dashboard_ids(root, kind, fonds=None, year=None):
    """The dossier ids of one dashboard (see archive.retention.index)."""
    if kind == "disposal":
        return retention.due_for_disposal(root, year=year, fonds=fonds)
    if kind == "transfer":
        return retention.due_for_transfer(root, year=year, fonds=fonds)
    if kind == "current":
        return retention.overdue_for_current_archive(root, fonds=fonds, year=year)
    return retention.on_hold(root, fonds=fonds)


def dashboard_years(root, kind, fonds=None):
    """{year: count} shown beside a dashboard: every year of the index (also
    the coming ones), for the states the dashboard lists."""
    if kind == "disposal":
        return retention.counts_by_year(root, "disposal", fonds, states=("closed",), include_held=False)
    if kind == "transfer":
        return retention.counts_by_year(root, "transfer", fonds, states=("closed",), include_held=False)
    if kind == "current":
        this = datetime.date.today().year
        return {y: n for y, n in retention.counts_by_year(root, "current", fonds, states=("open",)).items()
                if y < this}
    return {}


@view_defaults(context=ArchiveRoot)
class RetentionViews:
    def __init__(self, context, request):
        self.context, self.request = context, request

    # ---- dashboards
    @view_config(name="retention", renderer="templates/retention.pt", permission=perm.REPORT)
    def dashboard(self):
        request, root = self.request, self.context
        kind = request.params.get("kind")
        kind = kind if kind in dict(DASHBOARDS) else "disposal"
        fonds = request.params.get("fonds") or None
        if fonds is not None and fonds not in root["fonds"]:
            fonds = None
        year = int_param(request, "year")
        ids = dashboard_ids(root, kind, fonds, year)
        size = min(max(int_param(request, "size") or PAGE_SIZE, 1), 200)
        page = Page(ids, page_number(request), size)
        rows = []
        for dossier in retention.load_dossiers(root, page.items):
            rows.append({"dossier": dossier, "entry": retention.index_entry(root, dossier.id),
                         "url": request.resource_url(dossier)})
        counts = {k: len(dashboard_ids(root, k, fonds)) for k, _label in DASHBOARDS}

        def link(**changes):
            params = {"kind": kind, "fonds": fonds or "", "year": year or "",
                      "size": size if size != PAGE_SIZE else ""}
            params.update(changes)
            return request.application_url + "/retention?" + urlencode(
                {k: v for k, v in params.items() if v not in ("", None)})

        return {"kinds": DASHBOARDS, "kind": kind, "fonds": fonds, "year": year, "page": page,
                "rows": rows, "counts": counts, "years": sorted(dashboard_years(root, kind, fonds).items()),
                "fonds_list": list(root["fonds"].values()), "link": link,
                "this_year": datetime.date.today().year,
                "can_hold": request.has_permission(perm.HOLD, root), "states": STATES,
                "page_title": _("Thời hạn bảo quản: hồ sơ đến hạn")}

    # ---- the schedule
    @view_config(name="retention-schedule", renderer="templates/retention_schedule.pt",
                 permission=perm.REPORT)
    def schedule(self):
        schedule = retention.get_schedule(self.context)
        entries = schedule.values() if schedule is not None else []
        code = self.request.GET.get("code")
        shown = retention.schedule_entry(self.context, code) if code else None
        return {"entries": entries, "shown": shown,
                "can_manage": self.request.has_permission(perm.MANAGE, self.context),
                "page_title": _("Bảng thời hạn bảo quản")}

    @view_config(name="retention-schedule-edit", renderer="templates/form.pt", permission=perm.MANAGE)
    def schedule_edit(self):
        request, root = self.request, self.context
        code = request.GET.get("entry")
        entry = retention.schedule_entry(root, code) if code else None
        if code and entry is None:
            raise HTTPNotFound()
        back = request.application_url + "/retention-schedule"
        if entry is None:
            form = ArchiveForm(request, ScheduleEntrySchema(), buttons=((_("Thêm mục"), "save"),))
            done = form.submit(lambda data: retention.add_entry(
                root, request.registry, actor_of(request), data))
            title = _("Thêm mục vào bảng thời hạn bảo quản")
        else:
            current = entry.current
            form = ArchiveForm(request, ScheduleEntryEditSchema(), buttons=((_("Lưu phiên bản mới"), "save"),),
                               appstruct={k: current.get(k) for k in ("title", "period", "citation",
                                                                      "note", "retired")},
                               action=f"?entry={entry.code}")
            done = form.submit(lambda data: retention.update_entry(
                root, request.registry, actor_of(request), entry.code, data))
            title = _("Sửa mục ${code} (tạo phiên bản mới; hồ sơ đã áp dụng giữ phiên bản cũ)",
                      mapping={"code": entry.code})
        if done is not None:
            flash(request, _("Đã lưu mục ${code}, phiên bản ${version}.",
                             mapping={"code": done.code, "version": done.number}))
            return HTTPSeeOther(back + "?code=" + done.code)
        return {"form": form.render(), "message": form.message, "page_title": title}

    # ---- holds
    @view_config(name="holds", renderer="templates/holds.pt", permission=perm.REPORT)
    def holds(self):
        request, root = self.request, self.context
        show = request.params.get("show")
        show = show if show in ("active", "released", "all") else "active"
        active = {"active": True, "released": False, "all": None}[show]
        page = Page(retention.all_holds(root, active), page_number(request), PAGE_SIZE)
        return {"page": page, "show": show, "kinds": dict(HOLD_KINDS),
                "can_hold": request.has_permission(perm.HOLD, root),
                "page_title": _("Danh sách tạm giữ hồ sơ")}

    @view_config(name="hold-add", renderer="templates/form.pt", permission=perm.HOLD)
    def hold_add(self):
        request, root = self.request, self.context
        preset = request.params.getall("dossier") if request.method == "GET" else []
        codes = []
        for oid in preset:
            obj = root.objectmap.get(oid)
            if isinstance(obj, Dossier):
                codes.append(obj.file_code)
        form = ArchiveForm(request, HoldSchema(), buttons=((_("Tạm giữ"), "save"),),
                           appstruct={"dossiers": "\n".join(codes), "kind": "complaint"})

        def place(data):
            dossiers, unknown = find_dossiers(root, data["dossiers"].splitlines())
            if unknown:
                raise ValidationFailed(fields={"dossiers": _(
                    "Không tìm thấy hồ sơ: ${codes}", mapping={"codes": ", ".join(unknown[:20])})})
            return retention.place_holds(root, request.registry, actor_of(request), dossiers,
                                         data["reason"], data["kind"], data["reference"])

        placed = form.submit(place)
        if placed is not None:
            flash(request, _("Đã tạm giữ ${n} hồ sơ.", mapping={"n": len(placed)}))
            return HTTPSeeOther(request.application_url + "/holds")
        return {"form": form.render(), "message": form.message,
                "page_title": _("Tạm giữ hồ sơ (khiếu nại, thanh tra, tranh chấp)")}

    @view_config(name="hold-release", renderer="templates/form.pt", permission=perm.HOLD)
    def hold_release(self):
        request, root = self.request, self.context
        hold_id = request.GET.get("hold") or ""
        hold = retention.get_hold(root, hold_id)
        if hold is None:
            raise HTTPNotFound()
        form = ArchiveForm(request, ReleaseSchema(), buttons=((_("Giải tỏa"), "save"),),
                           action=f"?hold={hold.id}")
        done = form.submit(lambda data: retention.release_hold(
            root, request.registry, actor_of(request), hold, data["reason"]))
        if done is not None:
            flash(request, _("Đã giải tỏa tạm giữ hồ sơ ${code}.", mapping={"code": hold.file_code}))
            return HTTPSeeOther(request.application_url + "/holds")
        message = form.message or (retention.NotHeld.message if not hold.active else None)
        return {"form": form.render(), "message": message,
                "page_title": _("Giải tỏa tạm giữ hồ sơ ${code} (${reference})",
                                mapping={"code": hold.file_code, "reference": hold.reference})}


@view_config(context=Dossier, name="retention", renderer="templates/dossier_retention.pt",
             permission=perm.VIEW)
def dossier_retention(context, request):
    """Where the period comes from, the due dates, the state and every hold."""
    from archive.db import archive_root

    root = archive_root(request)
    return {"basis": retention.retention_basis(root, context),
            "due": retention.dossier_due_dates(context),
            "state": retention.state_of(context), "states": STATES,
            "holds": list(reversed(retention.hold_history(root, context))),
            "kinds": dict(HOLD_KINDS),
            "can_hold": request.has_permission(perm.HOLD, root),
            "page_title": _("Thời hạn bảo quản của hồ sơ ${code}", mapping={"code": context.file_code})}
