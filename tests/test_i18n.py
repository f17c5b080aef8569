"""Translations: Vietnamese by default, English selectable, nothing forgotten.

Our message ids are the Vietnamese texts, so the Vietnamese UI needs no
catalogue of ours; English needs ``views/locale/en/LC_MESSAGES/archive.po``
complete, and colander's and deform's own messages need the Vietnamese
``views/locale/vi/LC_MESSAGES/{colander,deform}.po``.
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from conftest import DOSSIER, PROJECT

LOCALES = os.path.join(PROJECT, "views", "locale")
ENGLISH_PO = os.path.join(LOCALES, "en", "LC_MESSAGES", "archive.po")
PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


def read_catalogue(path):
    with open(path, "rb") as fh:
        return read_po(fh)


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues():
    """Compile each .po beside itself, where `make catalogues` puts the .mo,
    when the .mo is missing or older (as make would).  Written to a temporary
    name and renamed, so that parallel test workers never read half a file."""
    for po in glob.glob(os.path.join(LOCALES, "*", "LC_MESSAGES", "*.po")):
        mo = po[:-3] + ".mo"
        if os.path.exists(mo) and os.path.getmtime(mo) >= os.path.getmtime(po):
            continue
        catalogue = read_catalogue(po)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(po), suffix=".mo-tmp")
        with os.fdopen(fd, "wb") as fh:
            write_mo(fh, catalogue)  # fuzzy entries left out, as pybabel compile does
        os.chmod(tmp, 0o644)
        os.replace(tmp, mo)


# -- the catalogues are complete ------------------------------------------------

@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The "archive" messages of the source, extracted by the Makefile's `pot`
    target: the very extraction `make catalogues-update` runs (about 1 s)."""
    pot = tmp_path_factory.mktemp("i18n") / "archive.pot"
    bindir = os.path.dirname(sys.executable)
    if not os.path.exists(os.path.join(bindir, "pot-create")):
        pytest.fail(f"lingva's pot-create is not installed in {bindir}: run `make setup`")
    result = subprocess.run(
        ["make", "-s", "--no-print-directory", "-C", PROJECT, "pot", f"POT={pot}", f"BIN={bindir}"],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return read_catalogue(pot)


def forms(value):
    """The texts of a message id or translation: plural ones are tuples."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def placeholders(value):
    return sorted(name for text in forms(value) for name in PLACEHOLDER.findall(text or ""))


def where(message):
    return ", ".join(f"{os.path.normpath(name)}:{line}" for name, line in message.locations)


def test_every_message_of_the_source_is_translated_to_english(extracted):
    ids = {text for m in extracted if m.id for text in forms(m.id)}
    # the extraction sees Python (schemas, core, views) and the templates
    assert {"Tiêu đề hồ sơ", "Hồ sơ đã đóng: không thể thay đổi, thêm hoặc xóa văn bản và tệp.",
            "Đăng xuất", "Văn bản trong hồ sơ"} <= ids, sorted(ids)
    english = read_catalogue(ENGLISH_PO)
    problems = []
    for message in extracted:
        if not message.id:
            continue
        translated = english.get(message.id)
        if translated is None:
            problems.append(f"missing from en/archive.po: {message.id!r} ({where(message)})")
        elif not all(forms(translated.string)):
            problems.append(f"untranslated: {message.id!r} ({where(message)})")
        elif translated.fuzzy:
            problems.append(f"fuzzy (check it, then remove the flag): {message.id!r} ({where(message)})")
        elif any(placeholders(forms(message.id)[0]) != placeholders(text) for text in forms(translated.string)):
            problems.append(f"placeholders differ: {message.id!r} -> {translated.string!r}")
    assert not problems, (
        "The English catalogue is behind the source. Run `make catalogues-update`, translate "
        "the new messages in views/locale/en/LC_MESSAGES/archive.po, then `make catalogues`:\n  "
        + "\n  ".join(problems))


def test_message_ids_are_well_formed(extracted):
    """A ${...} in a message id must be a mapping key (Python) or an
    i18n:name (templates); an expression there means dynamic content inside
    an i18n:translate element, whose msgid can never match a catalogue."""
    bad = []
    for message in extracted:
        if not message.id:
            continue
        for text in forms(message.id):
            for name in PLACEHOLDER.findall(text):
                if not name.isidentifier():
                    bad.append(f"{text!r} ({where(message)})")
            if text != text.strip() or "\n" in text:
                bad.append(f"stray white space: {text!r} ({where(message)})")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("package", ["colander", "deform"])
def test_colander_and_deform_messages_are_translated_to_vietnamese(package):
    """Every message of the installed colander / deform (their own .pot) has a
    Vietnamese translation: no English fragment in the Vietnamese UI."""
    module = __import__(package)
    template = read_catalogue(os.path.join(os.path.dirname(module.__file__), "locale", f"{package}.pot"))
    vietnamese = read_catalogue(os.path.join(LOCALES, "vi", "LC_MESSAGES", f"{package}.po"))
    problems = []
    for message in template:
        if not message.id:
            continue
        translated = vietnamese.get(message.id)
        if translated is None or not translated.string or translated.fuzzy:
            problems.append(repr(message.id))
        elif sorted(PLACEHOLDER.findall(message.id)) != sorted(PLACEHOLDER.findall(translated.string)):
            problems.append(f"placeholders differ: {message.id!r} -> {translated.string!r}")
    assert not problems, (f"Untranslated in views/locale/vi/LC_MESSAGES/{package}.po (run "
                          "`make catalogues-update` and translate):\n  " + "\n  ".join(problems))


def test_the_running_app_loads_the_compiled_catalogues(app):
    from pyramid.i18n import make_localizer
    from pyramid.interfaces import ITranslationDirectories

    dirs = app.registry.getUtility(ITranslationDirectories)
    assert os.path.realpath(LOCALES) in [os.path.realpath(d) for d in dirs]
    english = make_localizer("en", dirs)
    from archive.i18n import _
    assert english.translate(_("Thời hạn bảo quản")) == "Retention period"
    assert english.pluralize("${n} năm", "${n} năm", 10, domain="archive", mapping={"n": 10}) == "10 years"
    assert english.pluralize("${n} năm", "${n} năm", 1, domain="archive", mapping={"n": 1}) == "1 year"
    vietnamese = make_localizer("vi", dirs)
    assert vietnamese.translate(_("Thời hạn bảo quản")) == "Thời hạn bảo quản"
    from colander import _ as colander_
    from deform.i18n import _ as deform_
    assert vietnamese.translate(colander_("Required")) == "Bắt buộc nhập"
    assert vietnamese.translate(colander_('"${val}" is not a number', mapping={"val": "x"})) \
        == '"x" không phải là số'
    assert vietnamese.translate(deform_("There was a problem with your submission")) \
        == "Dữ liệu gửi lên chưa hợp lệ"


# -- the UI follows the locale ----------------------------------------------------

def switch(testapp, lang):
    response = testapp.get(f"/language?lang={lang}", status=302)
    assert f"_LOCALE_={lang}" in response.headers["Set-Cookie"]


def test_ui_is_vietnamese_by_default_and_english_after_switching(testapp):
    page = testapp.get("/login")
    assert 'lang="vi"' in page.text
    assert page.html.select_one("h1").text.strip() == "Đăng nhập"
    assert "Tên đăng nhập" in page.text and "Mật khẩu" in page.text
    assert "Log in" not in page.text
    switch(testapp, "en")
    page = testapp.get("/login")
    assert 'lang="en"' in page.text
    assert page.html.select_one("h1").text.strip() == "Log in"
    assert page.html.select_one("button[name=submit]").text.strip() == "Log in"
    labels = [label.text.strip() for label in page.html.select("form#login label")]
    assert labels == ["User name", "Password"]
    assert "Đăng nhập" not in page.text and "Mật khẩu" not in page.text
    switch(testapp, "vi")
    assert testapp.get("/login").html.select_one("h1").text.strip() == "Đăng nhập"


def test_locale_parameter_overrides_the_default(testapp):
    page = testapp.get("/login?_LOCALE_=en")
    assert page.html.select_one("h1").text.strip() == "Log in"
    assert testapp.get("/login").html.select_one("h1").text.strip() == "Đăng nhập"


def field(page, name):
    return page.html.select_one(f"form div.item-{name}")


def field_texts(page, name):
    item = field(page, name)
    help_text = item.select_one(".form-text")
    return item.select_one("label").text.strip(), help_text.text.strip() if help_text else None


def field_error(page, name):
    error = field(page, name).select_one(".invalid-feedback")
    return error.text.strip() if error is not None else None


def test_dossier_form_in_english(admin, fonds):
    page = admin.get("/fonds/SNV/add-dossier")
    assert field_texts(page, "title") == ("Tiêu đề hồ sơ", "Tên hồ sơ, tối đa 1000 ký tự.")
    switch(admin, "en")
    page = admin.get("/fonds/SNV/add-dossier")
    assert page.html.select_one("h1").text.strip() == "New dossier in the fonds Sở Nội vụ tỉnh Đắk Nông"
    assert field_texts(page, "title") == ("Dossier title", "The title of the dossier, at most 1000 characters.")
    assert field_texts(page, "retention") == (
        "Retention period", '"permanent" or a number of years (usually 70, 50, 30, 20, 10 or 5).')
    assert field_texts(page, "access") == ("Access", "Who may consult the dossier.")
    assert field_texts(page, "start_date")[0] == "Start date"
    assert [o.text for o in field(page, "access").select("option")] == [
        "01 – Public", "02 – Restricted (conditional access)", "03 – Classified"]
    assert [label.text.strip() for label in field(page, "language").select("label.form-check-label")][:2] \
        == ["Vietnamese", "English"]
    assert page.html.select_one("button[name=save]").text.strip() == "Create dossier"
    # no Vietnamese title or help text is left in the form (the fonds name is
    # data, and so are the titles of the retention schedule's entries)
    form = page.html.select_one("form#deform")
    for item in form.select("label, .form-text, option, button"):
        if item.name == "option" and item.parent.get("name") == "retention_entry":
            continue
        text = item.text.strip()
        assert not re.search(r"[ăâđêôơưĂÂĐÊÔƠƯàáảãạèéẻẽẹìíỉĩịòóỏõọùúủũụỳýỷỹỵ]", text), text


def test_dossier_page_in_english(admin, dossier_id):
    link = f"/fonds/SNV/{dossier_id}/"
    page = admin.get(link)
    terms = [dt.text.strip() for dt in page.html.select("#dossier-metadata dt")]
    assert "Thời hạn bảo quản" in terms and "10 năm" in page.text
    switch(admin, "en")
    page = admin.get(link)
    terms = [dt.text.strip() for dt in page.html.select("#dossier-metadata dt")]
    assert terms[:3] == ["File code", "Agency identifier", "Dossier year"]
    assert "Retention period" in terms and "Access" in terms
    assert "10 years" in page.text and "01 – Public" in page.text
    assert "Documents in this dossier" in page.text


def submit_dossier_without_title(admin):
    page = admin.get("/fonds/SNV/add-dossier")
    form = page.forms["deform"]
    form["notation"] = "01.TCCB"
    form["retention"] = "10"
    form["year"] = "abc"
    return form.submit("save")


def test_validation_errors_follow_the_locale(admin, admin_api, fonds):
    page = submit_dossier_without_title(admin)
    assert page.status_int == 200
    # ours, beside the field
    assert field_error(page, "title") == "Bắt buộc nhập."
    # colander's own message, in Vietnamese
    assert field_error(page, "year") == '"abc" không phải là số'
    assert field_error(page, "notation") is None
    # deform's own messages, in Vietnamese
    assert page.html.select_one(".error-msg-lbl").text.strip() == "Dữ liệu gửi lên chưa hợp lệ"
    assert page.html.select_one(".error-msg-detail").text.strip() == "Các lỗi được đánh dấu ở bên dưới"
    assert page.html.select_one("#form-error").text.strip() == \
        "Dữ liệu chưa hợp lệ, xin kiểm tra các trường được đánh dấu."
    for english in ("Required", "is not a number", "There was a problem", "Errors have been"):
        assert english not in page.text

    switch(admin, "en")
    page = submit_dossier_without_title(admin)
    assert field_error(page, "title") == "Required."
    assert field_error(page, "year") == '"abc" is not a number'
    assert page.html.select_one(".error-msg-lbl").text.strip() == "There was a problem with your submission"
    assert page.html.select_one("#form-error").text.strip() == \
        "Some of the data is not valid; please check the highlighted fields."
    assert "Bắt buộc nhập" not in page.text and "không phải là số" not in page.text
    # nothing was stored
    assert admin_api.get("/api/v1/fonds").json["fonds"][0]["dossiers"] == 0


def test_service_error_with_mapping_follows_the_locale(admin, dossier_id):
    """A named exception of the core (duplicate notation) beside its field,
    with its ${code} filled in, in both languages."""
    def submit():
        form = admin.get("/fonds/SNV/add-dossier").forms["deform"]
        form["notation"] = DOSSIER["notation"]
        form["year"] = str(DOSSIER["year"])
        form["title"] = "Bản trùng"
        form["retention"] = "10"
        return form.submit("save")

    code = "000.00.17.H17.2024.01.TCCB"
    assert field_error(submit(), "notation") == f"Mã hồ sơ {code} đã tồn tại trong phông này."
    switch(admin, "en")
    assert field_error(submit(), "notation") == f"File code {code} already exists in this fonds."


# -- the API follows the locale too -------------------------------------------------

def test_api_errors_follow_the_locale(admin_api, fonds):
    bad = {"notation": "01.TCCB", "year": "abc", "retention": "mãi mãi"}
    error = admin_api.post("/api/v1/fonds/SNV/dossiers", bad, status=422).json["error"]
    assert error["message"] == "Dữ liệu chưa hợp lệ, xin kiểm tra các trường được nêu."
    assert error["fields"]["title"] == "Bắt buộc nhập."
    assert error["fields"]["year"] == '"abc" không phải là số'
    assert error["fields"]["retention"].startswith("Thời hạn bảo quản phải là")

    error = admin_api.post("/api/v1/fonds/SNV/dossiers?_LOCALE_=en", bad, status=422).json["error"]
    assert error["message"] == "Some of the data is not valid; please check the fields listed."
    assert error["fields"]["title"] == "Required."
    assert error["fields"]["year"] == '"abc" is not a number'
    assert error["fields"]["retention"] == (
        'The retention period must be "permanent" or a number of years from 1 to 100 (e.g. 10).')


def test_api_service_errors_follow_the_locale(admin_api, dossier_id):
    code = "000.00.17.H17.2024.01.TCCB"
    error = admin_api.post("/api/v1/fonds/SNV/dossiers", DOSSIER, status=409).json["error"]
    assert error["fields"]["notation"] == f"Mã hồ sơ {code} đã tồn tại trong phông này."
    error = admin_api.post("/api/v1/fonds/SNV/dossiers?_LOCALE_=en", DOSSIER, status=409).json["error"]
    assert error["message"] == "This code already exists."
    assert error["fields"]["notation"] == f"File code {code} already exists in this fonds."


def test_api_authentication_errors_follow_the_locale(testapp):
    error = testapp.get("/api/v1/fonds", status=401).json["error"]
    assert error["message"] == "Cần đăng nhập: gửi Authorization: Bearer <token>."
    error = testapp.get("/api/v1/fonds?_LOCALE_=en", status=401).json["error"]
    assert error["message"] == "Authentication required: send Authorization: Bearer <token>."
    error = testapp.post_json("/api/v1/tokens?_LOCALE_=en", {"login": "admin", "password": "wrong-password"},
                              status=401).json["error"]
    assert error["message"] == "Incorrect user name or password."
