"""Named exceptions of disposal (Vietnamese msgids; HTTP status hints)."""
from ..errors import ArchiveError
from ..i18n import _


class FourEyesViolation(ArchiveError):
    """The proposer of a disposal tried to approve it (administrators included)."""

    status = 403
    message = _("Nguyên tắc bốn mắt: người lập danh mục không được tự phê duyệt danh mục của mình.")


class WrongDisposalState(ArchiveError):
    status = 409
    message = _("Danh mục hủy đang ở trạng thái ${state}: không thể thực hiện thao tác này.")


class NotDue(ArchiveError):
    status = 409
    message = _("Hồ sơ ${code} chưa hết thời hạn bảo quản (đến hạn ${due}): chỉ quản trị viên "
                "được đề nghị hủy trước hạn, và phải ghi rõ lý do.")


class PermanentDossier(ArchiveError):
    status = 409
    message = _("Hồ sơ ${code} bảo quản vĩnh viễn: không bao giờ được đề nghị hủy.")


class AlreadyProposed(ArchiveError):
    status = 409
    message = _("Hồ sơ ${code} đã nằm trong danh mục hủy ${number}.")


class DossierNotClosed(ArchiveError):
    status = 409
    message = _("Hồ sơ ${code} chưa đóng: chỉ hồ sơ đã đóng mới được đề nghị hủy.")


class NotInFonds(ArchiveError):
    status = 422
    message = _("Hồ sơ ${code} không thuộc phông ${fonds}.")


class EmptyProposal(ArchiveError):
    status = 422
    message = _("Danh mục hủy phải có ít nhất một hồ sơ.")


class UnknownActor(ArchiveError):
    status = 403
    message = _("Người thực hiện ${login} không phải là tài khoản đang hoạt động.")


class NotAllowed(ArchiveError):
    status = 403
    message = _("Tài khoản ${login} không có quyền thực hiện thao tác này.")


class DisposalKept(ArchiveError):
    status = 409
    message = _("Hồ sơ hủy tài liệu được giữ ít nhất 20 năm: không thể xóa.")
