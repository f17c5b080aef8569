"""The search page (``/search``) and ``GET /api/v1/search`` through WebTest on
the real application.

One archive is built through the API for the whole module (the searches do
not change it): two fonds, dossiers with one-stop data (procedure, district),
documents of several types, a group of 23 birth-registration dossiers for the
pages, accented and unaccented look-alikes (``đất`` / ``đạt``) and a dossier
whose title and document subject carry HTML.  After every change the tests
wait for the index writer (``registry.search.wait_idle``) before searching.
"""
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from webtest import TestApp

from conftest import (
    ADMIN_PASSWORD, PASSWORD, Api, api_token, login, make_user, module_app,
)

SNV = {"code": "SNV", "name": "Sở Nội vụ tỉnh Đắk Nông", "organ_id": "000.00.17.H17"}
VPUB = {"code": "VPUB", "name": "Văn phòng UBND tỉnh Đắk Nông", "organ_id": "H17.1.2"}

# birth registrations: more than one page of hits (23 dossiers, 10 a page)
BIRTHS = 23

HIT_KEYS = {"type", "id", "dossier_id", "title", "file_code", "doc_code", "date", "snippet", "score"}
FACET_NAMES = {"fonds", "year", "doc_type", "procedure", "retention", "access", "district"}


def dossier(notation, title, year=2024, retention=10, access="01", **more):
    return dict({"notation": notation, "year": year, "title": title, "retention": retention,
                 "access": access}, **more)


def record(subject, doc_type="02", number="1", notation="QĐ-SNV", issued_date="2024-03-15", **more):
    return dict({"doc_type": doc_type, "number": number, "notation": notation,
                 "issued_date": issued_date, "issuer": "Sở Nội vụ tỉnh Đắk Nông",
                 "subject": subject}, **more)


