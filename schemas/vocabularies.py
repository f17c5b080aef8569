"""Code lists of the national metadata (DOMAIN.md), kept as data.

The document types are read from ``data/doc_types.csv`` (codes 04-06 are
disputed between sources: edit the file, not the code).
"""
import csv
import functools
import os

from archive.i18n import _

HERE = os.path.dirname(__file__)


@functools.lru_cache(maxsize=1)
def doc_types():
    """[(code, Vietnamese name, English name)] in code order."""
    with open(os.path.join(HERE, "data", "doc_types.csv"), encoding="utf-8-sig") as fh:
        return [(row["code"], row["name_vi"], row["name_en"]) for row in csv.DictReader(fh)]


def doc_type_name(code):
    for c, vi, _en in doc_types():
        if c == code:
            return vi
    return code


ACCESS = (
    ("01", _("01 – Công khai")),
    ("02", _("02 – Sử dụng có điều kiện")),
    ("03", _("03 – Mật")),
)
PHYSICAL_STATE = (
    ("01", _("01 – Tốt")),
    ("02", _("02 – Bình thường")),
    ("03", _("03 – Hư hỏng")),
)
PROVENANCE = (
    ("01", _("01 – Văn bản điện tử gốc")),
    ("02", _("02 – Số hóa từ bản giấy")),
    ("03", _("03 – Hỗn hợp")),
)
SECRECY = (
    ("none", _("Không mật")),
    ("mat", _("Mật")),
    ("toi-mat", _("Tối mật")),
    ("tuyet-mat", _("Tuyệt mật")),
)
URGENCY = (
    ("none", _("Thường")),
    ("khan", _("Khẩn")),
    ("thuong-khan", _("Thượng khẩn")),
    ("hoa-toc", _("Hỏa tốc")),
)
LANGUAGES = (
    ("vi", _("Tiếng Việt")),
    ("en", _("Tiếng Anh")),
    ("fr", _("Tiếng Pháp")),
    ("zh", _("Tiếng Trung")),
    ("ru", _("Tiếng Nga")),
    ("km", _("Tiếng Khmer")),
    ("lo", _("Tiếng Lào")),
)
ROLES = (
    ("administrator", _("Quản trị viên")),
    ("archivist", _("Lưu trữ viên")),
    ("official", _("Cán bộ tra cứu")),
    ("auditor", _("Kiểm tra viên")),
)
APPLICANT_KINDS = (
    ("", _("—")),
    ("citizen", _("Công dân")),
    ("organisation", _("Tổ chức")),
)
CHANNELS = (
    ("", _("—")),
    ("in-person", _("Trực tiếp")),
    ("online", _("Trực tuyến")),
    ("postal", _("Bưu chính công ích")),
)
STATUSES = (
    ("", _("—")),
    ("new", _("Mới")),
    ("received", _("Đã tiếp nhận")),
    ("processing", _("Đang xử lý")),
    ("supplement", _("Yêu cầu bổ sung")),
    ("payment", _("Chờ nộp phí")),
    ("withdrawn", _("Đã rút")),
    ("stopped", _("Dừng xử lý")),
    ("done", _("Đã giải quyết")),
    ("returned", _("Đã trả kết quả")),
    ("rejected", _("Từ chối")),
)


def codes(vocabulary):
    return [code for code, _label in vocabulary]
