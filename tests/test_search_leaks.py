"""No leaks: a search never reveals what its user may not open.

For a user without access, a query for a word that only occurs in a
restricted dossier or document returns total 0, no facet counts and no
snippet, through the page and through the API; a word shared between an
allowed and a restricted dossier finds only the allowed one; a filter on a
restricted facet value (the other fonds, access 03, its year, its district)
finds nothing; and browsing everything (no words) shows facet values of
allowed objects only.  Checked for each identity of ``archive.security``:

* an official granted fonds A: not fonds B, not the classified (access 03)
  dossier of fonds A, not a classified document inside an open dossier;
* an official and an archivist granted only fonds B: nothing of fonds A;
* the auditor and the administrator: metadata everywhere, so everything;
* an archivist of fonds A: everything of fonds A (classified included);
* anonymous: the login page, 401 from the API.

Each restricted object carries its own made-up word (real Ê Đê / M'Nông
names: Ksor, Kdăm, Bluô) and its own facet values, so that a single count
would show.  Finally, a dossier whose access changes 01 -> 03 (through the
edit form) disappears for the official, documents included, once the index
writer has caught up, and comes back when the access is opened again.
"""
import re
from urllib.parse import urlencode

import pytest
from webtest import TestApp

from conftest import (
    ADMIN_PASSWORD, PASSWORD, Api, api_token, login, make_user, module_app,
)

FONDS_A = {"code": "SNV", "name": "Sở Nội vụ tỉnh Đắk Nông", "organ_id": "000.00.17.H17"}
FONDS_B = {"code": "VPUB", "name": "Văn phòng UBND tỉnh Đắk Nông", "organ_id": "H17.1.2"}

# one word per restricted object, found nowhere else
ONLY_B = "Ksor"          # the dossier of fonds B
ONLY_SECRET = "Kdăm"     # the classified (access 03) dossier of fonds A
ONLY_SECRET_DOC = "Bluô"  # the classified document of the open dossier of fonds A
SHARED = "Byă"           # in the open dossier of A, the classified dossier of A and in B
OPEN_ONLY = "Niê"        # only in the open dossier of A (the control)

# facet values that only restricted objects have
SECRET_YEAR, SECRET_DISTRICT, SECRET_PROCEDURE, SECRET_RETENTION = "2019", "Tuy Đức", "2.000794", "20"
B_YEAR, B_DISTRICT, B_PROCEDURE = "2018", "Krông Nô", "1.004227"
SECRET_DOC_TYPE = "05"  # Quy định: only the classified document has it

ADMIN, ARCH_A, OFF_A, AUD, ARCH_B, OFF_B, ANON = (
    "admin", "archivist_a", "official_a", "auditor", "archivist_b", "official_b", "anonymous")

WORDS = (ONLY_B, ONLY_SECRET, ONLY_SECRET_DOC)


def dossier(notation, title, **more):
    return dict({"notation": notation, "year": 2024, "title": title, "retention": 10,
                 "access": "01", "start_date": "2024-01-05", "end_date": "2024-06-30"}, **more)


def record(subject, doc_type="02", **more):
    return dict({"doc_type": doc_type, "number": "15", "notation": "QĐ-SNV",
                 "issued_date": "2024-03-15", "issuer": "Sở Nội vụ tỉnh Đắk Nông",
                 "subject": subject}, **more)


