"""The retention schedule as data: entries with code, title, period and legal
citation, seeded from Circular 10/2022/TT-BNV, edited by administrators only,
versioned (a dossier keeps the version it was decided under); a dossier takes
its period from an entry or from a typed value with a reason."""
import re

import pytest
from webtest import TestApp

from conftest import ADMIN_PASSWORD, DOSSIER, FONDS, Api, api_token, login, make_user, module_app, read_root

from archive.retention.index import entry_of


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with module_app(tmp_path_factory, "schedule") as wsgi:
        client = TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        admin = Api(client, api_token(client, "admin", ADMIN_PASSWORD))
        admin.post("/api/v1/fonds", FONDS)
        archivist = make_user(admin, "lan", "archivist", [FONDS["code"]])
        auditor = make_user(admin, "kiemtra", "auditor")
        yield {"wsgi": wsgi, "admin": admin, "archivist": archivist, "auditor": auditor}


def new_dossier(api, notation, status=201, **fields):
    body = dict(DOSSIER, notation=notation)
    body.update(fields)
    body = {k: v for k, v in body.items() if v is not None}
    return api.post(f"/api/v1/fonds/{FONDS['code']}/dossiers", body, status=status)


def retention_of(api, oid):
    return api.get(f"/api/v1/dossiers/{oid}/retention").json


def test_schedule_is_seeded_with_citations(world):
    entries = world["archivist"].get("/api/v1/retention/schedule").json["entries"]
    assert len(entries) >= 10
    assert {e["period"] for e in entries} >= {"permanent", 70, 20, 10, 5}
    assert all(e["citation"].startswith("Thông tư 10/2022/TT-BNV") for e in entries)
    assert all(e["version"] == 1 for e in entries)
    codes = [e["code"] for e in entries]
    assert codes.index("3.2") < codes.index("10.1")   # natural order of codes


def test_only_administrators_change_the_schedule(world):
    entry = {"code": "99.1", "title": "Hồ sơ thử", "period": 10, "citation": "Quyết định thử"}
    for who in ("archivist", "auditor"):
        world[who].post("/api/v1/retention/schedule", entry, status=403)
        world[who].put("/api/v1/retention/schedule/3.2", {"period": 50}, status=403)
    body = world["admin"].post("/api/v1/retention/schedule", entry).json
    assert (body["code"], body["version"], body["period"]) == ("99.1", 1, 10)
    world["admin"].post("/api/v1/retention/schedule", entry, status=409)
    error = world["admin"].post("/api/v1/retention/schedule", dict(entry, code="99.2", period="mãi"),
                                status=422).json["error"]
    assert "period" in error["fields"]
    error = world["admin"].post("/api/v1/retention/schedule", {"code": "99.3", "title": "x", "period": 5},
                                status=422).json["error"]
    assert "citation" in error["fields"]


def test_a_dossier_keeps_the_version_it_was_decided_under(world):
    admin = world["admin"]
    admin.post("/api/v1/retention/schedule", {"code": "98.1", "title": "Hồ sơ tuyển dụng thử",
                                              "period": 20, "citation": "Thông tư 10/2022/TT-BNV, nhóm 3"})
    first = new_dossier(world["archivist"], "01.SCH", retention=None, retention_entry="98.1").json["id"]
    basis = retention_of(admin, first)["basis"]
    assert (basis["source"], basis["code"], basis["version"], basis["period"]) == ("schedule", "98.1", 1, 20)
    assert retention_of(admin, first)["due"]["disposal_year"] == 2024 + 20 + 1

    # the administrator changes the entry: a new version, the old one kept
    body = admin.put("/api/v1/retention/schedule/98.1", {"period": 30, "citation": "Thông tư 10/2022/TT-BNV, nhóm 3, mục 3"}).json
    assert body["version"] == 2 and [v["period"] for v in body["versions"]] == [20, 30]
    assert body["versions"][0]["citation"] == "Thông tư 10/2022/TT-BNV, nhóm 3"
    # nothing changed: no new version
    assert admin.put("/api/v1/retention/schedule/98.1", {"period": 30}).json["version"] == 2

    # the dossier decided under version 1 keeps 20 years and version 1
    after = retention_of(admin, first)
    assert (after["basis"]["version"], after["basis"]["period"], after["due"]["disposal_year"]) == (1, 20, 2045)
    assert admin.get(f"/api/v1/dossiers/{first}").json["retention"] == 20
    # a new dossier takes version 2
    second = new_dossier(world["archivist"], "02.SCH", retention=None, retention_entry="98.1").json["id"]
    assert (retention_of(admin, second)["basis"]["version"], retention_of(admin, second)["basis"]["period"]) == (2, 30)


