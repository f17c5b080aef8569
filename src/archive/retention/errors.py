"""Named exceptions of retention: schedule, holds."""
from ..errors import ArchiveError
from ..i18n import _


class OnHold(ArchiveError):
    """The dossier is under a legal hold: nothing about it may change."""

    status = 409
    message = _("Hồ sơ đang bị tạm giữ (khiếu nại, thanh tra, kiểm tra hoặc tranh chấp): "
                "không được sửa, đóng, thêm văn bản, đề nghị hủy, hủy hoặc nộp lưu cho đến khi "
                "được giải tỏa.")


class UnknownScheduleEntry(ArchiveError):
    status = 422
    message = _("Không có mục này trong bảng thời hạn bảo quản.")


class DuplicateScheduleEntry(ArchiveError):
    status = 409
    message = _("Mã mục này đã có trong bảng thời hạn bảo quản.")


class NotHeld(ArchiveError):
    status = 409
    message = _("Lệnh tạm giữ này đã được giải tỏa.")
