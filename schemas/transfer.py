"""colander schemas of transfers to the historical archive (web forms)."""
import colander
import deform.widget as w

from archive.i18n import _

from .types import Text, length

REQUIRED = _("Bắt buộc nhập.")


@colander.deferred
def dossier_choices(node, kw):
    return w.CheckboxChoiceWidget(values=list(kw.get("dossier_choices", ())), inline=False)


@colander.deferred
def dossier_validator(node, kw):
    allowed = {value for value, _label in kw.get("dossier_choices", ())}

    def validate(node, value):
        if not value:
            raise colander.Invalid(node, _("Chọn ít nhất một hồ sơ."))
        if not set(value) <= allowed:
            raise colander.Invalid(node, _("Hồ sơ này không có trong danh sách đến hạn nộp lưu."))
    return validate


class TransferSelectSchema(colander.MappingSchema):
    dossiers = colander.SchemaNode(
        colander.Set(), title=_("Hồ sơ nộp lưu"), missing_msg=_("Chọn ít nhất một hồ sơ."),
        description=_("Hồ sơ bảo quản vĩnh viễn đã đóng, đến hạn nộp lưu và không bị tạm giữ; "
                      "bỏ chọn hồ sơ chưa nộp lần này."),
        widget=dossier_choices, validator=dossier_validator)


class ReceiptSchema(colander.MappingSchema):
    receipt_number = colander.SchemaNode(
        Text(), title=_("Số biên bản giao nhận"), missing_msg=REQUIRED, validator=length(100),
        description=_("Số biên bản giao nhận tài liệu của lưu trữ lịch sử, ví dụ 15/BB-LTLS."))
    receipt_date = colander.SchemaNode(
        Text(), title=_("Ngày giao nhận"), missing_msg=REQUIRED, validator=length(10),
        description=_("Ngày ký biên bản giao nhận: DD/MM/YYYY."),
        widget=w.TextInputWidget(attributes={"placeholder": "DD/MM/YYYY"}))


class CancelSchema(colander.MappingSchema):
    reason = colander.SchemaNode(
        Text(), title=_("Lý do hủy gói"), missing_msg=REQUIRED, validator=length(1000, 1),
        description=_("Vì sao gói này không được giao nộp; hồ sơ sẽ được chọn lại được."),
        widget=w.TextAreaWidget(rows=3))
