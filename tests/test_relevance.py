"""Relevance of the Vietnamese search over a generated archive (issue 3,
first "must show").

One archive is built for the whole module through the real code paths:

* the application (``conftest.make_app``) on a temporary directory, closed
  again (a FileStorage has one opener), then ``archive-sample`` (its
  ``main()``) for a few hundred synthetic one-stop dossiers of Đắk Nông
  (names with and without tone marks, NFD, old tone placement, both
  apostrophes), then the application reopened: its writer thread indexes
  the queue the script left;
* target dossiers and documents filed through the JSON API, each with the
  one detail a query is about, most next to a *decoy* that differs only in
  that detail (``Đắk Blô`` / ``Blô Ba``, ``mua nhà ở xã hội`` / ``mua nhà
  xã hội``, ``đất chuẩn`` / ``đạt chuẩn``...), and born-digital DOCX files
  whose page text (``word/document.xml``) is indexed.

``QUERIES`` is the table: query, the key of the dossier (``key``) or of one
of its documents (``key#n``, the n-th filed) that must be on the first page
(20 hits), and a note; ``first`` asks for the very first hit, ``above`` for
decoys that must rank strictly lower (by position and score) or not at all,
``absent`` for decoys that must not match at all.  Every row runs through
``registry.search.search`` with the administrator's principals; rows marked
``api`` also through ``GET /api/v1/search`` with a Bearer token, which must
answer the same hits.  The ranking tests below the table check that an
exactly accented match ranks above a folded-only one (``đất`` above ``đạt``
and the reverse), that tone placement (``hòa``/``hoà``) does not change a
score, and that the exact-tone-marks switch leaves the look-alike out.

A failing row prints the top hits (rank, score, type, key, title).
"""
import io
import os
import re
import shutil
import unicodedata
import zipfile
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import pytest
from pyramid.authorization import Authenticated, Everyone
from webtest import TestApp

from conftest import ADMIN_PASSWORD, PROJECT, Api, api_token, close_app, make_app

from archive.scripts import sample
from archive.security import role_principal

BACKGROUND = 300          # archive-sample dossiers around the targets
SEED = 3
PAGE = 20                 # the first page
ADMIN = [Everyone, Authenticated, "user:admin", role_principal("administrator")]


def nfd(text):
    return unicodedata.normalize("NFD", text)


# ---------------------------------------------------------------------------
# Born-digital DOCX (the indexer reads the paragraphs of word/document.xml)

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>')
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>')


def make_docx(paragraphs):
    """A minimal valid .docx; a paragraph given as a tuple is written as
    several runs (as Word splits text), so a phrase may cross runs."""
    body = []
    for para in paragraphs:
        runs = para if isinstance(para, tuple) else (para,)
        body.append("<w:p>" + "".join(
            f'<w:r><w:t xml:space="preserve">{escape(run)}</w:t></w:r>' for run in runs) + "</w:p>")
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body>" + "".join(body) + "</w:body></w:document>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", RELS)
        z.writestr("word/document.xml", document)
    return out.getvalue()


# ---------------------------------------------------------------------------
# The targets: key -> (fonds, dossier fields, [(record fields, docx paragraphs)])

ISSUER = "Bộ phận Tiếp nhận và Trả kết quả"


def rec(subject, doc_type="32", issued_date="2024-03-15", docx=None, **more):
    data = dict({"doc_type": doc_type, "issued_date": issued_date, "issuer": ISSUER,
                 "subject": subject}, **more)
    return data, docx


def dos(title, year=2024, fonds="KT", records=(), **more):
    data = dict({"year": year, "title": title, "retention": 10, "access": "01",
                 "start_date": f"{year}-03-01", "end_date": f"{year}-11-30"}, **more)
    return fonds, data, list(records)


HOA_GIAI_TEXT = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "BIÊN BẢN HÒA GIẢI Ở CƠ SỞ",
    ("Hôm nay, tại nhà sinh hoạt cộng đồng bon Bu Dăr, tổ hòa giải đã hòa giải vụ việc tranh chấp ",
     "ranh giới thửa ", "đất giữa hộ ông Y Prông Niê và hộ bà H’Loan Êban."),
    "Hai bên thống nhất cắm lại mốc theo hiện trạng và cam kết không khiếu kiện.",
]
# the same words, not as the phrase ("thửa đất", "tranh chấp", "ranh giới" apart)
HOA_GIAI_DECOY_TEXT = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "BIÊN BẢN HÒA GIẢI Ở CƠ SỞ",
    "Thửa đất của hộ ông Y Prông Niê giáp thửa đất của hộ bà H’Loan Êban; hai hộ có tranh chấp "
    "về lối đi, còn ranh giới đã được cắm mốc.",
    "Hai bên thống nhất cắm lại mốc theo hiện trạng và cam kết không khiếu kiện.",
]
FIRE_TEXT = [nfd(p) for p in (
    "KẾ HOẠCH PHÒNG CHÁY, CHỮA CHÁY RỪNG MÙA KHÔ",
    "Triển khai lực lượng canh gác lửa rừng tại Vườn quốc gia Tà Đùng trong suốt mùa khô.",
    "Các tổ đội xung kích trực 24/24 giờ tại các chòi canh.",
)]