class Archive:
    """The application, an admin API client, and the ids of what was made."""

    def __init__(self, wsgi):
        self.wsgi = wsgi
        self.admin = Api(self.client(), api_token(self.client(), "admin", ADMIN_PASSWORD))
        self.ids = {}

    def client(self):
        return TestApp(self.wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})

    def wait(self):
        assert self.wsgi.registry.search.wait_idle(30), "the index writer did not catch up"

    def add_dossier(self, name, fonds, data, records=()):
        dossier_id = self.admin.post(f"/api/v1/fonds/{fonds}/dossiers", data).json["id"]
        self.ids[name] = dossier_id
        for number, (rec_name, metadata) in enumerate(records, 1):
            self.ids[rec_name] = self.admin.file_record(dossier_id, metadata).json["id"]
        return dossier_id

    def build(self):
        self.admin.post("/api/v1/fonds", SNV)
        self.admin.post("/api/v1/fonds", VPUB)
        self.add_dossier("land", "SNV", dossier(
            "01.DD", "Hồ sơ cấp giấy chứng nhận quyền sử dụng đất cho ông Nguyễn Văn Hùng",
            year=2023, start_date="2023-02-01", end_date="2023-05-20",
            procedure_code="1.003003", procedure_name="Cấp giấy chứng nhận quyền sử dụng đất",
            applicant_name="Nguyễn Văn Hùng", applicant_id="067123456789", district="Gia Nghĩa"),
            [("land.decision", record("Quyết định cấp giấy chứng nhận quyền sử dụng đất thửa số 12",
                                      number="77", notation="QĐ-UBND", issued_date="2023-05-10"))])
        self.add_dossier("standard", "SNV", dossier(
            "02.VH", "Hồ sơ công nhận xã Quảng Sơn đạt chuẩn văn hóa nông thôn mới",
            year=2022, start_date="2022-01-10", end_date="2022-12-01", district="Đắk Glong"),
            [("standard.plan", record("Kế hoạch kiểm tra xã đạt chuẩn văn hóa", doc_type="10",
                                      number="12", notation="KH-SNV", issued_date="2022-04-01"))])
        self.add_dossier("recruit", "VPUB", dossier(
            "01.TCCB", "Hồ sơ tuyển dụng công chức năm 2024", retention="permanent",
            start_date="2024-01-05", end_date="2024-06-30", district="Đắk R'lấp"),
            [("recruit.decision", record("Quyết định công nhận kết quả tuyển dụng công chức",
                                         number="504", notation="QĐ-UBND", issued_date="2024-03-15")),
             ("recruit.notice", record("Thông báo tuyển dụng công chức năm 2024", doc_type="07",
                                       number="18", notation="TB-UBND", issued_date="2024-01-20"))])
        self.add_dossier("html", "SNV", dossier(
            "03.HTML", "Hồ sơ thử <script>alert('tiêu đề')</script> phản ánh kiến nghị",
            start_date="2024-02-01", end_date="2024-02-02"),
            [("html.letter", record("Đơn phản ánh <b>kiến nghị</b> & <script>alert(1)</script>",
                                    doc_type="07", number="3", notation="TB-SNV",
                                    issued_date="2024-02-01"))])
        # three dossiers for the order by date: the oldest names the word most often
        for n, (end, title) in enumerate((
                ("2019-03-01", "Hồ sơ giải phóng mặt bằng, giải phóng mặt bằng đợt 1, giải phóng mặt bằng đợt 2"),
                ("2021-03-01", "Hồ sơ giải phóng mặt bằng khu tái định cư"),
                ("2020-03-01", "Hồ sơ giải phóng mặt bằng đường tỉnh 681"))):
            year = int(end[:4])
            self.add_dossier(f"gpmb{year}", "SNV", dossier(
                f"1{n}.GPMB", title, year=year, start_date=f"{year}-01-01", end_date=end))
        for n in range(1, BIRTHS + 1):
            self.add_dossier(f"birth{n}", "SNV", dossier(
                f"{n:02d}.HT", f"Hồ sơ đăng ký khai sinh cho cháu Trần Thị Mai số {n}",
                year=2024, start_date="2024-03-01", end_date=f"2024-03-{n:02d}",
                procedure_code="1.001193", procedure_name="Đăng ký khai sinh",
                district="Gia Nghĩa" if n % 2 else "Cư Jút"))
        self.official = make_user(self.admin, "canbo", "official", ["SNV", "VPUB"])
        self.wait()
        return self


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    with module_app(tmp_path_factory, "search_views") as wsgi:
        yield Archive(wsgi).build()


@pytest.fixture(scope="module")
def browser(archive):
    """The official, logged in through the login page."""
    client = archive.client()
    login(client, "canbo", PASSWORD)
    return client


def api_search(archive, status=200, **params):
    return archive.official.get("/api/v1/search?" + urlencode(params), status=status).json


def page_search(browser, **params):
    return browser.get("/search?" + urlencode(params))


def hit_links(page):
    return [a["href"] for a in page.html.select("#search-hits li.search-hit > a")]


def hit_ids(page):
    return [href.rsplit("/go/", 1)[1] for href in hit_links(page)]


def total_of(page):
    text = page.html.select_one("#search-total").text
    return int(re.search(r"(\d+)\s*$", text.strip()).group(1))


def facet_links(page):
    """{facet title: {label: (count, href)}} of the page's facet column."""
    out = {}
    for block in page.html.select("#facets > div"):
        title = block.select_one("h2")
        if title is None:
            continue
        entries = {}
        for li in block.select("li"):
            link = li.select_one("a")
            count = li.select_one(".facet-count")
            entries[link.text.strip()] = (int(count.text) if count else None, link["href"])
        out[title.text.strip()] = entries
    return out


def relative(href):
    parts = urlsplit(href)
    return parts.path + ("?" + parts.query if parts.query else "")


# --------------------------------------------------------------------------- the page

