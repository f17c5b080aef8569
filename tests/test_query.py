"""The query builder (archive.search.query) against a real Whoosh index."""
import unicodedata

import pytest
from whoosh.index import create_in
from whoosh.query import Phrase

from archive.search.analysis import code_field_text, normalize
from archive.search.query import (
    Synonyms,
    build_query,
    highlight_terms,
    load_synonyms,
    parse_synonyms,
)
from archive.search.schema import make_schema

FILE_CODE = "000.00.17.H17.2024.01.TCCB"

# id: (text, codes)
DOCS = {
    # exact vs folded-only: same length, same words but đất / đạt
    "dat": ("Biên bản kiểm tra đất nông nghiệp tại xã Quảng Sơn", []),
    "dat2": ("Biên bản kiểm tra đạt chất lượng tại xã Quảng Sơn", []),
    # names with and without tone marks, tone placement, NFD
    "hoa": ("Đơn đề nghị cấp bản sao trích lục khai sinh của bà Trần Thị Hòa", []),
    "thuy": (unicodedata.normalize("NFD", "Hồ sơ hưởng chế độ hưu trí của ông Lê Văn Thuỷ"), []),
    "khoe": ("Giấy chứng nhận sức khoẻ của người lao động Phạm Quý Khánh", []),
    "minh": ("Hồ sơ đăng ký hộ kinh doanh ông Phạm Minh Tuấn, CCCD 067123456789",
             ["067123456789"]),
    "nguyen": ("Hồ sơ chuyển mục đích sử dụng đất của ông Nguyen Van An", []),
    # place names: apostrophes and Đắk / Đăk / Đắc
    "rlap": ("Báo cáo tổng kết công tác cải cách hành chính huyện Đắk R'lấp năm 2023", []),
    "rlap2": ("Kế hoạch phòng chống thiên tai huyện Đắk R’lấp giai đoạn 2024", []),
    "njang": ("Quyết định thành lập trường tiểu học xã Nâm N’Jang", []),
    "dakmil": ("Hồ sơ xây dựng trụ sở xã Đắk Mil", []),
    "dakmil2": ("Hồ sơ sửa chữa đường giao thông huyện Đăk Mil", []),
    "dacsong": ("Hồ sơ thanh tra dự án trồng rừng huyện Đắc Song", []),
    # phrases and pair boosts
    "qsdd": ("Tờ trình về việc giao quyền sử dụng đất cho hộ gia đình", []),
    "scatter": ("Sử dụng vốn ngân sách mua đất, giao quyền quản lý cho xã", []),
    "page": ("Trang 3: Căn cứ Luật Đất đai năm 2013 và hồ sơ địa chính lưu tại văn phòng "
             "đăng ký đất đai, Hội đồng thống nhất phương án bồi thường giải phóng mặt bằng", []),
    # synonyms
    "ubnd": ("Quyết định của UBND tỉnh về phân cấp quản lý biên chế", []),
    "uybannd": ("Công văn của Ủy ban nhân dân huyện Cư Jút về tuyển dụng viên chức", []),
    "sodo": ("Đơn xin cấp đổi sổ đỏ cho hộ bà Hoàng Thị Mai", []),
    "gcn": ("Cấp giấy chứng nhận quyền sử dụng đất lần đầu cho ông Vũ Văn Hùng", []),
    "cccd": ("Tờ khai cấp thẻ căn cước công dân cho công dân Đinh Thị Lan", []),
    "tthc": ("Báo cáo kết quả giải quyết TTHC quý I năm 2024", []),
    # codes
    "dossier": ("Hồ sơ tuyển dụng công chức năm 2024", [FILE_CODE, "000.00.17.H17"]),
    "record1": ("Kế hoạch tổ chức thi tuyển công chức", [FILE_CODE + ".0000001", "504/KH-UBND"]),
    "record2": ("Kế hoạch kiểm tra công vụ năm 2024, kèm Kế hoạch số 503/KH-UBND và Báo cáo 504",
                [FILE_CODE + ".0000002", "503/KH-UBND"]),
    "receipt": ("Đăng ký khai sinh cho cháu Nguyễn Gia Bảo",
                ["000.00.21.H17-240315-0012", "1.001193"]),
    "qd": ("Quyết định số 12/QĐ-UBND về việc khen thưởng", ["12/QĐ-UBND"]),
    # syllables that are English stop words when folded, one-letter syllables
    "the": ("Cấp lại thẻ bảo hiểm y tế bị hỏng", []),
    "y": ("Ý kiến của Sở Nội vụ về tổ chức bộ máy ở cấp xã", []),
}