TARGETS = {
    # names, ID number, procedure and receipt codes
    "khanh": dos(
        "Hồ sơ đăng ký khai sinh cho Trịnh Gia Bảo, con của Trịnh Quốc Khánh, phường Nghĩa Tân, "
        "thành phố Gia Nghĩa", procedure_code="1.001193", procedure_name="Đăng ký khai sinh",
        receipt_code="000.00.21.H17-240315-0012", applicant_name="Trịnh Quốc Khánh",
        applicant_kind="citizen", applicant_id="001089012345", field_name="Hộ tịch",
        district="thành phố Gia Nghĩa", records=[
            rec("Tờ khai đăng ký khai sinh cho Trịnh Gia Bảo"),
            rec("Trích lục khai sinh của Trịnh Gia Bảo", number="88", notation="TLKS-BS",
                issued_date="2024-03-18")]),
    # typed without tone marks at data entry
    "loi": dos("Ho so cap giay phep xay dung nha o rieng le cua Tang Van Loi, xa Nam Binh", year=2019,
               applicant_name="Tang Van Loi", applicant_kind="citizen"),
    # decomposed Unicode (NFD) in the database
    "duyen": dos(nfd("Hồ sơ chứng thực bản sao từ bản chính của Âu Thị Mỹ Duyên"),
                 applicant_name=nfd("Âu Thị Mỹ Duyên"), applicant_kind="citizen"),
    # old tone placement stored (Thuỷ), new tone placement stored (Hòa)
    "tien": dos("Hồ sơ xác nhận tình trạng hôn nhân của Đoàn Thị Thuỷ Tiên, xã Đắk Sắk",
                applicant_name="Đoàn Thị Thuỷ Tiên"),
    "hoa": dos("Hồ sơ đăng ký kết hôn giữa Lục Văn Hòa và Lò Thị Khuê, xã Quảng Khê",
               applicant_name="Lục Văn Hòa"),
    # Đắk / Đăk / Đắc
    "blo": dos("Hồ sơ công nhận bon văn hóa Đắk Blô, xã Đắk Ngo, huyện Tuy Đức"),
    "blo_decoy": dos("Hồ sơ công nhận bon văn hóa Blô Ba, xã Đắk Ngo, huyện Tuy Đức"),
    # R'lấp stored with the typographic apostrophe; and with the straight one
    "thac": dos("Hồ sơ xếp hạng di tích danh thắng thác Ba Tầng, huyện Đắk R’lấp"),
    "thac_decoy": dos("Hồ sơ xếp hạng di tích danh thắng thác Ba Tầng, huyện Tuy Đức"),
    "rung": dos("Hồ sơ trồng rừng thay thế tại tiểu khu 1531, xã Đắk Sin, huyện Đắk R'lấp", year=2023,
                records=[
                    rec("Kế hoạch trồng rừng thay thế năm 2023 tại tiểu khu 1531", doc_type="10",
                        number="504", notation="KH-UBND", issued_date="2023-04-10"),
                    rec("Quyết định giao chỉ tiêu trồng rừng thay thế tại tiểu khu 1531", doc_type="02",
                        number="1289", notation="QĐ-UBND", issued_date="2023-05-02")]),
    # UBND <-> ủy ban nhân dân
    "ianan": dos("Hồ sơ bàn giao mốc giới xã Ia Nan", records=[
        rec("Công văn của Ủy ban nhân dân xã Ia Nan về việc bàn giao mốc giới", doc_type="22")]),
    "ianan_decoy": dos("Hồ sơ bàn giao mốc giới xã Ia Nan", records=[
        rec("Công văn của Hội Nông dân xã Ia Nan về việc bàn giao mốc giới", doc_type="22")]),
    "ialau": dos("Hồ sơ thu hồi đất xã Ia Lâu", records=[
        rec("Thông báo của UBND xã Ia Lâu về việc thu hồi đất", doc_type="07")]),
    "ialau_decoy": dos("Hồ sơ thu hồi đất xã Ia Lâu", records=[
        rec("Thông báo của Trạm Y tế xã Ia Lâu về việc thu hồi đất", doc_type="07")]),
    # GCN QSDĐ <-> giấy chứng nhận quyền sử dụng đất <-> sổ đỏ
    "sodo": dos("Hồ sơ cấp đổi sổ đỏ cho hộ ông Mạc Văn Tiến, xã Thuận Hà"),
    "sodo_decoy": dos("Hồ sơ cấp đổi giấy phép lái xe cho ông Mạc Văn Tiến, xã Thuận Hà"),
    "gcn": dos("Hồ sơ thu hồi Giấy chứng nhận quyền sử dụng đất của bà Lạc Thị Hồng, xã Nhân Đạo"),
    "gcn_decoy": dos("Hồ sơ thu hồi giấy phép kinh doanh của bà Lạc Thị Hồng, xã Nhân Đạo"),
    # codes: an organ id of the dossier's own, a synthetic procedure code, tax code, paper code
    "organ": dos("Hồ sơ hội nghị tổng kết công tác văn thư, lưu trữ năm 2022", year=2022,
                 organ_id="H17.40.7.3"),
    "nuoc": dos("Hồ sơ cấp giấy phép khai thác nước dưới đất cho Công ty TNHH Nước sạch Quảng Tín",
                year=2021, procedure_code="2.002226",
                procedure_name="Cấp giấy phép khai thác nước dưới đất (mã giả định)",
                applicant_name="Công ty TNHH Nước sạch Quảng Tín", applicant_kind="organisation",
                applicant_id="6499990001", provenance="02", paper_file_code="LTCQ.K9/G88/H777.05"),
    # page text of born-digital DOCX files
    "hoagiai": dos("Hồ sơ hòa giải ở cơ sở bon Bu Dăr, xã Quảng Trực", records=[
        rec("Biên bản hòa giải ở cơ sở", doc_type="20", docx=HOA_GIAI_TEXT)]),
    "hoagiai_decoy": dos("Hồ sơ hòa giải ở cơ sở bon Bu Dăr, xã Quảng Trực", records=[
        rec("Biên bản hòa giải ở cơ sở", doc_type="20", docx=HOA_GIAI_DECOY_TEXT)]),
    "fire": dos("Hồ sơ phòng cháy, chữa cháy rừng năm 2023", year=2023, records=[
        rec("Kế hoạch phòng cháy, chữa cháy rừng", doc_type="10", issued_date="2023-01-05",
            docx=FIRE_TEXT)]),
    # a phrase of a document's subject
    "gang": dos("Hồ sơ giải phóng mặt bằng dự án thủy lợi tại xã Nghĩa Thắng", records=[
        rec("Quyết định phê duyệt phương án bồi thường, hỗ trợ tái định cư dự án hồ chứa nước Đắk Gang",
            doc_type="02", number="77", notation="QĐ-UBND")]),
    # one-letter syllables
    "nhao": dos("Hồ sơ xét duyệt đối tượng được mua nhà ở xã hội năm 2024", records=[
        rec("Đơn đăng ký mua nhà ở xã hội của bà Khổng Thị Lành")]),
    "nhao_decoy": dos("Hồ sơ xét duyệt đối tượng được mua nhà xã hội năm 2024", records=[
        rec("Đơn đăng ký mua nhà xã hội của bà Khổng Thị Lành")]),
    "y": dos("Hồ sơ đăng ký khai tử cho ông (bà) Hà Văn Ý, xã Đắk Wer"),
    "y_decoy": dos("Hồ sơ đăng ký khai tử cho ông (bà) Hà Văn Yên, xã Đắk Wer"),
    # folded syllables that are English stop words: thẻ -> the, cần -> can, tơ -> to
    "the": dos("Danh sách đề nghị cấp thẻ bảo hiểm y tế cho trẻ em bon Bu Nơr"),
    "the_decoy": dos("Danh sách đề nghị cấp bảo hiểm y tế cho trẻ em bon Bu Nơr"),
    "can": dos("Tờ trình về diện tích cà phê cần tái canh của hợp tác xã Ea Tling"),
    "can_decoy": dos("Tờ trình về diện tích cà phê đã tái canh của hợp tác xã Ea Tling"),
    "to": dos("Hồ sơ hỗ trợ phát triển nghề dâu tơ tằm xã Đắk Plao"),
    "to_decoy": dos("Hồ sơ hỗ trợ phát triển nghề dâu tằm xã Đắk Plao"),
    # facets: year, fonds, document type
    "nguyet18": dos("Hồ sơ cấp giấy phép xây dựng nhà ở riêng lẻ của Phùng Thị Nguyệt", year=2018),
    "nguyet21": dos("Hồ sơ cấp giấy phép xây dựng nhà ở riêng lẻ của Phùng Thị Nguyệt", year=2021),
    "ong_kt": dos("Hồ sơ thành lập Hội Nuôi ong tỉnh Đắk Nông", fonds="KT"),
    "ong_kt2": dos("Hồ sơ thành lập Hội Nuôi ong tỉnh Đắk Nông", fonds="KT2"),
    "dichta": dos("Hồ sơ phòng, chống bệnh dịch tả lợn châu Phi xã Đắk Wer năm 2020", year=2020, records=[
        rec("Kế hoạch phòng, chống bệnh dịch tả lợn châu Phi", doc_type="10", issued_date="2020-03-02"),
        rec("Báo cáo kết quả phòng, chống bệnh dịch tả lợn châu Phi", doc_type="14",
            issued_date="2020-10-20")]),
    # ranking pairs: the same text but for one syllable (dossiers without documents)
    "dat": dos("Hồ sơ công nhận đất chuẩn nông thôn mới bon Bu Sir"),
    "dat2": dos("Hồ sơ công nhận đạt chuẩn nông thôn mới bon Bu Sir"),
    "lam": dos("Hồ sơ trợ cấp xã hội hằng tháng của ông Lâm, bon Bu Rwah"),
    "lam2": dos("Hồ sơ trợ cấp xã hội hằng tháng của ông Lam, bon Bu Rwah"),
    "thuy": dos("Hồ sơ khen thưởng bà Nguyễn Thị Thủy, bon Bu Prăng"),
    "thuy2": dos("Hồ sơ khen thưởng bà Nguyễn Thị Thúy, bon Bu Prăng"),
    # ... and the same text written with both tone placements
    "hoa_new": dos("Biên bản hòa giải tranh chấp lối đi chung bon Bu Koh"),
    "hoa_old": dos("Biên bản hoà giải tranh chấp lối đi chung bon Bu Koh"),
    "thuyloi_new": dos("Hồ sơ nạo vét kênh thủy lợi bon Bu Đơr"),
    "thuyloi_old": dos("Hồ sơ nạo vét kênh thuỷ lợi bon Bu Đơr"),
}