class World:
    def __init__(self, wsgi):
        self.wsgi = wsgi
        self.admin = Api(self.client(), api_token(self.client(), "admin", ADMIN_PASSWORD))
        self.apis = {ADMIN: self.admin, ANON: None}
        self.passwords = {ADMIN: ADMIN_PASSWORD}
        self.browsers = {}
        self.ids = {}

    def client(self):
        return TestApp(self.wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})

    def wait(self):
        assert self.wsgi.registry.search.wait_idle(30), "the index writer did not catch up"

    def build(self):
        admin = self.admin
        admin.post("/api/v1/fonds", FONDS_A)
        admin.post("/api/v1/fonds", FONDS_B)

        def add(name, fonds, data, records=()):
            self.ids[name] = admin.post(f"/api/v1/fonds/{fonds}/dossiers", data).json["id"]
            for rec_name, metadata in records:
                self.ids[rec_name] = admin.file_record(self.ids[name], metadata).json["id"]

        add("open", "SNV", dossier(
            "01.TCCB", f"Hồ sơ giải quyết chế độ cho bà H'Hoa {OPEN_ONLY} và ông Y Kông {SHARED}",
            procedure_code="1.001193", district="Gia Nghĩa"),
            [("open.doc", record(f"Quyết định trợ cấp cho bà H'Hoa {OPEN_ONLY}")),
             ("open.secret_doc", record(
                 f"Quy định nội bộ về ông Y {ONLY_SECRET_DOC} (mật)", doc_type=SECRET_DOC_TYPE,
                 access="03", issued_date="2024-04-01", notes=f"Ghi chú mật {ONLY_SECRET_DOC}"))])
        add("secret", "SNV", dossier(
            "02.MAT", f"Hồ sơ thanh tra ông Y {ONLY_SECRET} {SHARED}", year=int(SECRET_YEAR),
            start_date="2019-02-01", end_date="2019-09-30", access="03",
            retention=int(SECRET_RETENTION), procedure_code=SECRET_PROCEDURE,
            district=SECRET_DISTRICT, applicant_name=f"Y {ONLY_SECRET} {SHARED}"),
            [("secret.doc", record(f"Kết luận thanh tra ông Y {ONLY_SECRET}", doc_type="02",
                                   issued_date="2019-09-01"))])
        add("b", "VPUB", dossier(
            "01.VP", f"Hồ sơ khiếu nại của ông {ONLY_B} Y Bhiêu {SHARED}", year=int(B_YEAR),
            start_date="2018-03-01", end_date="2018-08-30", procedure_code=B_PROCEDURE,
            district=B_DISTRICT, applicant_name=f"{ONLY_B} Y Bhiêu"),
            [("b.doc", record(f"Văn bản trả lời ông {ONLY_B} Y Bhiêu", doc_type="07",
                              issued_date="2018-08-01"))])
        for who, role, fonds in ((ARCH_A, "archivist", ["SNV"]), (OFF_A, "official", ["SNV"]),
                                 (AUD, "auditor", []), (ARCH_B, "archivist", ["VPUB"]),
                                 (OFF_B, "official", ["VPUB"])):
            self.apis[who] = make_user(admin, who, role, fonds)
            self.passwords[who] = PASSWORD
        self.wait()
        return self

    def browser(self, who):
        if who not in self.browsers:
            client = self.client()
            if who != ANON:
                login(client, who, self.passwords[who])
            self.browsers[who] = client
        return self.browsers[who]

    def api(self, who, status=200, **params):
        return self.apis[who].get("/api/v1/search?" + urlencode(params), status=status).json

    def page(self, who, **params):
        return self.browser(who).get("/search?" + urlencode(params))

    def visible(self, who, **params):
        """The ids found by ``who`` through the API (every page of 100)."""
        return {h["id"] for h in self.api(who, size=100, **params)["hits"]}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with module_app(tmp_path_factory, "search_leaks") as wsgi:
        yield World(wsgi).build()


# --------------------------------------------------------------------------- checks

def assert_nothing_api(body, word):
    assert body["total"] == 0, (word, body)
    assert body["hits"] == [], (word, body)
    assert all(counts == {} for counts in body["facets"].values()), (word, body["facets"])


def assert_nothing_page(page, word, *secrets):
    """Total 0, "nothing found", no hit, no facet count, no snippet, and none
    of the restricted texts anywhere in the page -- apart from what the user
    sent and the page echoes (the box, the active filters and their links to
    remove them)."""
    html = page.html
    assert re.search(r":\s*0\s*$", html.select_one("#search-total").text.strip()), word
    assert html.select_one("#search-nothing") is not None, word
    assert html.select("#search-hits li") == [], word
    assert html.select("#search-hits .snippet") == [] and html.select("mark") == [], word
    assert html.select(".facet-count") == [], word
    for echo in html.select("#search-form input[type=hidden], #search-q"):
        echo.decompose()
    for block in html.select("#facets > div"):
        links = [a.text.strip() for a in block.select("li a")]
        assert all(text.startswith("✕") for text in links), (word, links)
        block.decompose()
    for text in secrets:
        assert text not in str(html), (word, text)


# --------------------------------------------------------------------------- who finds what

