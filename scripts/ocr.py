"""archive-ocr: queue the text of files that were never queued.

    archive-ocr CONFIG              queue an "ocr" job for every original file
                                    that has no text state yet (files stored
                                    before digitisation existed, or while
                                    archive.ocr.auto was off)
    archive-ocr CONFIG --file ID    queue one file again (its corrections are kept)
    archive-ocr CONFIG --dry-run    only count them

One transaction per dossier, retried on conflicts; jobs already queued for a
file are not queued twice.  archive-worker (or the web process's worker) does
the work.
"""
import sys

from archive.digitise import file_state
from archive.digitise.services import enqueue_text_job
from archive.resources import Dossier, Record, StoredFile

from ._common import parser, script_env


def dossier_ids(env):
    with env.tm:
        return [(fonds.code, dossier.id) for fonds in env.root["fonds"].values()
                for dossier in fonds.values() if isinstance(dossier, Dossier)]


def queue_dossier(env, code, dossier_id, dry_run):
    def work(root):
        dossier = root["fonds"][code].get(dossier_id)
        count = 0
        for record in dossier.values() if dossier is not None else ():
            if not isinstance(record, Record):
                continue
            for stored in record.values():
                if stored.role == "original" and file_state(stored) is None:
                    count += 1
                    if not dry_run:
                        enqueue_text_job(root, stored, env.actor, registry=env.registry)
        return count  # a dry run changed nothing: its commit is empty

    return env.run(work)


def main(argv=None, out=sys.stdout):
    p = parser("Queue the OCR / text extraction of files that were never queued.", "archive-ocr")
    p.add_argument("--file", metavar="ID", help="queue this one file again")
    p.add_argument("--dry-run", action="store_true", help="count, change nothing")
    args = p.parse_args(argv)
    with script_env(args.config_uri, "archive-ocr") as env:
        if args.file:
            def one(root):
                stored = root.objectmap.get(args.file)
                if not isinstance(stored, StoredFile) or stored.role != "original":
                    return None
                return enqueue_text_job(root, stored, env.actor, registry=env.registry)

            job = env.run(one)
            if job is None:
                print(f"no original file {args.file}", file=out)
                return 1
            print(f"queued: job {job.id}", file=out)
            return 0
        total = sum(queue_dossier(env, code, dossier_id, args.dry_run)
                    for code, dossier_id in dossier_ids(env))
        print(f"{total} files {'to queue' if args.dry_run else 'queued'}", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
