"""English wording: one name for the journal ("Audit trail"), and message ids
that served two roles (a button and a state, a page and an action) split, so
that each role gets its own English."""
import os

from babel.messages.pofile import read_po

from conftest import PROJECT

ENGLISH_PO = os.path.join(PROJECT, "views", "locale", "en", "LC_MESSAGES", "archive.po")
TEMPLATES = os.path.join(PROJECT, "views", "templates")


def english_catalogue():
    with open(ENGLISH_PO, "rb") as fh:
        return read_po(fh)


def english():
    from pyramid.i18n import make_localizer

    return make_localizer("en", [os.path.join(PROJECT, "views", "locale")])


def test_english_calls_the_journal_the_audit_trail_everywhere():
    texts = []
    for message in english_catalogue():
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        texts.extend(strings)
        if "nhật ký" in msgid.lower():  # the Vietnamese name of the journal
            assert all("audit trail" in s.lower() for s in strings), (msgid, strings)
    assert [t for t in texts if "journal" in t.lower()] == []


def test_english_pages_name_each_role_apart(admin):
    from test_i18n import switch

    switch(admin, "en")
    # the holds page is "Legal holds"; its button places one
    holds = admin.get("/holds")
    assert holds.html.select_one("h1").text.strip() == "Legal holds"
    assert "Place legal hold" in [a.text.strip() for a in holds.html.select("a.btn")]
    links = [a.text.strip() for a in admin.get("/retention").html.select("a[href$='/holds']")]
    assert links == ["Legal holds"]
    # the button creates a token (the journal names the action the same way)
    account = admin.get("/account")
    assert "Create API token" in [b.text.strip() for b in account.html.select("button")]
    journal = admin.get("/journal")
    assert journal.html.select_one("h1").text.strip() == "System audit trail"
    assert "Audit trail" in [a.text.strip() for a in journal.html.select("nav a")]
    intro = admin.get("/reports").html.select_one("h1").find_next("p").text
    assert "recorded in the audit trail" in intro and "journal" not in intro


def test_states_and_buttons_have_their_own_message_ids():
    from archive.batches.resources import STATE_LABELS
    from archive.disposal.services import STATE_LABELS as DISPOSAL_STATES

    localizer = english()
    # a conversion item sent back: the state reads "Returned", the button "Send back"
    with open(os.path.join(TEMPLATES, "batch.pt"), encoding="utf-8") as fh:
        assert 'i18n:translate="">Trả lại</button>' in fh.read()
    assert localizer.translate(STATE_LABELS["rejected"]) == "Returned"
    from archive.i18n import _

    assert localizer.translate(_("Trả lại")) == "Send back"
    # a disposal list not approved: the label is the state, not the button
    with open(os.path.join(TEMPLATES, "disposal.pt"), encoding="utf-8") as fh:
        disposal = fh.read()
    assert 'i18n:translate="">Không được duyệt</dt>' in disposal
    assert 'i18n:translate="">Không duyệt</a>' in disposal
    assert localizer.translate(DISPOSAL_STATES["rejected"]) == "Not approved"
    assert localizer.translate(_("Không duyệt")) == "Do not approve"


def test_object_types_and_report_header_are_singular():
    """The audit trail's object types are one thing each ("File", "Job"), not
    the plural page and heading names; the report files' first row names the
    report's type."""
    from archive.i18n import _
    from archive.views.site import OBJECT_TYPES

    localizer = english()
    assert localizer.translate(OBJECT_TYPES["StoredFile"]) == "File"
    assert localizer.translate(OBJECT_TYPES["Job"]) == "Job"
    assert localizer.translate(_("Tệp")) == "Files" and localizer.translate(_("Công việc xử lý")) == "Jobs"
    from types import SimpleNamespace

    from archive.reports import get_kind
    from archive.reports.writers import info_lines

    import datetime

    report = SimpleNamespace(kind=get_kind("statistics"), fonds=None, year=None, rows=[],
                             generated=datetime.datetime(2026, 11, 29, 9, 0))
    first = info_lines(report, localizer.translate)[0]
    assert first[0] == "Report type" and first[1] == localizer.translate(get_kind("statistics").title)
