"""colander schemas of the archive (validation for the web forms, the JSON API
and the scripts alike) and their vocabularies.

Request-dependent parts (choices in the user's language, the fonds list) are
``colander.deferred`` resolved by ``schema.bind(locale=..., fonds_codes=...)``.
"""
import datetime

import colander
import deform.widget as w

from archive.errors import ValidationFailed
from archive.i18n import _

from . import vocabularies as v
from .types import (
    FONDS_CODE, LOGIN, NOTATION, PROCEDURE_CODE, Integer, PartialDate, Retention, Text,
    check_dossier, length, one_of, organ_id_validator, pattern_validator, reserved_name_validator,
)

__all__ = ["FondsSchema", "DossierSchema", "RecordSchema", "UserSchema", "UserEditSchema",
           "LoginSchema", "TokenRequestSchema", "TokenLabelSchema", "PasswordChangeSchema", "deserialize", "v"]

REQUIRED = _("Bắt buộc nhập.")


def text(title, description, max_len, required=False, validator=None, textarea=False, **kw):
    validators = [length(max_len)] + ([validator] if validator else [])
    node = colander.SchemaNode(
        Text(), title=title, description=description,
        validator=colander.All(*validators), missing_msg=REQUIRED,
        widget=w.TextAreaWidget(rows=3) if textarea else w.TextInputWidget(), **kw)
    if not required:
        node.missing = ""
    return node


def choice(title, description, vocabulary, default, required=False):
    node = colander.SchemaNode(
        Text(), title=title, description=description,
        validator=one_of(v.codes(vocabulary)), missing_msg=REQUIRED,
        widget=w.SelectWidget(values=list(vocabulary)), default=default)
    if not required:
        node.missing = default
    return node


INHERIT = _("— như hồ sơ —")


def inherited_choice(title, description, vocabulary):
    """A code of ``vocabulary`` or "" for the dossier's own value."""
    return colander.SchemaNode(
        Text(), title=title, description=description, missing="", default="",
        validator=one_of([""] + v.codes(vocabulary)),
        widget=w.SelectWidget(values=[("", INHERIT)] + list(vocabulary)))


def partial_date(title, description, required=False):
    node = colander.SchemaNode(
        PartialDate(), title=title, description=description, missing_msg=REQUIRED,
        widget=w.TextInputWidget(attributes={"placeholder": "DD/MM/YYYY"}))
    if not required:
        node.missing = None
    return node


def boolean(title, description):
    return colander.SchemaNode(colander.Boolean(), title=title, description=description,
                               missing=False, default=False, widget=w.CheckboxWidget())


@colander.deferred
def doc_type_widget(node, kw):
    english = kw.get("locale") == "en"
    return w.SelectWidget(values=[("", _("— chọn —"))] + [
        (code, f"{code} – {en if english else vi}") for code, vi, en in v.doc_types()])


@colander.deferred
def retention_entry_widget(node, kw):
    """The schedule's entries in force (read from the request's archive root)."""
    root = getattr(kw.get("request"), "root", None)
    schedule = getattr(root, "retention_schedule", None)
    values = [("", _("— không theo mục nào: nhập thời hạn —"))]
    if schedule is not None:
        for entry in schedule.values():  # retired ones too: a dossier may have been decided under one
            period = "vĩnh viễn" if entry.period == "permanent" else f"{entry.period} năm"
            retired = " [hết hiệu lực]" if entry.retired else ""
            values.append((entry.code, f"{entry.code} – {entry.title} ({period}){retired}"))
    return w.SelectWidget(values=values)


@colander.deferred
def fonds_widget(node, kw):
    return w.CheckboxChoiceWidget(values=list(kw.get("fonds_choices", ())), inline=False)


def year_validator(node, value):
    if not 1800 <= value <= datetime.date.today().year + 1:
        raise colander.Invalid(node, _("Năm phải gồm 4 chữ số, từ 1800 đến năm sau."))


class FondsSchema(colander.MappingSchema):
    code = text(_("Mã phông"), _("Mã ngắn của cơ quan, dùng trong đường dẫn, ví dụ 000.00.17.H17 hoặc SNV."),
                35, required=True, validator=colander.All(pattern_validator(
                    FONDS_CODE, _("Chỉ dùng chữ không dấu, chữ số, dấu chấm, gạch ngang.")),
                    reserved_name_validator))
    name = text(_("Tên phông"), _("Tên đầy đủ của cơ quan, tổ chức hình thành phông."), 300, required=True)
    organ_id = text(_("Mã định danh cơ quan"), _("Dạng 000.00.17.H17 (QCVN 102:2016) hoặc H17.1.2 (QĐ 20/2020)."),
                    35, required=True, validator=organ_id_validator)


