"""archive-sample: realistic, labelled, deterministic synthetic data, written
through the real services (journal, upload path), added to an archive
without clashes."""
import datetime
import hashlib
import io
import re
import shutil
import unicodedata

import colander
import pytest

from conftest import ADMIN_PASSWORD, PROJECT, open_db

from archive.scripts import sample

N = 60


def run(app_dir, *args):
    out = io.StringIO()
    status = sample.main([str(app_dir / "testing.ini"), "--quiet", *map(str, args)], out=out)
    assert status == 0
    return out.getvalue()


def fresh(tmp_path_factory, name):
    path = tmp_path_factory.mktemp(name)
    shutil.copy(f"{PROJECT}/testing.ini", path / "testing.ini")
    return path


def read_archive(app_dir):
    """Everything in the archive as plain data (the database is closed after)."""
    db = open_db(app_dir)
    conn = db.open()
    try:
        root = conn.root()["archive"]
        fonds, dossiers = [], []
        for f in root["fonds"].values():
            fonds.append({"code": f.code, "name": f.name, "organ_id": f.organ_id,
                          "file_codes": dict(f.file_codes)})
            for d in f.values():
                records = []
                for r in d.records():
                    files = []
                    for stored in r.files():
                        with stored.blob.open("r") as fh:
                            content = fh.read()
                        files.append({"name": stored.name, "media_type": stored.media_type,
                                      "size": stored.size, "sha256": stored.sha256,
                                      "page_count": stored.page_count, "content": content})
                    records.append({**{k: getattr(r, k) for k in sample_record_fields()},
                                    "ordinal": r.ordinal, "doc_code": r.doc_code, "files": files})
                dossiers.append({
                    **{k: getattr(d, k) for k in sample_dossier_fields()},
                    "id": d.id, "fonds": f.code, "file_code": d.file_code, "doc_total": d.doc_total,
                    "closed": d.closed, "synthetic": d.synthetic, "records": records})
        journal = [entry for entry in root.journal.entries.values()]
        return {"fonds": fonds, "dossiers": dossiers, "journal": journal}
    finally:
        conn.close()
        db.close()


def sample_dossier_fields():
    from archive.resources import DOSSIER_FIELDS, ONESTOP_FIELDS

    return DOSSIER_FIELDS + ONESTOP_FIELDS


def sample_record_fields():
    from archive.resources import RECORD_FIELDS

    return RECORD_FIELDS


def fingerprint(archive):
    """What must be equal for equal seeds: metadata, not the random ids."""
    return sorted((d["file_code"], d["title"], d["applicant_name"], d["receipt_code"],
                   tuple((r["doc_type"], r["subject"], r["number"], r["notation"], r["issued_date"])
                         for r in d["records"]))
                  for d in archive["dossiers"])