FONDS = (
    {"code": "KT", "name": "Ủy ban nhân dân huyện Đắk Song (dữ liệu kiểm thử)", "organ_id": "000.00.39.H17"},
    {"code": "KT2", "name": "Sở Nội vụ tỉnh Đắk Nông (dữ liệu kiểm thử)", "organ_id": "H17.41"},
)


# ---------------------------------------------------------------------------
# The table

@dataclass
class Q:
    text: str
    expect: str                   # dossier key, or "key#n" for its n-th document
    note: str
    filters: dict = field(default_factory=dict)
    exact: bool = False
    first: bool = False           # must be the very first hit
    above: tuple = ()             # decoys that must rank strictly lower, or not match
    absent: tuple = ()            # decoys that must not match at all
    api: bool = False             # also through GET /api/v1/search


# Codes that are only known once the targets exist ("{khanh.file_code}").
QUERIES = [
    # names, with and without tone marks, NFD, upper case, old/new tone placement
    Q("Trịnh Quốc Khánh", "khanh", "name with tone marks", api=True),
    Q("trinh quoc khanh", "khanh", "name without tone marks", api=True),
    Q(nfd("Trịnh Quốc Khánh"), "khanh", "name typed in NFD", api=True),
    Q("TRỊNH QUỐC KHÁNH", "khanh", "name in upper case"),
    Q("Tăng Văn Lợi", "loi", "accented query, name stored without tone marks", api=True),
    Q("tang van loi", "loi", "unaccented query, name stored without tone marks"),
    Q("Âu Thị Mỹ Duyên", "duyen", "NFC query, name stored in NFD", api=True),
    Q("au thi my duyen", "duyen", "folded query, name stored in NFD"),
    Q("Đoàn Thị Thủy Tiên", "tien", "thủy typed, thuỷ stored"),
    Q("Đoàn Thị Thủy Tiên", "tien", "thủy typed, thuỷ stored, exact tone marks", exact=True, api=True),
    Q("Lục Văn Hoà", "hoa", "hoà typed, hòa stored"),
    Q("Lục Văn Hoà", "hoa", "hoà typed, hòa stored, exact tone marks", exact=True),
    # đ/d and Đắk/Đăk/Đắc
    Q("Đắk Blô", "blo", "Đắk", above=("blo_decoy",), api=True),
    Q("dak blo", "blo", "đ -> d, no tone marks", above=("blo_decoy",)),
    Q("Đăk Blô", "blo", "spelling Đăk for stored Đắk", above=("blo_decoy",)),
    Q("Đắc Blô", "blo", "spelling Đắc (synonym list) for stored Đắk", api=True),
    Q(nfd("Đắk Blô"), "blo", "Đắk Blô typed in NFD", above=("blo_decoy",)),
    Q("đất chuẩn bon Bu Sir", "dat", "đất, exact match first", above=("dat2",)),
    Q("dat chuan bon bu sir", "dat", "dat without marks finds đất"),
    Q("dat chuan bon bu sir", "dat2", "dat without marks finds đạt"),
    # apostrophes: R'lấp / R’lấp / rlap
    Q("thác Ba Tầng R'lấp", "thac", "straight apostrophe typed, ’ stored", above=("thac_decoy",),
      api=True),
    Q("thác Ba Tầng R’lấp", "thac", "typographic apostrophe typed and stored", above=("thac_decoy",)),
    Q("thac ba tang rlap", "thac", "rlap: no apostrophe, no marks", above=("thac_decoy",)),
    Q("Đắk R'lấp thác Ba Tầng", "thac", "Đắk R'lấp", above=("thac_decoy",)),
    Q("tiểu khu 1531 R’lấp", "rung", "’ typed, ' stored"),
    Q("tieu khu 1531 Rlap", "rung", "rlap for stored R'lấp"),
    Q(nfd("Đắk R’lấp tiểu khu 1531"), "rung", "NFD and ’"),
    # UBND <-> ủy ban nhân dân
    Q("UBND xã Ia Nan", "ianan", "UBND typed, Ủy ban nhân dân stored", above=("ianan_decoy",), api=True),
    Q("Ủy ban nhân dân xã Ia Lâu", "ialau", "Ủy ban nhân dân typed, UBND stored",
      above=("ialau_decoy",)),
    Q("Uỷ ban nhân dân Ia Lâu", "ialau", "old tone placement Uỷ, UBND stored", above=("ialau_decoy",)),
    Q("uy ban nhan dan xa ia lau", "ialau", "folded, UBND stored", above=("ialau_decoy",)),
    # GCN QSDĐ <-> giấy chứng nhận quyền sử dụng đất <-> sổ đỏ
    Q("GCN QSDĐ Mạc Văn Tiến", "sodo", "GCN QSDĐ typed, sổ đỏ stored", above=("sodo_decoy",), api=True),
    Q("giấy chứng nhận quyền sử dụng đất Mạc Văn Tiến", "sodo", "long form typed, sổ đỏ stored",
      above=("sodo_decoy",)),
    Q("sổ đỏ Lạc Thị Hồng", "gcn", "sổ đỏ typed, long form stored", above=("gcn_decoy",)),
    Q("so do lac thi hong", "gcn", "folded sổ đỏ, long form stored", above=("gcn_decoy",)),
    Q("GCN QSDĐ Lạc Thị Hồng", "gcn", "GCN QSDĐ typed, long form stored", above=("gcn_decoy",)),
    Q("gcn qsdd lac thi hong", "gcn", "folded GCN QSDD, long form stored", above=("gcn_decoy",)),
    # codes and ID numbers
    Q("{khanh.file_code}", "khanh", "file code pasted", first=True, api=True),
    Q("{khanh#2.doc_code}", "khanh#2", "doc code pasted", first=True),
    Q("H17.40.7.3", "organ", "organ id (new form) of the dossier", first=True),
    Q("1.001193 Trịnh Gia Bảo", "khanh", "procedure code 1.001193 and a name"),
    Q("2.002226", "nuoc", "procedure code alone", first=True),
    Q("000.00.21.H17-240315-0012", "khanh", "receipt code", first=True, api=True),
    Q("001089012345", "khanh", "12-digit CCCD number", first=True, api=True),
    Q("6499990001", "nuoc", "10-digit tax code", first=True),
    Q("LTCQ.K9/G88/H777.05", "nuoc", "paper original's code", first=True),
    Q("504/KH-UBND", "rung#1", "document number", first=True, api=True),
    Q("504/kh-ubnd", "rung#1", "document number in lower case", first=True),
    Q("504 / KH - UBND", "rung#1", "document number with spaces", first=True),
    Q("1289/QD-UBND", "rung#2", "QĐ typed QD", first=True),
    Q("1289/qđ-ubnd", "rung#2", "lower case qđ", first=True),
    Q(nfd("1289/QĐ-UBND"), "rung#2", "document number typed in NFD", first=True),
    Q("001089012345 Trịnh Quốc Khánh", "khanh", "ID number and the name", first=True),
    # phrases from page text (DOCX) and from subjects
    Q('"tranh chấp ranh giới thửa đất"', "hoagiai#1", "quoted phrase from DOCX page text (runs split)",
      absent=("hoagiai_decoy#1",), api=True),
    Q("tranh chấp ranh giới thửa đất", "hoagiai#1", "unquoted phrase from DOCX page text",
      above=("hoagiai_decoy#1",)),
    Q("tranh chap ranh gioi thua dat", "hoagiai#1", "folded phrase from DOCX page text",
      above=("hoagiai_decoy#1",)),
    Q(nfd('"tranh chấp ranh giới thửa đất"'), "hoagiai#1", "quoted phrase typed in NFD",
      absent=("hoagiai_decoy#1",)),
    Q("H'Loan Êban Y Prông Niê", "hoagiai#1", "names from DOCX page text, ' for ’"),
    Q("canh gác lửa rừng Tà Đùng", "fire#1", "words from NFD DOCX page text"),
    Q('"canh gác lửa rừng"', "fire#1", "quoted phrase from NFD DOCX page text", api=True),
    Q("canh gac lua rung ta dung", "fire#1", "folded words from NFD DOCX page text"),
    Q('"hồ chứa nước Đắk Gang"', "gang#1", "quoted phrase from a subject", api=True),
    Q("phương án bồi thường hồ chứa nước", "gang#1", "unquoted words from a subject"),
    Q('"tái định cư" dak gang', "gang#1", "quoted phrase and folded words"),
    # one-letter syllables
    Q('"mua nhà ở xã hội" Khổng Thị Lành', "nhao#1", "ở inside a quoted phrase",
      absent=("nhao_decoy#1",), api=True),
    Q("mua nha o xa hoi khong thi lanh", "nhao#1", "o (ở) folded", above=("nhao_decoy#1",)),
    Q("Hà Văn Ý", "y", "one-letter name Ý", above=("y_decoy",)),
    Q(nfd("Hà Văn Ý"), "y", "one-letter name Ý in NFD", above=("y_decoy",)),
    Q("ha van y", "y", "one-letter y folded", above=("y_decoy",)),
    # folded syllables that look like English stop words
    Q("the bao hiem y te bu nor", "the", "thẻ -> the", above=("the_decoy",)),
    Q("thẻ BHYT bon Bu Nơr", "the", "thẻ and BHYT (synonym)", above=("the_decoy",)),
    Q("ca phe can tai canh ea tling", "can", "cần -> can", above=("can_decoy",)),
    Q("dau to tam dak plao", "to", "tơ -> to", above=("to_decoy",)),
    Q("dâu tơ tằm Đắk Plao", "to", "tơ with marks", above=("to_decoy",)),
    # facets as filters
    Q("Phùng Thị Nguyệt", "nguyet21", "year filter", filters={"year": "2021"}, absent=("nguyet18",),
      api=True),
    Q("phung thi nguyet", "nguyet18", "year filter", filters={"year": "2018"}, absent=("nguyet21",)),
    Q("Hội Nuôi ong", "ong_kt2", "fonds filter", filters={"fonds": "KT2"}, absent=("ong_kt",), api=True),
    Q("hoi nuoi ong", "ong_kt", "fonds filter", filters={"fonds": "KT"}, absent=("ong_kt2",)),
    Q("dịch tả lợn châu Phi", "dichta#2", "doc_type filter 14 (Báo cáo)", filters={"doc_type": "14"},
      absent=("dichta#1",), api=True),
    Q("dich ta lon chau phi", "dichta#1", "doc_type filter 10 (Kế hoạch)", filters={"doc_type": "10"},
      absent=("dichta#2",)),
    Q("dịch tả lợn", "dichta#2", "fonds + year + doc_type filters",
      filters={"fonds": "KT", "year": "2020", "doc_type": "14"}, absent=("dichta#1",)),
]