class DossierSchema(colander.MappingSchema):
    """Dossier metadata (DOMAIN.md §2) and one-stop data (§6)."""

    organ_id = text(_("Mã định danh cơ quan"), _("Để trống để dùng mã của phông. Dạng 000.00.17.H17 hoặc H17.1.2."),
                    35, validator=organ_id_validator)
    year = colander.SchemaNode(
        Integer(), title=_("Năm hình thành hồ sơ"), missing=None, validator=year_validator,
        description=_("4 chữ số; để trống thì lấy năm của ngày bắt đầu hoặc năm nay."))
    notation = text(_("Số và ký hiệu hồ sơ"), _("Số thứ tự và ký hiệu đề mục trong danh mục hồ sơ, ví dụ 01.TCCB."),
                    20, required=True, validator=pattern_validator(
                        NOTATION, _("Chỉ dùng chữ không dấu, chữ số, dấu chấm, gạch ngang, ví dụ 01.TCCB.")))
    title = text(_("Tiêu đề hồ sơ"), _("Tên hồ sơ, tối đa 1000 ký tự."), 1000, required=True, textarea=True)
    retention = colander.SchemaNode(
        Retention(), title=_("Thời hạn bảo quản"), missing_msg=REQUIRED,
        description=_("\"vĩnh viễn\" hoặc số năm (thường 70, 50, 30, 20, 10, 5)."),
        widget=w.TextInputWidget(attributes={"list": "retention-values"}))
    retention_entry = colander.SchemaNode(
        Text(), title=_("Mục bảng thời hạn bảo quản"), missing="", default="",
        description=_("Chọn mục của bảng thời hạn bảo quản: thời hạn lấy theo mục đó (để trống ô "
                      "thời hạn). Hoặc để trống và nhập thời hạn kèm lý do."),
        validator=length(40), widget=retention_entry_widget, insert_before="retention")
    retention_note = text(_("Ghi chú thời hạn"), _("Căn cứ pháp lý hoặc lý do của thời hạn; bắt buộc khi "
                                                   "thời hạn khác với mục đã chọn."), 500)
    access = choice(_("Chế độ sử dụng"), _("Mức độ tiếp cận của hồ sơ."), v.ACCESS, "01")
    language = colander.SchemaNode(
        colander.Set(), title=_("Ngôn ngữ"), description=_("Một hoặc nhiều ngôn ngữ; mặc định tiếng Việt."),
        missing=("vi",), default=("vi",), validator=colander.All(
            colander.Length(min=1, min_err=REQUIRED), colander.ContainsOnly(v.codes(v.LANGUAGES))),
        widget=w.CheckboxChoiceWidget(values=list(v.LANGUAGES), inline=True))
    start_date = partial_date(_("Thời gian bắt đầu"), _("Ngày của văn bản sớm nhất: DD/MM/YYYY, MM/YYYY hoặc YYYY."))
    end_date = partial_date(_("Thời gian kết thúc"), _("Ngày của văn bản muộn nhất; không trước thời gian bắt đầu."))
    creator = text(_("Người lập hồ sơ"), _("Họ tên người lập hồ sơ."), 200)
    keywords = text(_("Từ khóa"), _("Các từ khóa, cách nhau bằng dấu phẩy."), 500)
    info_mark = text(_("Ký hiệu thông tin"), _("Ký hiệu thông tin của hồ sơ, nếu có."), 100)
    physical_state = choice(_("Tình trạng vật lý"), _("Tình trạng của bản giấy (tài liệu số hóa)."), v.PHYSICAL_STATE, "01")
    provenance = choice(_("Mức độ tin cậy"), _("Nguồn gốc: điện tử gốc, số hóa hay hỗn hợp."), v.PROVENANCE, "01")
    paper_file_code = text(_("Mã hồ sơ gốc giấy"), _("Nơi để bản giấy: kho.giá/hộp.hồ sơ; bắt buộc khi số hóa."), 100)
    sheet_total = colander.SchemaNode(
        Integer(), title=_("Tổng số tờ"), description=_("Số tờ của bản giấy, nếu có."),
        missing=None, validator=colander.Range(min=0, min_err=_("Không được âm.")))
    backup_required = boolean(_("Chế độ dự phòng"), _("Hồ sơ cần được lập bản dự phòng."))
    backup_done = boolean(_("Tình trạng dự phòng"), _("Đã lập bản dự phòng."))
    notes = text(_("Ghi chú"), _("Tối đa 2000 ký tự."), 2000, textarea=True)
    # one-stop-shop data (DOMAIN.md §6), all optional
    procedure_code = text(_("Mã thủ tục hành chính"), _("Ví dụ 1.001193 (Đăng ký khai sinh)."), 40,
                          validator=pattern_validator(PROCEDURE_CODE, _("Mã TTHC có dạng 1.001193.")))
    procedure_name = text(_("Tên thủ tục"), _("Tên thủ tục hành chính."), 300)
    receipt_code = text(_("Mã hồ sơ TTHC"), _("Mã biên nhận, ví dụ 000.00.21.H17-240315-0012."), 60)
    applicant_name = text(_("Người nộp"), _("Họ tên công dân hoặc tên tổ chức nộp hồ sơ."), 200)
    applicant_kind = choice(_("Loại người nộp"), _("Công dân hay tổ chức."), v.APPLICANT_KINDS, "")
    applicant_id = text(_("Số giấy tờ"), _("Số CCCD/CMND hoặc mã số doanh nghiệp."), 30)
    field_name = text(_("Lĩnh vực"), _("Lĩnh vực của thủ tục."), 200)
    received_date = partial_date(_("Ngày tiếp nhận"), _("DD/MM/YYYY."))
    due_date = partial_date(_("Ngày hẹn trả"), _("DD/MM/YYYY."))
    returned_date = partial_date(_("Ngày trả kết quả"), _("DD/MM/YYYY."))
    channel = choice(_("Hình thức nộp"), _("Trực tiếp, trực tuyến hay qua bưu chính công ích."), v.CHANNELS, "")
    handling_unit = text(_("Đơn vị xử lý"), _("Đơn vị giải quyết hồ sơ."), 200)
    status = choice(_("Trạng thái"), _("Trạng thái xử lý của hồ sơ TTHC."), v.STATUSES, "")
    district = text(_("Huyện/thị xã"), _("Đơn vị hành chính tại thời điểm của hồ sơ."), 100)

    validator = staticmethod(check_dossier)

    def deserialize(self, cstruct=colander.null):
        """With a schedule entry chosen the period may be left empty: the
        service takes it from the entry (archive.retention.schedule)."""
        if isinstance(cstruct, dict) and cstruct.get("retention_entry") \
                and cstruct.get("retention") in (None, "", colander.null) and "retention" in self:
            schema = self.clone()
            schema["retention"].missing = None
            return colander.MappingSchema.deserialize(schema, cstruct)
        return super().deserialize(cstruct)


