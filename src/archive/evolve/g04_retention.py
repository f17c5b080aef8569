"""Generation 4: the retention schedule, due-date indexes and holds.

Creates ``root.retention_schedule`` (seeded with common entries of the
retention table of Circular 10/2022/TT-BNV), ``root.retention_index`` and
``root.holds``, then indexes every existing dossier.  Safe to run again: what
exists is kept, and indexing an indexed dossier changes nothing.
"""
from BTrees.OOBTree import OOBTree

from ..events import SYSTEM

CIRCULAR = "Thông tư 10/2022/TT-BNV"
ASSUMED = ("Số mục theo bảng thời hạn bảo quản tài liệu chung của Thông tư 10/2022/TT-BNV "
           "(giả định): đối chiếu với văn bản gốc và sửa tại đây nếu khác.")

# (code, title, period, citation row): the common table's groups are
# 1 general, 2 planning and statistics, 3 organisation and personnel, 4 labour
# and wages, 5 finance and accounting, 9 inspection and complaints, 10
# emulation and awards, 12 office administration.
SEED = (
    ("1.1", "Hồ sơ xây dựng, ban hành điều lệ, quy chế, quy định, hướng dẫn những vấn đề chung "
            "của cơ quan", "permanent", "nhóm 1, mục 1"),
    ("1.2", "Kế hoạch, báo cáo công tác năm của cơ quan", "permanent", "nhóm 1, mục 2"),
    ("1.3", "Kế hoạch, báo cáo công tác quý, tháng", 5, "nhóm 1, mục 3"),
    ("1.4", "Hồ sơ hội nghị tổng kết, sơ kết công tác hằng năm của cơ quan", "permanent",
     "nhóm 1, mục 4"),
    ("1.5", "Sổ đăng ký, cơ sở dữ liệu quản lý văn bản đi, văn bản đến", 20, "nhóm 1, mục 5"),
    ("1.6", "Công văn trao đổi về những vấn đề chung", 10, "nhóm 1, mục 6"),
    ("3.1", "Hồ sơ xây dựng đề án tổ chức bộ máy, thành lập, sáp nhập, giải thể", "permanent",
     "nhóm 3, mục 1"),
    ("3.2", "Hồ sơ cán bộ, công chức, viên chức", 70, "nhóm 3, mục 2"),
    ("3.3", "Hồ sơ tuyển dụng công chức, viên chức", 20, "nhóm 3, mục 3"),
    ("3.4", "Hồ sơ nâng bậc lương, chuyển ngạch", 20, "nhóm 3, mục 4"),
    ("5.1", "Báo cáo tài chính, quyết toán năm", "permanent", "nhóm 5, mục 1"),
    ("5.2", "Chứng từ kế toán", 10, "nhóm 5, mục 2"),
    ("9.1", "Hồ sơ giải quyết khiếu nại, tố cáo", 15, "nhóm 9, mục 1"),
    ("10.1", "Hồ sơ khen thưởng hình thức cao (Huân chương, danh hiệu vinh dự Nhà nước)",
     "permanent", "nhóm 10, mục 1"),
    ("10.2", "Hồ sơ khen thưởng các hình thức khác", 20, "nhóm 10, mục 2"),
    ("12.1", "Giấy mời, thông báo họp, tài liệu phục vụ công việc hành chính thường ngày", 5,
     "nhóm 12, mục 1"),
)


def seed_schedule(root):
    from ..retention.schedule import RetentionSchedule, add_entry

    schedule = getattr(root, "retention_schedule", None)
    if schedule is None:
        schedule = root.retention_schedule = RetentionSchedule()
        schedule.__parent__ = root
    if len(schedule):
        return schedule
    for code, title, period, row in SEED:
        add_entry(root, None, SYSTEM, {"code": code, "title": title, "period": period,
                                       "citation": f"{CIRCULAR}, {row}", "note": ASSUMED})
    return schedule


def step(root):
    """the retention schedule, due-date indexes and holds"""
    from ..retention.index import RetentionIndex, reindex_dossier, walk_dossiers

    seed_schedule(root)
    if getattr(root, "retention_index", None) is None:
        root.retention_index = RetentionIndex()
    if getattr(root, "holds", None) is None:
        root.holds = OOBTree()
    jar = getattr(root, "_p_jar", None)
    for n, dossier in enumerate(walk_dossiers(root), 1):
        reindex_dossier(root, dossier)
        if jar is not None and n % 2000 == 0:
            # a large archive: keep memory flat within the one transaction
            jar.transaction_manager.savepoint(True)
            jar.cacheGC()
