"""The report kinds.  Each reads the archive in the caller's transaction and
yields rows of plain values; none changes anything.

Only kinds whose data exists in the archive's code are listed in ``KINDS``.
"""
from collections import defaultdict

from ..i18n import _
from .base import Column, ReportKind, show_date, show_datetime, show_retention


def _fonds_in(root, fonds):
    container = root["fonds"]
    if fonds is not None:
        return [container[fonds]]
    return [container[code] for code in sorted(container.keys())]


def _release(obj):
    """Turn an unchanged persistent object back into a ghost: a report over
    a large archive then keeps only a cache's worth of objects in memory."""
    if getattr(obj, "_p_changed", None) is False:
        obj._p_deactivate()


# ---------------------------------------------------------------------- statistics

class Statistics(ReportKind):
    """Per fonds and year of formation: dossiers kept (closed, open,
    permanent, limited period, access 02 and 03, on hold, transferred to the
    historical archive), their documents and pages, and the dossiers
    destroyed (from their tombstones), with a total row.  Counted over the
    dossiers themselves: every number is a count of what is stored."""

    name = "statistics"
    title = _("Thống kê hồ sơ theo phông và năm")
    description = _("Số hồ sơ đang lưu (đã đóng, đang mở, vĩnh viễn, có thời hạn, theo chế độ sử "
                    "dụng, bị phong tỏa, đã nộp lưu), số văn bản, số trang và số hồ sơ đã hủy của "
                    "mỗi phông theo năm hình thành hồ sơ.")
    year_meaning = _("Năm hình thành hồ sơ")
    COUNTS = ("dossiers", "closed", "open", "permanent", "limited", "access02", "access03",
              "held", "transferred", "documents", "pages", "destroyed")
    columns = (
        Column("fonds", _("Mã phông"), 1.2),
        Column("fonds_name", _("Tên phông"), 3),
        Column("year", _("Năm"), 0.7),
        Column("dossiers", _("Số hồ sơ"), 0.9),
        Column("closed", _("Đã đóng"), 0.9),
        Column("open", _("Đang mở"), 0.9),
        Column("permanent", _("Vĩnh viễn"), 0.9),
        Column("limited", _("Có thời hạn"), 0.9),
        Column("access02", _("Sử dụng có điều kiện"), 1),
        Column("access03", _("Mật"), 0.7),
        Column("held", _("Bị phong tỏa"), 0.9),
        Column("transferred", _("Đã nộp lưu"), 0.9),
        Column("documents", _("Số văn bản"), 0.9),
        Column("pages", _("Số trang"), 0.9),
        Column("destroyed", _("Đã hủy"), 0.8),
    )

    def count(self, dossier):
        permanent = dossier.retention == "permanent"
        pages = 0
        for record in dossier.values():
            pages += record.page_count or 0
            for stored in record.values():
                _release(stored)
            _release(record)
        return {
            "dossiers": 1, "closed": int(bool(dossier.closed)), "open": int(not dossier.closed),
            "permanent": int(permanent), "limited": int(not permanent),
            "access02": int(dossier.access == "02"), "access03": int(dossier.access == "03"),
            "held": int(bool(getattr(dossier, "hold_ids", ()))),
            "transferred": int(bool(getattr(dossier, "transferred", False))),
            "documents": len(dossier), "pages": pages,
        }

    def destroyed(self, root, fonds, year):
        """{(fonds code, year): dossiers destroyed} from the tombstones."""
        counts = defaultdict(int)
        for tombstone in getattr(root, "tombstones", None) or ():
            if (fonds is None or tombstone.fonds == fonds) and (year is None or tombstone.year == year):
                counts[(tombstone.fonds, tombstone.year)] += 1
        return counts

    def rows(self, root, fonds=None, year=None):
        total = dict.fromkeys(self.COUNTS, 0)
        destroyed = self.destroyed(root, fonds, year)
        for f in _fonds_in(root, fonds):
            per_year = defaultdict(lambda: dict.fromkeys(self.COUNTS, 0))
            for dossier in f.values():
                if year is None or dossier.year == year:
                    counts = per_year[dossier.year]
                    for key, n in self.count(dossier).items():
                        counts[key] += n
                _release(dossier)
            for (code, y), n in destroyed.items():
                if code == f.code:
                    per_year[y]["destroyed"] = n
            for y in sorted(per_year):
                counts = per_year[y]
                for key in self.COUNTS:
                    total[key] += counts[key]
                yield [f.code, f.name, y] + [counts[key] for key in self.COUNTS]
        yield [_("Tổng cộng"), "", ""] + [total[key] for key in self.COUNTS]


