"""Due dates (DOMAIN.md §4), table-driven: closing years, periods, permanent,
both legal regimes (2011 Law / 2024 Law, cut at 1 July 2025), partial dates."""
import datetime

import pytest

from archive.retention.duedates import due_dates, last_day, parse_partial, regime_of

# (label, kwargs of due_dates, expected fields)
CASES = [
    # the example of DOMAIN.md: ended 2014, kept 10 years -> due 1 January 2025
    ("10y ended 2014", dict(period=10, end_date="2014-11-20"),
     dict(end_year=2014, disposal_year=2025, current_archive_year=2015, transfer_year=None,
          regime="2011", regime_certain=True)),
    ("5y ended 2020", dict(period=5, end_date="2020-03-01"),
     dict(end_year=2020, disposal_year=2026, current_archive_year=2021)),
    ("3y: stays with the unit", dict(period=3, end_date="2021-05-05"),
     dict(disposal_year=2025, current_archive_year=None, transfer_year=None)),
    ("1y", dict(period=1, end_date="2023-12-31"), dict(disposal_year=2025, current_archive_year=None)),
    ("70y", dict(period=70, end_date="1990-01-15"),
     dict(disposal_year=2061, current_archive_year=1991)),
    ("20y as text", dict(period="20", end_date="2010-06-30"), dict(disposal_year=2031)),
    # the start of the year after the end year, whatever the day of the end date
    ("ended 31 Dec", dict(period=10, end_date="2014-12-31"), dict(disposal_year=2025)),
    ("ended 1 Jan", dict(period=10, end_date="2014-01-01"), dict(disposal_year=2025)),
    # the year the matter ended counts, not the year the dossier was closed here
    ("closed much later", dict(period=10, end_date="2014-05-01", closed_year=2026),
     dict(disposal_year=2025)),
    # permanent, 2011 Law: to the historical archive within 10 years of the end year
    ("permanent 2011", dict(period="permanent", end_date="2015-08-01"),
     dict(disposal_year=None, current_archive_year=2016, transfer_year=2025, regime="2011")),
    ("permanent 2011, closed later", dict(period="permanent", end_date="2015-08-01", closed_year=2020),
     dict(transfer_year=2025, regime="2011")),
    ("permanent 2011, last day", dict(period="permanent", end_date="2025-06-30"),
     dict(regime="2011", regime_certain=True, transfer_year=2035)),
    # permanent, 2024 Law: within 5 years of entering the current archive (closing)
    ("permanent 2024, first day", dict(period="permanent", end_date="2025-07-01", closed_year=2025),
     dict(regime="2024", regime_certain=True, transfer_year=2030)),
    ("permanent 2024 closed 2027", dict(period="permanent", end_date="2026-02-10", closed_year=2027),
     dict(regime="2024", transfer_year=2032, current_archive_year=2027)),
    ("permanent 2024 open", dict(period="permanent", end_date="2026-02-10"),
     dict(regime="2024", transfer_year=2032)),   # expected entry: end year + 1
    # the regime changes nothing for a limited period
    ("10y 2024 Law", dict(period=10, end_date="2025-09-01"),
     dict(regime="2024", disposal_year=2036, transfer_year=None)),
    # partial dates
    ("partial year", dict(period=10, end_date="2014"), dict(end_year=2014, disposal_year=2025)),
    ("partial month", dict(period=10, end_date="2014-05"), dict(disposal_year=2025)),
    ("partial 2025: last day, uncertain", dict(period="permanent", end_date="2025"),
     dict(regime="2024", regime_certain=False, transfer_year=2031)),
    ("partial 2025-06: 2011", dict(period="permanent", end_date="2025-06"),
     dict(regime="2011", regime_certain=True, transfer_year=2035)),
    ("partial 2025-07: 2024", dict(period="permanent", end_date="2025-07", closed_year=2026),
     dict(regime="2024", regime_certain=True, transfer_year=2031)),
    ("partial 2024: 2011, certain", dict(period="permanent", end_date="2024"),
     dict(regime="2011", regime_certain=True, transfer_year=2034)),
    # missing end date: the start date, then the dossier's year
    ("no end: start date", dict(period=5, start_date="2018-04-02"), dict(end_year=2018, disposal_year=2024)),
    ("no dates: year", dict(period=5, year=2019), dict(end_year=2019, disposal_year=2025)),
    ("end wins over start", dict(period=5, start_date="2010", end_date="2012-01"),
     dict(end_year=2012, disposal_year=2018)),
    ("nothing known", dict(period=10), dict(end_year=None, disposal_year=None, regime=None)),
    ("no period", dict(period=None, end_date="2014"), dict(end_year=2014, disposal_year=None,
                                                           current_archive_year=None)),
]