def test_editing_other_fields_keeps_the_decision(world):
    """The edit form sends the entry and the period back: the old version stays."""
    admin = world["admin"]
    admin.post("/api/v1/retention/schedule", {"code": "97.1", "title": "Báo cáo thử", "period": 10,
                                              "citation": "Thông tư 10/2022/TT-BNV"})
    oid = new_dossier(admin, "03.SCH", retention=None, retention_entry="97.1").json["id"]
    admin.put("/api/v1/retention/schedule/97.1", {"period": 5})
    client = TestApp(world["wsgi"], extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    login(client, "admin", ADMIN_PASSWORD)
    form = client.get(f"/fonds/{FONDS['code']}/{oid}/edit").forms["deform"]
    assert form["retention_entry"].value == "97.1"
    form["title"] = "Tiêu đề mới"
    assert form.submit("save").status_int == 303
    body = retention_of(admin, oid)
    assert (body["basis"]["version"], body["basis"]["period"]) == (1, 10)
    assert admin.get(f"/api/v1/dossiers/{oid}").json["title"] == "Tiêu đề mới"
    # re-deciding under the current version: type its period
    form = client.get(f"/fonds/{FONDS['code']}/{oid}/edit").forms["deform"]
    form["retention"] = "5"
    assert form.submit("save").status_int == 303
    body = retention_of(admin, oid)
    assert (body["basis"]["version"], body["basis"]["period"], body["due"]["disposal_year"]) == (2, 5, 2030)
    journal = read_root(world["wsgi"], lambda root: [e["action"] for e in root.journal.entries.values()])
    assert "retention.schedule.change" in journal and "retention.schedule.add" in journal


def test_typed_period_needs_a_reason_when_it_differs_from_the_entry(world):
    api = world["archivist"]
    error = new_dossier(api, "04.SCH", retention=50, retention_entry="3.2", status=422).json["error"]
    assert "retention_note" in error["fields"]
    oid = new_dossier(api, "04.SCH", retention=50, retention_entry="3.2",
                      retention_note="Theo quyết định của Giám đốc Sở số 12/QĐ-SNV").json["id"]
    basis = retention_of(api, oid)["basis"]
    assert (basis["period"], basis["code"], basis["reason"]) == (
        50, "3.2", "Theo quyết định của Giám đốc Sở số 12/QĐ-SNV")
    assert basis["entry_period"] == 70
    # the same period as the entry needs no reason
    new_dossier(api, "05.SCH", retention=70, retention_entry="3.2")


def test_unknown_or_retired_entries_are_refused(world):
    api, admin = world["archivist"], world["admin"]
    error = new_dossier(api, "06.SCH", retention=None, retention_entry="77.7", status=422).json["error"]
    assert "retention_entry" in error["fields"]
    admin.post("/api/v1/retention/schedule", {"code": "96.1", "title": "Cũ", "period": 5,
                                              "citation": "Thông tư 09/2011/TT-BNV"})
    admin.put("/api/v1/retention/schedule/96.1", {"retired": True})
    error = new_dossier(api, "06.SCH", retention=None, retention_entry="96.1", status=422).json["error"]
    assert "retention_entry" in error["fields"]
    # neither an entry nor a period
    error = new_dossier(api, "06.SCH", retention=None, status=422).json["error"]
    assert "retention" in error["fields"]


def test_typed_period_without_entry_still_works(world):
    oid = new_dossier(world["archivist"], "07.SCH", retention=10).json["id"]
    basis = retention_of(world["archivist"], oid)["basis"]
    assert (basis["source"], basis["period"], basis["code"]) == ("typed", 10, None)


def test_ui_form_takes_the_period_from_the_entry(world):
    client = TestApp(world["wsgi"], extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    login(client, "lan", "password-123")
    form = client.get(f"/fonds/{FONDS['code']}/add-dossier").forms["deform"]
    options = [value for value, _selected, _text in form["retention_entry"].options]
    assert "" in options and "3.2" in options and "10.1" in options
    form["notation"] = "08.SCH"
    form["title"] = "Hồ sơ khen thưởng Huân chương Lao động"
    form["retention_entry"] = "10.1"
    form["retention"] = ""
    page = form.submit("save")
    assert page.status_int == 303, page.text[-2000:]
    page = page.follow()
    oid = page.request.path.rstrip("/").rsplit("/", 1)[-1]
    body = retention_of(world["admin"], oid)
    assert (body["basis"]["code"], body["basis"]["period"]) == ("10.1", "permanent")
    assert body["due"]["transfer_year"] is not None and body["due"]["disposal_year"] is None
    retention_page = client.get(f"/fonds/{FONDS['code']}/{oid}/retention")
    assert "Thông tư 10/2022/TT-BNV" in retention_page.text


def test_administrator_edits_the_schedule_in_the_ui(world):
    client = TestApp(world["wsgi"], extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    login(client, "admin", ADMIN_PASSWORD)
    form = client.get("/retention-schedule-edit").forms["deform"]
    form["code"] = "95.1"
    form["title"] = "Hồ sơ hội nghị thử"
    form["period"] = "vĩnh viễn"
    form["citation"] = "Thông tư 10/2022/TT-BNV, nhóm 1, mục 4"
    assert form.submit("save").status_int == 303
    form = client.get("/retention-schedule-edit?entry=95.1").forms["deform"]
    form["period"] = "20"
    form["citation"] = ""
    page = form.submit("save")
    assert page.status_int == 200 and "Bắt buộc" in page.text
    form = page.forms["deform"]
    form["citation"] = "Thông tư 10/2022/TT-BNV, nhóm 1, mục 4 (sửa)"
    assert form.submit("save").status_int == 303
    page = client.get("/retention-schedule?code=95.1")
    history = page.html.find(id="entry-history").text
    assert "(sửa)" in history and "nhóm 1, mục 4" in history
    assert len(re.findall(r"<tr>", str(page.html.find(id="entry-history").find("tbody")))) == 2
    # auditors read the schedule, archivists do not open the page
    auditor = TestApp(world["wsgi"], extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    login(auditor, "kiemtra", "password-123")
    assert "95.1" in auditor.get("/retention-schedule").text
    auditor.get("/retention-schedule-edit?entry=95.1", status=403)


def test_every_dossier_is_indexed_as_it_changes(world):
    def check(root):
        from archive.retention.index import walk_dossiers

        return [(d.file_code, root.retention_index.entries.get(d.id) == entry_of(d))
                for d in walk_dossiers(root)]

    result = read_root(world["wsgi"], check)
    assert result and all(ok for _code, ok in result), result


def test_answers_match_the_documented_schemas(world):
    """Every retention route answers what views/api/openapi.d/retention.json says."""
    from test_openapi import assert_valid, check_answer, request_schema

    from archive.views.api.spec import load_spec

    spec = load_spec()
    admin, auditor = world["admin"], world["auditor"]
    oid = new_dossier(admin, "09.SCH", retention=None, retention_entry="1.2").json["id"]
    entry = {"code": "94.1", "title": "Mục tài liệu", "period": "vĩnh viễn",
             "citation": "Thông tư 10/2022/TT-BNV"}
    assert_valid(spec, request_schema(spec, "post", "/api/v1/retention/schedule"), entry, "entry")
    hold = {"dossiers": [oid], "kind": "other", "reference": "Công văn 5", "reason": "Chờ xác minh"}
    assert_valid(spec, request_schema(spec, "post", "/api/v1/holds"), hold, "hold")
    calls = [
        ("GET", "/api/v1/retention/schedule", admin.get("/api/v1/retention/schedule")),
        ("POST", "/api/v1/retention/schedule", admin.post("/api/v1/retention/schedule", entry)),
        ("PUT", "/api/v1/retention/schedule/{code}", admin.put("/api/v1/retention/schedule/94.1",
                                                              {"note": "Ghi chú"})),
        ("GET", "/api/v1/retention/schedule/{code}", admin.get("/api/v1/retention/schedule/94.1")),
        ("GET", "/api/v1/retention/schedule/{code}", admin.get("/api/v1/retention/schedule/none",
                                                              status=404)),
        ("POST", "/api/v1/retention/schedule", admin.post("/api/v1/retention/schedule", entry, status=409)),
    ]
    closed = new_dossier(admin, "10.SCH", retention=5).json["id"]
    admin.post(f"/api/v1/dossiers/{closed}/close", status=200)
    held = auditor.post("/api/v1/holds", hold)
    calls += [
        ("POST", "/api/v1/holds", held),
        ("POST", "/api/v1/holds", auditor.post("/api/v1/holds", dict(hold, kind="x"), status=422)),
        ("GET", "/api/v1/holds", auditor.get("/api/v1/holds?active=1")),
        ("GET", "/api/v1/retention/due", auditor.get("/api/v1/retention/due?kind=hold")),
        ("GET", "/api/v1/retention/due", auditor.get("/api/v1/retention/due?kind=disposal&until=2100")),
        ("GET", "/api/v1/retention/due", auditor.get("/api/v1/retention/due?kind=current&fonds=SNV")),
        ("GET", "/api/v1/retention/due", auditor.get("/api/v1/retention/due?kind=nope", status=422)),
        ("GET", "/api/v1/dossiers/{id}/retention", auditor.get(f"/api/v1/dossiers/{oid}/retention")),
        ("GET", "/api/v1/dossiers/{id}", admin.get(f"/api/v1/dossiers/{oid}")),
    ]
    hold_id = held.json["holds"][0]["id"]
    calls += [
        ("POST", "/api/v1/holds/{id}/release", auditor.post(f"/api/v1/holds/{hold_id}/release",
                                                           {"reason": "Xong"}, status=200)),
        ("POST", "/api/v1/holds/{id}/release", auditor.post(f"/api/v1/holds/{hold_id}/release",
                                                           {"reason": "Xong"}, status=409)),
        ("POST", "/api/v1/holds/{id}/release", auditor.post("/api/v1/holds/nope/release",
                                                           {"reason": "Xong"}, status=404)),
    ]
    for method, path, response in calls:
        if response is not None:
            check_answer(spec, method, path, response)
    assert auditor.get("/api/v1/retention/due?kind=disposal&until=2100").json["total"] >= 1


def test_dashboards_count_filter_and_page(world):
    """Due for disposal / transfer, overdue for the current archive, on hold:
    counts, filters by fonds and year, pagination (auditor)."""
    admin = world["admin"]
    admin.post("/api/v1/fonds", {"code": "VPUB", "name": "Văn phòng UBND", "organ_id": "H17.1.2"})
    made = {}
    for fonds, notation, retention, end, close in (
            ("SNV", "20.DB", 5, "2012-05-01", True),     # due 1 Jan 2018
            ("SNV", "21.DB", 5, "2012-07", True),        # due 1 Jan 2018
            ("SNV", "22.DB", 10, "2012", True),          # due 1 Jan 2023
            ("VPUB", "23.DB", 5, "2012-01-01", True),    # due 1 Jan 2018, other fonds
            ("SNV", "24.DB", "permanent", "2010-03-01", True),   # to the historical archive by 2020
            ("SNV", "25.DB", 10, "2015-01-01", False),   # open, overdue for the current archive
    ):
        body = dict(DOSSIER, notation=notation, retention=retention, start_date=end[:4],
                    end_date=end, year=int(end[:4]))
        oid = admin.post(f"/api/v1/fonds/{fonds}/dossiers", body).json["id"]
        if close:
            admin.post(f"/api/v1/dossiers/{oid}/close", status=200)
        made[notation] = oid
    client = TestApp(world["wsgi"], extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    login(client, "kiemtra", "password-123")

    def listed(url):
        page = client.get(url)
        codes = [a.text.rsplit(".", 2)[-2] + "." + a.text.rsplit(".", 1)[-1]
                 for a in page.html.find(id="due-list").find_all("a")]
        return page, codes

    page, codes = listed("/retention?kind=disposal&year=2018")
    assert sorted(codes) == ["20.DB", "21.DB", "23.DB"]
    assert page.html.find(id="total").text == "3"
    page, codes = listed("/retention?kind=disposal&year=2018&fonds=SNV")
    assert sorted(codes) == ["20.DB", "21.DB"]
    page, codes = listed("/retention?kind=disposal&fonds=SNV")
    assert {"20.DB", "21.DB", "22.DB"} <= set(codes) and "24.DB" not in codes
    years = {tr.find_all("td")[0].text: tr.find_all("td")[1].text
             for tr in page.html.find(id="by-year").find("tbody").find_all("tr")}
    assert years["2018"] == "2" and years["2023"] == "1"
    # pagination keeps the filters
    page, codes = listed("/retention?kind=disposal&fonds=SNV&year=2018&size=1")
    assert len(codes) == 1
    links = [a["href"] for a in page.html.select(".pagination a")]
    assert len(links) == 2 and all("fonds=SNV" in link and "year=2018" in link for link in links)
    _page2, codes2 = listed(links[1].replace("http://localhost", ""))
    assert sorted(codes + codes2) == ["20.DB", "21.DB"]
    page, codes = listed("/retention?kind=transfer&fonds=SNV")
    assert codes == ["24.DB"]
    page, codes = listed("/retention?kind=current&fonds=SNV")
    assert "25.DB" in codes and "20.DB" not in codes
    assert page.html.find(id="count-current").text.strip() == str(len(codes))
    # holding several dossiers from the list
    page = client.get("/retention?kind=disposal&year=2018&fonds=SNV")
    form = page.forms["hold-selected"]
    for box in form.fields["dossier"]:
        box.checked = True
    hold_form = form.submit().forms["deform"]
    assert sorted(line.rsplit(".", 2)[-2] for line in hold_form["dossiers"].value.splitlines()) == ["20", "21"]
    # the same answers from the API
    due = world["auditor"].get("/api/v1/retention/due?kind=disposal&year=2018").json
    assert sorted(d["id"] for d in due["dossiers"]) == sorted(made[n] for n in ("20.DB", "21.DB", "23.DB"))
    # archivists and officials have no dashboards
    archivist = TestApp(world["wsgi"], extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    login(archivist, "lan", "password-123")
    archivist.get("/retention", status=403)
