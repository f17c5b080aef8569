"""archive-sample: fill the archive with realistic synthetic data.

    archive-sample CONFIG --dossiers N [--seed S] [--fonds K] [--scans]
                          [--from-year Y] [--to-year Y] [--chunk C] [--quiet]

Creates one-stop-shop (TTHC) dossiers of the agencies of Đắk Nông province as
they were until 30 June 2025 (DOMAIN.md §6-8): the Department of Home Affairs
and the eight districts (Gia Nghĩa, Cư Jút, Đắk Glong, Đắk Mil, Đắk R'lấp,
Đắk Song, Krông Nô, Tuy Đức), then, with a larger ``--fonds``, their communes.
Each dossier carries the one-stop data (procedure code, receipt code such as
``000.00.21.H17-240315-0012``, applicant with a 12-digit citizen ID number,
received / due / returned dates, channel, status) and several documents
(doc_type codes of ``schemas/data/doc_types.csv``, numbers such as
``504/KH-UBND``).  Retention is permanent or 70, 50, 20, 10 or 5 years and
the dossiers end between 2005 and 2025, so that many are long expired; some
are closed, some are access 02 or 03.

The text is deliberately untidy, as real data is: person names with and
without tone marks, in upper case, in decomposed Unicode (NFD), with the old
tone placement (Thuỷ, Hoà, Uỷ ban) and both apostrophes (Đắk R'lấp and
Đắk R’lấp); digitised old dossiers may have partial dates.

Everything is labelled synthetic: fonds names end in "(dữ liệu mẫu)", every
dossier has ``synthetic = True`` and notes saying so, every document a note.
Only the procedure code 1.001193 (Đăng ký khai sinh) is real; the other codes
(9.9xxxxx), the H17 agency codes, names, ID numbers and receipt codes are
invented (the H17 codes are **assumed**, DOMAIN.md §8).  Place names are
written from general knowledge, not from an authoritative list.

The same seed gives the same data (the stable ids are random, the metadata is
not): dossier i is drawn from its own generator seeded with (seed, i), so a
smaller run is a prefix of a larger one.  Adding to an existing archive never
clashes: sample fonds are reused, and each dossier's notation (``0042.HT``)
takes the next free serial of its fonds and year.

Everything goes through the real services (create_fonds, create_dossier,
file_record, close_dossier, and spool_upload for the scans), so the journal
and every subscriber see the same events as for work done in the UI.  One
transaction per ``--chunk`` dossiers, retried on ConflictError; the object
cache is emptied between chunks so memory stays bounded for 100 000 dossiers.

With ``--scans`` every document that may hold a file gets rendered page
images (A4 at 150 dpi, DejaVu Sans) showing its heading, number, subject,
applicant, receipt code and a "DỮ LIỆU MẪU" banner: a PNG for one page, a PDF
for several.  Documents marked secret get none (the archive refuses them).
"""
import dataclasses
import datetime
import io
import itertools
import os
import random
import re
import sys
import time
import unicodedata

from archive.errors import ArchiveError
from archive.services.dossiers import close_dossier, create_dossier
from archive.services.files import spool_upload
from archive.services.fonds import create_fonds
from archive.services.records import file_record, refuses_classified

from ._common import describe_error, parser, script_env

SAMPLE_MARK = "(dữ liệu mẫu)"
PROVINCE = "Đắk Nông"
# The province was merged into Lâm Đồng on 1 July 2025: no later dossiers.
LAST_DAY = datetime.date(2025, 6, 30)
FIRST_YEAR = 2005
# Gia Nghĩa became a city (thành phố) on 1 February 2020 (before: thị xã).
GIA_NGHIA_CITY = datetime.date(2020, 2, 1)
STYLE_BLOCK = 20

# ---------------------------------------------------------------------------
# Places and agencies (DOMAIN.md §8).  Agency codes with H17 are assumed.

# key, name, organ-id serial, first year it existed, relative weight, communes
DISTRICTS = (
    ("GIANGHIA", "Gia Nghĩa", 21, 2005, 14, (
        "phường Nghĩa Đức", "phường Nghĩa Thành", "phường Nghĩa Phú", "phường Nghĩa Tân",
        "phường Nghĩa Trung", "phường Quảng Thành", "xã Đắk Nia", "xã Đắk R'Moan")),
    ("CUJUT", "Cư Jút", 22, 2005, 13, (
        "thị trấn Ea T'ling", "xã Cư K'nia", "xã Đắk D'rông", "xã Đắk Wil", "xã Ea Pô",
        "xã Nam Dong", "xã Tâm Thắng", "xã Trúc Sơn")),
    ("DAKGLONG", "Đắk Glong", 23, 2005, 9, (
        "xã Quảng Khê", "xã Đắk Ha", "xã Đắk Plao", "xã Đắk R'Măng", "xã Đắk Som",
        "xã Quảng Hòa", "xã Quảng Sơn")),
    ("DAKMIL", "Đắk Mil", 24, 2005, 14, (
        "thị trấn Đắk Mil", "xã Đắk Gằn", "xã Đắk Lao", "xã Đắk N'Drót", "xã Đắk R'La",
        "xã Đắk Sắk", "xã Đức Mạnh", "xã Đức Minh", "xã Long Sơn", "xã Thuận An")),
    ("DAKRLAP", "Đắk R'lấp", 25, 2005, 13, (
        "thị trấn Kiến Đức", "xã Đắk Ru", "xã Đắk Sin", "xã Đắk Wer", "xã Đạo Nghĩa",
        "xã Hưng Bình", "xã Kiến Thành", "xã Nghĩa Thắng", "xã Nhân Cơ", "xã Nhân Đạo",
        "xã Quảng Tín")),
    ("DAKSONG", "Đắk Song", 26, 2005, 11, (
        "thị trấn Đức An", "xã Đắk Hòa", "xã Đắk Môl", "xã Đắk N'Drung", "xã Nam Bình",
        "xã Nâm N'Jang", "xã Thuận Hà", "xã Thuận Hạnh", "xã Trường Xuân")),
    ("KRONGNO", "Krông Nô", 27, 2005, 11, (
        "thị trấn Đắk Mâm", "xã Buôn Choáh", "xã Đắk Drô", "xã Đắk Nang", "xã Đắk Sôr",
        "xã Đức Xuyên", "xã Nam Đà", "xã Nam Xuân", "xã Nâm N'Đir", "xã Nâm Nung",
        "xã Quảng Phú", "xã Tân Thành")),
    # split from Đắk R'lấp (Decree 142/2006/NĐ-CP)
    ("TUYDUC", "Tuy Đức", 28, 2007, 7, (
        "xã Đắk Búk So", "xã Đắk Ngo", "xã Đắk R'Tíh", "xã Quảng Tâm", "xã Quảng Tân",
        "xã Quảng Trực")),
)


@dataclasses.dataclass(frozen=True)
class District:
    key: str
    name: str
    serial: int
    first_year: int
    weight: int
    communes: tuple

    def kind(self, day):
        if self.key == "GIANGHIA":
            return "thành phố" if day >= GIA_NGHIA_CITY else "thị xã"
        return "huyện"

    def full(self, day):
        """The district as it was named on ``day``."""
        return f"{self.kind(day)} {self.name}"


@dataclasses.dataclass(frozen=True)
class Agency:
    """A sample fonds: one agency whose dossiers the generator creates."""

    code: str
    name: str          # fonds name, with the sample mark
    organ_id: str      # assumed H17 code
    scope: str         # province | district | commune
    weight: int
    district: District = None
    commune: str = ""

    def unit(self, day):
        """Short issuer name on documents, as on ``day``."""
        if self.scope == "province":
            return "Sở Nội vụ tỉnh Đắk Nông"
        if self.scope == "district":
            return f"UBND {self.district.full(day)}"
        return f"UBND {self.commune}"

    @property
    def abbr(self):
        return "SNV" if self.scope == "province" else "UBND"


def districts():
    return [District(*row) for row in DISTRICTS]


def agencies():
    """Every agency the generator knows, in the order ``--fonds K`` takes them:
    the Department of Home Affairs, the 8 districts, then the 71 communes."""
    out = [Agency("MAU-SNV", f"Sở Nội vụ tỉnh Đắk Nông {SAMPLE_MARK}", "000.00.17.H17",
                  "province", 8)]
    ds = districts()
    for d in ds:
        kind = "thành phố" if d.key == "GIANGHIA" else "huyện"
        out.append(Agency(f"MAU-{d.key}", f"Ủy ban nhân dân {kind} {d.name} {SAMPLE_MARK}",
                          f"000.00.{d.serial:02d}.H17", "district", d.weight, d))
    for d in ds:
        for j, commune in enumerate(d.communes, start=1):
            out.append(Agency(f"MAU-{d.key}-{j:02d}",
                              f"Ủy ban nhân dân {commune}, huyện {d.name} {SAMPLE_MARK}"
                              if d.key != "GIANGHIA" else
                              f"Ủy ban nhân dân {commune}, thành phố {d.name} {SAMPLE_MARK}",
                              f"000.{j:02d}.{d.serial:02d}.H17", "commune", 3, d, commune))
    return out