def test_the_page_has_one_box_the_switch_and_the_sort(browser):
    page = browser.get("/search")
    form = page.forms["search-form"]
    assert form.method.lower() == "get"
    boxes = page.html.select("#search-form input[type=search], #search-form input[type=text]")
    assert [box["name"] for box in boxes] == ["q"]
    assert page.html.select_one("label[for=search-exact]").text.strip() == "Đúng dấu thanh"
    assert [o["value"] for o in page.html.select("#search-sort option")] == ["relevance", "date"]
    # nothing searched yet: no count, no "nothing found"
    assert page.html.select_one("#search-total") is None
    assert page.html.select_one("#search-nothing") is None
    # the navigation bar links the page
    assert page.html.select_one('nav a[href$="/search"]') is not None


def test_a_search_from_the_box_finds_and_counts(archive, browser):
    form = browser.get("/search").forms["search-form"]
    form["q"] = "chứng nhận quyền sử dụng đất"
    page = form.submit()
    assert page.status_int == 200
    ids = hit_ids(page)
    assert ids[:2] and set(ids) >= {archive.ids["land"], archive.ids["land.decision"]}
    assert total_of(page) == len(ids)
    # the box keeps what was typed
    assert page.html.select_one("#search-q")["value"] == "chứng nhận quyền sử dụng đất"
    # each hit says what it is and shows its code
    first = page.html.select("#search-hits li.search-hit")[0]
    assert first.select_one(".badge").text.strip() in ("Hồ sơ", "Văn bản")
    assert "000.00.17.H17.2023.01.DD" in first.text


def test_accent_insensitive_by_default(archive, browser):
    typed = api_search(archive, q="chung nhan quyen su dung dat")
    accented = api_search(archive, q="chứng nhận quyền sử dụng đất")
    assert typed["total"] == accented["total"] >= 2
    assert {h["id"] for h in typed["hits"]} == {h["id"] for h in accented["hits"]}
    # đ typed as d, and the page agrees with the API
    page = page_search(browser, q="cap giay chung nhan dat Nguyen Van Hung")
    assert archive.ids["land"] in hit_ids(page)


def test_exact_tone_marks_switch(archive, browser):
    """Without the switch "đất" also finds "đạt" (both fold to "dat"), the
    exact match first; with it only "đất"."""
    folded = api_search(archive, q="đất")
    ids = [h["id"] for h in folded["hits"]]
    assert archive.ids["land"] in ids and archive.ids["standard"] in ids
    assert ids.index(archive.ids["land"]) < ids.index(archive.ids["standard"])
    exact = api_search(archive, q="đất", exact="1")
    ids = {h["id"] for h in exact["hits"]}
    assert archive.ids["land"] in ids and archive.ids["standard"] not in ids
    assert archive.ids["standard.plan"] not in ids
    # the reverse word, through the page's checkbox
    form = browser.get("/search").forms["search-form"]
    form["q"] = "đạt"
    form["exact"] = True
    page = form.submit()
    assert page.html.select_one("#search-exact").has_attr("checked")
    ids = set(hit_ids(page))
    assert {archive.ids["standard"], archive.ids["standard.plan"]} <= ids
    assert archive.ids["land"] not in ids
    # a word typed without tone marks does not match anything accented exactly
    assert api_search(archive, q="dat", exact="1")["total"] == 0


