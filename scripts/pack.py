"""archive-pack: the archive's own maintenance; purges what was destroyed.

    archive-pack CONFIG [--days N] [--no-shred] [--no-index]

Packs the database up to now (or N days ago): every revision that is no
longer current, every object no longer reachable and their blob files go;
then removes what FileStorage keeps of the previous state (``Data.fs.old``
and ``blobs.old``, overwritten first) and compacts the search index (applies
the queue, merges its segments so that deleted entries leave its files).
After a destruction this is what purges the dossiers' bytes from ``var/``.
Works while the server runs (through its ZEO server) and on the embedded
storage.  Back up ``var/`` before: a pack cannot be undone.
"""
import sys

from archive.disposal.pack import pack_database

from ._common import parser, script_env

PROG = "archive-pack"


def compact_index(env):
    """Apply the queued changes and merge the index's segments: a deleted
    entry keeps its text in its segment until the segment is rewritten."""
    service = getattr(env.registry, "search", None)
    if service is None:
        return 0
    applied = service.drain(env.db)
    writer = service.writer()
    service.commit(writer, optimize=True)
    return applied


def main(argv=None, out=sys.stdout):
    p = parser("Pack the database and purge destroyed content from the disk.", PROG)
    p.add_argument("--days", type=float, default=0.0,
                   help="keep the revisions of the last N days (default 0: pack up to now)")
    p.add_argument("--no-shred", action="store_true",
                   help="remove Data.fs.old and blobs.old without overwriting them first")
    p.add_argument("--no-index", action="store_true", help="leave the search index alone")
    args = p.parse_args(argv)
    if args.days < 0:
        print(f"{PROG}: --days must be 0 or more", file=sys.stderr)
        return 2
    with script_env(args.config_uri, PROG) as env:
        report = pack_database(env.db, env.settings, days=args.days, shred=not args.no_shred)
        print(f"packed {report['data']}: {report['size_before']} -> {report['size_after']} bytes "
              f"in {report['seconds']} s; removed {', '.join(report['removed']) or 'nothing'}; "
              f"{report['overwritten']} removed blob files overwritten", file=out)
        if not args.no_index:
            applied = compact_index(env)
            print(f"search index compacted ({applied} queued changes applied)", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