def _row_id(index, row):
    return f"{index:02d}-{row.note}"


# ---------------------------------------------------------------------------
# The archive

class Corpus:
    def __init__(self, wsgi, api):
        self.wsgi = wsgi
        self.api = api
        self.search_service = wsgi.registry.search
        self.ids = {}          # key / key#n -> stable id
        self.codes = {}        # key / key#n -> {"file_code"|"doc_code": ...}
        self.names = {}        # stable id -> key

    def search(self, text, size=PAGE, **kw):
        return self.search_service.search(text, kw.pop("filters", None) or {}, ADMIN, page=1, size=size,
                                          **kw)

    def matches(self, key, hit):
        if "#" in key:
            return hit.id == self.ids[key]
        return hit.dossier_id == self.ids[key]

    def position(self, key, hits):
        for rank, hit in enumerate(hits):
            if self.matches(key, hit):
                return rank
        return None

    def label(self, hit):
        name = self.names.get(hit.id)
        if name is None:
            owner = self.names.get(hit.dossier_id)
            name = f"{owner}/?" if owner else "sample"
        return name

    def describe(self, text, results, top=12):
        lines = [f"query {text!r}: total {results.total}; top hits:"]
        for rank, hit in enumerate(results.hits[:top], 1):
            lines.append(f"  {rank:2d}. {hit.score:9.4f} {hit.type:7s} {self.label(hit):16s} {hit.title[:90]}")
        return "\n".join(lines)