# ---------------------------------------------------------------------- retention

STATE_LABELS = {
    "open": _("Đang mở"),
    "closed": _("Đã đóng"),
    "proposed": _("Đã đưa vào danh mục hủy"),
    "transferring": _("Đang nộp lưu"),
    "transferred": _("Đã nộp lưu"),
    "destroyed": _("Đã hủy"),
}
REGIME_LABELS = {"2011": _("Luật Lưu trữ 2011"), "2024": _("Luật Lưu trữ 2024")}
YES = _("Có")


def state_label(state):
    return STATE_LABELS.get(state, state or "")


def basis_text(basis):
    """Where a dossier's period comes from, as the report shows it."""
    if basis.get("source") == "schedule":
        parts = [basis.get("code") or ""]
        if basis.get("version"):
            parts.append(f"(v{basis['version']})")
        if basis.get("title"):
            parts.append(basis["title"])
        text = " ".join(p for p in parts if p)
        if basis.get("citation"):
            text += " – " + basis["citation"]
        return _("Bảng thời hạn: ${entry}", mapping={"entry": text})
    reason = basis.get("reason") or ""
    return _("Nhập trực tiếp: ${reason}", mapping={"reason": reason}) if reason \
        else _("Nhập trực tiếp")


class RetentionReport(ReportKind):
    """Every dossier still in the archive (destroyed ones are in the
    destruction records): codes, title, dates, period and its source, due
    years, state, hold.

    Built from the retention indexes (``root.retention_index``, kept by
    ``archive.retention`` in the same transaction as every change): which
    dossiers, and of which fonds, comes from the index's id sets alone; only
    the dossiers in the answer are loaded, and their due years, state and
    basis are computed by the same functions of ``archive.retention`` that
    keep the index.  So "what falls due in 2027" never walks the tree
    (``bench/reports.py``: about 0.08 x a walk at 100,000 dossiers).
    """

    name = "retention"
    title = _("Báo cáo thời hạn bảo quản hồ sơ")
    description = _("Mọi hồ sơ đang lưu: mã, tiêu đề, thời gian, thời hạn bảo quản và căn cứ, "
                    "năm hết hạn, hạn nộp lưu, trạng thái, phong tỏa.")
    year_meaning = _("Năm đến hạn (hết thời hạn bảo quản, hoặc hạn nộp lưu với hồ sơ vĩnh viễn)")
    columns = (
        Column("fonds", _("Mã phông"), 1.1),
        Column("file_code", _("Mã hồ sơ"), 2.2),
        Column("title", _("Tiêu đề hồ sơ"), 3.2),
        Column("start_date", _("Thời gian bắt đầu"), 1.3),
        Column("end_date", _("Thời gian kết thúc"), 1.3),
        Column("retention", _("Thời hạn bảo quản"), 0.9),
        Column("basis", _("Căn cứ thời hạn"), 2.0),
        Column("regime", _("Chế độ pháp lý"), 1),
        Column("disposal_year", _("Năm hết hạn bảo quản"), 0.9),
        Column("transfer_year", _("Hạn nộp lưu lịch sử"), 0.9),
        Column("current_year", _("Hạn vào lưu trữ cơ quan"), 0.9),
        Column("state", _("Trạng thái"), 1.1),
        Column("held", _("Phong tỏa"), 0.7),
    )

    def ids(self, root, fonds=None, year=None):
        """``[(fonds code, [dossier id, ...]), ...]`` from the index alone
        (BTree set operations on ids: no dossier is loaded), fonds in code
        order, ids in key order (so that neighbouring dossiers of a fonds are
        read from the same bucket)."""
        from BTrees.OOBTree import OOTreeSet, intersection

        from .. import retention

        index = retention.get_index(root)
        if index is None:
            return []
        if year is None:
            wanted = None
        else:
            # the index's own year sets (due_for_disposal/_transfer would
            # sort their answer by file code, reading every entry for it)
            wanted = OOTreeSet()
            for tree in (index.disposal, index.transfer):
                members = tree.get(year)
                if members is not None:
                    wanted.update(members)
        codes = [fonds] if fonds else list(index.by_fonds.keys())
        out = []
        for code in codes:
            members = index.by_fonds.get(code)
            if members is None:
                continue
            ids = list(members if wanted is None else intersection(wanted, members))
            if ids:
                out.append((code, ids))
        return out

    def rows(self, root, fonds=None, year=None):
        from .. import retention

        container = root["fonds"]
        for code, ids in self.ids(root, fonds, year):
            folder = container.get(code)
            if folder is None:
                continue
            dossiers = [d for d in (folder.get(oid) for oid in ids) if d is not None]
            dossiers.sort(key=lambda d: d.file_code)
            for dossier in dossiers:
                due = retention.dossier_due_dates(dossier)
                basis = retention.retention_basis(root, dossier)
                held = bool(getattr(dossier, "hold_ids", ()))
                yield [code, dossier.file_code, dossier.title,
                       show_date(dossier.start_date), show_date(dossier.end_date),
                       show_retention(dossier.retention), basis_text(basis),
                       REGIME_LABELS.get(due.regime, due.regime or ""),
                       due.disposal_year, due.transfer_year, due.current_archive_year,
                       state_label(retention.state_of(dossier)), YES if held else ""]
                _release(dossier)


