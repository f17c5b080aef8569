"""Why a file cannot be digitised: permanent failures, shown to archivists.

Raised by the engine's run phase; the job handler turns them into
``archive.jobs.JobFailed`` (no retry: the same bytes fail the same way)."""
from ..errors import ArchiveError
from ..i18n import _


class DigitiseError(ArchiveError):
    status = 422
    message = _("Không nhận dạng được văn bản của tệp này.")


class EmptyInput(DigitiseError):
    message = _("Tệp rỗng (0 byte): không có nội dung để nhận dạng.")


class CorruptPdf(DigitiseError):
    message = _("Tệp PDF bị hỏng, không đọc được: hãy quét hoặc xuất lại tệp rồi tải lên lần nữa.")


class EncryptedPdf(DigitiseError):
    message = _("Tệp PDF được mã hóa (có mật khẩu hoặc bị khóa quyền): hãy tải lên bản không mã hóa.")


class CorruptImage(DigitiseError):
    message = _("Tệp ảnh bị hỏng hoặc không đọc được: hãy quét lại.")


class ImageTooLarge(DigitiseError):
    message = _("Ảnh quá lớn (${pixels} megapixel, tối đa ${limit}): không giải mã để tránh làm treo máy chủ; "
                "hãy quét lại ở độ phân giải thấp hơn (300 dpi là đủ).")


class OfficeTooLarge(DigitiseError):
    message = _("Nội dung tệp văn phòng khi giải nén vượt quá ${limit} MB: không đọc để tránh làm treo máy chủ.")


class TooManyPages(DigitiseError):
    message = _("Tệp có ${pages} trang, vượt quá giới hạn ${limit} trang của một lần nhận dạng.")


class OcrTimeout(DigitiseError):
    message = _("Nhận dạng quá thời gian cho phép (${seconds} giây).")


class OcrRefused(DigitiseError):
    message = _("Công cụ nhận dạng từ chối tệp: ${reason}")


class FileGone(DigitiseError):
    status = 404
    message = _("Tệp không còn trong kho lưu trữ.")