class RecordSchema(colander.MappingSchema):
    """Document metadata (DOMAIN.md §3)."""

    doc_type = colander.SchemaNode(
        Text(), title=_("Tên loại văn bản"), description=_("Chọn trong danh mục 01–32."),
        missing_msg=REQUIRED, widget=doc_type_widget,
        validator=colander.OneOf([c for c, _vi, _en in v.doc_types()],
                                 msg_err=_("Loại văn bản phải là một mã từ 01 đến 32.")))
    number = text(_("Số văn bản"), _("Ví dụ 504; đánh lại từ 1 mỗi năm."), 20)
    notation = text(_("Ký hiệu văn bản"), _("Ví dụ KH-UBND."), 50)
    issued_date = partial_date(_("Ngày văn bản"), _("DD/MM/YYYY (có thể chỉ MM/YYYY hoặc YYYY với tài liệu cũ)."),
                               required=True)
    issuer = text(_("Cơ quan ban hành"), _("Tên cơ quan, tổ chức ban hành văn bản."), 200, required=True)
    subject = text(_("Trích yếu nội dung"), _("Tóm tắt nội dung, tối đa 500 ký tự."), 500, required=True, textarea=True)
    signer = text(_("Người ký"), _("Chức vụ, họ tên người ký."), 200)
    secrecy = choice(_("Độ mật"), _("Văn bản mật chỉ được lưu siêu dữ liệu, không lưu tệp."), v.SECRECY, "none")
    urgency = choice(_("Độ khẩn"), _("Mức độ khẩn của văn bản."), v.URGENCY, "none")
    access = inherited_choice(_("Chế độ sử dụng"), _("Để trống thì theo hồ sơ; 03 – Mật ẩn văn bản "
                                                      "với cán bộ tra cứu."), v.ACCESS)
    language = colander.SchemaNode(
        colander.Set(), title=_("Ngôn ngữ"), description=_("Để trống thì theo hồ sơ."),
        missing=(), default=(), validator=colander.ContainsOnly(v.codes(v.LANGUAGES)),
        widget=w.CheckboxChoiceWidget(values=list(v.LANGUAGES), inline=True))
    provenance = inherited_choice(_("Mức độ tin cậy"), _("Để trống thì theo hồ sơ."), v.PROVENANCE)
    physical_state = inherited_choice(_("Tình trạng vật lý"), _("Để trống thì theo hồ sơ."),
                                      v.PHYSICAL_STATE)
    keywords = text(_("Từ khóa"), _("Các từ khóa, cách nhau bằng dấu phẩy."), 500)
    notes = text(_("Ghi chú"), _("Tối đa 2000 ký tự."), 2000, textarea=True)
    autograph = text(_("Bút tích"), _("Bút tích, ghi chú viết tay trên bản gốc."), 500)


