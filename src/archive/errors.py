"""Named exceptions raised by the services.

Each carries a translatable ``message`` and, where a form field is at fault,
``fields`` (field name -> message).  ``status`` is the HTTP status the web layer
answers with; the core itself knows nothing of HTTP beyond this hint.
"""
from .i18n import _


class ArchiveError(Exception):
    status = 400
    message = _("Yêu cầu không hợp lệ.")

    def __init__(self, message=None, fields=None, mapping=None):
        if message is not None:
            self.message = message
        if mapping:
            self.message = _(self.message, mapping=mapping)
        self.fields = dict(fields or {})
        super().__init__(str(self.message))


class ValidationFailed(ArchiveError):
    status = 422
    message = _("Dữ liệu chưa hợp lệ, xin kiểm tra các trường được đánh dấu.")


class NotFound(ArchiveError):
    status = 404
    message = _("Không tìm thấy.")


class DossierClosed(ArchiveError):
    status = 409
    message = _("Hồ sơ đã đóng: không thể thay đổi, thêm hoặc xóa văn bản và tệp.")


class DuplicateCode(ArchiveError):
    status = 409
    message = _("Mã này đã tồn tại.")


class FileTooLarge(ArchiveError):
    status = 413
    message = _("Tệp vượt quá dung lượng cho phép.")


class UnsupportedMediaType(ArchiveError):
    status = 415
    message = _("Loại tệp không được chấp nhận. Chỉ nhận PDF, TIFF, JPEG, PNG, ODT, DOCX, XLSX.")


class EmptyFile(ArchiveError):
    status = 422
    message = _("Tệp rỗng (0 byte).")


class IncompleteUpload(ArchiveError):
    status = 400
    message = _("Tệp tải lên không trọn vẹn (kết nối bị ngắt giữa chừng).")


class ClassifiedFileRefused(ArchiveError):
    status = 422
    message = _("Văn bản mật: hệ thống chỉ lưu siêu dữ liệu, không nhận tệp nội dung trên máy nối mạng.")


class InvalidCredentials(ArchiveError):
    status = 401
    message = _("Tên đăng nhập hoặc mật khẩu không đúng.")