def test_api_shape(archive):
    body = api_search(archive, q="tuyển dụng", size=5)
    assert set(body) == {"total", "page", "size", "hits", "facets"}
    assert body["page"] == 1 and body["size"] == 5
    assert body["total"] == 3
    assert set(body["facets"]) == FACET_NAMES
    for hit in body["hits"]:
        assert set(hit) == HIT_KEYS
        assert hit["type"] in ("dossier", "record")
        assert isinstance(hit["score"], float) and hit["score"] > 0
        if hit["type"] == "dossier":
            assert hit["dossier_id"] == hit["id"] == archive.ids["recruit"]
            assert hit["file_code"] == "H17.1.2.2024.01.TCCB"
            assert hit["doc_code"] == ""
            assert hit["date"] == "2024-06-30"
        else:
            assert hit["dossier_id"] == archive.ids["recruit"]
            assert hit["doc_code"].startswith("H17.1.2.2024.01.TCCB.")
            assert hit["date"].startswith("2024-")
        assert "<mark" in hit["snippet"]
    decision = next(h for h in body["hits"] if h["id"] == archive.ids["recruit.decision"])
    assert decision["title"] == "Quyết định công nhận kết quả tuyển dụng công chức"
    assert body["facets"]["fonds"] == {"VPUB": 3}
    assert body["facets"]["doc_type"] == {"02": 1, "07": 1}
    assert body["facets"]["retention"] == {"permanent": 3}


