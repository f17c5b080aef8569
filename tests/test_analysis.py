"""Vietnamese text analysis (archive.search.analysis) and the index schema."""
import pickle
import unicodedata

import pytest
from whoosh import highlight
from whoosh.analysis import StandardAnalyzer
from whoosh.index import create_in, open_dir
from whoosh.query import Term

from archive.search.analysis import (
    canonical_code,
    code_field_text,
    code_terms,
    exact_analyzer,
    fold,
    folded_analyzer,
    normalize,
    pairs_analyzer,
)
from archive.search.query import highlight_terms
from archive.search.schema import make_schema


def nfd(text):
    return unicodedata.normalize("NFD", text)


def texts(analyzer, text, **kwargs):
    return [t.text for t in analyzer(text, **kwargs)]


# ---------------------------------------------------------------- normalize


@pytest.mark.parametrize("variant, canonical", [
    ("hoà", "hòa"),
    ("hòa", "hòa"),
    ("thuỷ", "thủy"),
    ("Uỷ", "Ủy"),
    ("khoẻ", "khỏe"),
    ("qúy", "quý"),
    ("quý", "quý"),
    ("Thuý", "Thúy"),
    ("gìa", "già"),
    ("ngoaì", "ngoài"),
    ("khuyủ", "khuỷu"),
    ("HOÀ BÌNH", "HÒA BÌNH"),
    ("Hoàng", "Hoàng"),
    ("huỳnh", "huỳnh"),
    ("người", "người"),
    ("giữa", "giữa"),
    ("thuở", "thuở"),
    ("quyết", "quyết"),
    ("Nguyễn", "Nguyễn"),
    ("tuổi", "tuổi"),
    ("mía", "mía"),
])
def test_normalize_canonical_tone_placement(variant, canonical):
    assert normalize(variant) == normalize(canonical) == canonical
    assert normalize(nfd(variant)) == canonical


def test_normalize_rule_applies_to_every_syllable():
    # tone misplaced on the second vowel of a 2-vowel open syllable, in running text
    assert normalize("Uỷ ban nhân dân xã Hoà Thuận, ông Nguyễn Văn Thuỷ khoẻ") == \
        "Ủy ban nhân dân xã Hòa Thuận, ông Nguyễn Văn Thủy khỏe"
    # syllables with a final consonant take the mark on the last vowel
    assert normalize("hòan thành, hoạch định") == "hoàn thành, hoạch định"
    # words that are not one Vietnamese syllable keep their marks
    assert normalize("José Café") == "José Café"


def test_normalize_keeps_case_and_unifies_apostrophes():
    for variant in ("Đắk R’lấp", "Đắk R‘lấp", "Đắk Rʼlấp", "Đắk R`lấp", "Đắk R´lấp", nfd("Đắk R'lấp")):
        assert normalize(variant) == "Đắk R'lấp"
    assert normalize("ASCII only") == "ASCII only"
    assert unicodedata.is_normalized("NFC", normalize(nfd("Tuy Đức, Krông Nô")))


# ---------------------------------------------------------------- fold


@pytest.mark.parametrize("text, folded", [
    ("Đắk R’lấp", "dak rlap"),
    ("Nâm N'Jang", "nam njang"),
    ("ỦY BAN NHÂN DÂN", "uy ban nhan dan"),
    ("ơ ư ă â ê ô đ Đ", "o u a a e o d d"),
    ("hoà / hòa", "hoa / hoa"),
    ("thẻ cản tờ máy", "the can to may"),
    ("Ý kiến ở đây", "y kien o day"),
    ("504/QĐ-UBND", "504/qd-ubnd"),
    ("‘trích dẫn’", "'trich dan'"),
])
def test_fold(text, folded):
    assert fold(text) == folded
    assert fold(nfd(text)) == folded


# ---------------------------------------------------------------- analyzers

SAMPLE = ("Ủy ban nhân dân huyện Đắk R’lấp cấp lại thẻ bảo hiểm y tế cho bà Lê Thị Hoà, "
          "CCCD 067123456789, theo Công văn số 504/KH-UBND; ý kiến ở trang 2.")


def test_exact_tokens():
    assert texts(exact_analyzer(), SAMPLE) == [
        "ủy", "ban", "nhân", "dân", "huyện", "đắk", "r'lấp", "cấp", "lại", "thẻ", "bảo",
        "hiểm", "y", "tế", "cho", "bà", "lê", "thị", "hòa", "cccd", "067123456789",
        "theo", "công", "văn", "số", "504", "kh", "ubnd", "ý", "kiến", "ở", "trang", "2"]