@pytest.mark.parametrize("label,kwargs,want", CASES, ids=[c[0] for c in CASES])
def test_due_dates(label, kwargs, want):
    got = due_dates(**kwargs)
    for name, value in want.items():
        assert getattr(got, name) == value, (label, name, getattr(got, name), value)


def test_disposal_date_is_first_of_january():
    assert due_dates(10, end_date="2014-11-20").disposal_date == datetime.date(2025, 1, 1)
    assert due_dates("permanent", end_date="2014").disposal_date is None
    assert due_dates("permanent", end_date="2014").as_dict()["transfer_year"] == 2024


@pytest.mark.parametrize("value,parsed,last", [
    ("2014", (2014, None, None), datetime.date(2014, 12, 31)),
    ("2024-02", (2024, 2, None), datetime.date(2024, 2, 29)),
    ("2023-02", (2023, 2, None), datetime.date(2023, 2, 28)),
    ("2014-05-03", (2014, 5, 3), datetime.date(2014, 5, 3)),
    (datetime.date(2020, 1, 2), (2020, 1, 2), datetime.date(2020, 1, 2)),
    ("", None, None), (None, None, None), ("abc", None, None),
])
def test_partial_dates(value, parsed, last):
    assert parse_partial(value) == parsed
    assert last_day(value) == last


@pytest.mark.parametrize("end,regime,certain", [
    ("2025-06-30", "2011", True), ("2025-07-01", "2024", True), ("2025", "2024", False),
    ("2025-06", "2011", True), ("2025-07", "2024", True), ("1999", "2011", True),
    (None, None, False),
])
def test_regime(end, regime, certain):
    assert regime_of(end) == (regime, certain)


# --------------------------------------------------------------------------- the indexes
# The index answers equal a brute-force walk of every dossier of a generated
# archive (archive-sample), before and after holds and state changes, and a
# query loads no dossier that is not in its answer.

import io  # noqa: E402
import shutil  # noqa: E402

from conftest import PROJECT, open_db  # noqa: E402


@pytest.fixture(scope="module")
def sampled(tmp_path_factory):
    from archive.scripts import sample

    path = tmp_path_factory.mktemp("retention-sample")
    shutil.copy(f"{PROJECT}/testing.ini", path / "testing.ini")
    assert sample.main([str(path / "testing.ini"), "--quiet", "--dossiers", "150", "--seed", "5",
                        "--fonds", "4", "--from-year", "2005"], out=io.StringIO()) == 0
    db = open_db(path)
    yield db
    db.close()


def brute_force(root):
    """Every question of the indexes answered by walking the tree, from the
    pure functions and the dossiers' own attributes."""
    from archive.retention import state_of

    rows = []
    for fonds in root["fonds"].values():
        for d in fonds.values():
            closed_year = d.closed_at.year if d.closed else None
            due = due_dates(d.retention, d.end_date, d.start_date, d.year, closed_year)
            rows.append({"id": d.id, "fonds": fonds.code, "state": state_of(d),
                         "held": bool(d.hold_ids), "disposal": due.disposal_year,
                         "transfer": due.transfer_year, "current": due.current_archive_year})
    return rows


def compare(root):
    from archive.retention import (
        counts_by_year, due_for_disposal, due_for_transfer, on_hold, overdue_for_current_archive,
    )

    rows = brute_force(root)
    fonds_codes = [None] + sorted({r["fonds"] for r in rows})
    years = sorted({r[k] for r in rows for k in ("disposal", "transfer", "current") if r[k]})
    assert len(years) > 10
    checked = 0
    for fonds in fonds_codes:
        mine = [r for r in rows if fonds is None or r["fonds"] == fonds]
        for year in years[::3] + [None]:
            until = year if year is not None else datetime.date.today().year
            want = {r["id"] for r in mine if r["disposal"] and r["disposal"] <= until
                    and r["state"] == "closed" and not r["held"]}
            assert set(due_for_disposal(root, until=until, fonds=fonds)) == want
            if year is None:
                assert set(due_for_disposal(root, fonds=fonds)) == want
            if year is not None:
                want = {r["id"] for r in mine if r["disposal"] == year and r["state"] == "closed"
                        and not r["held"]}
                assert set(due_for_disposal(root, year=year, fonds=fonds)) == want
                want = {r["id"] for r in mine if r["transfer"] == year and r["state"] == "closed"
                        and not r["held"]}
                assert set(due_for_transfer(root, year=year, fonds=fonds)) == want
            want = {r["id"] for r in mine if r["transfer"] and r["transfer"] <= until
                    and r["state"] == "closed" and not r["held"]}
            assert set(due_for_transfer(root, until=until, fonds=fonds)) == want
            want = {r["id"] for r in mine if r["transfer"] and r["transfer"] <= until
                    and r["state"] in ("open", "closed")}
            assert set(due_for_transfer(root, until=until, fonds=fonds, include_held=True,
                                        states=("open", "closed"))) == want
            want = {r["id"] for r in mine if r["current"] and r["current"] < until + 1
                    and r["state"] == "open"}
            assert set(overdue_for_current_archive(root, as_of=until + 1, fonds=fonds)) == want
            checked += 1
        assert set(on_hold(root, fonds=fonds)) == {r["id"] for r in mine if r["held"]}
        for kind in ("disposal", "transfer", "current"):
            want = {}
            for r in mine:
                if r[kind] and r["state"] == "closed":
                    want[r[kind]] = want.get(r[kind], 0) + 1
            assert counts_by_year(root, kind, fonds=fonds, states=("closed",)) == want
    return checked, rows