def _date_range(start, end):
    start, end = show_date(start), show_date(end)
    if start and end and start != end:
        return f"{start} – {end}"
    return start or end


def _year_of(value):
    return value.year if value is not None and hasattr(value, "year") else None


# ---------------------------------------------------------------------- disposal list

class DisposalList(ReportKind):
    """The lists of expired dossiers (danh mục tài liệu hết giá trị), one row
    per dossier of every proposal, with the proposal's progress and, for a
    dossier proposed before it was due, the administrator's reason."""

    name = "disposal"
    title = _("Danh mục tài liệu hết giá trị")
    description = _("Các danh mục hồ sơ hết giá trị đề nghị hủy: số thứ tự, mã, tiêu đề, thời "
                    "gian, số văn bản và trang, thời hạn bảo quản, ngày hết hạn, lý do hủy, "
                    "thẩm định, quyết định hủy; hồ sơ đề nghị trước hạn ghi rõ lý do.")
    year_meaning = _("Năm lập danh mục")
    columns = (
        Column("number", _("Số danh mục"), 1.2),
        Column("state", _("Tình trạng"), 1.2),
        Column("ordinal", _("STT"), 0.5),
        Column("fonds", _("Mã phông"), 1.1),
        Column("file_code", _("Mã hồ sơ"), 2.1),
        Column("title", _("Tiêu đề hồ sơ"), 3),
        Column("dates", _("Thời gian tài liệu"), 1.6),
        Column("doc_total", _("Số văn bản"), 0.7),
        Column("page_total", _("Số trang"), 0.7),
        Column("retention", _("Thời hạn bảo quản"), 0.9),
        Column("due", _("Ngày hết hạn"), 1),
        Column("reason", _("Lý do hủy"), 1.6),
        Column("early", _("Đề nghị trước hạn"), 1.4),
        Column("proposed", _("Người lập, ngày lập"), 1.3),
        Column("decision", _("Quyết định hủy"), 1.4),
    )

    def rows(self, root, fonds=None, year=None):
        from ..disposal import STATE_LABELS, get_disposals

        disposals = [d for d in get_disposals(root, fonds=fonds)
                     if year is None or _year_of(d.proposed_at) == year]
        disposals.sort(key=lambda d: (d.proposed_at, d.number))
        for disposal in disposals:
            decision = ""
            if disposal.decision_number:
                decision = f"{disposal.decision_number} ({show_date(disposal.decision_date)})"
            proposed = f"{disposal.proposed_by} {show_date(disposal.proposed_at)}"
            for n, item in enumerate(disposal.items, 1):
                early = item.get("early_reason") or ""
                yield [disposal.number, STATE_LABELS.get(disposal.state, disposal.state), n,
                       item.get("fonds"), item.get("file_code"), item.get("title"),
                       _date_range(item.get("start_date"), item.get("end_date")),
                       item.get("doc_total"), item.get("page_total"),
                       show_retention(item.get("retention")), show_date(item.get("due")),
                       disposal.reason, early, proposed, decision]