def test_folded_tokens():
    assert texts(folded_analyzer(), SAMPLE) == [
        "uy", "ban", "nhan", "dan", "huyen", "dak", "rlap", "cap", "lai", "the", "bao",
        "hiem", "y", "te", "cho", "ba", "le", "thi", "hoa", "cccd", "067123456789",
        "theo", "cong", "van", "so", "504", "kh", "ubnd", "y", "kien", "o", "trang", "2"]


def test_pairs_tokens():
    assert texts(pairs_analyzer(), "hồ sơ đất đai") == ["ho_so", "so_dat", "dat_dai"]
    assert texts(pairs_analyzer(), "Đắk R'lấp") == ["dak_rlap"]
    assert texts(pairs_analyzer(), "một") == []
    assert texts(pairs_analyzer(), "") == []
    # "_" is the joiner: never inside a token
    assert texts(pairs_analyzer(), "a_b c") == ["a_b", "b_c"]
    assert texts(folded_analyzer(), "tên_tệp") == ["ten", "tep"]


@pytest.mark.parametrize("make", [exact_analyzer, folded_analyzer, pairs_analyzer])
def test_nfd_analyses_like_nfc(make):
    analyzer = make()
    nfc_text = unicodedata.normalize("NFC", SAMPLE + " Thuỷ Hoà khoẻ Nguyễn Trường Tộ")
    one = [(t.text, t.pos) for t in analyzer(nfc_text, positions=True)]
    two = [(t.text, t.pos) for t in analyzer(nfd(nfc_text), positions=True)]
    assert one == two
    assert len(one) > 30


@pytest.mark.parametrize("make", [exact_analyzer, folded_analyzer, pairs_analyzer])
@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_chars_index_the_original_text(make, form):
    text = unicodedata.normalize(form, "  Bà Lê Thị Hoà (Đắk R’lấp) — CCCD 067123456789. ")
    toks = [(t.text, t.startchar, t.endchar, t.pos)
            for t in make()(text, chars=True, positions=True, start_pos=0, start_char=0)]
    assert toks
    fold_tokens = folded_analyzer()
    for tokentext, start, end, _pos in toks:
        original = text[start:end]
        # the slice of the original text analyses back to the token itself
        if make is pairs_analyzer:
            assert "_".join(texts(fold_tokens, original)) == tokentext
        else:
            assert texts(make(), original) == [tokentext]
    assert [pos for *_ignored, pos in toks] == list(range(len(toks)))


def test_start_char_and_start_pos_offsets():
    toks = [(t.text, t.startchar, t.endchar, t.pos)
            for t in folded_analyzer()("Đất đai", chars=True, positions=True,
                                       start_char=10, start_pos=5)]
    assert toks == [("dat", 10, 13, 5), ("dai", 14, 17, 6)]


def test_no_stop_words_and_one_letter_syllables_kept():
    words = texts(folded_analyzer(), "The can to may a in of ở Ý y ạ", removestops=True)
    assert words == ["the", "can", "to", "may", "a", "in", "of", "o", "y", "y", "a"]
    # what Whoosh's standard analyzer would have done to the folded syllables
    assert texts(StandardAnalyzer(), "the can to may a") == []


def test_numbers_are_single_tokens():
    assert texts(folded_analyzer(), "CCCD số 067123456789, MST 0101234567") == [
        "cccd", "so", "067123456789", "mst", "0101234567"]


def test_apostrophe_tokens():
    for variant in ("R'lấp", "R’lấp", "Rʼlấp", nfd("R’lấp")):
        assert texts(exact_analyzer(), variant) == ["r'lấp"]
        assert texts(folded_analyzer(), variant) == ["rlap"]
    assert texts(folded_analyzer(), "rlap") == ["rlap"]
    assert texts(folded_analyzer(), "Nâm N’Jang") == ["nam", "njang"]
    # a quotation mark is not an in-word apostrophe
    assert texts(folded_analyzer(), "'Gia Nghĩa'") == ["gia", "nghia"]


def test_analyzers_pickle():
    for make in (exact_analyzer, folded_analyzer, pairs_analyzer):
        analyzer = pickle.loads(pickle.dumps(make()))
        assert analyzer == make()
        assert texts(analyzer, "Hoà") == texts(make(), "Hòa")


def test_tokenize_false_gives_one_token():
    assert texts(folded_analyzer(), "Đắk Mil", tokenize=False) == ["dak mil"]


# ---------------------------------------------------------------- codes


