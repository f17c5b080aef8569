"""A bad Range on a file download: the API answers 416 as a JSON error like
every other API error (not WebOb's text/plain), with Content-Range."""
from conftest import RECORD, make_pdf


def test_api_download_with_an_unsatisfiable_range_answers_a_json_416(admin, admin_api,
                                                                     dossier_id):
    pdf = make_pdf(1)
    record = admin_api.file_record(dossier_id, RECORD, [("a.pdf", pdf)]).json
    stored = record["files"][0]
    url = f"/api/v1/files/{stored['id']}"
    bad = f"bytes={len(pdf) + 10}-{len(pdf) + 20}"

    answer = admin_api.app.get(url, status=416, headers=dict(admin_api.headers, Range=bad))
    assert answer.content_type == "application/json"
    assert answer.headers["Content-Range"] == f"bytes */{len(pdf)}"
    assert set(answer.json) == {"error"}
    assert answer.json["error"]["message"] and answer.json["error"]["fields"] == {}
    # English clients get English, like the other errors
    english = admin_api.app.get(url + "?_LOCALE_=en", status=416,
                            headers=dict(admin_api.headers, Range=bad))
    assert english.json["error"]["message"].startswith("The requested byte range")

    # WebOb's rules still hold: a matching If-None-Match wins (304); an If-Range
    # for another version means "send it all" (200); a good Range is served (206)
    etag = f'"{stored["sha256"]}"'
    admin_api.app.get(url, status=304, headers=dict(admin_api.headers, Range=bad,
                                                **{"If-None-Match": etag}))
    whole = admin_api.app.get(url, status=200, headers=dict(admin_api.headers, Range=bad,
                                                        **{"If-Range": '"other"'}))
    assert whole.body == pdf
    part = admin_api.app.get(url, status=206, headers=dict(admin_api.headers, Range="bytes=0-9"))
    assert part.body == pdf[:10]

    # the web download keeps WebOb's short plain-text answer (a browser or a
    # download manager resuming), with the same Content-Range
    path = f"/fonds/SNV/{dossier_id}/{record['id']}/{stored['id']}/@@download"
    web = admin.get(path, status=416, headers={"Range": bad})
    assert web.content_type == "text/plain"
    assert web.headers["Content-Range"] == f"bytes */{len(pdf)}"
