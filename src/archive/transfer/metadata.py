"""The metadata a bag carries, and its text form, shared by export and import.

Every field of DOMAIN.md §2 (dossier), §6 (one-stop data) and §3 (document)
is written with its name, its Vietnamese label and a ``type`` that tells the
importer how to read the text back, so that a dossier loaded from a bag has
exactly the values it had here (``decode(encode(v)) == v``).
"""
from ..resources import DOSSIER_FIELDS, ONESTOP_FIELDS, RECORD_FIELDS

# Vietnamese labels (the bag is a Vietnamese legal document: not translated)
LABELS = {
    "file_code": "Mã hồ sơ",
    "organ_id": "Mã định danh cơ quan",
    "year": "Năm hình thành hồ sơ",
    "notation": "Số và ký hiệu hồ sơ",
    "title": "Tiêu đề hồ sơ",
    "retention": "Thời hạn bảo quản",
    "retention_note": "Ghi chú thời hạn bảo quản",
    "retention_entry": "Mục trong bảng thời hạn bảo quản",
    "retention_entry_version": "Phiên bản của mục bảng thời hạn",
    "access": "Chế độ sử dụng",
    "language": "Ngôn ngữ",
    "start_date": "Thời gian bắt đầu",
    "end_date": "Thời gian kết thúc",
    "doc_total": "Tổng số văn bản",
    "page_total": "Tổng số trang",
    "sheet_total": "Tổng số tờ",
    "creator": "Người lập hồ sơ",
    "keywords": "Từ khóa",
    "info_mark": "Ký hiệu thông tin",
    "physical_state": "Tình trạng vật lý",
    "provenance": "Mức độ tin cậy",
    "paper_file_code": "Mã hồ sơ gốc giấy",
    "backup_required": "Chế độ dự phòng",
    "backup_done": "Tình trạng dự phòng",
    "notes": "Ghi chú",
    "closed_at": "Ngày đóng hồ sơ",
    "procedure_code": "Mã thủ tục hành chính",
    "procedure_name": "Tên thủ tục",
    "receipt_code": "Mã hồ sơ TTHC",
    "applicant_name": "Người nộp",
    "applicant_kind": "Loại người nộp",
    "applicant_id": "Số giấy tờ",
    "field_name": "Lĩnh vực",
    "received_date": "Ngày tiếp nhận",
    "due_date": "Ngày hẹn trả",
    "returned_date": "Ngày trả kết quả",
    "channel": "Hình thức nộp",
    "handling_unit": "Đơn vị xử lý",
    "status": "Trạng thái",
    "district": "Huyện/thị xã",
    # documents
    "ordinal": "Số thứ tự văn bản trong hồ sơ",
    "doc_code": "Mã văn bản",
    "doc_type": "Tên loại văn bản",
    "number": "Số văn bản",
    "issued_date": "Ngày, tháng, năm văn bản",
    "issuer": "Tên cơ quan ban hành",
    "subject": "Trích yếu nội dung",
    "signer": "Chức vụ, họ tên người ký",
    "page_count": "Số trang",
    "secrecy": "Độ mật",
    "urgency": "Độ khẩn",
    "autograph": "Bút tích",
}
RECORD_LABELS = dict(LABELS, notation="Ký hiệu văn bản", keywords="Từ khóa", notes="Ghi chú")

ACCESS_NAMES = {"01": "Công khai", "02": "Sử dụng có điều kiện", "03": "Mật"}
PHYSICAL_NAMES = {"01": "Tốt", "02": "Bình thường", "03": "Hư hỏng"}
PROVENANCE_NAMES = {"01": "Điện tử gốc", "02": "Số hóa từ bản giấy", "03": "Hỗn hợp"}

# the stored (typed) fields, written and read back; computed ones are written only
DOSSIER_STORED = tuple(DOSSIER_FIELDS) + tuple(f for f in ONESTOP_FIELDS if f not in DOSSIER_FIELDS)
# kept exactly as decided in the source archive, whatever the target's schedule
# holds: set on the imported dossier directly, not resolved again
DOSSIER_DECIDED = ("retention_entry", "retention_entry_version")
DOSSIER_COMPUTED = ("file_code", "doc_total", "page_total", "closed_at")
RECORD_STORED = tuple(RECORD_FIELDS)
RECORD_COMPUTED = ("ordinal", "doc_code", "page_count")

NULL = "null"


def label(name, record=False):
    return (RECORD_LABELS if record else LABELS).get(name, name)


def kind_of(value):
    """The ``type`` written beside a value."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, (tuple, list, set, frozenset)):
        return "list"
    if hasattr(value, "isoformat"):
        return "datetime"
    return "text"


def encode(value):
    """(type, text) of a field value."""
    kind = kind_of(value)
    if kind == NULL:
        return kind, ""
    if kind == "bool":
        return kind, "true" if value else "false"
    if kind == "int":
        return kind, str(value)
    if kind == "list":
        return kind, ";".join(sorted(str(v) for v in value))
    if kind == "datetime":
        return kind, value.isoformat()
    return kind, str(value)


def decode(kind, text):
    """The value of a field from its ``type`` and text (inverse of ``encode``)."""
    text = text or ""
    if kind == NULL:
        return None
    if kind == "bool":
        return text == "true"
    if kind == "int":
        return int(text)
    if kind == "list":
        return tuple(v for v in text.split(";") if v)
    return text


def display(value):
    """A value as a person reads it (index.html)."""
    if value is None or value == "":
        return ""
    if value == "permanent":
        return "Vĩnh viễn"
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, (tuple, list, set, frozenset)):
        return ", ".join(sorted(str(v) for v in value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def dossier_values(dossier):
    """[(name, value)] of a dossier: stored fields, then computed ones."""
    out = [(name, getattr(dossier, name, None)) for name in DOSSIER_STORED]
    out += [(name, getattr(dossier, name, None)) for name in DOSSIER_DECIDED
            if name not in DOSSIER_STORED]
    out += [(name, getattr(dossier, name, None)) for name in DOSSIER_COMPUTED]
    return out


def record_values(record):
    out = [(name, getattr(record, name, None)) for name in RECORD_COMPUTED]
    out += [(name, getattr(record, name, None)) for name in RECORD_STORED]
    return out
