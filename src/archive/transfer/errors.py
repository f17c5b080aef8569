"""Named exceptions of transfers (messages are Vietnamese msgids)."""
from ..errors import ArchiveError
from ..i18n import _


class NotPermanent(ArchiveError):
    status = 409
    message = _("Hồ sơ ${code} không bảo quản vĩnh viễn: chỉ hồ sơ vĩnh viễn được nộp lưu "
                "vào lưu trữ lịch sử.")


class NotDueForTransfer(ArchiveError):
    status = 409
    message = _("Hồ sơ ${code} chưa đến hạn nộp lưu vào lưu trữ lịch sử.")


class AlreadyTransferred(ArchiveError):
    status = 409
    message = _("Hồ sơ ${code} đã được nộp lưu.")


class TransferPending(ArchiveError):
    status = 409
    message = _("Hồ sơ ${code} đang nằm trong gói nộp lưu ${number} chưa có biên bản giao nhận.")


class NothingToTransfer(ArchiveError):
    status = 422
    message = _("Không có hồ sơ nào đến hạn nộp lưu trong lựa chọn này.")


class MixedFonds(ArchiveError):
    status = 422
    message = _("Một gói nộp lưu chỉ gồm hồ sơ của một phông: hãy chọn phông.")


class TransferState(ArchiveError):
    status = 409
    message = _("Gói nộp lưu ${number} ở trạng thái \"${state}\": không thể thực hiện thao tác này.")


class BagExists(ArchiveError):
    status = 409
    message = _("Thư mục ${path} đã tồn tại: chọn thư mục khác hoặc xóa nó trước.")


class BagIntegrityError(ArchiveError):
    status = 500
    message = _("Tổng kiểm SHA-256 trong gói không khớp với tệp đã lưu (${path}): gói đã bị hủy.")


class InvalidBag(ArchiveError):
    status = 422
    message = _("Gói BagIt không hợp lệ: ${reason}")


class TargetNotEmpty(ArchiveError):
    status = 409
    message = _("Kho đích đã có hồ sơ ${code}: chỉ nạp gói vào kho chưa có các hồ sơ này.")


class NoTransfers(ArchiveError):
    status = 500
    message = _("Cơ sở dữ liệu chưa có sổ nộp lưu: hãy chạy archive-evolve.")


class NotEnoughSpace(ArchiveError):
    status = 507
    message = _("Không đủ chỗ trống trên đĩa để lập gói nộp lưu: cần khoảng ${need} MB, chỉ còn "
                "${free} MB ở ${path}. Hãy giải phóng chỗ trống, chọn ít hồ sơ hơn hoặc đặt "
                "archive.transfer_dir sang ổ đĩa khác.")


class TransferQueued(ArchiveError):
    status = 409
    message = _("Hồ sơ ${code} đang được lập gói nộp lưu ${number} (công việc chưa xong): chờ "
                "công việc đó kết thúc.")


class TransferTooLarge(ArchiveError):
    status = 413
    message = _("Gói quá lớn để lập từ web (${size} MB, tối đa ${max} MB theo thiết lập "
                "archive.transfer.web_max_bytes): chọn ít hồ sơ hơn hoặc dùng lệnh archive-transfer "
                "trên máy chủ.")