# which of the restricted words each identity may find
FINDS = {
    ADMIN: {ONLY_B, ONLY_SECRET, ONLY_SECRET_DOC},
    AUD: {ONLY_B, ONLY_SECRET, ONLY_SECRET_DOC},
    ARCH_A: {ONLY_SECRET, ONLY_SECRET_DOC},
    OFF_A: set(),
    ARCH_B: {ONLY_B},
    OFF_B: {ONLY_B},
}

# the objects carrying each word
CARRIERS = {ONLY_B: {"b", "b.doc"}, ONLY_SECRET: {"secret", "secret.doc"},
            ONLY_SECRET_DOC: {"open.secret_doc"}}

# what a restricted object shows that nothing visible to the official shows
SECRET_TEXTS = ("Kdăm", "Bluô", "Ksor", "thanh tra", "khiếu nại", "Quy định nội bộ", "Bhiêu",
                SECRET_DISTRICT, B_DISTRICT, SECRET_PROCEDURE, B_PROCEDURE, "VPUB", "H17.1.2",
                "02.MAT")


@pytest.mark.parametrize("who", sorted(FINDS))
@pytest.mark.parametrize("word", WORDS)
def test_a_restricted_word_finds_nothing_for_whom_may_not_see_it(world, who, word):
    """Through the API and the page, with and without tone marks, exact or not."""
    for query in (word, word.lower(), _fold(word)):
        body = world.api(who, q=query)
        found = {h["id"] for h in body["hits"]}
        carriers = {world.ids[name] for name in CARRIERS[word]}
        if word in FINDS[who]:
            assert found == carriers and body["total"] == len(carriers), (who, query, body)
            assert all("<mark" in h["snippet"] for h in body["hits"])
        else:
            assert_nothing_api(body, (who, query))
            assert_nothing_api(world.api(who, q=query, exact="1"), (who, query, "exact"))
            assert_nothing_api(world.api(who, q=query, sort="date"), (who, query, "date"))
    page = world.page(who, q=word)
    if word in FINDS[who]:
        assert len(page.html.select("#search-hits li.search-hit")) == len(CARRIERS[word])
        assert page.html.select("#search-hits mark")
    else:
        assert_nothing_page(page, word, word)


def _fold(word):
    from archive.search.analysis import fold

    return fold(word)


def test_a_shared_word_finds_only_the_allowed_dossier(world):
    """The word is in the open dossier of A, the classified dossier of A and
    the dossier of B (and, through their dossier's title, in their documents)."""
    def named(*names):
        return {world.ids[n] for n in names}

    open_a, secret_a, b = ("open", "open.doc"), ("secret", "secret.doc"), ("b", "b.doc")
    assert world.visible(OFF_A, q=SHARED) == named(*open_a)
    body = world.api(OFF_A, q=SHARED)
    assert body["total"] == 2
    assert body["facets"] == {"fonds": {"SNV": 2}, "year": {"2024": 2}, "doc_type": {"02": 1},
                              "procedure": {"1.001193": 2}, "retention": {"10": 2},
                              "access": {"01": 2}, "district": {"Gia Nghĩa": 2}}
    for hit in body["hits"]:
        assert ONLY_SECRET not in hit["snippet"] and ONLY_SECRET_DOC not in hit["snippet"]
    assert world.visible(OFF_B, q=SHARED) == named(*b)
    assert world.visible(ARCH_B, q=SHARED) == named(*b)
    assert world.visible(ARCH_A, q=SHARED) == named(*open_a, "open.secret_doc", *secret_a)
    everything = named(*open_a, "open.secret_doc", *secret_a, *b)
    assert world.visible(AUD, q=SHARED) == everything
    assert world.visible(ADMIN, q=SHARED) == everything
    # the page of the official: two hits, one fonds, no restricted text
    page = world.page(OFF_A, q=SHARED)
    links = [a["href"] for a in page.html.select("#search-hits li.search-hit > a")]
    assert sorted(href.rsplit("/go/", 1)[1] for href in links) == sorted(named(*open_a))
    facets = page.html.select_one("#facets")
    for text in ("VPUB", "03 – Mật", "05 – Quy định", SECRET_YEAR, B_YEAR, SECRET_DISTRICT,
                 B_DISTRICT, SECRET_PROCEDURE, B_PROCEDURE):
        assert text not in facets.text, text
    assert sorted(c.text for c in facets.select(".facet-count")) == ["1"] + ["2"] * 6
    for text in ("Kdăm", "Ksor", "Bluô", "thanh tra", "khiếu nại", "nội bộ"):
        assert text not in page.text, text