@pytest.fixture(scope="module")
def ix(tmp_path_factory):
    path = tmp_path_factory.mktemp("query-index")
    index = create_in(str(path), make_schema())
    with index.writer() as writer:
        for key, (text, codes) in DOCS.items():
            writer.add_document(id=key, type="record", dossier_id="d1", fonds="SNV",
                                district=normalize("Đắk R’lấp"), date="2024-03-15",
                                title=text[:40], allow="role:administrator fonds:SNV:official",
                                codes=code_field_text(codes), exact=text, folded=text, pairs=text)
    yield index
    index.close()


@pytest.fixture(scope="module")
def searcher(ix):
    with ix.searcher() as s:
        yield s


def ranked(searcher, text, **kwargs):
    query = build_query(text, **kwargs)
    assert query is not None
    return [hit["id"] for hit in searcher.search(query, limit=None)]


def scores(searcher, text, **kwargs):
    query = build_query(text, **kwargs)
    return {hit["id"]: hit.score for hit in searcher.search(query, limit=None)}


def before(ids, first, second):
    assert first in ids and second in ids, ids
    return ids.index(first) < ids.index(second)


# ---------------------------------------------------------------- words


def test_empty_queries():
    assert build_query("") is None
    assert build_query("   ") is None
    assert build_query(" , ; / ") is None


@pytest.mark.parametrize("text, expected", [
    ("tran thi hoa", "hoa"),
    ("Trần Thị Hoà", "hoa"),
    ("Trần Thị Hòa", "hoa"),
    (unicodedata.normalize("NFD", "Trần Thị Hoà"), "hoa"),
    ("le van thuy", "thuy"),
    ("Lê Văn Thủy", "thuy"),
    ("suc khoe", "khoe"),
    ("sức khỏe", "khoe"),
    ("Phạm Qúy Khánh", "khoe"),
    ("nguyễn văn an", "nguyen"),
    ("Nam NJang", "njang"),
    ("nâm n'jang", "njang"),
    ("the bao hiem y te", "the"),
    ("y kien o cap xa", "y"),
    ("Ý kiến ở cấp xã", "y"),
])
def test_words_find_their_document_first(searcher, text, expected):
    assert ranked(searcher, text)[0] == expected


def test_every_word_is_required(searcher):
    assert ranked(searcher, "biên bản kiểm tra nông nghiệp") == ["dat"]
    assert set(ranked(searcher, "biên bản kiểm tra đất")) == {"dat", "dat2"}  # folded đạt
    assert ranked(searcher, "tran thi hoa khong co") == []


@pytest.mark.parametrize("text", ["Đắk R'lấp", "Đắk R’lấp", "dak rlap", "DAK R'LAP", "rlap",
                                  unicodedata.normalize("NFD", "Đắk R’lấp")])
def test_rlap_variants(searcher, text):
    assert set(ranked(searcher, text)) == {"rlap", "rlap2"}


def test_exact_accent_ranks_first_both_ways(searcher):
    assert ranked(searcher, "kiểm tra đất")[0] == "dat"
    assert ranked(searcher, "kiểm tra đạt")[0] == "dat2"
    assert before(ranked(searcher, "đất"), "dat", "dat2")
    assert before(ranked(searcher, "đạt"), "dat2", "dat")
    # typed without marks: both alike
    plain = scores(searcher, "kiem tra dat")
    assert plain["dat"] == pytest.approx(plain["dat2"])


def test_tone_placement_and_nfd_do_not_change_scores(searcher):
    base = scores(searcher, "Trần Thị Hòa")
    assert scores(searcher, "Trần Thị Hoà") == base
    assert scores(searcher, unicodedata.normalize("NFD", "Trần Thị Hoà")) == base
    assert set(ranked(searcher, "Đắk R’lấp", exact=True)) == {"rlap", "rlap2"}