# A plain validator: text() wraps it in colander.All, where a colander.deferred
# would never be resolved by bind() (and would let every login through).
login_node_validator = colander.All(
    pattern_validator(LOGIN, _("Tên đăng nhập: 2–64 ký tự thường không dấu, chữ số, . _ -")),
    reserved_name_validator)


class UserEditSchema(colander.MappingSchema):
    name = text(_("Họ tên"), _("Tên hiển thị của người dùng."), 200)
    role = choice(_("Vai trò"), _("Quản trị viên, lưu trữ viên, cán bộ tra cứu hoặc kiểm tra viên."),
                  v.ROLES, "official", required=True)
    fonds = colander.SchemaNode(
        colander.Set(), title=_("Phông được phân quyền"), missing=(), default=(),
        description=_("Lưu trữ viên và cán bộ tra cứu chỉ làm việc trong các phông này."),
        widget=fonds_widget)
    password = colander.SchemaNode(
        Text(), title=_("Mật khẩu mới"), missing="",
        description=_("Ít nhất 8 ký tự; để trống nếu không đổi."),
        validator=length(200, 8), widget=w.PasswordWidget())
    active = colander.SchemaNode(colander.Boolean(), title=_("Đang hoạt động"), missing=True, default=True,
                                 description=_("Bỏ chọn để khóa tài khoản."), widget=w.CheckboxWidget())


class UserSchema(UserEditSchema):
    login = text(_("Tên đăng nhập"), _("2–64 ký tự thường không dấu, chữ số, . _ -"), 64, required=True,
                 validator=login_node_validator, insert_before="name")
    password = colander.SchemaNode(
        Text(), title=_("Mật khẩu"), missing_msg=REQUIRED,
        description=_("Ít nhất 8 ký tự."), validator=length(200, 8), widget=w.PasswordWidget())


class LoginSchema(colander.MappingSchema):
    login = text(_("Tên đăng nhập"), _("Tên đăng nhập do quản trị viên cấp."), 64, required=True)
    password = colander.SchemaNode(Text(), title=_("Mật khẩu"), missing_msg=REQUIRED,
                                   description=_("Mật khẩu của bạn."), widget=w.PasswordWidget())


class TokenRequestSchema(LoginSchema):
    label = text(_("Nhãn"), _("Tên gợi nhớ của mã truy cập, ví dụ hệ thống một cửa."), 100)


UNKNOWN_FIELD = _("Trường này không có trong danh mục dữ liệu (trường tính tự động hoặc viết sai tên).")


class TokenLabelSchema(colander.MappingSchema):
    label = text(_("Nhãn"), _("Mã truy cập dùng cho việc gì, ví dụ \"hệ thống một cửa\"."), 100,
                 required=True)


class PasswordChangeSchema(colander.MappingSchema):
    current_password = colander.SchemaNode(
        Text(), title=_("Mật khẩu hiện tại"), missing_msg=REQUIRED,
        description=_("Để xác nhận đúng là bạn."), widget=w.PasswordWidget())
    new_password = colander.SchemaNode(
        Text(), title=_("Mật khẩu mới"), missing_msg=REQUIRED,
        description=_("Ít nhất 8 ký tự; nhập hai lần giống nhau."), validator=length(200, 8),
        widget=w.CheckedPasswordWidget())


def deserialize(schema, cstruct):
    """Deserialize a JSON object, raising colander.Invalid; strips
    leading/trailing spaces of strings first.

    Fields the schema does not know raise ValidationFailed naming them: a
    misspelt ``"acess": "03"`` must not quietly file a classified dossier as
    public, and computed fields (file_code, doc_total...) are never typed."""
    if isinstance(cstruct, dict):
        known = {child.name for child in schema.children}
        unknown = sorted(name for name in cstruct if name not in known)
        if unknown:
            raise ValidationFailed(fields={name: UNKNOWN_FIELD for name in unknown})
        cstruct = {k: (val.strip() if isinstance(val, str) else val) for k, val in cstruct.items()}
    return schema.deserialize(cstruct)