# ---------------------------------------------------------------------- destruction records

class DestructionRecords(ReportKind):
    """One row per destroyed dossier, from its tombstone (kept forever)."""

    name = "destruction"
    title = _("Hồ sơ đã hủy (biên bản hủy)")
    description = _("Mỗi hồ sơ đã hủy theo bia lưu (giữ vĩnh viễn): mã, tiêu đề, thời gian, thời "
                    "hạn, quyết định hủy, người đề nghị, thẩm định, phê duyệt, thực hiện, ngày hủy.")
    year_meaning = _("Năm hủy")
    columns = (
        Column("destroyed_at", _("Ngày hủy"), 1.1),
        Column("fonds", _("Mã phông"), 1),
        Column("file_code", _("Mã hồ sơ"), 2),
        Column("title", _("Tiêu đề hồ sơ"), 2.8),
        Column("dates", _("Thời gian tài liệu"), 1.5),
        Column("retention", _("Thời hạn bảo quản"), 0.9),
        Column("doc_total", _("Số văn bản"), 0.7),
        Column("page_total", _("Số trang"), 0.7),
        Column("disposal", _("Số danh mục"), 1.1),
        Column("decision", _("Số quyết định"), 1.1),
        Column("decision_date", _("Ngày quyết định"), 1),
        Column("signer", _("Người ký quyết định"), 1.2),
        Column("proposed_by", _("Người đề nghị"), 0.9),
        Column("reviewed_by", _("Người thẩm định"), 0.9),
        Column("approved_by", _("Người phê duyệt"), 0.9),
        Column("destroyed_by", _("Người thực hiện"), 0.9),
        Column("early", _("Đề nghị trước hạn"), 1.2),
    )

    def rows(self, root, fonds=None, year=None):
        from ..disposal import destruction_records

        for t in destruction_records(root, fonds=fonds, year=year):
            yield [show_date(t.destroyed_at), t.fonds, t.file_code, t.title,
                   _date_range(t.start_date, t.end_date), show_retention(t.retention),
                   t.doc_total, t.page_total, t.disposal_number, t.decision_number,
                   show_date(t.decision_date), t.decision_signer or "", t.proposed_by,
                   t.reviewed_by, t.approved_by, t.destroyed_by, t.early_reason or ""]


# ---------------------------------------------------------------------- holds

class HoldsReport(ReportKind):
    """Every hold ever placed (active first, then released), with its
    reference, reason and release."""

    name = "holds"
    title = _("Hồ sơ bị phong tỏa")
    description = _("Mọi lệnh phong tỏa (khiếu nại, thanh tra, tranh chấp): hồ sơ, căn cứ, lý do, "
                    "người và ngày đặt, người, ngày và lý do gỡ.")
    year_meaning = _("Năm đặt phong tỏa")
    columns = (
        Column("state", _("Tình trạng"), 1),
        Column("fonds", _("Mã phông"), 1),
        Column("file_code", _("Mã hồ sơ"), 2),
        Column("title", _("Tiêu đề hồ sơ"), 2.8),
        Column("kind", _("Loại"), 1.2),
        Column("reference", _("Căn cứ, số hiệu"), 1.4),
        Column("reason", _("Lý do"), 2),
        Column("placed_by", _("Người đặt"), 0.9),
        Column("placed_at", _("Ngày đặt"), 1.1),
        Column("released_by", _("Người gỡ"), 0.9),
        Column("released_at", _("Ngày gỡ"), 1.1),
        Column("release_reason", _("Lý do gỡ"), 1.8),
    )

    def rows(self, root, fonds=None, year=None):
        from ..retention import HOLD_KINDS, all_holds

        labels = dict(HOLD_KINDS)
        holds = [h for h in all_holds(root) if (fonds is None or h.fonds == fonds)
                 and (year is None or _year_of(h.placed_at) == year)]
        holds.sort(key=lambda h: (not h.active, h.fonds, h.file_code, h.placed_at))
        for h in holds:
            dossier = root.objectmap.get(h.dossier_id)
            title = getattr(dossier, "title", "")
            yield [_("Đang phong tỏa") if h.active else _("Đã gỡ"), h.fonds, h.file_code, title,
                   labels.get(h.kind, h.kind), h.reference, h.reason, h.placed_by,
                   show_datetime(h.placed_at), h.released_by or "",
                   show_datetime(h.released_at), h.release_reason or ""]