def test_word_without_marks_in_an_accented_query_counts_as_exact(searcher):
    query = build_query("Lê Van")
    assert ("exact", "van") in query.all_terms()
    assert ("exact", "văn") not in query.all_terms()
    assert {t for t in build_query("le van").all_terms() if t[0] != "pairs"} == {
        ("folded", "le"), ("folded", "van")}


def test_exact_switch(searcher):
    assert ranked(searcher, "kiểm tra đất", exact=True) == ["dat"]
    assert ranked(searcher, "kiểm tra đạt", exact=True) == ["dat2"]
    assert ranked(searcher, "kiem tra dat", exact=True) == []
    # tone placement and NFD do not matter even then
    assert ranked(searcher, "Trần Thị Hoà", exact=True) == ["hoa"]
    assert ranked(searcher, unicodedata.normalize("NFD", "Lê Văn Thủy"), exact=True) == ["thuy"]
    assert all(field != "folded" for field, _ in build_query("đất đai", exact=True).all_terms())


# ---------------------------------------------------------------- phrases and pairs


def test_quoted_phrase_requires_adjacent_words(searcher):
    assert set(ranked(searcher, "sử dụng đất")) >= {"qsdd", "scatter", "nguyen", "gcn"}
    phrase = set(ranked(searcher, '"sử dụng đất"'))
    assert phrase == {"qsdd", "nguyen", "gcn"}
    assert set(ranked(searcher, "“su dung dat”")) == phrase
    assert set(ranked(searcher, '"đất sử dụng"')) == set()


def test_quoted_phrase_from_page_text(searcher):
    assert ranked(searcher, '"phuong an boi thuong giai phong mat bang"') == ["page"]
    assert ranked(searcher, '"văn phòng đăng ký đất đai" luật') == ["page"]


def test_adjacent_words_rank_higher(searcher):
    assert ranked(searcher, "quyền sử dụng đất giao")[0] == "qsdd"
    assert before(ranked(searcher, "giao quyen su dung dat"), "qsdd", "scatter")


def test_no_positional_phrase_queries():
    for text in ('"hồ sơ đất đai" Đắk Mil', "giấy chứng nhận quyền sử dụng đất", '"sổ đỏ"'):
        for exact in (False, True):
            query = build_query(text, exact=exact)
            assert not any(isinstance(q, Phrase) for q in query.leaves())
            assert not any(isinstance(q, Phrase) for q in _all_queries(query))


def _all_queries(query):
    yield query
    for child in query.children():
        yield from _all_queries(child)


# ---------------------------------------------------------------- codes


@pytest.mark.parametrize("text, expected", [
    (FILE_CODE, "dossier"),
    (FILE_CODE.lower(), "dossier"),
    ("hồ sơ " + FILE_CODE, "dossier"),
    (FILE_CODE + ".0000001", "record1"),
    ("000.00.17.H17", "dossier"),
    ("504/KH-UBND", "record1"),
    ("504/kh-ubnd", "record1"),
    ("504 / KH-UBND", "record1"),
    ("kế hoạch 504/KH-UBND", "record1"),
    ("067123456789", "minh"),
    ("CCCD 067123456789", "minh"),
    ("000.00.21.H17-240315-0012", "receipt"),
    ("1.001193", "receipt"),
    ("12/QĐ-UBND", "qd"),
    ("12/QD-UBND", "qd"),
])
def test_codes_find_their_document_first(searcher, text, expected):
    assert ranked(searcher, text)[0] == expected


def test_code_matches_even_when_words_do_not(searcher):
    # "thi tuyển" is not in record1's text, the code alone finds it
    assert ranked(searcher, "504/KH-UBND thi tuyen vien chuc")[0] == "record1"
    # 503/KH-UBND is in record2's text and codes, 504 only in its text
    assert ranked(searcher, "503/KH-UBND")[0] == "record2"


# ---------------------------------------------------------------- synonyms


