"""archive-reindex: rebuild the search index from the database, or check it.

    archive-reindex CONFIG            build a fresh index (a new generation,
                                      switched to when complete) with a progress bar
    archive-reindex CONFIG --check    report drift between database and index
                                      (exit 1 when there is any)
    archive-reindex CONFIG --repair   fix the drift found by --check
    archive-reindex CONFIG --drain    apply the queued changes now

Works while the server runs: searches go on in the old index during a
rebuild, and changes made meanwhile wait in the queue for the new one.
Memory stays bounded whatever the archive's size (chunks, emptied caches).
"""
import sys

from tqdm import tqdm

from archive.search.documents import document_for
from archive.search.queue import get_queue
from archive.search.service import iter_indexable

from ._common import parser, script_env


def database_ids(env):
    """Stable ids of every dossier and document, walked in chunks, and the
    ids waiting in the index queue, read in the same transaction."""
    ids = set()
    with env.tm:
        for count, obj in enumerate(iter_indexable(env.root), 1):
            ids.add(obj.id)
            if count % 1000 == 0:
                env.conn.cacheMinimize()
        queue = get_queue(env.root, create=False)
        queued = set(queue.entries.keys()) if queue is not None else set()
    return ids, queued


def check(env, out):
    """Compare the ids of the database and of the index.  The index is read
    first: an object created meanwhile can then only look missing (indexing
    it again is harmless), never extra.  Ids waiting in the queue are not
    drift: the writer applies them."""
    service = env.registry.search
    in_index = service.indexed_ids()
    in_db, queued = database_ids(env)
    missing = sorted(in_db - in_index - queued)
    extra = sorted(in_index - in_db - queued)
    print(f"database: {len(in_db)} dossiers and documents; index: {len(in_index)}; "
          f"waiting in the queue: {len(queued)}", file=out)
    print(f"missing from the index: {len(missing)}; in the index but not in the database: "
          f"{len(extra)}", file=out)
    for oid in missing[:20]:
        print(f"  missing {oid}", file=out)
    for oid in extra[:20]:
        print(f"  extra   {oid}", file=out)
    return missing, extra


def repair(env, missing, extra, out, chunk=500):
    """Index the missing objects and remove the extra ids, as the database
    now is (an id found extra that exists by now is indexed, not removed)."""
    service = env.registry.search
    indexed = removed = 0
    ids = list(missing) + list(extra)
    for start in range(0, len(ids), chunk):
        with env.tm:
            root = env.root
            writer = service.writer()
            try:
                for oid in ids[start:start + chunk]:
                    doc = document_for(root.objectmap.get(oid))
                    if doc is None:
                        writer.delete_by_term("id", oid)
                        removed += 1
                    else:
                        writer.update_document(**doc)
                        indexed += 1
            except BaseException:
                writer.cancel()
                raise
            service.commit(writer)
        env.conn.cacheMinimize()
    print(f"repaired: {indexed} indexed, {removed} removed", file=out)


def main(argv=None, out=sys.stdout):
    p = parser("Rebuild the search index from the database, or check it for drift.",
               "archive-reindex")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="report drift, change nothing")
    mode.add_argument("--repair", action="store_true", help="fix the drift --check reports")
    mode.add_argument("--drain", action="store_true", help="apply the queued changes now")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    with script_env(args.config_uri, "archive-reindex") as env:
        service = env.registry.search
        if args.check or args.repair:
            missing, extra = check(env, out)
            if args.repair and (missing or extra):
                repair(env, missing, extra, out)
                return 0
            return 1 if (missing or extra) and args.check else 0
        if args.drain:
            print(f"{service.drain(env.db)} queued changes applied", file=out)
            return 0
        with env.tm:
            total = sum(len(fonds) for fonds in env.root["fonds"].values())
        with tqdm(total=total, unit="dossier", disable=args.quiet, file=sys.stderr,
                  desc="reindex") as bar:
            count = service.rebuild(env.db, progress=bar.update)
        print(f"{count} dossiers and documents indexed", file=out)
        return 0


if __name__ == "__main__":
    sys.exit(main())