# ---------------------------------------------------------------------- transfer list

class TransferList(ReportKind):
    """The lists of dossiers transferred to the historical archive (mục lục hồ
    sơ nộp lưu), one row per dossier of every transfer."""

    name = "transfer"
    title = _("Mục lục hồ sơ nộp lưu")
    description = _("Hồ sơ nộp lưu vào lưu trữ lịch sử theo từng lần nộp: số thứ tự, mã hồ sơ, số "
                    "và ký hiệu, tiêu đề, thời gian, thời hạn, chế độ sử dụng, số văn bản, số "
                    "trang, số tờ; số và ngày biên bản giao nhận.")
    year_meaning = _("Năm lập gói nộp lưu")
    columns = (
        Column("number", _("Số lần nộp lưu"), 1.2),
        Column("state", _("Tình trạng"), 1),
        Column("ordinal", _("STT"), 0.5),
        Column("fonds", _("Mã phông"), 1),
        Column("file_code", _("Mã hồ sơ"), 2),
        Column("notation", _("Số và ký hiệu hồ sơ"), 1.1),
        Column("title", _("Tiêu đề hồ sơ"), 2.8),
        Column("start_date", _("Thời gian bắt đầu"), 1.2),
        Column("end_date", _("Thời gian kết thúc"), 1.2),
        Column("retention", _("Thời hạn bảo quản"), 0.9),
        Column("access", _("Chế độ sử dụng"), 0.8),
        Column("doc_total", _("Số văn bản"), 0.7),
        Column("page_total", _("Số trang"), 0.7),
        Column("sheet_total", _("Số tờ"), 0.6),
        Column("receipt", _("Biên bản giao nhận"), 1.4),
    )
    STATES = {"exported": _("Đã lập gói, chờ giao nhận"), "received": _("Đã giao nhận"),
              "cancelled": _("Đã hủy bỏ")}

    def rows(self, root, fonds=None, year=None):
        container = root.get("transfers")
        transfers = [t for t in (container.values() if container is not None else ())
                     if (fonds is None or t.fonds_code == fonds)
                     and (year is None or _year_of(t.created) == year)]
        transfers.sort(key=lambda t: (t.created, t.number))
        for transfer in transfers:
            receipt = ""
            if transfer.receipt_number:
                receipt = f"{transfer.receipt_number} ({show_date(transfer.receipt_date)})"
            for n, item in enumerate(transfer.dossiers, 1):
                dossier = root.objectmap.get(item["id"])
                if dossier is None:
                    yield [transfer.number, self.STATES.get(transfer.state, transfer.state), n,
                           transfer.fonds_code, item.get("file_code"), "", item.get("title"),
                           "", "", "", "", item.get("doc_total"), "", "", receipt]
                    continue
                yield [transfer.number, self.STATES.get(transfer.state, transfer.state), n,
                       transfer.fonds_code, dossier.file_code, dossier.notation, dossier.title,
                       show_date(dossier.start_date), show_date(dossier.end_date),
                       show_retention(dossier.retention), dossier.access, dossier.doc_total,
                       dossier.page_total, dossier.sheet_total, receipt]
                _release(dossier)


KINDS = (Statistics(), RetentionReport(), DisposalList(), TransferList(), HoldsReport(),
         DestructionRecords())
