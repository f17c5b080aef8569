"""Login, sessions, CSRF, password and token storage, security headers."""
import re

from conftest import ADMIN_PASSWORD, csrf, login


def test_everything_requires_login(testapp):
    for url in ("/", "/fonds/", "/users/", "/journal"):
        response = testapp.get(url, status=303)
        assert "/login?next=" in response.location
    assert testapp.get("/api/v1/fonds", status=401).json["error"]["message"]


def test_wrong_password_is_refused_and_journalled(testapp):
    page = testapp.get("/login")
    form = page.forms["login"]
    form["login"] = "admin"
    form["password"] = "wrong-password"
    page = form.submit("submit")
    assert page.status_int == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in page.text
    testapp.get("/", status=303)
    login(testapp, "admin", ADMIN_PASSWORD)
    journal = testapp.get("/journal")
    assert "Đăng nhập thất bại" in journal.text


def test_session_cookie_flags_and_new_session_on_login(testapp):
    before = testapp.get("/login").headers.getall("Set-Cookie")
    response = login(testapp, "admin", ADMIN_PASSWORD)
    cookie = [c for c in response.headers.getall("Set-Cookie") if c.startswith("archive_session=")][0]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http in development
    assert all(cookie.split(";")[0] not in c for c in before)  # no session fixation


def test_secure_cookie_behind_https(app):
    from webtest import TestApp

    client = TestApp(app, extra_environ={"wsgi.url_scheme": "https", "HTTP_HOST": "archive.example"})
    page = client.get("/login")
    form = page.forms["login"]
    form["login"], form["password"] = "admin", ADMIN_PASSWORD
    response = form.submit("submit")
    cookie = [c for c in response.headers.getall("Set-Cookie") if c.startswith("archive_session=")][0]
    assert "Secure" in cookie


def test_csrf_required_on_unsafe_requests(admin):
    # a form post without the token is refused, and nothing is created
    admin.post("/fonds/add", {"code": "X1", "name": "X", "organ_id": "000.00.17.H17"}, status=400)
    # the API with the session cookie and no token is refused too
    admin.post_json("/api/v1/fonds", {"code": "X2", "name": "X", "organ_id": "000.00.17.H17"},
                    status=400)
    admin.post_json("/api/v1/fonds", {"code": "X3", "name": "X", "organ_id": "000.00.17.H17"},
                    headers={"X-CSRF-Token": csrf(admin)}, status=201)
    listing = admin.get("/fonds/").text
    assert "X3" in listing and "X1" not in listing and "X2" not in listing


def test_login_form_has_csrf_and_logout_needs_post(testapp):
    page = testapp.get("/login")
    assert re.search(r'name="csrf_token" value="[^"]+"', page.text)
    login(testapp, "admin", ADMIN_PASSWORD)
    testapp.get("/logout", status=404)  # logout is a POST with a token
    testapp.post("/logout", {"csrf_token": csrf(testapp)}, status=303)
    testapp.get("/", status=303)


def test_passwords_and_tokens_are_stored_hashed(admin_api, app):
    token = admin_api.headers["Authorization"].split()[1]
    from conftest import read_root

    def check(root):
        assert root["users"]["admin"].password_hash.startswith("$argon2id$")
        assert ADMIN_PASSWORD not in root["users"]["admin"].password_hash
        assert token not in root.tokens
        assert all(len(key) == 64 for key in root.tokens.keys())

    read_root(app, check)


def test_revoked_or_forged_tokens_are_refused(admin_api):
    admin_api.get("/api/v1/fonds")
    forged = admin_api.headers["Authorization"] + "x"
    admin_api.app.get("/api/v1/fonds", headers={"Authorization": forged}, status=401)
    token = admin_api.headers["Authorization"].split()[1]
    admin_api.delete(f"/api/v1/tokens/{token}")
    admin_api.get("/api/v1/fonds", status=401)


def test_disabled_user_loses_access(admin_api):
    from conftest import make_user

    admin_api.post("/api/v1/fonds", {"code": "SNV", "name": "Sở Nội vụ", "organ_id": "000.00.17.H17"})
    official = make_user(admin_api, "minh", "official", ["SNV"])
    official.get("/api/v1/fonds")
    admin_api.put("/api/v1/users/minh", {"active": False})
    official.get("/api/v1/fonds", status=401)