# ---------------------------------------------------------------------------
# People.

FAMILY = (("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 4), ("Huỳnh", 2),
          ("Phan", 4), ("Vũ", 3), ("Võ", 3), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 1),
          ("Ngô", 1), ("Dương", 1), ("Lý", 1), ("Trương", 1), ("Đinh", 1), ("Mai", 1),
          ("Lương", 1), ("Thái", 1))
MIDDLE_M = ("Văn", "Văn", "Văn", "Hữu", "Đức", "Minh", "Quang", "Công", "Xuân", "Thanh",
            "Ngọc", "Đình", "Trọng", "Quốc", "Anh", "Tuấn", "Gia", "Bảo")
MIDDLE_F = ("Thị", "Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Mỹ", "Hồng", "Minh",
            "Phương", "Thùy", "Bảo", "Khánh")
GIVEN_M = ("Hùng", "Dũng", "Long", "Nam", "Tuấn", "Minh", "Phúc", "Khang", "Hải", "Sơn",
           "Thắng", "Trung", "Quân", "Huy", "Đạt", "Hiếu", "Lộc", "Tài", "Thành", "Bình",
           "Cường", "Kiên", "Toàn", "Vinh", "Hòa", "Thụy", "Khoa", "Tùng", "Phong", "Nghĩa",
           "Đức", "Quý", "Hoàng", "An")
GIVEN_F = ("Hoa", "Lan", "Hương", "Mai", "Linh", "Trang", "Thảo", "Ngọc", "Huyền", "Hằng",
           "Nhung", "Thủy", "Hòa", "Yến", "Oanh", "Vy", "Anh", "Nga", "Loan", "Quỳnh", "Uyên",
           "Ánh", "Diệu", "Thúy", "Xoan", "Hạnh", "Giang", "Hiền", "Khánh Linh", "Ngân")
# Names of the Central Highlands peoples (M'Nông, Ê Đê, Mạ...), with apostrophes.
HIGHLAND_M = ("Điểu K'Lứt", "Điểu Xuân", "Y Bhin Niê", "Y Moan Êban", "K'Thuân", "K'Brơi",
              "Điểu Sơn", "Y Dhăm Êban", "Điểu Khanh", "Y Ngông Niê Kdăm")
HIGHLAND_F = ("Thị H'Rin", "H'Hen Niê", "H'Nhi Byă", "H'Lim Mlô", "Thị Mai Ly", "H'Bia Êban",
              "Thị H'Loan", "H'Yăo Knul")


def weighted(rng, pairs):
    values, weights = zip(*pairs)
    return rng.choices(values, weights)[0]


def person(rng, female=None):
    """(full name in NFC, female)"""
    if female is None:
        female = rng.random() < 0.5
    if rng.random() < 0.08:
        return rng.choice(HIGHLAND_F if female else HIGHLAND_M), female
    family = weighted(rng, FAMILY)
    middle = rng.choice(MIDDLE_F if female else MIDDLE_M)
    given = rng.choice(GIVEN_F if female else GIVEN_M)
    return f"{family} {middle} {given}", female


def citizen_id(rng, born, female):
    """A 12-digit citizen ID (CCCD): birth province 067 (Đắk Nông), a digit
    for sex and century, the year of birth's last two digits, six digits."""
    century = 0 if born < 2000 else 2
    return f"067{century + (1 if female else 0)}{born % 100:02d}{rng.randrange(10 ** 6):06d}"


ORG_KINDS = (
    ("Công ty TNHH {x}", ("Cà phê Đắk Mil", "Hồ tiêu Cư Jút", "Nông sản Tây Nguyên",
                          "Xây dựng Gia Nghĩa", "Vận tải Krông Nô", "Thương mại Đắk Song",
                          "Bơ sáp Tuy Đức", "Gỗ Đắk Glong")),
    ("Công ty cổ phần {x}", ("Khoáng sản Nhân Cơ", "Thủy điện Đắk R'Tíh",
                              "Dược phẩm Đắk Nông", "Cao su Nam Nung", "Du lịch Tà Đùng")),
    ("Hợp tác xã {x}", ("nông nghiệp Đắk Wil", "cà phê Thuận An", "dịch vụ Quảng Khê",
                        "rau sạch Nghĩa Đức", "mắc ca Nam Bình")),
    ("Hội {x} tỉnh Đắk Nông", ("Doanh nhân trẻ", "Người cao tuổi", "Khuyến học",
                               "Cựu giáo chức", "Nạn nhân chất độc da cam/dioxin",
                               "Làm vườn", "Đông y")),
    ("Trường {x}", ("THCS Nguyễn Du", "Tiểu học Kim Đồng", "THPT Phan Chu Trinh",
                    "Mầm non Hoa Sen", "THCS Lê Lợi")),
)


# public agencies that propose a new unit or an award
PUBLIC_BODIES = ("Sở Y tế tỉnh Đắk Nông", "Sở Giáo dục và Đào tạo tỉnh Đắk Nông",
                 "Sở Lao động - Thương binh và Xã hội tỉnh Đắk Nông", "Sở Văn hóa, Thể thao và Du lịch tỉnh Đắk Nông",
                 "Sở Nông nghiệp và Phát triển nông thôn tỉnh Đắk Nông", "Sở Tư pháp tỉnh Đắk Nông",
                 "Ban Dân tộc tỉnh Đắk Nông")


def organisation(rng, kinds=ORG_KINDS):
    template, names = rng.choice(kinds)
    return template.format(x=rng.choice(names))


def tax_code(rng):
    """A 10-digit enterprise / tax code of the province (prefix 64, invented)."""
    return f"64{rng.randrange(10 ** 8):08d}"


# ---------------------------------------------------------------------------
# Untidy text (DOMAIN.md §7).

_OLD_TONES = {
    "òa": "oà", "óa": "oá", "ỏa": "oả", "õa": "oã", "ọa": "oạ",
    "òe": "oè", "óe": "oé", "ỏe": "oẻ", "õe": "oẽ", "ọe": "oẹ",
    "ùy": "uỳ", "úy": "uý", "ủy": "uỷ", "ũy": "uỹ", "ụy": "uỵ",
    "Ủy": "Uỷ", "ỦY": "UỶ", "ÒA": "OÀ", "ÚY": "UÝ", "ÙY": "UỲ",
}
_OLD_TONE_RE = re.compile("(" + "|".join(sorted(_OLD_TONES, key=len, reverse=True)) + r")(?!\w)")


def old_tones(text):
    """The old tone placement: hòa -> hoà, thủy -> thuỷ, Ủy ban -> Uỷ ban."""
    return _OLD_TONE_RE.sub(lambda m: _OLD_TONES[m.group(1)], text)


def fold(text):
    """Without tone marks and with đ -> d, as typed on a keyboard without a
    Vietnamese input method."""
    text = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", text.replace("đ", "d").replace("Đ", "D"))


def nfd(text):
    return unicodedata.normalize("NFD", text)


def curly(text):
    return text.replace("'", "\u2019")


# How person names are written, per block of STYLE_BLOCK dossiers (shuffled), so
# that every run of 20 or more dossiers has each style.
NAME_STYLES = ("nfc",) * 12 + ("old",) * 2 + ("folded",) * 3 + ("nfd",) * 2 + ("upper",)


def write_name(name, style):
    if style == "old":
        return old_tones(name)
    if style == "folded":
        return fold(name)
    if style == "nfd":
        return nfd(name)
    if style == "upper":
        return name.upper()
    return name


# ---------------------------------------------------------------------------
# Procedures (TTHC).  Only 1.001193 is a real code; 9.9xxxxx are synthetic.
#
# A document template: (doc_type, label, subject, issuer, notation, probability,
# pages, phase).  issuer: applicant | unit | dept | province | hospital |
# commune; notation: None (no number), "" (number only) or a pattern with {U}
# (the agency: UBND, SNV) and {D} (the handling department); phase: in
# (submitted), work (while handled), out (the result).

D = dataclasses.make_dataclass("Doc", ["doc_type", "label", "subject", "issuer", "notation",
                                       "p", "pages", "phase"], frozen=True)