@pytest.mark.parametrize("query, term", [
    ("000.00.17.H17.2024.01.TCCB", "000.00.17.h17.2024.01.tccb"),
    ("hồ sơ 000.00.17.H17.2024.01.TCCB.", "000.00.17.h17.2024.01.tccb"),
    ("000.00.17.H17.2024.01.TCCB.0000001", "000.00.17.h17.2024.01.tccb.0000001"),
    ("000.00.17.H17", "000.00.17.h17"),
    ("H17.1.2", "h17.1.2"),
    ("thủ tục 1.001193", "1.001193"),
    ("000.00.21.H17-240315-0012", "000.00.21.h17-240315-0012"),
    ("504/KH-UBND", "504/kh-ubnd"),
    ("504/kh-ubnd", "504/kh-ubnd"),
    ("Công văn 504 / KH-UBND ngày", "504/kh-ubnd"),
    ("Quyết định 12/QĐ-UBND", "12/qd-ubnd"),
    ("12/QD-UBND", "12/qd-ubnd"),
    ("CCCD 067123456789", "067123456789"),
    ("CMND 245123456", "245123456"),
    ("MST 0101234567", "0101234567"),
])
def test_code_terms(query, term):
    assert term in code_terms(query)


def test_code_terms_ignores_plain_words_and_short_numbers():
    assert code_terms("hồ sơ đất đai năm 2024 trang 12 H17") == []
    assert code_terms("") == []


def test_code_field_text_matches_code_terms():
    codes = ["000.00.17.H17.2024.01.TCCB", "000.00.17.H17.2024.01.TCCB.0000003", "504/KH-UBND",
             "000.00.21.H17-240315-0012", "1.001193", "067123456789", "0101234567", None, ""]
    indexed = set(code_field_text(codes).split())
    for code in codes:
        if code:
            assert set(code_terms(code)) <= indexed
            assert canonical_code(code) in indexed
    for typed in ("504 / kh-ubnd", "Số 504/KH-UBND.", "000.00.17.h17.2024.01.tccb"):
        assert set(code_terms(typed)) <= indexed
    assert code_field_text(["Phiếu ABC"]) == ""  # a free text with spaces is no code


# ---------------------------------------------------------------- in a Whoosh index


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    path = tmp_path_factory.mktemp("analysis-index")
    ix = create_in(str(path), make_schema())
    docs = {
        "the": "Cấp lại thẻ bảo hiểm y tế cho bà Lê Thị Hoà",
        "can": "Biên bản xử lý hành vi cản trở người thi hành công vụ",
        "to": "Tờ trình về việc mua máy tính cho Văn phòng",
        "rlap": "Hồ sơ của Ủy ban nhân dân huyện Đắk R’lấp",
        "nfd": nfd("Đơn đề nghị của ông Nguyễn Văn Thuỷ ở Đắk Glong"),
    }
    with ix.writer() as writer:
        for key, text in docs.items():
            writer.add_document(id=key, type="record", exact=text, folded=text, pairs=text,
                                codes=code_field_text([]), allow="role:administrator")
    # the schema (with its analyzers) survives pickling into the index
    ix = open_dir(str(path))
    yield ix
    ix.close()


def found(ix, query):
    with ix.searcher() as searcher:
        return sorted(hit["id"] for hit in searcher.search(query, limit=None))


def test_english_stop_words_as_folded_syllables_are_found(index):
    assert found(index, Term("folded", "the")) == ["the"]
    assert found(index, Term("folded", "can")) == ["can"]
    assert found(index, Term("folded", "to")) == ["to"]
    assert found(index, Term("folded", "may")) == ["to"]
    assert found(index, Term("folded", "y")) == ["the"]
    assert found(index, Term("folded", "o")) == ["nfd"]


def test_nfd_document_found_by_nfc_terms(index):
    assert found(index, Term("exact", "thủy")) == ["nfd"]
    assert found(index, Term("exact", "nguyễn")) == ["nfd"]
    assert found(index, Term("pairs", "dak_glong")) == ["nfd"]


def test_rlap_variants_found(index):
    assert found(index, Term("folded", "rlap")) == ["rlap"]
    assert found(index, Term("exact", "r'lấp")) == ["rlap"]
    assert found(index, Term("exact", "hòa")) == ["the"]


def test_highlight_marks_the_original_words(index):
    from archive.search.query import build_query

    formatter = highlight.HtmlFormatter(tagname="mark")
    with index.searcher() as searcher:
        for text, exact in (("uy ban dak rlap", False), ("Uỷ ban Đắk R'lấp", True)):
            query = build_query(text, exact=exact)
            hits = searcher.search(query)
            assert [h["id"] for h in hits] == ["rlap"]
            stored = hits[0]["folded"]
            snippet = highlight.highlight(stored, highlight_terms(query), folded_analyzer(),
                                          highlight.ContextFragmenter(), formatter)
            for word in ("Ủy", "ban", "Đắk", "R’lấp"):
                assert ">%s</mark>" % word in snippet, snippet
        # an NFD stored text: the marks wrap whole NFD words
        query = build_query("thuy")
        hit = searcher.search(query)[0]
        snippet = highlight.highlight(hit["folded"], highlight_terms(query), folded_analyzer(),
                                      highlight.ContextFragmenter(), formatter)
        assert ">%s</mark>" % nfd("Thuỷ") in snippet
