"""Retention report benchmark: the report built from the retention indexes
against a full walk of the tree, on the same archive, in the same run.

    .venv/bin/python bench/reports.py [--dossiers 100000] [--workdir DIR]
                                      [--year Y] [--seed S] [--all] [--json FILE]

A benchmark, not a test: pytest never collects it (``testpaths = tests``).
It builds an archive of ``--dossiers`` dossiers with ``archive-sample``
(default in a temporary directory; with ``--workdir`` a built archive of the
same size and seed is reused between runs), then, each on a fresh database
connection with an empty object cache (the operating system's file cache
warmed first by reading ``Data.fs`` once, so both sides read from memory):

1. **full walk**: what a report without indexes must do -- every fonds, every
   dossier loaded, its due dates computed (``dossier_due_dates``), those due
   in ``--year`` kept (a dossier is due in Y when its retention period ends
   on 1 January Y, or, permanent, its deadline for the historical archive is
   Y);
2. **retention report**: ``build_report(root, "retention", year=Y)`` (the
   ids from ``root.retention_index``, only the dossiers of the answer loaded
   for their title and dates) written as CSV, i.e. the whole export the
   auditor downloads.

For each it prints the wall-clock time, the dossier objects loaded from the
database (counted on ``Dossier.__setstate__``, which ZODB calls exactly when
it loads a ghost) and all objects loaded (counted on the connection's
storage ``load``), and checks that both found the same dossiers.  Target:
report time <= 0.1 x walk time.  ``--all`` also times the report over the
whole archive (every dossier is in it, so every dossier is loaded: no index
can avoid that; shown for scale).

``--dossiers 2000`` is the quick mode (under a minute); ``--dossiers 100000``
is the figure of record (sample generation takes a while: run it in the
background and reuse the work dir).
"""
import argparse
import contextlib
import csv
import datetime
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
BIN = os.path.dirname(sys.executable)
TARGET_RATIO = 0.1


def say(*args):
    print(*args, flush=True)