@dataclasses.dataclass(frozen=True)
class Procedure:
    code: str
    name: str
    field: str
    heading: str                 # heading abbreviation of the notation, e.g. HT
    scopes: tuple
    weight: int
    retention: tuple             # ((value, weight), ...)
    days: int                    # working days allowed
    title: str
    docs: tuple
    dept: str = ""               # handling department, {d} = district full name
    dept_abbr: str = ""
    applicant: str = "citizen"   # citizen | organisation | either | association | public | anybody
    personal: float = 0.0        # probability of access 02 (personal data)
    secret: float = 0.0          # probability of access 03

    @property
    def real(self):
        return self.code in REAL_CODES


REAL_CODES = {"1.001193": "Đăng ký khai sinh"}

RECEIPT = D("19", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
            "Giấy tiếp nhận hồ sơ và hẹn trả kết quả, mã hồ sơ {receipt}", "unit", None, 1, (1, 1), "in")
CONTROL = D("18", "Phiếu kiểm soát quá trình giải quyết hồ sơ",
            "Phiếu kiểm soát quá trình giải quyết hồ sơ {receipt}", "unit", None, 0.6, (1, 1), "work")
PROXY = D("16", "Giấy ủy quyền", "Giấy ủy quyền nộp hồ sơ và nhận kết quả thay {applicant}",
          "applicant", None, 0.08, (1, 1), "in")
SUPPLEMENT = D("19", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
               "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ {receipt}", "unit", None, 0.1, (1, 1), "work")
REJECTION = D("07", "Thông báo", "Thông báo về việc từ chối giải quyết hồ sơ {receipt} của {applicant}",
              "unit", "TB-{U}", 1, (1, 1), "out")