def test_synonyms_abbreviation_finds_long_form_and_back(searcher):
    ids = ranked(searcher, "UBND")
    assert {"ubnd", "uybannd"} <= set(ids)
    assert ids[0] in ("ubnd", "record1", "record2", "qd")  # the typed form first
    assert ids.index("ubnd") < ids.index("uybannd")
    ids = ranked(searcher, "ủy ban nhân dân")
    assert ids[0] == "uybannd"
    assert "ubnd" in ids
    assert {"ubnd", "uybannd"} <= set(ranked(searcher, "uy ban nhan dan"))


def test_synonyms_three_way_group(searcher):
    for text in ("sổ đỏ", "GCN QSDĐ", "gcn qsdd", "giấy chứng nhận quyền sử dụng đất"):
        assert {"sodo", "gcn"} <= set(ranked(searcher, text)), text
    assert ranked(searcher, "so do")[0] == "sodo"
    assert ranked(searcher, "giấy chứng nhận quyền sử dụng đất")[0] == "gcn"


def test_synonyms_place_name_spellings(searcher):
    for text in ("Đắk Mil", "Đăk Mil", "dak mil", "Đắc Mil"):
        assert set(ranked(searcher, text)) == {"dakmil", "dakmil2"}, text
    assert set(ranked(searcher, "Đắk Song")) == {"dacsong"}
    assert set(ranked(searcher, "Đắk Song", exact=True)) == {"dacsong"}


def test_synonyms_other_groups(searcher):
    assert "cccd" in ranked(searcher, "CCCD Đinh Thị Lan")
    assert "tthc" in ranked(searcher, "thủ tục hành chính quý I")


def test_quoted_phrase_expands_only_as_a_whole_alternative(searcher):
    assert {"ubnd", "uybannd"} <= set(ranked(searcher, '"ủy ban nhân dân"'))
    assert set(ranked(searcher, '"ủy ban nhân dân huyện"')) == {"uybannd"}


def test_synonyms_can_be_disabled_or_replaced(searcher, tmp_path):
    assert "uybannd" not in ranked(searcher, "UBND", synonyms=Synonyms())
    path = tmp_path / "syn.txt"
    path.write_text("# test\n\nthẻ | căn cước   # comment\nđơn độc\n", encoding="utf-8")
    custom = load_synonyms(str(path))
    assert len(custom) == 1
    assert {"the", "cccd"} <= set(ranked(searcher, "the", synonyms=custom))


def test_default_synonym_file():
    synonyms = load_synonyms()
    assert synonyms is load_synonyms()
    folded = [alternatives for alternatives in synonyms.groups]
    flat = {" ".join(f) for group in folded for _e, f in group}
    for expected in ("dak", "dac", "ubnd", "uy ban nhan dan", "hdnd", "hoi dong nhan dan",
                     "gcn qsdd", "giay chung nhan quyen su dung dat", "so do", "cccd",
                     "can cuoc cong dan", "cmnd", "chung minh nhan dan", "tthc",
                     "thu tuc hanh chinh"):
        assert expected in flat
    assert "giay khai sinh" not in flat
    assert len(parse_synonyms(["a | b", "# c | d", "e"])) == 1


# ---------------------------------------------------------------- highlighting


def test_highlight_terms_cover_every_field():
    terms = highlight_terms(build_query("Đất đai", exact=True))
    assert {"dat", "dai"} <= terms
    terms = highlight_terms(build_query("UBND 504/KH-UBND"))
    assert {"ubnd", "uy", "ban", "nhan", "dan", "504", "kh"} <= terms
    assert highlight_terms(None) == frozenset()


def test_search_with_filter_on_allow_and_facet(searcher):
    from whoosh.query import And, Term

    query = build_query("dak rlap")
    restrict = And([Term("allow", "fonds:SNV:official"), Term("district", normalize("Đắk R'lấp"))])
    assert {h["id"] for h in searcher.search(query, filter=restrict)} == {"rlap", "rlap2"}
    # allow is case-sensitive (NB: len(results) of a search whose filter matches no
    # document at all counts unfiltered matches in Whoosh; iterate the hits)
    assert [h["id"] for h in searcher.search(query, filter=Term("allow", "fonds:snv:official"))] == []