def test_the_official_browsing_everything_sees_no_restricted_facet_value(world):
    """No words at all: every visible object, and the facets of those only."""
    ids = world.ids
    body = world.api(OFF_A, size=100)
    assert {h["id"] for h in body["hits"]} == {ids["open"], ids["open.doc"]}
    assert body["total"] == 2
    facets = body["facets"]
    assert facets["fonds"] == {"SNV": 2}
    assert facets["access"] == {"01": 2}
    assert facets["year"] == {"2024": 2}
    assert facets["retention"] == {"10": 2}
    assert facets["procedure"] == {"1.001193": 2}
    assert facets["district"] == {"Gia Nghĩa": 2}
    assert facets["doc_type"] == {"02": 1}
    page = world.page(OFF_A, fonds="SNV")
    text = page.html.select_one("#facets").text + page.html.select_one("#search-hits").text
    for secret in SECRET_TEXTS + ("03 – Mật", "05 – Quy định", SECRET_YEAR, B_YEAR):
        assert secret not in text, secret


@pytest.mark.parametrize("who", [OFF_A, OFF_B, ARCH_B])
def test_the_other_side_browsing_everything(world, who):
    ids = world.ids
    expected = {OFF_A: {"open", "open.doc"}, OFF_B: {"b", "b.doc"}, ARCH_B: {"b", "b.doc"}}[who]
    body = world.api(who, size=100)
    assert {h["id"] for h in body["hits"]} == {ids[n] for n in expected}
    assert sum(body["facets"]["fonds"].values()) == body["total"] == len(expected)


@pytest.mark.parametrize("filters", [
    {"fonds": "VPUB"}, {"access": "03"}, {"year": SECRET_YEAR}, {"year": B_YEAR},
    {"district": SECRET_DISTRICT}, {"district": B_DISTRICT}, {"procedure": SECRET_PROCEDURE},
    {"procedure": B_PROCEDURE}, {"retention": SECRET_RETENTION}, {"doc_type": SECRET_DOC_TYPE},
], ids=lambda f: "=".join(next(iter(f.items()))))
def test_a_filter_on_a_restricted_value_finds_nothing(world, filters):
    assert_nothing_api(world.api(OFF_A, **filters), filters)
    assert_nothing_api(world.api(OFF_A, q="hồ sơ", **filters), filters)
    assert_nothing_page(world.page(OFF_A, **filters), filters, *SECRET_TEXTS)
    # the same filter does find for whom may see (the filter itself works)
    assert world.api(ADMIN, **filters)["total"] >= 1


def test_codes_of_restricted_objects_find_nothing(world):
    secret = world.admin.get(f"/api/v1/dossiers/{world.ids['secret']}").json
    b = world.admin.get(f"/api/v1/dossiers/{world.ids['b']}").json
    doc = world.admin.get(f"/api/v1/records/{world.ids['open.secret_doc']}").json
    for code in (secret["file_code"], b["file_code"], doc["doc_code"], SECRET_PROCEDURE,
                 B_PROCEDURE):
        assert_nothing_api(world.api(OFF_A, q=code), code)
    # the same code does find the dossier (and its document) for whom may see it
    hits = world.api(ADMIN, q=secret["file_code"])["hits"]
    assert {h["id"] for h in hits[:2]} == {world.ids["secret"], world.ids["secret.doc"]}


def test_the_classified_document_is_left_out_of_its_open_dossier(world):
    """The official finds the open dossier and its ordinary document by their
    words, never the classified document beside them, by any of its words."""
    ids = world.ids
    assert world.visible(OFF_A, q=OPEN_ONLY) == {ids["open"], ids["open.doc"]}
    # (the classified document carries its dossier's title, so the archivist finds it too)
    assert world.visible(ARCH_A, q=OPEN_ONLY) == {ids["open"], ids["open.doc"], ids["open.secret_doc"]}
    for query in ("Quy định nội bộ", "ghi chú mật", "mật"):
        assert ids["open.secret_doc"] not in world.visible(OFF_A, q=query), query
        assert ids["open.secret_doc"] in world.visible(ARCH_A, q=query), query
    # the dossier's own hit for the official does not quote the classified document
    for hit in world.api(OFF_A, q=OPEN_ONLY)["hits"]:
        assert ONLY_SECRET_DOC not in hit["snippet"] and "nội bộ" not in hit["snippet"]