PROCEDURES = (
    Procedure("1.001193", "Đăng ký khai sinh", "Hộ tịch", "HT", ("district", "commune"), 20,
              (("permanent", 1),), 1, "Hồ sơ đăng ký khai sinh cho {person}, con của {applicant}, {place}", (
                  D("32", "Tờ khai đăng ký khai sinh", "Tờ khai đăng ký khai sinh cho {person}",
                    "applicant", None, 1, (1, 2), "in"),
                  D("32", "Giấy chứng sinh", "Giấy chứng sinh của {person}", "hospital", "", 0.9, (1, 1), "in"),
                  D("32", "Trích lục khai sinh", "Trích lục khai sinh của {person}", "unit", "TLKS-BS", 1,
                    (1, 1), "out")),
              "Phòng Tư pháp {d}", "PTP"),
    Procedure("9.900101", "Đăng ký kết hôn", "Hộ tịch", "HT", ("district", "commune"), 8,
              (("permanent", 1),), 5, "Hồ sơ đăng ký kết hôn giữa {applicant} và {person}, {place}", (
                  D("32", "Tờ khai đăng ký kết hôn", "Tờ khai đăng ký kết hôn của {applicant} và {person}",
                    "applicant", None, 1, (1, 2), "in"),
                  D("32", "Giấy xác nhận tình trạng hôn nhân",
                    "Giấy xác nhận tình trạng hôn nhân của {person}", "commune", "", 0.7, (1, 1), "in"),
                  D("32", "Giấy chứng nhận kết hôn", "Giấy chứng nhận kết hôn của {applicant} và {person}",
                    "unit", "", 1, (1, 1), "out")),
              "Phòng Tư pháp {d}", "PTP"),
    Procedure("9.900102", "Đăng ký khai tử", "Hộ tịch", "HT", ("district", "commune"), 4,
              (("permanent", 1),), 1, "Hồ sơ đăng ký khai tử cho ông (bà) {person}, {place}", (
                  D("32", "Tờ khai đăng ký khai tử", "Tờ khai đăng ký khai tử cho {person}",
                    "applicant", None, 1, (1, 1), "in"),
                  D("32", "Giấy báo tử", "Giấy báo tử của {person}", "hospital", "", 0.8, (1, 1), "in"),
                  D("32", "Trích lục khai tử", "Trích lục khai tử của {person}", "unit", "TLKT-BS", 1,
                    (1, 1), "out")),
              "Phòng Tư pháp {d}", "PTP", personal=0.3),
    Procedure("9.900103", "Cấp bản sao trích lục hộ tịch", "Hộ tịch", "HT", ("district", "commune"), 5,
              (("5", 1),), 1, "Hồ sơ cấp bản sao trích lục hộ tịch cho {applicant}, {place}", (
                  D("32", "Tờ khai cấp bản sao trích lục hộ tịch",
                    "Tờ khai đề nghị cấp bản sao trích lục hộ tịch của {applicant}", "applicant", None, 1,
                    (1, 1), "in"),
                  D("32", "Bản sao trích lục hộ tịch", "Bản sao trích lục hộ tịch cấp cho {applicant}",
                    "unit", "BSTL", 1, (1, 1), "out")),
              "Phòng Tư pháp {d}", "PTP"),
    Procedure("9.900104", "Xác nhận tình trạng hôn nhân", "Hộ tịch", "HT", ("commune",), 6,
              (("10", 1),), 3, "Hồ sơ xác nhận tình trạng hôn nhân của {applicant}, {place}", (
                  D("32", "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân",
                    "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân của {applicant}", "applicant", None, 1,
                    (1, 1), "in"),
                  D("32", "Giấy xác nhận tình trạng hôn nhân",
                    "Giấy xác nhận tình trạng hôn nhân của {applicant}", "unit", "XNTTHN", 1, (1, 1), "out")),
              "Công chức Tư pháp - Hộ tịch", "TP"),
    Procedure("9.900201", "Cấp Giấy chứng nhận quyền sử dụng đất lần đầu", "Đất đai", "DD", ("district",), 8,
              (("permanent", 1),), 30, "Hồ sơ cấp Giấy chứng nhận quyền sử dụng đất lần đầu cho {applicant}, "
              "{plot}, {place}", (
                  D("32", "Đơn đăng ký đất đai, tài sản gắn liền với đất",
                    "Đơn đăng ký, cấp Giấy chứng nhận quyền sử dụng đất của {applicant}", "applicant", None, 1,
                    (1, 2), "in"),
                  D("20", "Biên bản", "Biên bản xác minh hiện trạng sử dụng đất tại {plot}", "dept", "BB-{D}",
                    0.8, (1, 2), "work"),
                  D("30", "Bản đồ", "Trích đo bản đồ địa chính {plot}", "dept", "", 0.7, (1, 1), "work"),
                  D("15", "Tờ trình", "Tờ trình đề nghị cấp Giấy chứng nhận quyền sử dụng đất cho {applicant}",
                    "dept", "TTr-{D}", 1, (1, 2), "work"),
                  D("02", "Quyết định", "Quyết định cấp Giấy chứng nhận quyền sử dụng đất cho {applicant}",
                    "unit", "QĐ-{U}", 1, (1, 2), "out")),
              "Phòng Tài nguyên và Môi trường {d}", "PTNMT"),
    Procedure("9.900202", "Chuyển mục đích sử dụng đất", "Đất đai", "DD", ("district",), 6,
              (("70", 1),), 25, "Hồ sơ chuyển mục đích sử dụng đất của {applicant}, {plot}, {place}", (
                  D("32", "Đơn xin chuyển mục đích sử dụng đất",
                    "Đơn xin chuyển mục đích sử dụng đất của {applicant}", "applicant", None, 1, (1, 1), "in"),
                  D("20", "Biên bản", "Biên bản kiểm tra thực địa {plot}", "dept", "BB-{D}", 0.8, (1, 1), "work"),
                  D("15", "Tờ trình", "Tờ trình về việc cho phép {applicant} chuyển mục đích sử dụng đất",
                    "dept", "TTr-{D}", 1, (1, 2), "work"),
                  D("07", "Thông báo", "Thông báo nộp tiền sử dụng đất của {applicant}", "dept", "TB-{D}",
                    0.7, (1, 1), "work"),
                  D("02", "Quyết định", "Quyết định cho phép {applicant} chuyển mục đích sử dụng đất",
                    "unit", "QĐ-{U}", 1, (1, 2), "out")),
              "Phòng Tài nguyên và Môi trường {d}", "PTNMT"),
    Procedure("9.900203", "Đăng ký biến động quyền sử dụng đất do chuyển nhượng", "Đất đai", "DD",
              ("district",), 6, (("50", 1),), 10,
              "Hồ sơ đăng ký biến động do chuyển nhượng quyền sử dụng đất, {plot}, bên nhận {applicant}", (
                  D("32", "Đơn đăng ký biến động đất đai",
                    "Đơn đăng ký biến động đất đai, tài sản gắn liền với đất của {applicant}", "applicant", None,
                    1, (1, 1), "in"),
                  D("21", "Hợp đồng", "Hợp đồng chuyển nhượng quyền sử dụng đất giữa {person} và {applicant}",
                    "applicant", "", 1, (2, 3), "in"),
                  D("22", "Công văn", "Công văn chuyển thông tin địa chính để xác định nghĩa vụ tài chính",
                    "dept", "{U}-{D}", 0.6, (1, 1), "work")),
              "Phòng Tài nguyên và Môi trường {d}", "PTNMT"),
    Procedure("9.900301", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "Xây dựng", "XD", ("district",), 7,
              (("50", 1),), 15, "Hồ sơ cấp giấy phép xây dựng nhà ở riêng lẻ của {applicant}, {place}", (
                  D("32", "Đơn đề nghị cấp giấy phép xây dựng",
                    "Đơn đề nghị cấp giấy phép xây dựng nhà ở riêng lẻ của {applicant}", "applicant", None, 1,
                    (1, 1), "in"),
                  D("31", "Bản vẽ kỹ thuật", "Bản vẽ thiết kế mặt bằng, mặt đứng nhà ở của {applicant}",
                    "applicant", None, 1, (1, 3), "in"),
                  D("20", "Biên bản", "Biên bản kiểm tra hiện trường xây dựng tại {plot}", "dept", "BB-{D}",
                    0.6, (1, 1), "work"),
                  D("32", "Giấy phép xây dựng", "Giấy phép xây dựng nhà ở riêng lẻ cấp cho {applicant}",
                    "unit", "GPXD", 1, (1, 2), "out")),
              "Phòng Kinh tế và Hạ tầng {d}", "PKTHT"),
    Procedure("9.900401", "Đăng ký thành lập hộ kinh doanh", "Thành lập và hoạt động của hộ kinh doanh", "KD",
              ("district",), 7, (("20", 1),), 3, "Hồ sơ đăng ký thành lập hộ kinh doanh {business} của {applicant}, "
              "{place}", (
                  D("32", "Giấy đề nghị đăng ký hộ kinh doanh",
                    "Giấy đề nghị đăng ký hộ kinh doanh {business}", "applicant", None, 1, (1, 1), "in"),
                  D("32", "Giấy chứng nhận đăng ký hộ kinh doanh",
                    "Giấy chứng nhận đăng ký hộ kinh doanh {business}, chủ hộ {applicant}", "dept", "", 1,
                    (1, 1), "out")),
              "Phòng Tài chính - Kế hoạch {d}", "PTCKH"),
    Procedure("9.900402", "Cấp Giấy phép bán lẻ sản phẩm rượu", "Lưu thông hàng hóa trong nước", "LTHH",
              ("district",), 2, (("10", 1),), 10, "Hồ sơ cấp Giấy phép bán lẻ sản phẩm rượu cho {applicant}", (
                  D("32", "Đơn đề nghị cấp Giấy phép bán lẻ sản phẩm rượu",
                    "Đơn đề nghị cấp Giấy phép bán lẻ sản phẩm rượu của {applicant}", "applicant", None, 1,
                    (1, 1), "in"),
                  D("21", "Hợp đồng", "Hợp đồng mua bán rượu của {applicant}", "applicant", "", 0.8, (1, 2), "in"),
                  D("32", "Giấy phép bán lẻ sản phẩm rượu", "Giấy phép bán lẻ sản phẩm rượu cấp cho {applicant}",
                    "unit", "GP-{U}", 1, (1, 1), "out")),
              "Phòng Kinh tế và Hạ tầng {d}", "PKTHT", applicant="either"),
    Procedure("9.900403", "Cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm", "An toàn thực phẩm",
              "ATTP", ("district",), 3, (("10", 1),), 15,
              "Hồ sơ cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm cho {applicant}", (
                  D("32", "Đơn đề nghị cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm",
                    "Đơn đề nghị cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm của {applicant}",
                    "applicant", None, 1, (1, 1), "in"),
                  D("20", "Biên bản", "Biên bản thẩm định cơ sở sản xuất, kinh doanh thực phẩm của {applicant}",
                    "dept", "BB-{D}", 1, (1, 2), "work"),
                  D("32", "Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm",
                    "Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm cấp cho {applicant}", "unit",
                    "GCN-ATTP", 1, (1, 1), "out")),
              "Phòng Nông nghiệp và Phát triển nông thôn {d}", "PNN", applicant="organisation"),
    Procedure("9.900501", "Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản, quyền sử dụng đất",
              "Chứng thực", "CT", ("district", "commune"), 6, (("20", 1),), 2,
              "Hồ sơ chứng thực hợp đồng giữa {applicant} và {person}, {place}", (
                  D("32", "Phiếu yêu cầu chứng thực", "Phiếu yêu cầu chứng thực hợp đồng của {applicant}",
                    "applicant", None, 1, (1, 1), "in"),
                  D("21", "Hợp đồng", "Hợp đồng tặng cho quyền sử dụng đất giữa {person} và {applicant}",
                    "applicant", "", 1, (2, 3), "out")),
              "Phòng Tư pháp {d}", "PTP"),
    Procedure("9.900502", "Chứng thực bản sao từ bản chính", "Chứng thực", "CT", ("district", "commune"), 8,
              (("5", 1),), 1, "Hồ sơ chứng thực bản sao từ bản chính của {applicant}", (
                  D("32", "Phiếu yêu cầu chứng thực", "Phiếu yêu cầu chứng thực bản sao của {applicant}",
                    "applicant", None, 1, (1, 1), "in"),
                  D("32", "Bản sao chứng thực", "Bản sao được chứng thực từ bản chính cho {applicant}", "unit",
                    "SCT/BS", 0.8, (1, 2), "out")),
              "Phòng Tư pháp {d}", "PTP"),
    Procedure("9.900601", "Trợ cấp xã hội hằng tháng", "Bảo trợ xã hội", "BTXH", ("district",), 4,
              (("20", 1),), 20, "Hồ sơ hưởng trợ cấp xã hội hằng tháng của {person}, {place}", (
                  D("32", "Tờ khai đề nghị trợ giúp xã hội", "Tờ khai đề nghị trợ giúp xã hội cho {person}",
                    "applicant", None, 1, (1, 2), "in"),
                  D("20", "Biên bản", "Biên bản họp Hội đồng xét duyệt trợ cấp xã hội {commune}", "commune",
                    "BB-UBND", 0.9, (1, 2), "work"),
                  D("22", "Công văn", "Công văn đề nghị giải quyết trợ cấp xã hội cho {person}", "commune",
                    "UBND", 0.7, (1, 1), "work"),
                  D("02", "Quyết định", "Quyết định về việc trợ cấp xã hội hằng tháng cho {person}", "unit",
                    "QĐ-{U}", 1, (1, 1), "out")),
              "Phòng Lao động - Thương binh và Xã hội {d}", "PLĐTBXH", personal=0.6),
    Procedure("9.900701", "Giải quyết khiếu nại lần đầu", "Giải quyết khiếu nại", "KN", ("district",), 3,
              (("permanent", 3), ("10", 7)), 30, "Hồ sơ giải quyết khiếu nại lần đầu của {applicant}, {place}", (
                  D("32", "Đơn khiếu nại", "Đơn khiếu nại của {applicant} về việc bồi thường, hỗ trợ khi thu hồi đất",
                    "applicant", None, 1, (1, 3), "in"),
                  D("26", "Giấy mời", "Giấy mời {applicant} đối thoại giải quyết khiếu nại", "dept", "GM-{D}",
                    0.7, (1, 1), "work"),
                  D("20", "Biên bản", "Biên bản đối thoại với {applicant}", "dept", "BB-{D}", 0.8, (1, 3), "work"),
                  D("14", "Báo cáo", "Báo cáo kết quả xác minh nội dung khiếu nại của {applicant}", "dept",
                    "BC-{D}", 1, (2, 3), "work"),
                  D("02", "Quyết định", "Quyết định giải quyết khiếu nại lần đầu của {applicant}", "unit",
                    "QĐ-{U}", 1, (1, 3), "out")),
              "Thanh tra {d}", "TTr", personal=0.6, secret=0.08),
    # Department of Home Affairs (province level)
    Procedure("9.910101", "Thành lập hội", "Tổ chức phi chính phủ", "TCPCP", ("province",), 5,
              (("permanent", 1),), 30, "Hồ sơ thành lập {applicant}", (
                  D("32", "Đơn đề nghị thành lập hội", "Đơn đề nghị thành lập {applicant}", "applicant", None, 1,
                    (1, 1), "in"),
                  D("32", "Dự thảo điều lệ hội", "Dự thảo điều lệ {applicant}", "applicant", None, 1, (2, 3), "in"),
                  D("08", "Hướng dẫn", "Hướng dẫn hoàn thiện hồ sơ thành lập {applicant}", "unit", "HD-{U}", 0.4,
                    (1, 2), "work"),
                  D("22", "Công văn", "Công văn xin ý kiến các sở, ngành về việc thành lập {applicant}", "unit",
                    "{U}-{D}", 0.8, (1, 1), "work"),
                  D("15", "Tờ trình", "Tờ trình đề nghị cho phép thành lập {applicant}", "unit", "TTr-{U}", 1,
                    (1, 2), "work"),
                  D("02", "Quyết định", "Quyết định cho phép thành lập {applicant}", "province", "QĐ-UBND", 1,
                    (1, 1), "out")),
              "Phòng Tổ chức, biên chế và tổ chức phi chính phủ", "TCBC", applicant="association"),
    Procedure("9.910102", "Phê duyệt điều lệ hội", "Tổ chức phi chính phủ", "TCPCP", ("province",), 3,
              (("permanent", 1),), 30, "Hồ sơ phê duyệt điều lệ {applicant}", (
                  D("32", "Đơn đề nghị phê duyệt điều lệ hội", "Đơn đề nghị phê duyệt điều lệ {applicant}",
                    "applicant", None, 1, (1, 1), "in"),
                  D("20", "Biên bản", "Biên bản đại hội thông qua điều lệ {applicant}", "applicant", "", 1,
                    (2, 3), "in"),
                  D("15", "Tờ trình", "Tờ trình đề nghị phê duyệt điều lệ {applicant}", "unit", "TTr-{U}", 1,
                    (1, 1), "work"),
                  D("02", "Quyết định", "Quyết định phê duyệt điều lệ {applicant}", "province", "QĐ-UBND", 1,
                    (1, 1), "out")),
              "Phòng Tổ chức, biên chế và tổ chức phi chính phủ", "TCBC", applicant="association"),
    Procedure("9.910201", "Tặng Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh", "Thi đua, khen thưởng", "TDKT",
              ("province",), 6, (("permanent", 1), ("20", 1)), 20,
              "Hồ sơ đề nghị tặng Bằng khen của Chủ tịch UBND tỉnh cho {applicant}", (
                  D("15", "Tờ trình", "Tờ trình đề nghị tặng Bằng khen cho {applicant}", "applicant", "TTr", 1,
                    (1, 1), "in"),
                  D("14", "Báo cáo", "Báo cáo thành tích của {applicant}", "applicant", "BC", 1, (2, 3), "in"),
                  D("20", "Biên bản", "Biên bản họp Hội đồng Thi đua - Khen thưởng", "unit", "BB-HĐTĐKT", 0.8,
                    (1, 2), "work"),
                  D("02", "Quyết định", "Quyết định tặng Bằng khen của Chủ tịch UBND tỉnh cho {applicant}",
                    "province", "QĐ-UBND", 1, (1, 1), "out")),
              "Ban Thi đua - Khen thưởng", "BTĐKT", applicant="anybody"),
    Procedure("9.910301", "Thi tuyển công chức", "Công chức, viên chức", "CCVC", ("province",), 4,
              (("70", 1),), 30, "Hồ sơ dự tuyển công chức của {applicant}", (
                  D("32", "Phiếu đăng ký dự tuyển", "Phiếu đăng ký dự tuyển công chức của {applicant}",
                    "applicant", None, 1, (1, 2), "in"),
                  D("10", "Kế hoạch", "Kế hoạch tuyển dụng công chức năm {year}", "unit", "KH-{U}", 0.5,
                    (1, 3), "in"),
                  D("07", "Thông báo", "Thông báo kết quả thi tuyển công chức năm {year}", "unit", "TB-{U}", 1,
                    (1, 2), "work"),
                  D("02", "Quyết định", "Quyết định tuyển dụng công chức đối với {applicant}", "unit", "QĐ-{U}",
                    1, (1, 1), "out")),
              "Phòng Công chức, viên chức", "CCVC", personal=0.5, secret=0.05),
    Procedure("9.910401", "Thành lập đơn vị sự nghiệp công lập", "Tổ chức bộ máy", "TCBM", ("province",), 2,
              (("permanent", 1),), 30, "Hồ sơ thẩm định đề án thành lập {unitname}", (
                  D("12", "Đề án", "Đề án thành lập {unitname}", "applicant", None, 1, (2, 4), "in"),
                  D("15", "Tờ trình", "Tờ trình đề nghị thẩm định đề án thành lập {unitname}", "applicant",
                    "TTr", 1, (1, 1), "in"),
                  D("14", "Báo cáo", "Báo cáo thẩm định đề án thành lập {unitname}", "unit", "BC-{U}", 1,
                    (1, 3), "work"),
                  D("02", "Quyết định", "Quyết định thành lập {unitname}", "province", "QĐ-UBND", 1, (1, 2), "out")),
              "Phòng Tổ chức, biên chế và tổ chức phi chính phủ", "TCBC", applicant="public"),
)
FAMILY_NAMES = frozenset(name for name, _weight in FAMILY)