def test_facets_count_and_filter(archive, browser):
    body = api_search(archive, q="hồ sơ")
    facets = body["facets"]
    # every dossier title starts with "Hồ sơ"; documents do not, except through their dossier
    assert facets["fonds"]["VPUB"] >= 1 and facets["fonds"]["SNV"] > BIRTHS
    assert facets["year"]["2024"] >= BIRTHS
    assert facets["procedure"]["1.001193"] == BIRTHS
    assert facets["district"]["Cư Jút"] == BIRTHS // 2
    assert facets["access"] == {"01": body["total"]}
    # a filter narrows the results to its count, and the facets follow
    narrowed = api_search(archive, q="hồ sơ", district="Cư Jút")
    assert narrowed["total"] == BIRTHS // 2
    assert narrowed["facets"]["district"] == {"Cư Jút": BIRTHS // 2}
    assert narrowed["facets"]["fonds"] == {"SNV": BIRTHS // 2}
    both = api_search(archive, q="hồ sơ", district="Gia Nghĩa", procedure="1.001193")
    assert both["total"] == BIRTHS - BIRTHS // 2
    assert api_search(archive, q="hồ sơ", year="2022", fonds="VPUB")["total"] == 0
    # only a document has a type
    decisions = api_search(archive, q="quyết định", doc_type="02")
    assert decisions["total"] >= 2 and {h["type"] for h in decisions["hits"]} == {"record"}


def test_facet_links_on_the_page_narrow_the_results(archive, browser):
    page = page_search(browser, q="khai sinh")
    assert total_of(page) == BIRTHS
    facets = facet_links(page)
    assert set(facets) >= {"Phông", "Năm", "Mã thủ tục", "Thời hạn bảo quản", "Chế độ sử dụng",
                           "Huyện/thị xã"}
    assert facets["Chế độ sử dụng"] == {"01 – Công khai": (BIRTHS, facets["Chế độ sử dụng"][
        "01 – Công khai"][1])}
    assert facets["Thời hạn bảo quản"]["10 năm"][0] == BIRTHS
    count, href = facets["Huyện/thị xã"]["Cư Jút"]
    assert count == BIRTHS // 2
    assert parse_qs(urlsplit(href).query) == {"q": ["khai sinh"], "district": ["Cư Jút"]}
    narrowed = browser.get(relative(href))
    assert total_of(narrowed) == BIRTHS // 2
    # the active filter shows as a link that removes it, and the box keeps it
    active = facet_links(narrowed)["Huyện/thị xã"]
    assert list(active) == ["✕ Cư Jút"] and active["✕ Cư Jút"][0] is None
    hidden = narrowed.html.select_one('#search-form input[type=hidden][name=district]')
    assert hidden["value"] == "Cư Jút"
    resubmitted = narrowed.forms["search-form"].submit()
    assert total_of(resubmitted) == BIRTHS // 2
    removed = browser.get(relative(active["✕ Cư Jút"][1]))
    assert total_of(removed) == BIRTHS
    # a filter alone (no words) is a search too
    only = page_search(browser, procedure="1.001193")
    assert total_of(only) == BIRTHS


def test_document_type_and_retention_facets_have_labels(archive, browser):
    page = page_search(browser, q="tuyển dụng")
    facets = facet_links(page)
    assert "02 – Quyết định" in facets["Tên loại văn bản"]
    assert "07 – Thông báo" in facets["Tên loại văn bản"]
    assert list(facets["Thời hạn bảo quản"]) == ["vĩnh viễn"]


def test_sort_by_relevance_or_date(archive, browser):
    by_relevance = [h["id"] for h in api_search(archive, q="giải phóng mặt bằng")["hits"]]
    by_date = [h["id"] for h in api_search(archive, q="giải phóng mặt bằng", sort="date")["hits"]]
    ids = archive.ids
    assert by_date == [ids["gpmb2021"], ids["gpmb2020"], ids["gpmb2019"]]
    assert by_relevance[0] == ids["gpmb2019"]  # the title names it three times
    assert sorted(by_relevance) == sorted(by_date)
    # the page: the select keeps the choice, and the result order follows it
    page = page_search(browser, q="giải phóng mặt bằng", sort="date")
    assert page.html.select_one("#search-sort option[selected]")["value"] == "date"
    assert hit_ids(page) == by_date
    page = page_search(browser, q="giải phóng mặt bằng")
    assert page.html.select_one("#search-sort option[selected]")["value"] == "relevance"
    assert hit_ids(page) == by_relevance


def test_pagination(archive, browser):
    first = api_search(archive, q="khai sinh", size=10)
    second = api_search(archive, q="khai sinh", size=10, page=2)
    third = api_search(archive, q="khai sinh", size=10, page=3)
    assert first["total"] == second["total"] == third["total"] == BIRTHS
    assert (len(first["hits"]), len(second["hits"]), len(third["hits"])) == (10, 10, 3)
    assert second["page"] == 2
    pages = [{h["id"] for h in p["hits"]} for p in (first, second, third)]
    assert not (pages[0] & pages[1] or pages[1] & pages[2] or pages[0] & pages[2])
    assert set().union(*pages) == {archive.ids[f"birth{n}"] for n in range(1, BIRTHS + 1)}
    # the facets count every hit, not just one page's
    assert second["facets"]["procedure"] == {"1.001193": BIRTHS}
    # the page: 20 a page by default, "next" leads to page 2, which differs
    page = page_search(browser, q="khai sinh")
    assert len(hit_ids(page)) == 20 and total_of(page) == BIRTHS
    nav = page.html.select_one("nav .pagination")
    assert "1 / 2" in nav.text
    following = [a for a in nav.select("a.page-link")]
    assert len(following) == 1 and following[0].text.strip() == "Sau"
    page2 = browser.get(relative(following[0]["href"]))
    assert len(hit_ids(page2)) == BIRTHS - 20
    assert not set(hit_ids(page)) & set(hit_ids(page2))
    assert "2 / 2" in page2.html.select_one("nav .pagination").text
    back = page2.html.select_one("nav .pagination a.page-link")
    assert back.text.strip() == "Trước"
    assert hit_ids(browser.get(relative(back["href"]))) == hit_ids(page)
    # a page past the end is the last page (and says so), not an error; nonsense is page 1
    past = api_search(archive, q="khai sinh", page=99)
    assert past["page"] == 2 and {h["id"] for h in past["hits"]} == set(hit_ids(page2))
    assert api_search(archive, q="khai sinh", page="abc", size=10)["page"] == 1


def test_size_is_bounded(archive):
    assert api_search(archive, q="khai sinh", size=1000)["size"] == 100
    assert api_search(archive, q="khai sinh", size=0)["size"] == 1
    assert api_search(archive, q="khai sinh", size="x")["size"] == 20


def test_snippets_mark_the_words(archive, browser):
    hit = next(h for h in api_search(archive, q="chung nhan")["hits"]
               if h["id"] == archive.ids["land"])
    assert re.search(r"<mark[^>]*>chứng</mark>\s*<mark[^>]*>nhận</mark>", hit["snippet"]), hit["snippet"]
    page = page_search(browser, q="chung nhan")
    marks = [m.text for m in page.html.select("#search-hits .snippet mark")]
    assert "chứng" in marks and "nhận" in marks


def test_snippets_and_titles_are_html_escaped(archive, browser):
    body = api_search(archive, q="phản ánh kiến nghị")
    hits = {h["id"]: h for h in body["hits"]}
    assert {archive.ids["html"], archive.ids["html.letter"]} <= set(hits)
    for hit in hits.values():
        snippet = hit["snippet"]
        assert "<script>" not in snippet and "<b>" not in snippet
        assert "&lt;script&gt;" in snippet or "script" not in snippet
        assert re.sub(r"</?mark[^>]*>", "", snippet).count("<") == 0, snippet
    # the API gives the title as data; the page escapes it
    assert hits[archive.ids["html"]]["title"].startswith("Hồ sơ thử <script>")
    page = page_search(browser, q="phản ánh kiến nghị")
    assert "<script>alert" not in page.text
    assert "<b>kiến nghị</b>" not in page.text
    assert "&lt;script&gt;alert(" in page.text
    titles = [a.text for a in page.html.select("#search-hits li.search-hit > a")]
    assert "Hồ sơ thử <script>alert('tiêu đề')</script> phản ánh kiến nghị" in titles
    # the only elements inside snippets are the marks
    for snippet in page.html.select("#search-hits .snippet"):
        assert {tag.name for tag in snippet.find_all(True)} <= {"mark"}


def test_nothing_found_says_so_with_a_hint(archive, browser):
    page = page_search(browser, q="xyzzyqwv khongcogi")
    assert total_of(page) == 0
    nothing = page.html.select_one("#search-nothing")
    assert "Không tìm thấy hồ sơ, văn bản nào phù hợp." in nothing.text
    assert "Gợi ý" in nothing.text
    assert hit_links(page) == []
    assert page.html.select("#facets h2") == []
    assert page.html.select_one("nav .pagination") is None
    body = api_search(archive, q="xyzzyqwv khongcogi")
    assert body["total"] == 0 and body["hits"] == [] and body["page"] == 1
    assert all(counts == {} for counts in body["facets"].values())


def test_codes_and_numbers_find_their_dossier_first(archive):
    # the dossier's code is carried by its documents too: the dossier and its
    # document are the first two hits, nothing else (ranking among them: search's own tests)
    hits = api_search(archive, q="000.00.17.H17.2023.01.DD")["hits"]
    assert {h["id"] for h in hits[:2]} == {archive.ids["land"], archive.ids["land.decision"]}
    assert api_search(archive, q="067123456789")["hits"][0]["id"] == archive.ids["land"]
    top = api_search(archive, q="504/QĐ-UBND")["hits"][0]
    assert top["id"] == archive.ids["recruit.decision"]


def test_go_leads_to_the_object_page(archive, browser):
    page = page_search(browser, q="tuyển dụng công chức")
    links = {href.rsplit("/go/", 1)[1]: href for href in hit_links(page)}
    dossier_path = f"/fonds/VPUB/{archive.ids['recruit']}/"
    for name, path in (("recruit", dossier_path),
                       ("recruit.decision", dossier_path + archive.ids["recruit.decision"] + "/")):
        response = browser.get(relative(links[archive.ids[name]]), status=302)
        assert urlsplit(response.headers["Location"]).path == path
        target = response.follow()
        assert target.status_int == 200
    assert "Quyết định công nhận kết quả tuyển dụng công chức" in target.text


def test_go_is_404_for_what_does_not_exist_or_may_not_be_seen(archive):
    client = archive.client()
    login(client, "canbo", PASSWORD)
    client.get("/go/0123456789abcdef", status=404)
    client.get("/go", status=404)
    client.get("/go/", status=404)
    # an object that is not a dossier or a document (a fonds) is visible: its page
    other = make_user(archive.admin, "canbo_b", "official", ["VPUB"])
    other_browser = archive.client()
    login(other_browser, "canbo_b", PASSWORD)
    other_browser.get(f"/go/{archive.ids['recruit']}", status=302)
    other_browser.get(f"/go/{archive.ids['land']}", status=404)
    other_browser.get(f"/go/{archive.ids['land.decision']}", status=404)
    assert other.get(f"/api/v1/dossiers/{archive.ids['land']}", status=403)
    # and the search agrees with /go
    assert api_search(archive, q="quyền sử dụng đất")["total"] >= 2
    body = other.get("/api/v1/search?" + urlencode({"q": "quyền sử dụng đất"})).json
    assert body["total"] == 0


def test_anonymous_is_sent_to_log_in(archive):
    client = archive.client()
    response = client.get("/search?q=khai+sinh", status=303)
    assert "/login?next=" in response.headers["Location"]
    response = client.get("/go/" + archive.ids["land"], status=303)
    assert "/login?next=" in response.headers["Location"]
    error = client.get("/api/v1/search?q=khai+sinh", status=401).json["error"]
    assert error["message"]


def test_the_page_in_english(archive, browser):
    client = archive.client()
    login(client, "canbo", PASSWORD)
    client.get("/language?lang=en", status=302)
    page = client.get("/search?" + urlencode({"q": "khai sinh"}))
    assert page.html.select_one("label[for=search-exact]").text.strip() == "Exact tone marks"
    assert [o.text.strip() for o in page.html.select("#search-sort option")] == [
        "Most relevant", "Newest first"]
    titles = [h.text.strip() for h in page.html.select("#facets h2")]
    assert "Fonds" in titles and "Year" in titles and "District/town" in titles
    facets = page.html.select_one("#facets").text
    assert "01 – Public" in facets and "10 years" in facets
    assert page.html.select_one("#search-q")["placeholder"].startswith("A name, an ID-card number")
    assert page.html.select_one("#search-q")["aria-label"] == "Search"
    decisions = client.get("/search?" + urlencode({"q": "tuyển dụng"}))
    facets = decisions.html.select_one("#facets").text
    assert "02 – Decision" in facets and "07 – Notice" in facets and "permanent" in facets
    assert page.html.select_one("#search-hits .badge").text.strip() == "Dossier"
    assert page.html.select_one("nav .pagination a").text.strip() == "Next"
    assert re.search(r"Results: *23", page.html.select_one("#search-total").text)
    empty = client.get("/search?q=xyzzyqwv")
    assert "Nothing found" in empty.html.select_one("#search-nothing").text
    for vietnamese in ("Đúng dấu thanh", "Số kết quả", "Không tìm thấy", "Phù hợp nhất", "Gợi ý"):
        assert vietnamese not in page.text + empty.text


def test_while_the_index_is_rebuilt_the_page_says_so(archive, browser):
    search = archive.wsgi.registry.search
    search.rebuilding = True
    try:
        page = browser.get("/search?q=khai+sinh", status=503)
        assert "đang được xây dựng lại" in page.html.select_one("#search-rebuilding").text
        assert page.html.select_one("#search-form") is not None   # the box is still there
        assert page.html.select_one("#search-total") is None
        error = archive.official.get("/api/v1/search?q=khai+sinh", status=503).json["error"]
        assert "xây dựng lại" in error["message"]
        english = archive.official.get("/api/v1/search?q=khai+sinh&_LOCALE_=en", status=503)
        assert english.json["error"]["message"].startswith("The search index is being rebuilt")
        page = browser.get("/search?q=khai+sinh&_LOCALE_=en", status=503)
        assert "being rebuilt" in page.html.select_one("#search-rebuilding").text
    finally:
        search.rebuilding = False
    assert api_search(archive, q="khai sinh")["total"] == BIRTHS
