"""colander types and validators for the national metadata."""
import datetime
import re

import colander

from archive.i18n import _

ORGAN_ID_OLD = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")  # QCVN 102:2016
ORGAN_ID_NEW = re.compile(r"^[A-Z]\d{2}(\.\d+)*$")              # QĐ 20/2020
NOTATION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-_]*$")
FONDS_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-_]*$")
LOGIN = re.compile(r"^[a-z0-9][a-z0-9._\-]{1,63}$")
PROCEDURE_CODE = re.compile(r"^\d\.\d{6}(\.\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2})?$")


def organ_id_validator(node, value):
    if len(value) > 35 or not (ORGAN_ID_OLD.match(value) or ORGAN_ID_NEW.match(value)):
        raise colander.Invalid(node, _(
            "Mã định danh cơ quan không hợp lệ: dùng dạng 000.00.17.H17 (QCVN 102:2016) "
            "hoặc H17.1.2 (QĐ 20/2020), tối đa 35 ký tự."))


def pattern_validator(regex, message):
    def validate(node, value):
        if not regex.match(value):
            raise colander.Invalid(node, message)
    return validate


def length(max_len, min_len=None):
    return colander.Length(
        min=min_len, max=max_len,
        min_err=_("Cần ít nhất ${min} ký tự."),
        max_err=_("Tối đa ${max} ký tự."))


def one_of(choices):
    return colander.OneOf(choices, msg_err=_("Giá trị không hợp lệ: chọn một mục trong danh sách."))


class PartialDate(colander.SchemaType):
    """A date that may be partial for old files: ``YYYY``, ``YYYY-MM`` or
    ``YYYY-MM-DD`` (also typed ``MM/YYYY`` or ``DD/MM/YYYY``).  Stored as the
    ISO string of the known part; shown the Vietnamese way (DD/MM/YYYY)."""

    MIN_YEAR = 1800

    def serialize(self, node, appstruct):
        if appstruct in (colander.null, None, ""):
            return colander.null
        parts = appstruct.split("-")
        return "/".join(reversed(parts))

    def deserialize(self, node, cstruct):
        if cstruct in (colander.null, None) or not str(cstruct).strip():
            return colander.null
        text = str(cstruct).strip()
        iso = self.parse(text)
        if iso is None:
            raise colander.Invalid(node, _(
                "Ngày không hợp lệ: nhập DD/MM/YYYY, MM/YYYY hoặc YYYY (hay YYYY-MM-DD)."))
        return iso

    @classmethod
    def parse(cls, text):
        m = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", text)
        if m:
            year, month, day = m.groups()
        else:
            m = re.fullmatch(r"(?:(\d{1,2})[/.])?(\d{1,2})[/.](\d{4})", text)
            if not m:
                return None
            day, month, year = m.groups()
        year = int(year)
        if year < cls.MIN_YEAR or year > datetime.date.today().year + 1:
            return None
        if month is None:
            return f"{year:04d}"
        month = int(month)
        if not 1 <= month <= 12:
            return None
        if day is None:
            return f"{year:04d}-{month:02d}"
        try:
            datetime.date(year, month, int(day))
        except ValueError:
            return None
        return f"{year:04d}-{month:02d}-{int(day):02d}"


class Retention(colander.SchemaType):
    """Retention period: ``permanent`` or a number of years (1-100)."""

    PERMANENT_WORDS = ("permanent", "vĩnh viễn", "vinh vien", "vv")

    def serialize(self, node, appstruct):
        if appstruct in (colander.null, None):
            return colander.null
        return "vĩnh viễn" if appstruct == "permanent" else str(appstruct)

    def deserialize(self, node, cstruct):
        if cstruct in (colander.null, None, ""):
            return colander.null
        if isinstance(cstruct, bool):
            raise colander.Invalid(node, self.message())
        if isinstance(cstruct, int):
            years = cstruct
        else:
            text = str(cstruct).strip().lower()
            if text in self.PERMANENT_WORDS:
                return "permanent"
            text = re.sub(r"\s*(năm|nam|years?)$", "", text)
            if not text.isdigit():
                raise colander.Invalid(node, self.message())
            years = int(text)
        if not 1 <= years <= 100:
            raise colander.Invalid(node, self.message())
        return years

    @staticmethod
    def message():
        return _("Thời hạn bảo quản phải là \"vĩnh viễn\" hoặc số năm từ 1 đến 100 (ví dụ 10).")


def check_date_order(form, value):
    """end_date must not be before start_date (compared on their common precision)."""
    start, end = value.get("start_date"), value.get("end_date")
    if start and end and start is not colander.null and end is not colander.null:
        n = min(len(start), len(end))
        if end[:n] < start[:n]:
            exc = colander.Invalid(form, _("Ngày kết thúc không được trước ngày bắt đầu."))
            exc["end_date"] = _("Ngày kết thúc không được trước ngày bắt đầu.")
            raise exc
