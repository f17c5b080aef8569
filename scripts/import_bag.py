"""archive-import-bag: load a transfer bag into an empty archive.

    archive-import-bag CONFIG BAGDIR

Validates the bag first (bagit: every SHA-256, Payload-Oxum), then creates
the fonds (when missing), the dossiers, their documents and files through
the archive's services, in one transaction: either everything is loaded or
nothing.  A dossier already present here is refused.  Prints what was loaded;
exit 2 on an invalid bag or any refusal.
"""
import sys

from archive.errors import ArchiveError
from archive.services.records import refuses_classified
from archive.transfer.importer import import_bag

from ._common import describe_error, parser, script_env


def main(argv=None, out=sys.stdout):
    p = parser("Load a BagIt transfer bag made by archive-transfer into an empty archive.",
               "archive-import-bag")
    p.add_argument("bag_dir", metavar="BAGDIR", help="the bag's directory (bagit.txt inside)")
    args = p.parse_args(argv)
    with script_env(args.config_uri, "archive-import-bag") as env:
        settings = env.settings
        tmpdir = settings.get("archive.upload_tmp") or settings.get("archive.var")
        max_size = int(settings.get("archive.max_upload", 2 ** 40))
        try:
            refuse = refuses_classified(settings)
            counts = env.run(lambda root: import_bag(root, env.registry, env.actor, args.bag_dir,
                                                     tmpdir, max_size, refuse_classified=refuse))
        except ArchiveError as exc:
            print("archive-import-bag: " + describe_error(exc), file=sys.stderr)
            return 2
        print(f"fonds {counts['fonds']}: {counts['dossiers']} dossiers, {counts['records']} "
              f"documents, {counts['files']} files loaded", file=out)
        return 0


if __name__ == "__main__":
    sys.exit(main())