def test_index_answers_equal_a_walk_of_the_archive(sampled):
    import transaction

    from archive.events import Actor
    from archive.retention import place_holds, reindex_dossier

    tm = transaction.TransactionManager()
    conn = sampled.open(tm)
    try:
        root = conn.root()["archive"]
        checked, rows = compare(root)
        assert checked and len(rows) == 150
        states = {r["state"] for r in rows}
        assert states == {"open", "closed"}
        assert any(r["disposal"] and r["disposal"] <= 2025 for r in rows)
        assert any(r["transfer"] for r in rows)

        # change states and holds the way the services do, then compare again
        registry = _Registry()
        closed = [root.objectmap[r["id"]] for r in rows if r["state"] == "closed"]
        place_holds(root, registry, Actor("kiemtra"), closed[:7], "Khiếu nại", "complaint", "Đơn 1")
        for d in closed[7:12]:
            d.disposal_id = "proposal"
            reindex_dossier(root, d)
        for d in closed[12:15]:
            d.transfer_pending = "transfer"
            reindex_dossier(root, d)
        for d in closed[15:17]:
            d.transferred = True
            reindex_dossier(root, d)
        opened = [root.objectmap[r["id"]] for r in rows if r["state"] == "open"]
        for d in opened[:3]:
            d.end_date = "2008-03"
            reindex_dossier(root, d)
        checked, rows = compare(root)
        assert {r["state"] for r in rows} == {"open", "closed", "proposed", "transferring", "transferred"}
        assert sum(r["held"] for r in rows) == 7
    finally:
        tm.abort()
        conn.close()


def test_queries_load_no_dossier_outside_their_answer(sampled):
    import transaction
    from persistent import GHOST

    from archive.resources import Dossier
    from archive.retention import due_for_disposal, due_for_transfer, index_entry

    tm = transaction.TransactionManager()
    conn = sampled.open(tm)
    try:
        root = conn.root()["archive"]
        conn.cacheMinimize()
        ids = due_for_disposal(root, until=2040) + due_for_transfer(root, until=2040)
        assert ids and all(index_entry(root, oid) for oid in ids)
        loaded = [o for _oid, o in conn._cache.lru_items()
                  if isinstance(o, Dossier) and o._p_state != GHOST]
        assert loaded == []
        # the walk loads them all (the check can fail)
        from archive.retention.index import walk_dossiers

        assert sum(1 for d in walk_dossiers(root) if d.title) == 150
        assert len([o for _oid, o in conn._cache.lru_items() if isinstance(o, Dossier)]) == 150
    finally:
        tm.abort()
        conn.close()


def test_evolve_step_rebuilds_the_same_indexes(sampled):
    import transaction

    from archive.evolve import g04_retention

    tm = transaction.TransactionManager()
    conn = sampled.open(tm)
    try:
        root = conn.root()["archive"]
        before = dict(root.retention_index.entries.items())
        schedule = root.retention_schedule
        del root.retention_index
        g04_retention.step(root)
        assert dict(root.retention_index.entries.items()) == before
        assert root.retention_schedule is schedule        # kept, not seeded twice
        assert len(root.retention_index) == len(before) == 150
    finally:
        tm.abort()
        conn.close()


class _Registry:
    """Services notify a registry; here nobody listens (the index is updated
    by the services' own calls)."""

    def notify(self, event):
        pass
