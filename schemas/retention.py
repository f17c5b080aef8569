"""colander schemas of retention: schedule entries, holds (web forms and API)."""
import re

import colander
import deform.widget as w

from archive.i18n import _
from archive.retention.holds import KINDS

from .types import Retention, Text, length, one_of, pattern_validator

REQUIRED = _("Bắt buộc nhập.")
ENTRY_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-_]{0,39}$")
HOLD_KINDS = KINDS


def _text(title, description, max_len, required=True, textarea=False, validator=None, **kw):
    node = colander.SchemaNode(Text(), title=title, description=description,
                               validator=validator or length(max_len), missing_msg=REQUIRED,
                               widget=w.TextAreaWidget(rows=3) if textarea else w.TextInputWidget(),
                               **kw)
    if not required:
        node.missing = ""
    return node


class ScheduleEntrySchema(colander.MappingSchema):
    """A row of the retention schedule."""

    code = _text(_("Mã mục"), _("Số mục trong bảng thời hạn, ví dụ 3.2 (nhóm 3, mục 2)."), 40,
                 validator=colander.All(length(40), pattern_validator(
                     ENTRY_CODE, _("Chỉ dùng chữ không dấu, chữ số, dấu chấm, gạch ngang."))))
    title = _text(_("Tên nhóm hồ sơ, tài liệu"), _("Tên hồ sơ, tài liệu như trong bảng thời hạn."), 500,
                  textarea=True)
    period = colander.SchemaNode(
        Retention(), title=_("Thời hạn bảo quản"), missing_msg=REQUIRED,
        description=_("\"vĩnh viễn\" hoặc số năm (thường 70, 50, 30, 20, 10, 5)."))
    citation = _text(_("Căn cứ pháp lý"), _("Văn bản và số mục, ví dụ Thông tư 10/2022/TT-BNV, nhóm 3, mục 2."),
                     300)
    note = _text(_("Ghi chú"), _("Ghi chú về mục này, tối đa 1000 ký tự."), 1000, required=False,
                 textarea=True)
    retired = colander.SchemaNode(colander.Boolean(), title=_("Hết hiệu lực"), missing=False,
                                  default=False, widget=w.CheckboxWidget(),
                                  description=_("Không dùng mục này cho hồ sơ mới (hồ sơ cũ giữ nguyên)."))


class ScheduleEntryEditSchema(ScheduleEntrySchema):
    """An edit makes a new version; the code does not change."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        del self["code"]


class HoldSchema(colander.MappingSchema):
    dossiers = _text(_("Hồ sơ"), _("Mã hồ sơ (ví dụ 000.00.17.H17.2024.01.TCCB) hoặc mã định danh, "
                                   "mỗi dòng một hồ sơ."), 20000, textarea=True)
    kind = colander.SchemaNode(Text(), title=_("Loại căn cứ"), missing_msg=REQUIRED,
                               description=_("Khiếu nại, thanh tra, tranh chấp hay lý do khác."),
                               validator=one_of([c for c, _l in HOLD_KINDS]),
                               widget=w.SelectWidget(values=list(HOLD_KINDS)))
    reference = _text(_("Số hiệu căn cứ"), _("Số đơn khiếu nại, quyết định thanh tra hoặc số thụ lý vụ án."),
                      200)
    reason = _text(_("Lý do tạm giữ"), _("Vì sao hồ sơ phải được giữ nguyên, tối đa 2000 ký tự."), 2000,
                   textarea=True)


class HoldApiSchema(HoldSchema):
    """The API takes a list of dossier ids."""

    dossiers = colander.SchemaNode(
        colander.Sequence(), colander.SchemaNode(Text(), name="id"), title=_("Hồ sơ"),
        description=_("Mã định danh của các hồ sơ."), missing_msg=REQUIRED,
        validator=colander.Length(min=1, min_err=REQUIRED))


class ReleaseSchema(colander.MappingSchema):
    reason = _text(_("Lý do giải tỏa"), _("Căn cứ giải tỏa, ví dụ quyết định giải quyết khiếu nại số ..."),
                   2000, textarea=True)