BUSINESS_KINDS = ORG_KINDS[:3] + ORG_KINDS[4:]
BUSINESSES = ("Tạp hóa Minh Anh", "Quán cơm Hương Quê", "Cà phê Sáng", "Sửa xe Thành Công",
              "Vật tư nông nghiệp Phú Nông", "Điện máy Hoàng Long", "Tiệm may Hồng Nhung",
              "Nhà thuốc An Tâm", "Bún bò Đắk Mil", "Thu mua nông sản Thuận Phát")
NEW_UNITS = ("Trung tâm Dịch vụ việc làm tỉnh Đắk Nông", "Trung tâm Y tế huyện Đắk Glong",
             "Trường Cao đẳng Cộng đồng Đắk Nông", "Ban Quản lý Công viên địa chất Đắk Nông",
             "Trung tâm Lưu trữ lịch sử tỉnh Đắk Nông", "Trung tâm Văn hóa - Thể thao huyện Tuy Đức")
FILLER = (
    "Căn cứ Luật Tổ chức chính quyền địa phương và các văn bản hướng dẫn thi hành.",
    "Xét đề nghị của cơ quan chuyên môn và hồ sơ kèm theo.",
    "Hồ sơ đã được kiểm tra, đối chiếu đầy đủ thành phần theo quy định.",
    "Người nộp hồ sơ chịu trách nhiệm trước pháp luật về tính chính xác của thông tin đã kê khai.",
    "Thời hạn giải quyết được tính theo ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ.",
    "Các cơ quan, đơn vị và cá nhân có liên quan chịu trách nhiệm thi hành văn bản này.",
    "Kết quả giải quyết được trả tại Bộ phận Một cửa hoặc qua dịch vụ bưu chính công ích.",
    "Văn bản này có hiệu lực kể từ ngày ký.",
    "Nơi nhận: như trên; lưu văn thư, hồ sơ.",
    "Đề nghị cơ quan có thẩm quyền xem xét, giải quyết theo quy định của pháp luật.",
)


# ---------------------------------------------------------------------------
# Dates.

