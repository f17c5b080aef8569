"""archive-retention: legal holds, what is due, and the retention indexes from the shell.

    archive-retention CONFIG hold add DOSSIER... --reason TEXT --reference TEXT
                                   [--kind complaint|inspection|litigation|other]
    archive-retention CONFIG hold release HOLD_ID --reason TEXT
    archive-retention CONFIG hold list [--all]
    archive-retention CONFIG due disposal|transfer|current|hold [--year Y] [--until Y] [--fonds CODE]
    archive-retention CONFIG schedule
    archive-retention CONFIG reindex [--check]

DOSSIER is a stable id or a file code.  Works while the server runs (ZEO);
every change is journalled like a change in the UI.  ``reindex --check``
compares the indexes with a walk of every dossier and exits 1 on a drift.
"""
import sys

import colander

from archive import retention
from archive.errors import ArchiveError
from archive.retention.holds import KIND_CODES, find_dossiers
from archive.retention.index import entry_of, get_index, walk_dossiers

from ._common import describe_error, parser, script_env


def build_parser():
    p = parser("Legal holds, due dossiers and the retention indexes of the archive.",
               "archive-retention")
    sub = p.add_subparsers(dest="area", required=True)
    hold = sub.add_parser("hold", help="legal holds").add_subparsers(dest="action", required=True)
    add = hold.add_parser("add", help="put dossiers on hold")
    add.add_argument("dossiers", nargs="+", metavar="DOSSIER", help="stable id or file code")
    add.add_argument("--reason", required=True)
    add.add_argument("--reference", required=True, help="complaint, inspection or case number")
    add.add_argument("--kind", default="complaint", choices=KIND_CODES)
    release = hold.add_parser("release", help="release a hold")
    release.add_argument("hold_id")
    release.add_argument("--reason", required=True)
    hlist = hold.add_parser("list", help="active holds (--all: released ones too)")
    hlist.add_argument("--all", action="store_true")
    due = sub.add_parser("due", help="dossiers due, from the indexes")
    due.add_argument("kind", choices=("disposal", "transfer", "current", "hold"))
    due.add_argument("--year", type=int)
    due.add_argument("--until", type=int)
    due.add_argument("--fonds")
    sub.add_parser("schedule", help="print the retention schedule")
    reindex = sub.add_parser("reindex", help="rebuild the retention indexes from the dossiers")
    reindex.add_argument("--check", action="store_true", help="only compare; exit 1 on a drift")
    return p


def run(env, args, out=sys.stdout):
    registry, actor = env.registry, env.actor
    if args.area == "hold" and args.action == "add":
        def place(root):
            dossiers, unknown = find_dossiers(root, args.dossiers)
            if unknown:
                raise SystemExit("archive-retention: no such dossier: " + ", ".join(unknown))
            return [h.id for h in retention.place_holds(root, registry, actor, dossiers, args.reason,
                                                        args.kind, args.reference)]
        for hold_id in env.run(place):
            print(hold_id, file=out)
    elif args.area == "hold" and args.action == "release":
        def release(root):
            hold = retention.get_hold(root, args.hold_id)
            if hold is None:
                raise SystemExit(f"archive-retention: no hold {args.hold_id}")
            retention.release_hold(root, registry, actor, hold, args.reason)
        env.run(release)
        print("hold released", file=out)
    elif args.area == "hold" and args.action == "list":
        for h in retention.all_holds(env.root, None if args.all else True):
            state = "active" if h.active else f"released {h.released_at:%Y-%m-%d} by {h.released_by}"
            print(f"{h.id}\t{h.file_code}\t{h.kind}\t{h.reference}\t{h.placed_by}\t"
                  f"{h.placed_at:%Y-%m-%d}\t{state}", file=out)
    elif args.area == "due":
        root = env.root
        if args.kind == "disposal":
            ids = retention.due_for_disposal(root, year=args.year, until=args.until, fonds=args.fonds)
        elif args.kind == "transfer":
            ids = retention.due_for_transfer(root, year=args.year, until=args.until, fonds=args.fonds)
        elif args.kind == "current":
            ids = retention.overdue_for_current_archive(
                root, as_of=(args.until + 1) if args.until else None, fonds=args.fonds, year=args.year)
        else:
            ids = retention.on_hold(root, fonds=args.fonds)
        for oid in ids:
            entry = retention.index_entry(root, oid)
            print(f"{oid}\t{entry['fonds']}\t{entry['file_code']}\t{entry['retention']}\t"
                  f"{entry['disposal_year'] or ''}\t{entry['transfer_year'] or ''}\t{entry['state']}",
                  file=out)
        print(f"{len(ids)} dossiers", file=out)
    elif args.area == "schedule":
        schedule = retention.get_schedule(env.root)
        for e in schedule.values() if schedule is not None else []:
            flag = " (retired)" if e.retired else ""
            print(f"{e.code}\tv{e.number}\t{e.period}\t{e.title}\t{e.citation}{flag}", file=out)
    elif args.area == "reindex":
        return reindex(env, args.check, out)
    return 0


def reindex(env, check, out):
    """Compare (and unless ``check`` repair) the indexes with every dossier."""
    def work(root):
        idx = get_index(root)
        if idx is None:
            raise SystemExit("archive-retention: no retention index: run archive-evolve first")
        seen, drift = set(), 0
        for dossier in walk_dossiers(root):
            seen.add(dossier.id)
            if idx.entries.get(dossier.id) != entry_of(dossier):
                drift += 1
                if not check:
                    idx.index(dossier.id, entry_of(dossier))
        stale = [oid for oid in idx.entries.keys() if oid not in seen]
        drift += len(stale)
        if not check:
            for oid in stale:
                idx.unindex(oid)
        return len(seen), drift

    if check:
        env.tm.begin()
        try:
            total, drift = work(env.root)
        finally:
            env.tm.abort()
    else:
        total, drift = env.run(work)
    verb = "differ" if check else "repaired"
    print(f"{total} dossiers, {drift} index entries {verb}", file=out)
    return 1 if (check and drift) else 0


def main(argv=None, out=sys.stdout):
    args = build_parser().parse_args(argv)
    with script_env(args.config_uri, "archive-retention") as env:
        try:
            return run(env, args, out)
        except colander.Invalid as exc:
            for field, message in exc.asdict().items():
                print(f"archive-retention: {field}: {message}", file=sys.stderr)
            return 2
        except ArchiveError as exc:
            print("archive-retention: " + describe_error(exc), file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