def test_go_agrees_with_the_search(world):
    browser = world.browser(OFF_A)
    for name in ("secret", "secret.doc", "open.secret_doc", "b", "b.doc"):
        browser.get(f"/go/{world.ids[name]}", status=404)
    browser.get(f"/go/{world.ids['open']}", status=302)
    auditor = world.browser(AUD)
    for name in ("secret", "secret.doc", "open.secret_doc", "b", "b.doc"):
        auditor.get(f"/go/{world.ids[name]}", status=302)
    world.browser(ARCH_B).get(f"/go/{world.ids['open']}", status=404)


def test_anonymous_gets_nothing(world):
    client = world.client()
    for params in ({"q": SHARED}, {"fonds": "SNV"}, {}):
        response = client.get("/search?" + urlencode(params), status=303)
        assert "/login?next=" in response.headers["Location"]
        body = client.get("/api/v1/search?" + urlencode(params), status=401)
        assert body.headers["WWW-Authenticate"].startswith("Bearer")
        assert set(body.json) == {"error"}
    bad = {"Authorization": "Bearer not-a-token"}
    assert set(client.get("/api/v1/search?" + urlencode({"q": SHARED}), headers=bad, status=401).json) == {"error"}
    client.get(f"/go/{world.ids['open']}", status=303)


def test_a_deactivated_user_finds_nothing(world):
    """A user switched off keeps a token, but it no longer finds anything."""
    ghost = make_user(world.admin, "ghost", "official", ["SNV"])
    assert ghost.get("/api/v1/search?" + urlencode({"q": OPEN_ONLY})).json["total"] == 2
    world.admin.put("/api/v1/users/ghost", {"active": False})
    ghost.get("/api/v1/search?" + urlencode({"q": OPEN_ONLY}), status=401)


# --------------------------------------------------------------------------- changes of access