def working_day(day):
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def add_working_days(day, n):
    # any seven days hold five working days; leave at least one day to step
    # so that the result is a working day
    weeks = max(0, (n - 1) // 5)
    day += datetime.timedelta(weeks=weeks)
    n -= 5 * weeks
    while n > 0:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def iso(day):
    return day.isoformat()


# ---------------------------------------------------------------------------
# Generation (pure: no database).

@dataclasses.dataclass
class RecordSpec:
    data: dict                  # RECORD_FIELDS for file_record
    label: str                  # heading shown on the page
    pages: int
    stamped: bool               # issued by an agency: a seal on the last page


@dataclasses.dataclass
class DossierSpec:
    index: int
    fonds_code: str
    heading: str                # notation heading abbreviation
    data: dict                  # DOSSIER_FIELDS + ONESTOP_FIELDS, without notation
    records: list
    close: bool
    address: str = ""           # the applicant's, shown on the scans
    town: str = ""              # place of issue, shown on the scans


class Generator:
    """Draws dossier specifications; the same (seed, index) always gives the
    same dossier.  Only the receipt serials depend on earlier dossiers (they
    grow within a unit and day), which keeps them unique within one run."""

    def __init__(self, seed, agencies_, from_year=FIRST_YEAR, to_year=LAST_DAY.year):
        self.seed = seed
        self.agencies = list(agencies_)
        self.from_year = from_year
        self.last_day = min(LAST_DAY, datetime.date(to_year, 12, 31))
        self.years = list(range(from_year, self.last_day.year + 1))
        self.receipts = {}          # (agency, day) as one int -> last daily serial
        self.positions = {a.code: i for i, a in enumerate(self.agencies)}
        self.cum_weights = list(itertools.accumulate(a.weight for a in self.agencies))
        self._block = (None, None)
        self._staff = {}
        self.districts = districts()
        self.by_scope = {scope: [p for p in PROCEDURES if scope in p.scopes]
                         for scope in ("province", "district", "commune")}

    def rng(self, *parts):
        return random.Random(":".join(str(p) for p in (self.seed,) + parts))

    def name_style(self, index):
        block = index // STYLE_BLOCK
        if self._block[0] != block:
            styles = list(NAME_STYLES)
            self.rng("names", block).shuffle(styles)
            self._block = (block, styles)
        return self._block[1][index % STYLE_BLOCK]

    def staff(self, agency, year):
        """The agency's leaders and clerks of a five-year term (stable per seed)."""
        key = (agency.code, year // 5)
        if key not in self._staff:
            rng = self.rng("staff", *key)
            self._staff[key] = {role: person(rng)[0] for role in
                                ("head", "deputy", "clerk", "dept", "doctor", "province")}
        return self._staff[key]

    def received_day(self, rng, first_year):
        years = [y for y in self.years if y >= first_year] or [self.last_day.year]
        # more dossiers in later years; 2025 only until 30 June
        weights = [(6 + y - FIRST_YEAR) * (0.5 if y == LAST_DAY.year else 1) for y in years]
        year = rng.choices(years, weights)[0]
        end = min(datetime.date(year, 12, 31), self.last_day)
        start = datetime.date(year, 1, 1)
        day = start + datetime.timedelta(days=rng.randrange((end - start).days + 1))
        day = working_day(day)
        while day > self.last_day:
            day -= datetime.timedelta(days=1)
        return day

    def dossier(self, index):
        rng = self.rng(index)
        agency = rng.choices(self.agencies, cum_weights=self.cum_weights)[0]
        procs = self.by_scope[agency.scope]
        proc = rng.choices(procs, [p.weight for p in procs])[0]
        district = agency.district or rng.choice(self.districts)
        commune = agency.commune or rng.choice(district.communes)
        received = self.received_day(rng, district.first_year)
        style = self.name_style(index)
        apostrophe = curly if rng.random() < 0.5 else (lambda s: s)

        # the applicant
        kind = proc.applicant
        if kind == "either":
            kind = "organisation" if rng.random() < 0.4 else "citizen"
        born = received.year - rng.randint(18, 75)
        if kind == "association":
            template = rng.choice(("Hội {x} tỉnh Đắk Nông", "Hội {x} huyện " + district.name))
            canonical = template.format(x=rng.choice(ORG_KINDS[3][1]))
            applicant, applicant_id, applicant_kind = canonical, tax_code(rng), "organisation"
        elif kind == "organisation":  # a business, a cooperative or a school
            canonical = organisation(rng, BUSINESS_KINDS)
            applicant, applicant_id, applicant_kind = canonical, tax_code(rng), "organisation"
        elif kind in ("public", "anybody"):  # an agency (or, for awards, any organisation)
            canonical = rng.choice(PUBLIC_BODIES) if kind == "public" or rng.random() < 0.4 \
                else organisation(rng)
            applicant, applicant_id, applicant_kind = canonical, tax_code(rng), "organisation"
        else:
            canonical, female = person(rng)
            applicant_id, applicant_kind = citizen_id(rng, born, female), "citizen"
        applicant = apostrophe(write_name(canonical, style))
        other = person(rng)[0]
        family = canonical.split()[0]
        if proc.code == "1.001193" and family in FAMILY_NAMES and other.split()[0] in FAMILY_NAMES:
            other = family + " " + other.split(" ", 1)[1]  # the child takes the family name
        district_full = district.full(received)
        place = apostrophe(f"{commune}, {district_full}")
        if rng.random() < 0.04:  # the spelling variant Đăk of Đắk
            place = place.replace("Đắk", "Đăk")
        plot = f"thửa đất số {rng.randint(1, 900)}, tờ bản đồ số {rng.randint(1, 80)}"
        subst = {
            "applicant": applicant, "person": other, "place": place, "commune": commune,
            "district": district.name, "plot": plot, "year": received.year,
            "business": rng.choice(BUSINESSES), "unitname": rng.choice(NEW_UNITS),
        }

        # dates and status: recent dossiers may still be in progress
        due = add_working_days(received, proc.days)
        outcome = rng.random()
        if (self.last_day - received).days < 45 and outcome < 0.6:
            status = rng.choice(("received", "processing", "processing", "supplement", "payment", "done"))
        elif outcome < 0.03:
            status = "rejected"
        elif outcome < 0.045:
            status = "withdrawn"
        else:
            status = "returned"
        returned = None
        if status in ("returned", "rejected", "withdrawn"):
            shift = rng.randint(1, 10) if rng.random() < 0.12 else -rng.randint(0, proc.days // 2)
            returned = add_working_days(received, max(0, proc.days + shift))
            if returned > self.last_day:
                returned, status = None, "done"
        # the last day anything happened (the result of a "done" dossier waits)
        last = returned or max(received, min(due, self.last_day))

        # access and secrecy
        access = "01"
        draw = rng.random()
        if draw < proc.secret or draw > 0.985:
            access = "03"
        elif draw < proc.secret + proc.personal or draw > 0.95:
            access = "02"

        staff = self.staff(agency, received.year)
        unit = agency.unit(received)
        dept = proc.dept.format(d=district.full(received)) if agency.scope == "district" else (
            proc.dept if agency.scope == "province" else "Công chức Tư pháp - Hộ tịch")
        dept_abbr = proc.dept_abbr if agency.scope != "commune" else "TP"

        # provenance: older paper dossiers were digitised
        year = received.year
        if year < 2016:
            provenance = "02"
        elif year < 2021:
            provenance = rng.choice(("02", "03"))
        else:
            provenance = rng.choice(("01", "01", "03"))

        # documents
        templates = [RECEIPT, PROXY] + [d for d in proc.docs if d.phase == "in"]
        templates += [CONTROL, SUPPLEMENT] + [d for d in proc.docs if d.phase == "work"]
        if status == "rejected":
            templates.append(REJECTION)
        elif status in ("returned", "done"):
            templates += [d for d in proc.docs if d.phase == "out"]
        records = []
        for tpl in templates:
            if tpl.p < 1 and rng.random() >= tpl.p:
                continue
            if provenance == "03":  # mixed: paper submitted, born-digital answers
                doc_provenance = "02" if tpl.phase == "in" else "01"
            else:
                doc_provenance = provenance
            if tpl.phase == "in":
                day = received - datetime.timedelta(days=rng.randint(0, 5)) if tpl is not RECEIPT else received
            elif tpl.phase == "work":
                span = max(0, (last - received).days)
                day = received + datetime.timedelta(days=rng.randint(0, span))
            else:
                day = last
            issuer, position = self.issuer(tpl.issuer, agency, received, staff, applicant, canonical,
                                           dept, district, commune)
            number, notation = "", ""
            if tpl.notation is not None:
                number = str(rng.randint(1, 20 + day.timetuple().tm_yday * 3))
                notation = tpl.notation.format(U=agency.abbr, D=dept_abbr)
                if tpl.issuer == "applicant" and not notation:
                    number = ""
            secrecy = "none"
            if access == "03" and tpl.phase == "work" and tpl in proc.docs and rng.random() < 0.7:
                secrecy = "mat"
            data = {
                "doc_type": tpl.doc_type,
                "number": number,
                "notation": notation,
                "issued_date": iso(day),
                "issuer": issuer,
                "subject": tpl.subject.format(receipt="{receipt}", **subst),
                "signer": position,
                "secrecy": secrecy,
                "provenance": doc_provenance,
                "urgency": "khan" if rng.random() < 0.03 else "none",
                "notes": "Văn bản mẫu – dữ liệu tổng hợp, không có thật (synthetic sample data).",
            }
            if rng.random() < 0.05:
                data["autograph"] = "Có bút phê của lãnh đạo ở góc trên trang đầu."
            stamped = tpl.issuer != "applicant" and tpl.notation is not None
            records.append(RecordSpec(data, tpl.label, rng.randint(*tpl.pages), stamped))
        records.sort(key=lambda r: r.data["issued_date"])

        # receipt code: unit code + -YYMMDD- + daily serial (kept unique in one run)
        key = self.positions[agency.code] * 1_000_000 + received.toordinal()
        serial = self.receipts.get(key, 0) + rng.randint(1, 12)
        self.receipts[key] = serial
        receipt = f"{agency.organ_id}-{received:%y%m%d}-{serial:04d}"
        for r in records:
            r.data["subject"] = r.data["subject"].replace("{receipt}", receipt)

        channel = "in-person"
        if year >= 2016 and rng.random() < min(0.6, (year - 2015) * 0.07):
            channel = "online"
        elif rng.random() < 0.06:
            channel = "postal"

        dates = [r.data["issued_date"] for r in records]
        start_date, end_date = min(dates), max(dates)
        if provenance == "02" and year < 2010 and rng.random() < 0.25:
            start_date, end_date = start_date[:7], end_date[:7]  # only MM/YYYY legible
        retention = weighted(rng, proc.retention)
        retention = retention if retention == "permanent" else int(retention)
        title = proc.title.format(**subst)
        if rng.random() < 0.05:
            title = nfd(title)
        if rng.random() < 0.1:
            title = old_tones(title)
        notes = (f"DỮ LIỆU MẪU (synthetic sample data) do archive-sample tạo, seed {self.seed}, "
                 f"số {index}: không phải hồ sơ thật. Họ tên, số định danh, mã hồ sơ TTHC và mã định "
                 f"danh cơ quan H17 là giả định"
                 + ("." if proc.real else f"; mã thủ tục {proc.code} là mã giả định (mã thật duy nhất "
                                          f"trong dữ liệu mẫu là 1.001193)."))
        data = {
            "year": year,
            "title": title,
            "retention": retention,
            "retention_note": "Dữ liệu mẫu: thời hạn chọn theo loại thủ tục, không phải căn cứ pháp lý.",
            "access": access,
            "language": ("vi",),
            "start_date": start_date,
            "end_date": end_date,
            "creator": staff["clerk"],
            "keywords": f"{proc.field}, {proc.name}, {district.name}",
            "physical_state": rng.choice(("01", "01", "02", "03" if year < 2012 else "02"))
            if provenance != "01" else "01",
            "provenance": provenance,
            "paper_file_code": (f"LTCQ.K{rng.randint(1, 3)}/G{rng.randint(1, 40):02d}/"
                                f"H{rng.randint(1, 400):03d}.{rng.randint(1, 20):02d}")
            if provenance != "01" else "",
            "sheet_total": sum(r.pages for r in records) if provenance != "01" else None,
            "backup_required": retention == "permanent",
            "backup_done": retention == "permanent" and rng.random() < 0.6,
            "notes": notes,
            "procedure_code": proc.code,
            "procedure_name": proc.name,
            "receipt_code": receipt,
            "applicant_name": applicant,
            "applicant_kind": applicant_kind,
            "applicant_id": applicant_id,
            "field_name": proc.field,
            "received_date": iso(received),
            "due_date": iso(due),
            "returned_date": iso(returned) if returned else None,
            "channel": channel,
            "handling_unit": dept if agency.scope != "commune" else unit,
            "status": status,
            "district": apostrophe(district_full),
        }
        close = (status in ("returned", "rejected", "withdrawn") and year <= LAST_DAY.year - 2
                 and rng.random() < 0.2)
        town = district.name if agency.scope != "province" else PROVINCE
        return DossierSpec(index, agency.code, proc.heading, data, records, close,
                           address=f"{commune}, {district_full}, tỉnh {PROVINCE}", town=town)

    @staticmethod
    def issuer(kind, agency, day, staff, applicant, canonical, dept, district, commune):
        """(issuer, signer: position and name)"""
        if kind == "applicant":
            return canonical[:200], applicant
        if kind == "dept":
            return dept, f"Trưởng phòng {staff['dept']}"
        if kind == "hospital":
            return f"Trung tâm Y tế {district.full(day)}", f"Giám đốc {staff['doctor']}"
        if kind == "commune":
            return f"UBND {commune}", f"Chủ tịch {staff['deputy']}"
        if kind == "province":
            return "UBND tỉnh Đắk Nông", f"KT. Chủ tịch – Phó Chủ tịch {staff['province']}"
        if agency.scope == "province":
            return agency.unit(day), f"Giám đốc {staff['head']}"
        return agency.unit(day), f"KT. Chủ tịch – Phó Chủ tịch {staff['deputy']}"


# ---------------------------------------------------------------------------
# Scans (Pillow).

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
DPI = 150
PAGE = (1240, 1754)   # A4 at 150 dpi
MARGIN = 110


class Renderer:
    """Renders a document's pages as a scanner would deliver them."""

    def __init__(self, seed):
        from PIL import ImageFont

        self.seed = seed

        def load(path, size):
            for candidate in (path, FONT):
                if os.path.exists(candidate):
                    return ImageFont.truetype(candidate, size)
            # no DejaVu: Pillow's own font (Vietnamese may show as boxes)
            try:
                return ImageFont.load_default(size)
            except TypeError:
                return ImageFont.load_default()

        self.small = load(FONT, 22)
        self.body = load(FONT, 28)
        self.bold = load(FONT_BOLD, 34)
        self.header = load(FONT_BOLD, 24)

    def wrap(self, text, font, width):
        lines, line = [], ""
        for word in text.split():
            candidate = f"{line} {word}".strip()
            if line and font.getlength(candidate) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        if line:
            lines.append(line)
        return lines

    def pages(self, spec, record, file_code):
        """PIL images of the record's pages (text in NFC: Pillow does not
        compose decomposed marks itself)."""
        from PIL import Image, ImageDraw

        n = lambda s: unicodedata.normalize("NFC", str(s))  # noqa: E731
        rng = random.Random(f"{self.seed}:{spec.index}:{record.data['issued_date']}:{record.label}:scan")
        data, dossier = record.data, spec.data
        issued = datetime.date.fromisoformat(data["issued_date"])
        width = PAGE[0] - 2 * MARGIN
        images = []
        for page in range(1, record.pages + 1):
            image = Image.new("RGB", PAGE, (250, 250, 247))
            draw = ImageDraw.Draw(image)
            y = 60
            draw.text((MARGIN, y), "DỮ LIỆU MẪU – KHÔNG PHẢI VĂN BẢN THẬT", fill=(150, 150, 150),
                      font=self.small)
            y = 110
            if page == 1:
                draw.text((MARGIN, y), n(data["issuer"]).upper()[:40], fill="black", font=self.header)
                right = PAGE[0] - MARGIN
                for i, line in enumerate(("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")):
                    w = self.header.getlength(line)
                    draw.text((right - w, y + i * 36), line, fill="black", font=self.header)
                y += 100
                if data["number"]:
                    number = f"Số: {data['number']}/{data['notation']}" if data["notation"] \
                        else f"Số: {data['number']}"
                    draw.text((MARGIN, y), n(number), fill="black", font=self.body)
                dated = f"{spec.town}, ngày {issued.day} tháng {issued.month} " \
                        f"năm {issued.year}"
                w = self.body.getlength(n(dated))
                draw.text((PAGE[0] - MARGIN - w, y), n(dated), fill="black", font=self.body)
                y += 90
                for line in self.wrap(n(record.label).upper(), self.bold, width):
                    w = self.bold.getlength(line)
                    draw.text(((PAGE[0] - w) / 2, y), line, fill="black", font=self.bold)
                    y += 48
                y += 20
                lines = [f"Về việc: {data['subject']}", "",
                         f"Người nộp hồ sơ: {dossier['applicant_name']}",
                         f"Số định danh: {dossier['applicant_id']}",
                         f"Địa chỉ: {spec.address}",
                         f"Thủ tục: {dossier['procedure_code']} – {dossier['procedure_name']}",
                         f"Mã hồ sơ TTHC: {dossier['receipt_code']}",
                         f"Mã hồ sơ lưu trữ: {file_code}", ""]
            else:
                lines = [f"(tiếp theo trang {page - 1}) {data['subject']}", ""]
            lines += rng.sample(FILLER, 4)
            for text in lines:
                for line in self.wrap(n(text), self.body, width) or [""]:
                    draw.text((MARGIN, y), line, fill=(20, 20, 20), font=self.body)
                    y += 40
            if page == record.pages and data["signer"]:
                y = max(y + 40, PAGE[1] - 420)
                x = PAGE[0] // 2 + 40
                if record.stamped:  # the seal, over the left of the signature
                    cx, cy = x - 10, y + 60
                    draw.ellipse((cx - 90, cy - 90, cx + 90, cy + 90), outline=(200, 30, 30), width=5)
                for line in self.wrap(n(data["signer"]), self.body, PAGE[0] - MARGIN - x):
                    draw.text((x, y), line, fill="black", font=self.body)
                    y += 40
            footer = f"Trang {page}/{record.pages}"
            w = self.small.getlength(footer)
            draw.text(((PAGE[0] - w) / 2, PAGE[1] - 80), footer, fill=(60, 60, 60), font=self.small)
            images.append(image)
        return images

    def render(self, spec, record, file_code):
        """(file name, bytes): a PNG for one page, a PDF for several."""
        images = self.pages(spec, record, file_code)
        out = io.BytesIO()
        stem = f"{record.label} {record.data['number']}".strip()
        issued = datetime.datetime.fromisoformat(record.data["issued_date"])
        if len(images) == 1:
            from PIL.PngImagePlugin import PngInfo

            info = PngInfo()
            info.add_itxt("Description", "Dữ liệu mẫu (synthetic sample scan)")
            info.add_itxt("Title", unicodedata.normalize("NFC", record.data["subject"]))
            images[0].save(out, "PNG", dpi=(DPI, DPI), pnginfo=info, compress_level=1)
            return f"{stem}.png", out.getvalue()
        images[0].save(out, "PDF", resolution=DPI, save_all=True, append_images=images[1:],
                       title=unicodedata.normalize("NFC", record.data["subject"]),
                       author=unicodedata.normalize("NFC", record.data["issuer"]),
                       subject="Dữ liệu mẫu (synthetic sample scan)", producer="archive-sample",
                       creationDate=issued.timetuple(), modDate=issued.timetuple())
        return f"{stem}.pdf", out.getvalue()


# ---------------------------------------------------------------------------
# Writing into the archive.

class Notations:
    """The next free notation serial per fonds and year.  The first use of a
    (fonds, year) reads the fonds' file codes of that year and continues after
    the highest serial, so runs with any seed add to an archive without a
    clash.  ``snapshot``/``restore`` undo a chunk whose transaction was retried."""

    def __init__(self):
        self.next = {}

    def snapshot(self):
        return dict(self.next)

    def restore(self, state):
        self.next = state

    def take(self, fonds, organ_id, year, heading):
        key = (fonds.code, organ_id, year)
        if key not in self.next:
            prefix = f"{organ_id}.{year}."
            highest = 0
            for code in fonds.file_codes.keys(prefix, prefix + "\uffff"):
                match = re.match(r"(\d+)", code[len(prefix):])
                if match:
                    highest = max(highest, int(match.group(1)))
            self.next[key] = highest + 1
        while True:
            serial = self.next[key]
            self.next[key] = serial + 1
            notation = f"{serial:04d}.{heading}"
            if f"{organ_id}.{year}.{notation}" not in fonds.file_codes:
                return notation


@dataclasses.dataclass
class Totals:
    fonds: int = 0
    fonds_reused: int = 0
    dossiers: int = 0
    records: int = 0
    closed: int = 0
    files: int = 0
    bytes: int = 0
    withheld: int = 0          # secret documents: metadata only

    def add(self, other):
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def ensure_fonds(env, chosen):
    """Create the sample fonds that are missing; refuse to add to a fonds with
    a sample code that is not sample data."""
    totals = Totals()

    def work(root):
        totals.fonds = totals.fonds_reused = 0
        container = root["fonds"]
        for agency in chosen:
            existing = container.get(agency.code)
            if existing is None:
                create_fonds(root, env.registry, env.actor, agency.code, agency.name, agency.organ_id,
                             synthetic=True)
                totals.fonds += 1
            elif SAMPLE_MARK not in existing.name:
                raise SystemExit(f"archive-sample: fonds {agency.code} exists and is not sample data "
                                 f"(its name lacks \"{SAMPLE_MARK}\"); refusing to add synthetic dossiers")
            else:
                totals.fonds_reused += 1

    env.run(work)
    return totals


def write_chunk(env, specs, notations, renderer, settings, progress):
    """Create the dossiers of ``specs`` in one transaction (retried)."""
    registry, actor = env.registry, env.actor
    max_size = int(settings.get("archive.max_upload", 2 * 1024 ** 3))
    tmpdir = settings.get("archive.upload_tmp") or os.path.join(settings.get("archive.var", "var"), "tmp")
    refuse = refuses_classified(settings)
    state = notations.snapshot()
    start = progress.n
    for attempt in env.attempts():
        with attempt:
            notations.restore(dict(state))
            progress.n = start
            totals = Totals()
            container = env.root["fonds"]
            for spec in specs:
                fonds = container[spec.fonds_code]
                organ_id = fonds.organ_id
                data = dict(spec.data)
                data["notation"] = notations.take(fonds, organ_id, data["year"], spec.heading)
                dossier = create_dossier(fonds, registry, actor, data, synthetic=True)
                for record in spec.records:
                    uploads = []
                    secret = record.data.get("secrecy", "none") != "none"
                    if renderer is not None and secret and refuse:
                        totals.withheld += 1
                    elif renderer is not None:
                        name, content = renderer.render(spec, record, dossier.file_code)
                        uploads.append(spool_upload(io.BytesIO(content), name, max_size, tmpdir,
                                                    expected_size=len(content)))
                        totals.files += 1
                        totals.bytes += len(content)
                    try:
                        file_record(dossier, registry, actor, record.data, uploads, refuse_classified=refuse)
                    except BaseException:
                        for spooled in uploads:
                            spooled.discard()
                        raise
                    totals.records += 1
                if spec.close:
                    close_dossier(dossier, registry, actor)
                    totals.closed += 1
                totals.dossiers += 1
                progress.update(1)
    env.conn.cacheMinimize()
    return totals


def build_parser():
    p = parser("Fill the archive with realistic synthetic sample data: one-stop-shop (TTHC) "
               "dossiers of the agencies of Đắk Nông province (to 30 June 2025), each labelled "
               "synthetic. The same seed gives the same data.", "archive-sample")
    p.add_argument("--dossiers", type=int, required=True, metavar="N",
                   help="how many dossiers to create")
    p.add_argument("--seed", type=int, default=0, metavar="S",
                   help="random seed: the same seed gives the same data (default 0)")
    p.add_argument("--fonds", type=int, default=9, metavar="K",
                   help="number of fonds (agencies) to spread the dossiers over: 1 = the "
                        "Department of Home Affairs, 9 (default) = plus the 8 districts, up to "
                        f"{len(agencies())} = plus the communes; existing sample fonds are reused")
    p.add_argument("--scans", action="store_true",
                   help="attach rendered page scans to every document (PNG for one page, PDF for "
                        "several) through the real upload path; much slower")
    p.add_argument("--from-year", type=int, default=FIRST_YEAR, metavar="Y",
                   help=f"earliest year a dossier is received (default {FIRST_YEAR})")
    p.add_argument("--to-year", type=int, default=LAST_DAY.year, metavar="Y",
                   help=f"latest year (default and at most {LAST_DAY.year}: the province was merged "
                        "into Lâm Đồng on 1 July 2025)")
    p.add_argument("--chunk", type=int, default=None, metavar="C",
                   help="dossiers per transaction (default 250, 20 with --scans)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def main(argv=None, out=None):
    """Entry point of ``archive-sample``; returns the exit status."""
    from tqdm import tqdm

    out = out or sys.stdout
    p = build_parser()
    args = p.parse_args(argv)
    everything = agencies()
    if args.dossiers < 0:
        p.error("--dossiers must not be negative")
    if not 1 <= args.fonds <= len(everything):
        p.error(f"--fonds must be between 1 and {len(everything)}")
    if not FIRST_YEAR <= args.from_year <= args.to_year <= LAST_DAY.year:
        p.error(f"years must satisfy {FIRST_YEAR} <= --from-year <= --to-year <= {LAST_DAY.year}")
    chunk = args.chunk or (20 if args.scans else 250)
    if chunk < 1:
        p.error("--chunk must be at least 1")
    chosen = everything[:args.fonds]
    generator = Generator(args.seed, chosen, args.from_year, args.to_year)
    renderer = Renderer(args.seed) if args.scans else None

    started = time.monotonic()
    with script_env(args.config_uri, "archive-sample") as env:
        try:
            totals = ensure_fonds(env, chosen)
            notations = Notations()
            with tqdm(total=args.dossiers, unit="dossier", file=sys.stderr, disable=args.quiet,
                      mininterval=0.5, smoothing=0.05) as progress:
                for first in range(0, args.dossiers, chunk):
                    specs = [generator.dossier(i) for i in range(first, min(first + chunk, args.dossiers))]
                    totals.add(write_chunk(env, specs, notations, renderer, env.settings, progress))
        except ArchiveError as exc:
            print("archive-sample: " + describe_error(exc), file=sys.stderr)
            return 2
    elapsed = time.monotonic() - started
    rate = totals.dossiers / elapsed if elapsed > 0 else 0.0
    print(f"archive-sample (seed {args.seed}): {totals.fonds} fonds created, {totals.fonds_reused} reused; "
          f"{totals.dossiers} dossiers ({totals.closed} closed), {totals.records} records, "
          f"{totals.files} files ({totals.bytes / 1e6:.1f} MB"
          f"{f', {totals.withheld} secret documents without file' if totals.withheld else ''}) "
          f"in {elapsed:.1f} s: {rate:.0f} dossiers/s", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