def build_archive(workdir, dossiers, seed):
    """Generate the sample archive unless ``workdir`` already holds it."""
    app_dir = os.path.join(workdir, "app")
    state_path = os.path.join(workdir, "bench-state.json")
    if os.path.exists(state_path):
        with open(state_path) as fh:
            state = json.load(fh)
        if state.get("dossiers") == dossiers and state.get("seed") == seed:
            say(f"archive: reusing {dossiers} dossiers in {app_dir} "
                f"(generated in {state['generate_s']:.0f} s)")
            return app_dir, state
        raise SystemExit(f"bench: {workdir} holds {state.get('dossiers')} dossiers (seed "
                         f"{state.get('seed')}), not {dossiers} (seed {seed}): use another --workdir")
    if os.path.exists(os.path.join(app_dir, "var", "Data.fs")):
        raise SystemExit(f"bench: {app_dir} holds an unfinished archive: delete the work dir")
    os.makedirs(app_dir, exist_ok=True)
    shutil.copy(os.path.join(PROJECT, "testing.ini"), os.path.join(app_dir, "testing.ini"))
    say(f"archive: generating {dossiers} dossiers with archive-sample in {app_dir} ...")
    env = dict(os.environ, ARCHIVE_ADMIN_PASSWORD="bench-admin-password")
    started = time.perf_counter()
    proc = subprocess.run([os.path.join(BIN, "archive-sample"), os.path.join(app_dir, "testing.ini"),
                           "--dossiers", str(dossiers), "--seed", str(seed), "--quiet"],
                          cwd=app_dir, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"bench: archive-sample failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    say("  " + proc.stdout.strip().splitlines()[-1])
    state = {"dossiers": dossiers, "seed": seed, "generate_s": round(elapsed, 1),
             "sample_output": proc.stdout.strip()}
    with open(state_path, "w") as fh:
        json.dump(state, fh, indent=1)
    return app_dir, state


def warm_file_cache(app_dir):
    path = os.path.join(app_dir, "var", "Data.fs")
    with open(path, "rb") as fh:
        while fh.read(16 * 1024 * 1024):
            pass
    return os.path.getsize(path)


class Counters:
    """Dossier loads (``Dossier.__setstate__``) and object loads (the
    connection's storage ``load``) while active."""

    def __init__(self):
        self.dossiers = 0
        self.objects = 0

    @contextlib.contextmanager
    def counting(self, conn):
        from archive.resources import Dossier

        counters = self
        original_setstate = Dossier.__setstate__

        def setstate(obj, state):
            counters.dossiers += 1
            return original_setstate(obj, state)

        storage = conn._storage
        original_load = storage.load

        def load(oid, *args, **kw):
            counters.objects += 1
            return original_load(oid, *args, **kw)

        Dossier.__setstate__ = setstate
        storage.load = load
        try:
            yield self
        finally:
            Dossier.__setstate__ = original_setstate
            del storage.load


@contextlib.contextmanager
def fresh_root(app_dir):
    """The archive root on a newly opened database: an empty object cache."""
    import transaction
    from ZODB import DB

    from archive.db import ROOT_KEY
    from archive.storage import DurableFileStorage

    var = os.path.join(app_dir, "var")
    storage = DurableFileStorage(os.path.join(var, "Data.fs"), blob_dir=os.path.join(var, "blobs"),
                                 read_only=True)
    db = DB(storage, cache_size=1_000_000)
    tm = transaction.TransactionManager(explicit=True)
    conn = db.open(tm)
    tm.begin()
    try:
        yield conn, conn.root()[ROOT_KEY]
    finally:
        tm.abort()
        conn.close()
        db.close()


def full_walk(root, year):
    """Every dossier loaded and its due dates computed; the file codes of
    those due in ``year`` (as the retention report defines it)."""
    from archive.retention import dossier_due_dates
    from archive.resources import Dossier

    due, visited = [], 0
    for fonds in root["fonds"].values():
        for dossier in fonds.values():
            if not isinstance(dossier, Dossier):
                continue
            visited += 1
            dates = dossier_due_dates(dossier)
            if year in (dates.disposal_year, dates.transfer_year):
                due.append((fonds.code, dossier.file_code, dossier.title))
    return visited, sorted(due)


def retention_report(root, year):
    from archive.reports.core import build_report, render

    report = build_report(root, "retention", year=year)
    body = render(report, "csv")
    return report, body


def measure(app_dir, fn):
    with fresh_root(app_dir) as (conn, root):
        counters = Counters()
        with counters.counting(conn):
            started = time.perf_counter()
            cpu = time.process_time()
            result = fn(root)
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu
    return result, elapsed, cpu, counters


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dossiers", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--year", type=int, default=datetime.date.today().year,
                   help="the due year of the report (default: this year)")
    p.add_argument("--workdir", help="keep / reuse the generated archive here")
    p.add_argument("--all", action="store_true", help="also time the report over every dossier")
    p.add_argument("--json", help="write the figures as JSON to this file")
    args = p.parse_args(argv)

    tmp = None
    workdir = args.workdir
    if workdir is None:
        tmp = workdir = tempfile.mkdtemp(prefix="bench-reports-")
    try:
        app_dir, state = build_archive(workdir, args.dossiers, args.seed)
        size = warm_file_cache(app_dir)
        say(f"Data.fs: {size / 1e6:.0f} MB (read once to warm the file cache); load average "
            f"{os.getloadavg()[0]:.2f}; due year {args.year}")

        (visited, walk_due), walk_s, walk_cpu, walk_n = measure(
            app_dir, lambda root: full_walk(root, args.year))
        (report, body), rep_s, rep_cpu, rep_n = measure(
            app_dir, lambda root: retention_report(root, args.year))
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1:]
        same = sorted((r[0], r[1]) for r in rows) == [(f, c) for f, c, _t in walk_due]

        ratio = rep_s / walk_s if walk_s else float("nan")
        say("")
        say(f"{'':34}{'wall s':>9}{'cpu s':>9}{'dossiers loaded':>17}{'objects loaded':>16}{'rows':>8}")
        say(f"{'full walk (due dates of all)':34}{walk_s:9.3f}{walk_cpu:9.3f}{walk_n.dossiers:17d}"
            f"{walk_n.objects:16d}{len(walk_due):8d}")
        say(f"{'retention report, year ' + str(args.year) + ' (CSV)':34}{rep_s:9.3f}{rep_cpu:9.3f}"
            f"{rep_n.dossiers:17d}{rep_n.objects:16d}{len(report.rows):8d}")
        figures = {"dossiers": visited, "year": args.year, "walk_s": round(walk_s, 4),
                   "walk_cpu_s": round(walk_cpu, 4), "walk_dossier_loads": walk_n.dossiers,
                   "walk_object_loads": walk_n.objects, "report_s": round(rep_s, 4),
                   "report_cpu_s": round(rep_cpu, 4), "report_dossier_loads": rep_n.dossiers,
                   "report_object_loads": rep_n.objects, "report_rows": len(report.rows),
                   "ratio": round(ratio, 4), "same_dossiers": same,
                   "load_average": round(os.getloadavg()[0], 2)}
        if args.all:
            (report_all, _body), all_s, all_cpu, all_n = measure(
                app_dir, lambda root: retention_report(root, None))
            say(f"{'retention report, all (CSV)':34}{all_s:9.3f}{all_cpu:9.3f}{all_n.dossiers:17d}"
                f"{all_n.objects:16d}{len(report_all.rows):8d}")
            figures.update(all_s=round(all_s, 4), all_dossier_loads=all_n.dossiers,
                           all_rows=len(report_all.rows))
        say("")
        say(f"archive: {visited} dossiers; due in {args.year}: {len(walk_due)} (walk) / "
            f"{len(report.rows)} (report): {'the same dossiers' if same else 'DIFFERENT dossiers'}")
        verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
        say(f"report / walk = {ratio:.4f} (target <= {TARGET_RATIO}): {verdict}; dossiers loaded "
            f"by the report: {rep_n.dossiers} = {rep_n.dossiers / max(1, visited):.2%} of the archive")
        say("JSON " + json.dumps(figures))
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(figures, fh, indent=1)
        return 0 if same else 1
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