def test_a_dossier_whose_access_becomes_classified_disappears(app):
    client = TestApp(app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    admin = Api(client, api_token(client, "admin", ADMIN_PASSWORD))
    admin.post("/api/v1/fonds", FONDS_A)
    word = "Hwing"
    dossier_id = admin.post("/api/v1/fonds/SNV/dossiers", dossier(
        "05.TCCB", f"Hồ sơ bồi thường cho ông Y {word} Mlô", district="Đắk Song")).json["id"]
    record_id = admin.file_record(dossier_id, record(f"Quyết định bồi thường ông Y {word}")).json["id"]
    official = make_user(admin, "canbo", "official", ["SNV"])
    archivist = TestApp(app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    make_user(admin, "luutru", "archivist", ["SNV"])
    login(archivist, "luutru", PASSWORD)
    browser = TestApp(app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    login(browser, "canbo", PASSWORD)

    def found(**params):
        assert app.registry.search.wait_idle(30)
        return official.get("/api/v1/search?" + urlencode(dict(q=word, **params))).json

    def set_access(value):
        form = archivist.get(f"/fonds/SNV/{dossier_id}/edit").forms["deform"]
        form["access"] = value
        response = form.submit("save")
        assert response.status_int == 303, response.text[:2000]

    body = found()
    assert {h["id"] for h in body["hits"]} == {dossier_id, record_id}
    assert body["facets"]["access"] == {"01": 2}

    set_access("03")
    body = found()
    assert_nothing_api(body, word)
    assert_nothing_api(found(district="Đắk Song"), "district")
    assert_nothing_api(official.get("/api/v1/search?access=03").json, "access=03")
    assert_nothing_page(browser.get("/search?" + urlencode({"q": word})), word, "bồi thường", "Mlô")
    # the archivist still finds both, now classified
    archivist_api = Api(client, api_token(client, "luutru", PASSWORD))
    body = archivist_api.get("/api/v1/search?" + urlencode({"q": word})).json
    assert {h["id"] for h in body["hits"]} == {dossier_id, record_id}
    # the dossier is classified now (its document keeps its own access code,
    # copied from the dossier when it was filed, but is hidden with it)
    assert body["facets"]["access"].get("03") >= 1

    set_access("01")
    body = found()
    assert {h["id"] for h in body["hits"]} == {dossier_id, record_id}


def test_a_document_whose_access_becomes_classified_disappears(app):
    client = TestApp(app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    admin = Api(client, api_token(client, "admin", ADMIN_PASSWORD))
    admin.post("/api/v1/fonds", FONDS_A)
    dossier_id = admin.post("/api/v1/fonds/SNV/dossiers", dossier("06.TCCB", "Hồ sơ chính sách")).json["id"]
    record_id = admin.file_record(dossier_id, record("Báo cáo rà soát ông Y Jut Êban")).json["id"]
    official = make_user(admin, "canbo", "official", ["SNV"])
    admin_browser = TestApp(app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    login(admin_browser, "admin", ADMIN_PASSWORD)

    def ids():
        assert app.registry.search.wait_idle(30)
        return {h["id"] for h in official.get("/api/v1/search?q=eban").json["hits"]}

    assert ids() == {record_id}
    form = admin_browser.get(f"/fonds/SNV/{dossier_id}/{record_id}/edit").forms["deform"]
    form["access"] = "03"
    assert form.submit("save").status_int == 303
    assert ids() == set()
    assert official.get("/api/v1/search?doc_type=02").json["total"] == 0
    assert official.get("/api/v1/search?q=chinh+sach").json["total"] == 1  # the dossier


def docx(text):
    """A minimal born-digital DOCX whose page text is ``text``."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns='
                         '"http://schemas.openxmlformats.org/package/2006/content-types"/>')
        archive.writestr("word/document.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w='
            '"http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
            f'<w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>'))
    return out.getvalue()


def test_the_text_of_files_does_not_leak_either(app):
    """Page text is indexed (a word only on a page finds its document), and
    follows the document's access like its metadata."""
    client = TestApp(app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    admin = Api(client, api_token(client, "admin", ADMIN_PASSWORD))
    admin.post("/api/v1/fonds", FONDS_A)
    admin.post("/api/v1/fonds", FONDS_B)
    open_id = admin.post("/api/v1/fonds/SNV/dossiers", dossier("07.TCCB", "Hồ sơ mở")).json["id"]
    secret_id = admin.post("/api/v1/fonds/SNV/dossiers",
                           dossier("08.MAT", "Hồ sơ kín", access="03")).json["id"]
    b_id = admin.post("/api/v1/fonds/VPUB/dossiers", dossier("09.VP", "Hồ sơ phông khác")).json["id"]
    filed = {}
    for name, dossier_id, word, access in (("open", open_id, "Drơng", ""),
                                           ("classified", open_id, "Krajan", "03"),
                                           ("secret", secret_id, "Jơlơng", ""),
                                           ("b", b_id, "Ktla", "")):
        metadata = record(f"Văn bản số {len(filed) + 1}", **({"access": access} if access else {}))
        body = admin.file_record(dossier_id, metadata, [(f"{name}.docx", docx(
            f"Trang một của văn bản: ông Y {word} đề nghị giải quyết chế độ."))]).json
        filed[word] = body["id"]
    official = make_user(admin, "canbo", "official", ["SNV"])
    assert app.registry.search.wait_idle(30)

    def search(api, word):
        return api.get("/api/v1/search?" + urlencode({"q": word})).json

    body = search(official, "Drơng")
    assert [h["id"] for h in body["hits"]] == [filed["Drơng"]]
    assert re.search(r"<mark[^>]*>Drơng</mark>", body["hits"][0]["snippet"])
    for word in ("Krajan", "Jơlơng", "Ktla"):
        assert_nothing_api(search(official, word), word)
        assert [h["id"] for h in search(admin, word)["hits"]] == [filed[word]]
    # the shared page text finds only the allowed document
    body = search(official, "đề nghị giải quyết chế độ")
    assert [h["id"] for h in body["hits"]] == [filed["Drơng"]]
    assert body["facets"]["fonds"] == {"SNV": 1} and body["facets"]["access"] == {"01": 1}