@pytest.fixture(autouse=True)
def admin_password(monkeypatch):
    monkeypatch.setenv("ARCHIVE_ADMIN_PASSWORD", ADMIN_PASSWORD)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """One archive of N dossiers, seed 7, read back as plain data."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ARCHIVE_ADMIN_PASSWORD", ADMIN_PASSWORD)
        app_dir = fresh(tmp_path_factory, "sample")
        summary = run(app_dir, "--dossiers", N, "--seed", 7)
        data = read_archive(app_dir)
    data["summary"] = summary
    return data


def test_creates_the_dossiers_and_reports_them(archive):
    dossiers = archive["dossiers"]
    assert len(dossiers) == N
    records = sum(len(d["records"]) for d in dossiers)
    assert records >= 2 * N
    summary = archive["summary"]
    assert f"{N} dossiers" in summary and f"{records} records" in summary
    assert "9 fonds created" in summary and "dossiers/s" in summary
    # the nine default agencies: the Department and the eight districts
    names = " ".join(f["name"] for f in archive["fonds"])
    for district in ("Gia Nghĩa", "Cư Jút", "Đắk Glong", "Đắk Mil", "Đắk R'lấp", "Đắk Song",
                     "Krông Nô", "Tuy Đức", "Sở Nội vụ"):
        assert district in names
    assert len({d["fonds"] for d in dossiers}) >= 6


def test_everything_is_labelled_synthetic(archive):
    assert archive["fonds"] and all("(dữ liệu mẫu)" in f["name"] for f in archive["fonds"])
    for d in archive["dossiers"]:
        assert d["synthetic"] is True
        assert "synthetic" in d["notes"] and "DỮ LIỆU MẪU" in d["notes"]
        assert "H17" in d["notes"]
        if d["procedure_code"] != "1.001193":  # the one real code
            assert d["procedure_code"].startswith("9.9")
            assert f"mã thủ tục {d['procedure_code']} là mã giả định" in d["notes"]
        for r in d["records"]:
            assert "synthetic" in r["notes"]


def test_metadata_follows_the_national_rules(archive):
    from archive.schemas import DossierSchema, RecordSchema
    from archive.schemas.types import PROCEDURE_CODE

    from archive.schemas.vocabularies import doc_types as vocabulary

    doc_types = {code for code, _vi, _en in vocabulary()}
    for d in archive["dossiers"]:
        fields = {k: (colander.null if v is None else v) for k, v in d.items()
                  if k in sample_dossier_fields()}
        fields["language"] = list(d["language"])
        DossierSchema().deserialize(fields)  # raises colander.Invalid on a violation
        assert d["file_code"] == f"{d['organ_id']}.{d['year']}.{d['notation']}"
        assert PROCEDURE_CODE.match(d["procedure_code"])
        assert re.fullmatch(rf"{re.escape(d['organ_id'])}-\d{{6}}-\d{{4}}", d["receipt_code"])
        assert d["receipt_code"][14:20] == datetime.date.fromisoformat(d["received_date"]).strftime("%y%m%d")
        if d["applicant_kind"] == "citizen":
            assert re.fullmatch(r"\d{12}", d["applicant_id"])
        # doc_total is computed and equals the documents actually there
        assert d["doc_total"] == len(d["records"]) >= 2
        assert [r["ordinal"] for r in d["records"]] == list(range(1, d["doc_total"] + 1))
        for r in d["records"]:
            RecordSchema().deserialize({k: v for k, v in r.items() if k in sample_record_fields()
                                        and k not in ("access", "language", "provenance",
                                                      "physical_state")})
            assert r["doc_type"] in doc_types
            assert r["doc_code"] == f"{d['file_code']}.{r['ordinal']:07d}"
            # dates may be partial (MM/YYYY) for old digitised dossiers
            assert d["start_date"] <= r["issued_date"][:len(d["start_date"])]
            assert r["issued_date"][:len(d["end_date"])] <= d["end_date"]
    numbered = [r for d in archive["dossiers"] for r in d["records"] if r["number"] and r["notation"]]
    assert numbered and any(re.fullmatch(r"[A-ZĐa-z]+-[A-ZĐ]+", r["notation"]) for r in numbered)
    assert len({r["doc_type"] for d in archive["dossiers"] for r in d["records"]}) >= 8
    assert any(d["procedure_code"] == "1.001193" and d["procedure_name"] == "Đăng ký khai sinh"
               for d in archive["dossiers"])


def test_retention_expiry_closing_and_access_vary(archive):
    dossiers = archive["dossiers"]
    retentions = {d["retention"] for d in dossiers}
    assert "permanent" in retentions
    assert {r for r in retentions if r != "permanent"} & {70, 50, 20, 10, 5}
    # the period runs from the year of the end date (DOMAIN.md §4)
    expired = [d for d in dossiers if d["retention"] != "permanent"
               and int(d["end_date"][:4]) + d["retention"] < 2025]
    assert len(expired) >= 3
    years = [int(d["end_date"][:4]) for d in dossiers]
    assert min(years) <= 2012 and max(years) >= 2021
    closed = [d for d in dossiers if d["closed"]]
    assert 0 < len(closed) < len(dossiers) / 2
    assert {d["access"] for d in dossiers} >= {"01", "02"}
    assert {d["access"] for d in dossiers} & {"02", "03"}


def test_text_is_untidy_like_real_data(archive):
    names = [d["applicant_name"] for d in archive["dossiers"]]
    folded = [n for n in names if n == sample.fold(n)]
    accented = [n for n in names if n != sample.fold(n)]
    assert folded and accented  # with and without tone marks
    assert any(not unicodedata.is_normalized("NFC", n) for n in names)  # NFD
    text = " ".join(f"{d['district']} {d['title']} {d['applicant_name']}" for d in archive["dossiers"])
    assert "'" in text and "\u2019" in text  # R'lấp and R’lấp
    assert any(d["district"] in ("huyện Đắk R'lấp", "huyện Đắk R\u2019lấp") for d in archive["dossiers"]) \
        or re.search(r"N['\u2019]|R['\u2019]", text)


def test_events_go_to_the_journal(archive):
    actions = [entry["action"] for entry in archive["journal"]]
    records = sum(len(d["records"]) for d in archive["dossiers"])
    assert actions.count("fonds.create") == 9
    assert actions.count("dossier.create") == N
    assert actions.count("record.file") == records
    assert actions.count("dossier.close") == sum(d["closed"] for d in archive["dossiers"])
    assert {e["login"] for e in archive["journal"] if e["action"] == "dossier.create"} == {"system"}


def test_same_seed_same_data_other_seed_other_data(tmp_path_factory, archive):
    first = read_archive(run_into(fresh(tmp_path_factory, "a"), 30, 7))
    second = read_archive(run_into(fresh(tmp_path_factory, "b"), 30, 7))
    other = read_archive(run_into(fresh(tmp_path_factory, "c"), 30, 8))
    assert fingerprint(first) == fingerprint(second)
    assert {d["id"] for d in first["dossiers"]}.isdisjoint(d["id"] for d in second["dossiers"])
    assert fingerprint(first) != fingerprint(other)
    assert {d["applicant_name"] for d in first["dossiers"]} != {d["applicant_name"] for d in other["dossiers"]}
    # a smaller run is a prefix of a larger one
    assert set(fingerprint(first)) <= set(fingerprint(archive))


def run_into(app_dir, n, seed, *more):
    run(app_dir, "--dossiers", n, "--seed", seed, *more)
    return app_dir


def test_adds_to_an_existing_archive_without_clashes(tmp_path_factory):
    app_dir = fresh(tmp_path_factory, "again")
    run(app_dir, "--dossiers", 25, "--seed", 1)
    summary = run(app_dir, "--dossiers", 25, "--seed", 2)
    assert "0 fonds created, 9 reused" in summary
    run(app_dir, "--dossiers", 25, "--seed", 1)  # even the same seed again
    data = read_archive(app_dir)
    assert len(data["dossiers"]) == 75
    assert len(data["fonds"]) == 9
    by_fonds = {}
    for d in data["dossiers"]:
        by_fonds.setdefault(d["fonds"], []).append(d["file_code"])
    for f in data["fonds"]:
        codes = by_fonds.get(f["code"], [])
        assert len(codes) == len(set(codes))
        assert sorted(f["file_codes"]) == sorted(codes)


def test_fonds_option_and_foreign_fonds_refused(tmp_path_factory):
    app_dir = fresh(tmp_path_factory, "fonds")
    run(app_dir, "--dossiers", 20, "--fonds", 12, "--seed", 3)
    data = read_archive(app_dir)
    assert len(data["fonds"]) == 12
    communes = [f for f in data["fonds"] if f["code"].count("-") == 2]
    assert len(communes) == 3 and all(f["name"].startswith("Ủy ban nhân dân xã")
                                      or f["name"].startswith("Ủy ban nhân dân phường")
                                      or f["name"].startswith("Ủy ban nhân dân thị trấn") for f in communes)

    # a real fonds that happens to carry a sample code is never touched
    other = fresh(tmp_path_factory, "foreign")
    from archive.scripts._common import script_env
    from archive.services.fonds import create_fonds

    with script_env(str(other / "testing.ini"), "test") as env:
        env.run(lambda root: create_fonds(root, env.registry, env.actor, "MAU-SNV",
                                          "Sở Nội vụ tỉnh Đắk Nông", "000.00.17.H17"))
    with pytest.raises(SystemExit) as exc:
        sample.main([str(other / "testing.ini"), "--quiet", "--dossiers", "5"])
    assert "not sample data" in str(exc.value)
    assert read_archive(other)["dossiers"] == []


def test_scans_are_stored_through_the_upload_path(tmp_path_factory):
    from PIL import Image
    from pypdf import PdfReader

    app_dir = fresh(tmp_path_factory, "scans")
    summary = run(app_dir, "--dossiers", 4, "--seed", 11, "--fonds", 3, "--scans")
    data = read_archive(app_dir)
    files = 0
    media = set()
    for d in data["dossiers"]:
        for r in d["records"]:
            if r["secrecy"] != "none":
                assert r["files"] == []  # refused: metadata only
                continue
            assert len(r["files"]) == 1
            stored = r["files"][0]
            files += 1
            media.add(stored["media_type"])
            content = stored["content"]
            assert hashlib.sha256(content).hexdigest() == stored["sha256"]
            assert len(content) == stored["size"]
            if stored["media_type"] == "application/pdf":
                assert content.startswith(b"%PDF-")
                pages = PdfReader(io.BytesIO(content), strict=True).pages
                assert len(pages) == stored["page_count"] >= 2
                assert stored["name"].endswith(".pdf")
            else:
                assert stored["media_type"] == "image/png" and content.startswith(b"\x89PNG")
                with Image.open(io.BytesIO(content)) as image:
                    image.verify()
                assert stored["page_count"] == 1 and stored["name"].endswith(".png")
    assert files and f"{files} files" in summary
    assert media == {"application/pdf", "image/png"}
    actions = [e["action"] for e in data["journal"]]
    assert actions.count("file.add") == files


def test_rendered_page_shows_the_words_to_search(tmp_path):
    """The page text (for later OCR) holds the subject, applicant and codes;
    rendering is deterministic."""
    generator = sample.Generator(5, sample.agencies()[:9])
    spec = generator.dossier(0)
    record = spec.records[-1]
    renderer = sample.Renderer(5)
    drawn = []

    class Spy:
        def __init__(self, draw):
            self.draw = draw

        def text(self, xy, text, **kw):
            drawn.append(text)
            return self.draw.text(xy, text, **kw)

        def __getattr__(self, name):
            return getattr(self.draw, name)

    import PIL.ImageDraw

    real = PIL.ImageDraw.Draw
    PIL.ImageDraw.Draw = lambda image: Spy(real(image))
    try:
        name, content = renderer.render(spec, record, "000.00.21.H17.2020.0001.HT")
    finally:
        PIL.ImageDraw.Draw = real
    page_text = " ".join(drawn)
    nfc = lambda s: unicodedata.normalize("NFC", s)  # noqa: E731
    for word in nfc(spec.data["applicant_name"]).split() + nfc(record.data["subject"]).split()[:4]:
        assert word in page_text
    assert spec.data["receipt_code"] in page_text and "DỮ LIỆU MẪU" in page_text
    assert renderer.render(spec, record, "000.00.21.H17.2020.0001.HT") == (name, content)


def test_helpers():
    assert sample.fold("Đắk R'lấp Nguyễn Thị Thủy") == "Dak R'lap Nguyen Thi Thuy"
    assert sample.old_tones("Ủy ban nhân dân, Hòa, thủy, hoàng, khỏe") == "Uỷ ban nhân dân, Hoà, thuỷ, hoàng, khoẻ"
    monday = datetime.date(2024, 3, 4)
    assert sample.add_working_days(monday, 5) == datetime.date(2024, 3, 11)
    assert sample.add_working_days(datetime.date(2024, 3, 9), 5) == datetime.date(2024, 3, 15)
    assert len(sample.agencies()) == 1 + 8 + 71


def test_command_line_help(capsys):
    with pytest.raises(SystemExit) as exc:
        sample.main(["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for option in ("--dossiers", "--seed", "--fonds", "--scans", "CONFIG"):
        assert option in text