def test_security_headers_and_escaping(admin_api, admin):
    admin_api.post("/api/v1/fonds", {"code": "SNV", "name": "<script>alert(1)</script>",
                                     "organ_id": "000.00.17.H17"})
    page = admin.get("/fonds/SNV/")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_login_redirect_stays_on_site(testapp):
    page = testapp.get("/login?next=https://evil.example/")
    form = page.forms["login"]
    form["login"], form["password"] = "admin", ADMIN_PASSWORD
    response = form.submit("submit")
    assert response.location == "http://localhost/"


def test_fonds_counts_never_include_hidden_dossiers(admin_api, fonds):
    from conftest import DOSSIER, make_user

    admin_api.post(f"/api/v1/fonds/{fonds}/dossiers", DOSSIER)
    admin_api.post(f"/api/v1/fonds/{fonds}/dossiers", dict(DOSSIER, notation="02.MAT", access="03"))
    official = make_user(admin_api, "minh", "official", [fonds])
    auditor = make_user(admin_api, "kiemtra", "auditor")
    assert official.get("/api/v1/fonds").json["fonds"][0]["dossiers"] == 1
    assert auditor.get("/api/v1/fonds").json["fonds"][0]["dossiers"] == 2
    assert admin_api.get("/api/v1/fonds").json["fonds"][0]["dossiers"] == 2


def test_own_tokens_and_password_from_the_account_page(admin):
    page = admin.get("/account")
    form = page.forms["token"]
    form["label"] = "Hệ thống một cửa"
    page = form.submit("create")
    token = page.html.select_one("#new-token").text.strip()
    assert "Hệ thống một cửa" in page.html.select_one("#tokens").text
    assert token not in admin.get("/account").text  # shown once only
    headers = {"Authorization": f"Bearer {token}"}
    from webtest import TestApp

    # the token works for the API ...
    client = TestApp(admin.app)
    client.get("/api/v1/fonds", headers=headers, status=200)
    # ... until it is revoked from the page
    page = admin.get("/account")
    page.forms[1].submit().follow()
    client.get("/api/v1/fonds", headers=headers, status=401)

    page = admin.get("/account-password")
    form = page.forms["password"]
    form["current_password"] = "wrong"
    form.set("new_password", "mat-khau-moi-1", index=0)
    form.set("new_password-confirm", "mat-khau-moi-1")
    page = form.submit("save")
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in page.text
    form = page.forms["password"]
    form["current_password"] = ADMIN_PASSWORD
    form.set("new_password", "mat-khau-moi-1", index=0)
    form.set("new_password-confirm", "mat-khau-moi-1")
    assert form.submit("save").status_int == 303
    login(TestApp(admin.app), "admin", "mat-khau-moi-1")  # asserts the login succeeds


def test_a_classified_document_is_hidden_from_officials_in_an_open_dossier(admin_api, dossier_id,
                                                                           fonds):
    from conftest import RECORD, make_pdf, make_user

    public = admin_api.file_record(dossier_id, RECORD, [("a.pdf", make_pdf(1))]).json
    secret = admin_api.file_record(dossier_id, dict(RECORD, access="03"),
                                   [("b.pdf", make_pdf(1))]).json
    official = make_user(admin_api, "minh", "official", [fonds])
    archivist = make_user(admin_api, "lan", "archivist", [fonds])
    # empty or absent access: the dossier's; "03": the document's own
    assert official.get(f"/api/v1/records/{public['id']}").json["access"] == "01"
    official.get(f"/api/v1/records/{secret['id']}", status=403)
    official.get(f"/api/v1/files/{secret['files'][0]['id']}", status=403)
    assert archivist.get(f"/api/v1/records/{secret['id']}").json["access"] == "03"
    archivist.get(f"/api/v1/files/{secret['files'][0]['id']}", status=200)
    # nor is it listed in its dossier, in the API or the UI
    listed = [r["id"] for r in official.get(f"/api/v1/dossiers/{dossier_id}").json["records"]]
    assert listed == [public["id"]]
    assert len(archivist.get(f"/api/v1/dossiers/{dossier_id}").json["records"]) == 2
    from webtest import TestApp

    browser = TestApp(admin_api.app.app)
    login(browser, "minh", "password-123")
    page = browser.get(f"/fonds/{fonds}/{dossier_id}/")
    assert len(page.html.select("#records tbody tr")) == 1
