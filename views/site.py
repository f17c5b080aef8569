"""Home, language switch, users administration, journal."""
import datetime
from urllib.parse import urlsplit

from pyramid.httpexceptions import HTTPFound, HTTPNoContent, HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config, view_defaults

from archive import security as perm
from archive.db import archive_root
from archive.i18n import _
from archive.resources import ArchiveRoot, User, Users
from archive.schemas import UserEditSchema, UserSchema
from archive.services import users as user_service

from .content import flash
from .forms import ArchiveForm
from .helpers import Page, actor_of, page_number, safe_next_url

LANGUAGES = ("vi", "en")


@view_config(context=ArchiveRoot, renderer="templates/home.pt", permission=perm.HOME)
def home(context, request):
    fonds = [f for f in context["fonds"].values() if request.has_permission(perm.VIEW, f)]
    return {"fonds": fonds, "page_title": _("Trang chủ")}


@view_config(context=ArchiveRoot, name="favicon.ico", permission=perm.PUBLIC)
def favicon(context, request):
    """No icon: answer without a 404 page (browsers ask for it on every tab)."""
    return HTTPNoContent()


@view_config(context=ArchiveRoot, name="language", permission=perm.PUBLIC)
def language(context, request):
    lang = request.params.get("lang")
    back = request.params.get("next") or (urlsplit(request.referer).path if request.referer else None)
    response = HTTPFound(safe_next_url(request, back))
    if lang in LANGUAGES:
        response.set_cookie("_LOCALE_", lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def fonds_choices(request):
    return [(f.code, f"{f.code} – {f.name}") for f in archive_root(request)["fonds"].values()]


@view_defaults(context=Users, permission=perm.MANAGE)
class UsersViews:
    def __init__(self, context, request):
        self.context, self.request = context, request

    @view_config(renderer="templates/users.pt")
    def list(self):
        return {"page": Page.from_request(self.request, list(self.context.values())),
                "page_title": _("Người dùng")}

    @view_config(name="add", renderer="templates/form.pt")
    def add(self):
        form = ArchiveForm(self.request, UserSchema(), buttons=((_("Tạo người dùng"), "save"),),
                           fonds_choices=fonds_choices(self.request))
        if form.submit(lambda data: user_service.create_user(
                archive_root(self.request), self.request.registry, actor_of(self.request),
                self.request.registry.password_hasher, data["login"], data["password"],
                data["role"], sorted(data["fonds"]), data["name"])) is not None:
            flash(self.request, _("Đã tạo người dùng."))
            return HTTPSeeOther(self.request.resource_url(self.context))
        return {"form": form.render(), "message": form.message, "page_title": _("Người dùng mới")}


@view_defaults(context=User, permission=perm.MANAGE)
class UserViews:
    def __init__(self, context, request):
        self.context, self.request = context, request

    @view_config(renderer="templates/form.pt")
    @view_config(name="edit", renderer="templates/form.pt")
    def edit(self):
        user = self.context
        form = ArchiveForm(self.request, UserEditSchema(), buttons=((_("Lưu"), "save"),),
                           fonds_choices=fonds_choices(self.request),
                           appstruct={"name": user.name, "role": user.role, "fonds": set(user.fonds),
                                      "active": user.active})
        if form.submit(lambda data: user_service.update_user(
                archive_root(self.request), self.request.registry, actor_of(self.request),
                self.request.registry.password_hasher, user.login, role=data["role"],
                fonds=sorted(data["fonds"]), password=data["password"] or None,
                name=data["name"], active=data["active"])) is not None:
            flash(self.request, _("Đã lưu."))
            return HTTPSeeOther(self.request.resource_url(self.context.__parent__))
        return {"form": form.render(), "message": form.message,
                "page_title": _("Người dùng ${login}", mapping={"login": user.login})}


JOURNAL_ACTIONS = {
    "fonds.create": _("Tạo phông"),
    "dossier.create": _("Tạo hồ sơ"),
    "dossier.modify": _("Sửa hồ sơ"),
    "dossier.close": _("Đóng hồ sơ"),
    "record.file": _("Thêm văn bản"),
    "record.modify": _("Sửa văn bản"),
    "file.add": _("Thêm tệp"),
    "file.download": _("Tải tệp"),
    "view": _("Xem"),
    "user.change": _("Thay đổi người dùng"),
    "token.create": _("Tạo mã truy cập"),
    "token.revoke": _("Thu hồi mã truy cập"),
    "login": _("Đăng nhập"),
    "login.failed": _("Đăng nhập thất bại"),
    "job.enqueue": _("Đưa công việc vào hàng đợi"),      # jobs (issue 4)
    "job.done": _("Hoàn thành công việc"),
    "job.fail": _("Công việc thất bại"),
    "job.retry": _("Chạy lại công việc"),
    "retention.hold.place": _("Tạm giữ hồ sơ"),          # retention (issue 5)
    "retention.hold.release": _("Giải tỏa tạm giữ"),
    "retention.schedule.add": _("Thêm mục bảng thời hạn"),
    "retention.schedule.change": _("Sửa mục bảng thời hạn"),
    "digitise.text": _("Lưu văn bản nhận dạng"),         # digitisation (issue 4)
    "digitise.correct": _("Sửa văn bản nhận dạng"),
    "batch.create": _("Tạo đợt số hóa"),
    "batch.item-add": _("Thêm hồ sơ giấy vào đợt"),
    "batch.advance": _("Chuyển bước số hóa"),
    "batch.reject": _("Trả lại bước số hóa"),
    "batch.link": _("Gắn hồ sơ lưu trữ"),
    "import.complete": _("Nhập hàng loạt"),
    "disposal.propose": _("Lập danh mục hủy"),          # disposal and transfer (issue 5)
    "disposal.review": _("Thẩm tra danh mục hủy"),
    "disposal.approve": _("Duyệt hủy"),
    "disposal.reject": _("Trả lại danh mục hủy"),
    "disposal.destroy": _("Tiêu hủy tài liệu"),
    "dossier.destroy": _("Tiêu hủy hồ sơ"),
    "transfer.export": _("Lập gói nộp lưu"),
    "transfer.download": _("Tải gói nộp lưu"),
    "transfer.receipt": _("Ghi nhận biên bản giao nhận"),
    "transfer.cancel": _("Hủy bỏ gói nộp lưu"),
    "transfer.import": _("Nhập gói nộp lưu"),
    "dossier.transfer": _("Nộp lưu hồ sơ"),
    "report.export": _("Xuất báo cáo"),
}
OBJECT_TYPES = {
    "ArchiveRoot": _("Hệ thống"),
    "Fonds": _("Phông"),
    "Dossier": _("Hồ sơ"),
    "Record": _("Văn bản"),
    "StoredFile": _("Tệp tin"),         # one file ("Tệp" is the files of a document)
    "User": _("Người dùng"),
    "Job": _("Công việc"),              # one job ("Công việc xử lý" is the jobs page)
    "ScheduleEntry": _("Mục bảng thời hạn"),
}


@view_config(context=ArchiveRoot, name="journal", renderer="templates/journal.pt", permission=perm.REPORT)
def journal(context, request):
    number = page_number(request)
    size = 50
    entries = context.journal.latest((number - 1) * size, size)
    for entry in entries:
        entry["when"] = datetime.datetime.fromtimestamp(entry["time"]).strftime("%d/%m/%Y %H:%M:%S")
    total = len(context.journal)
    translate = request.localizer.translate

    def action_label(action):
        return translate(JOURNAL_ACTIONS[action]) if action in JOURNAL_ACTIONS else action

    def type_label(kind):
        return translate(OBJECT_TYPES[kind]) if kind in OBJECT_TYPES else (kind or "")

    return {"entries": entries, "number": number, "action_label": action_label,
            "type_label": type_label, "count": max(1, (total + size - 1) // size),
            "total": total, "page_title": _("Nhật ký hệ thống")}


@view_config(context=ArchiveRoot, name="go", permission=perm.HOME)
def go(context, request):
    """/go/<id>: the page of the object with that stable id (search results
    link here); 404 for an object the user may not view."""
    oid = request.subpath[0] if request.subpath else ""
    obj = context.objectmap.get(oid)
    if obj is None or not request.has_permission(perm.VIEW, obj):
        raise HTTPNotFound()
    return HTTPFound(request.resource_url(obj))
