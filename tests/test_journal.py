"""The append-only journal: changes, reads and downloads, who/when/what/where."""
from conftest import RECORD, make_pdf


def journal_entries(app):
    from conftest import read_root

    return read_root(app, lambda root: root.journal.latest(0, 1000))


def test_changes_reads_and_downloads_are_journalled(app, admin_api, dossier_id):
    body = admin_api.file_record(dossier_id, RECORD, [("a.pdf", make_pdf(1))]).json
    admin_api.get(f"/api/v1/records/{body['id']}")
    admin_api.get(f"/api/v1/files/{body['files'][0]['id']}")
    admin_api.post(f"/api/v1/dossiers/{dossier_id}/close", status=200)
    entries = journal_entries(app)
    actions = [e["action"] for e in reversed(entries)]
    for expected in ("user.change", "token.create", "fonds.create", "dossier.create", "file.add",
                     "record.file", "view", "file.download", "dossier.close"):
        assert expected in actions, expected
    download = next(e for e in entries if e["action"] == "file.download")
    assert download["login"] == "admin"
    assert download["address"] == "127.0.0.1"
    assert download["object_id"] == body["files"][0]["id"]
    assert download["time"] > 0
    filed = next(e for e in entries if e["action"] == "record.file")
    assert filed["code"] == body["doc_code"]
    # newest first, and what the caller gets is a copy: the journal cannot be changed through it
    entries[0]["login"] = "mallory"
    assert journal_entries(app)[0]["login"] == "admin"


def test_refused_change_leaves_no_journal_entry(app, admin_api, dossier_id):
    before = len(journal_entries(app))
    admin_api.post(f"/api/v1/dossiers/{dossier_id}/close", status=200)
    admin_api.post(f"/api/v1/dossiers/{dossier_id}/close", status=403)
    after = journal_entries(app)
    assert len(after) == before + 1


def test_journal_page_for_auditors_only(admin_api, admin, fonds):
    from conftest import login, make_user

    make_user(admin_api, "kiemtra", "auditor")
    make_user(admin_api, "lan", "archivist", [fonds])
    page = admin.get("/journal")
    assert "Tạo phông" in page.text
    from webtest import TestApp

    auditor = TestApp(admin.app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    login(auditor, "kiemtra", "password-123")
    assert "Tạo phông" in auditor.get("/journal").text
    archivist = TestApp(admin.app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    login(archivist, "lan", "password-123")
    archivist.get("/journal", status=403)


def test_every_kind_of_event_has_a_label_on_the_journal_page(app):
    """The journal page names every action in the user's language: an event
    class added without a label would show its raw action name."""
    from archive.events import ArchiveEvent
    from archive.views.site import JOURNAL_ACTIONS

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    # the application is configured (app): every package's events are imported
    actions = {sub.action for sub in subclasses(ArchiveEvent)}
    assert len(actions) > 30
    assert not actions - set(JOURNAL_ACTIONS) - {"event"}, sorted(actions - set(JOURNAL_ACTIONS))
