"""colander types and validators for the national metadata."""
import datetime
import re
import unicodedata

import colander

from archive.i18n import _

ORGAN_ID_OLD = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")  # QCVN 102:2016
ORGAN_ID_NEW = re.compile(r"^[A-Z]\d{2}(\.\d+)*$")              # QĐ 20/2020
NOTATION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-_]*$")
FONDS_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-_]*$")
LOGIN = re.compile(r"^[a-z0-9][a-z0-9._\-]{1,63}$")
PROCEDURE_CODE = re.compile(r"^\d\.\d{6}(\.\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2})?$")


# Names of views of the containers (``/fonds/add``, ``/users/add``): traversal
# finds a child before a view, so a fonds code or a login equal to one of them
# would hide that page.  Keep in step with archive.views.
RESERVED_NAMES = ("add", "edit", "login", "logout", "language", "journal", "static",
                  "deform-static", "api")


def reserved_name_validator(node, value):
    if value.lower() in RESERVED_NAMES:
        raise colander.Invalid(node, _("\"${name}\" là tên dành riêng của hệ thống, xin chọn tên khác.",
                                       mapping={"name": value}))


class Text(colander.String):
    """A string.  A JSON number is taken as its text (``"number": 504``);
    a list, an object or true/false is refused with a plain message (colander
    would answer "[...] is not a string: {...}")."""

    def deserialize(self, node, cstruct):
        if isinstance(cstruct, (bool, list, tuple, dict, set)):
            raise colander.Invalid(node, _("Phải là một chuỗi ký tự."))
        if isinstance(cstruct, (int, float)):
            cstruct = str(cstruct)
        return super().deserialize(node, cstruct)


class Integer(colander.Integer):
    """An integer that refuses what colander would silently truncate
    (``2024.7`` -> 2024, ``true`` -> 1)."""

    def deserialize(self, node, cstruct):
        if isinstance(cstruct, bool) or (isinstance(cstruct, float) and not cstruct.is_integer()) \
                or isinstance(cstruct, (list, tuple, dict, set)):
            raise colander.Invalid(node, _("Phải là một số nguyên."))
        return super().deserialize(node, cstruct)


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
        if isinstance(cstruct, (bool, float, list, tuple, dict, set)):
            raise colander.Invalid(node, self.message())
        if isinstance(cstruct, int):
            years = cstruct
        else:
            # NFC: "vĩnh viễn" typed on macOS or pasted from a PDF arrives decomposed
            text = unicodedata.normalize("NFC", str(cstruct)).strip().lower()
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
            # the message goes on the field only: a message on the mapping too
            # would be repeated in front of it by Invalid.asdict()
            exc = colander.Invalid(form)
            exc["end_date"] = _("Ngày kết thúc không được trước ngày bắt đầu.")
            raise exc


def check_paper_file_code(form, value):
    """A digitised dossier (provenance 02) says where its paper original sits
    (DOMAIN.md §2: paper_file_code, required when digitised)."""
    if value.get("provenance") == "02" and not value.get("paper_file_code"):
        exc = colander.Invalid(form)
        exc["paper_file_code"] = _("Bắt buộc với hồ sơ số hóa từ bản giấy (mức độ tin cậy 02): "
                                   "nơi để bản giấy, ví dụ LTCQ.K1/G01/H001.01.")
        raise exc


def check_dossier(form, value):
    """The cross-field rules of a dossier; every broken rule is reported."""
    errors = []
    for check in (check_date_order, check_paper_file_code):
        try:
            check(form, value)
        except colander.Invalid as exc:
            errors.append(exc)
    if errors:
        combined = colander.Invalid(form)
        for exc in errors:
            for child in exc.children:
                combined.add(child, child.pos)
        raise combined