def build_targets(corpus):
    api = corpus.api
    for fonds in FONDS:
        api.post("/api/v1/fonds", fonds)
    serial = 0
    for key, (fonds, data, records) in TARGETS.items():
        serial += 1
        body = dict(data, notation=f"{serial:03d}.KT")
        made = api.post(f"/api/v1/fonds/{fonds}/dossiers", body).json
        corpus.ids[key] = made["id"]
        corpus.codes[key] = {"file_code": made["file_code"]}
        for n, (metadata, docx) in enumerate(records, 1):
            files = [(f"{key}-{n}.docx", make_docx(docx))] if docx else []
            filed = api.file_record(made["id"], metadata, files).json
            if docx:
                assert filed["files"][0]["media_type"].endswith("wordprocessingml.document")
            corpus.ids[f"{key}#{n}"] = filed["id"]
            corpus.codes[f"{key}#{n}"] = {"doc_code": filed["doc_code"]}
    corpus.names = {v: k for k, v in corpus.ids.items()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    app_dir = tmp_path_factory.mktemp("relevance")
    ini = app_dir / "testing.ini"
    shutil.copy(f"{PROJECT}/testing.ini", ini)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ARCHIVE_ADMIN_PASSWORD", ADMIN_PASSWORD)
        wsgi = make_app(app_dir)               # bootstraps the database and the index
        assert wsgi.registry.search.wait_idle(30)
        close_app(wsgi)                        # one FileStorage opener at a time
        out = io.StringIO()
        assert sample.main([str(ini), "--quiet", "--dossiers", str(BACKGROUND), "--seed", str(SEED)],
                           out=out) == 0, out.getvalue()
        wsgi = make_app(app_dir)               # its writer thread indexes what the script queued
    try:
        client = TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        corpus = Corpus(wsgi, Api(client, api_token(client, "admin", ADMIN_PASSWORD)))
        build_targets(corpus)
        assert wsgi.registry.search.wait_idle(60), "the index writer did not catch up"
        yield corpus
    finally:
        close_app(wsgi)


def query_text(corpus, row):
    """The row's query with "{key.file_code}" placeholders filled in."""
    text = row.text
    if text.startswith("{") and text.endswith("}"):
        key, attr = text[1:-1].rsplit(".", 1)
        text = corpus.codes[key][attr]
    return text


# ---------------------------------------------------------------------------
# Tests

def test_the_table_has_at_least_40_queries():
    assert len(QUERIES) >= 40
    keys = {row.expect.split("#")[0] for row in QUERIES}
    assert keys <= set(TARGETS)


def test_the_archive_is_generated_and_indexed(corpus):
    everything = corpus.search("", size=1)  # no text: every visible document
    records = sum(len(records) for _f, _d, records in TARGETS.values())
    assert everything.total >= BACKGROUND * 2 + len(TARGETS) + records
    assert sum(everything.facets["fonds"].values()) == everything.total
    assert everything.facets["fonds"].get("KT2") == 1
    assert len([f for f in everything.facets["fonds"] if f.startswith("MAU-")]) >= 5


@pytest.mark.parametrize("row", QUERIES, ids=[_row_id(i, r) for i, r in enumerate(QUERIES, 1)])
def test_query_finds_its_dossier_on_the_first_page(corpus, row):
    text = query_text(corpus, row)
    results = corpus.search(text, filters=row.filters, exact=row.exact)
    report = corpus.describe(text, results) + f"\n  expected: {row.expect} ({row.note})"
    rank = corpus.position(row.expect, results.hits)
    if os.environ.get("RELEVANCE_VERBOSE"):  # RELEVANCE_VERBOSE=1 pytest -s: every ranking
        print("\n" + report)
    assert rank is not None, "expected hit not on the first page\n" + report
    if row.first:
        assert rank == 0, "expected hit is not the first\n" + report
    for decoy in row.above:
        other = corpus.position(decoy, results.hits)
        if other is not None:
            assert other > rank and results.hits[other].score < results.hits[rank].score, \
                f"decoy {decoy} does not rank below the expected hit\n" + report
    if row.absent:
        everything = corpus.search(text, size=5000, filters=row.filters, exact=row.exact)
        for decoy in row.absent:
            assert corpus.position(decoy, everything.hits) is None, \
                f"decoy {decoy} matches but must not\n" + corpus.describe(text, everything)
    for name, value in row.filters.items():
        assert set(results.facets[name]) == {value}, results.facets


API_ROWS = [row for row in QUERIES if row.api]


@pytest.mark.parametrize("row", API_ROWS, ids=[_row_id(QUERIES.index(r) + 1, r) for r in API_ROWS])
def test_query_through_the_api(corpus, row):
    text = query_text(corpus, row)
    params = dict({"q": text, "page": "1", "size": str(PAGE)}, **row.filters)
    if row.exact:
        params["exact"] = "1"
    body = corpus.api.get("/api/v1/search", params=params).json
    direct = corpus.search(text, filters=row.filters, exact=row.exact)
    report = corpus.describe(text, direct) + f"\n  expected: {row.expect} ({row.note})"
    assert body["total"] == direct.total, report
    assert [h["id"] for h in body["hits"]] == [h.id for h in direct.hits], report
    wanted = corpus.ids[row.expect]
    field_name = "id" if "#" in row.expect else "dossier_id"
    ranks = [i for i, h in enumerate(body["hits"]) if h[field_name] == wanted]
    assert ranks, "expected hit not on the first page of the API\n" + report
    if row.first:
        assert ranks[0] == 0, report
    assert set(body["facets"]) >= set(row.filters)


# Ranking: an exactly accented match above a folded-only one.  (key, word, anchor)
PAIRS = [
    ("dat", "đất", "dat2", "đạt", "chuẩn nông thôn mới bon Bu Sir"),
    ("lam", "Lâm", "lam2", "Lam", "ông {} bon Bu Rwah"),
    ("thuy", "Thủy", "thuy2", "Thúy", "bà Nguyễn Thị {} bon Bu Prăng"),
]


def phrase(word, anchor):
    return anchor.format(word) if "{}" in anchor else f"{word} {anchor}"


def assert_above(corpus, text, higher, lower, **kw):
    results = corpus.search(text, size=5000, **kw)
    report = corpus.describe(text, results)
    top, low = corpus.position(higher, results.hits), corpus.position(lower, results.hits)
    assert top is not None, f"{higher} not found\n" + report
    assert low is not None, f"{lower} not found (it matches folded)\n" + report
    assert top < low and results.hits[top].score > results.hits[low].score, \
        f"{higher} must rank above {lower}\n" + report


@pytest.mark.parametrize("a,word_a,b,word_b,anchor", PAIRS, ids=[p[1] for p in PAIRS])
def test_exact_accent_ranks_above_folded_only(corpus, a, word_a, b, word_b, anchor):
    assert_above(corpus, phrase(word_a, anchor), a, b)
    assert_above(corpus, phrase(word_b, anchor), b, a)
    assert_above(corpus, nfd(phrase(word_a, anchor)), a, b)


@pytest.mark.parametrize("a,word_a,b,word_b,anchor", PAIRS, ids=[p[1] for p in PAIRS])
def test_exact_switch_leaves_out_the_look_alike(corpus, a, word_a, b, word_b, anchor):
    for mine, word, other in ((a, word_a, b), (b, word_b, a)):
        text = phrase(word, anchor)
        results = corpus.search(text, size=5000, exact=True)
        report = corpus.describe(text, results)
        assert corpus.position(mine, results.hits) is not None, report
        assert corpus.position(other, results.hits) is None, report


@pytest.mark.parametrize("a,word_a,b,word_b,anchor", PAIRS, ids=[p[1] for p in PAIRS])
def test_query_without_marks_finds_both(corpus, a, word_a, b, word_b, anchor):
    text = sample.fold(phrase(word_a, anchor)).lower()
    results = corpus.search(text)
    report = corpus.describe(text, results)
    assert corpus.position(a, results.hits) is not None, report
    assert corpus.position(b, results.hits) is not None, report


@pytest.mark.parametrize("word,higher,lower", [("đất", "dat", "dat2"), ("đạt", "dat2", "dat"),
                                               ("Thủy", "thuy", "thuy2"), ("Thúy", "thuy2", "thuy")])
def test_single_word_over_the_whole_archive(corpus, word, higher, lower):
    """One word alone, among all the sample's land dossiers and people named
    Đạt, Thủy and Thúy: the exact one still ranks above its look-alike."""
    assert_above(corpus, word, higher, lower)


@pytest.mark.parametrize("new,old,text", [
    ("hoa_new", "hoa_old", "{} giải tranh chấp lối đi chung bon Bu Koh"),
    ("thuyloi_new", "thuyloi_old", "kênh {} lợi bon Bu Đơr"),
])
@pytest.mark.parametrize("exact", [False, True], ids=["accent-insensitive", "exact"])
def test_tone_placement_does_not_change_the_score(corpus, new, old, text, exact):
    word_new, word_old = ("hòa", "hoà") if new == "hoa_new" else ("thủy", "thuỷ")
    scores = []
    for typed in (text.format(word_new), text.format(word_old), nfd(text.format(word_old))):
        results = corpus.search(typed, exact=exact)
        report = corpus.describe(typed, results)
        ranks = [corpus.position(new, results.hits), corpus.position(old, results.hits)]
        assert None not in ranks, report
        pair = [results.hits[r].score for r in ranks]
        assert pair[0] == pytest.approx(pair[1], rel=1e-6), report
        scores.append(pair[0])
    assert scores[0] == pytest.approx(scores[1], rel=1e-6)
    assert scores[0] == pytest.approx(scores[2], rel=1e-6)


def test_snippet_marks_the_page_text(corpus):
    results = corpus.search('"canh gác lửa rừng"')
    rank = corpus.position("fire#1", results.hits)
    assert rank is not None, corpus.describe("canh gác lửa rừng", results)
    snippet = unicodedata.normalize("NFC", results.hits[rank].snippet)
    for word in ("canh", "gác", "lửa", "rừng"):
        assert re.search(f"<mark[^>]*>{word}</mark>", snippet), snippet


# ---------------------------------------------------------------------------
# The vectorised evaluator (search/columnar.py) answers what Whoosh answers

OFFICIAL = [Everyone, Authenticated, "user:o", role_principal("official"),
            "fonds:KT:official", "fonds:MAU-SNV:official"]


def _compare(service, text, principals, filters=None, sort="relevance", exact=False, page=1):
    from archive.search.query import build_query, highlight_terms
    from archive.search.service import _Plan
    from whoosh.query import Every

    query = build_query(text, exact=exact, synonyms=service.synonyms) or Every()
    ours = service.search(text, filters=filters, principals=principals, page=page, size=PAGE,
                          exact=exact, sort=sort)
    plan = _Plan(query, tuple(principals), dict(filters or {}), sort)
    whoosh = service._whoosh_search(service.searcher(), plan, page, PAGE,
                                    highlight_terms(query))
    where = f"{text!r} {filters} {sort} page {page} exact={exact}"
    assert ours.total == whoosh.total, where
    assert ours.facets == whoosh.facets, where
    assert ours.page == whoosh.page, where
    if sort == "relevance":
        # the same scores in the same order, the same documents per score
        # (equal scores may come in any order from Whoosh's heap)
        assert [round(h.score, 3) for h in ours.hits] == [round(h.score, 3) for h in whoosh.hits], where
        by_score = lambda hits: sorted((round(h.score, 3), h.id) for h in hits)  # noqa: E731
        assert by_score(ours.hits) == by_score(whoosh.hits), where
    else:
        # newest first (Whoosh's score is then its sort key, not comparable)
        assert [h.date for h in ours.hits] == [h.date for h in whoosh.hits], where
    return ours


@pytest.mark.parametrize("principals", [ADMIN, OFFICIAL], ids=["admin", "official"])
def test_the_vectorised_evaluator_answers_as_whoosh(corpus, principals):
    service = corpus.wsgi.registry.search
    texts = [query_text(corpus, row) for row in QUERIES] + ["", "ho so", "giấy chứng nhận"]
    compared = 0
    for n, text in enumerate(texts):
        ours = _compare(service, text, principals)
        compared += ours.total
        if n % 4:
            continue
        _compare(service, text, principals, sort="date")
        _compare(service, text, principals, exact=True)
        for name, counts in list(ours.facets.items())[:3]:
            for value in list(counts)[:2]:
                _compare(service, text, principals, filters={name: value})
    assert compared > 500
    # pages beyond the first, and past the last one
    _compare(service, "", principals, page=3)
    _compare(service, "ho so", principals, page=10 ** 6)
