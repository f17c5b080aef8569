"""archive-import: import a folder of files described by its manifest.csv.

    archive-import CONFIG FOLDER [--check] [--quiet]

FOLDER/manifest.csv has one row per file: the fonds code, the dossier's
fields, the document's fields and the file's path relative to FOLDER (the
columns are documented in README.md, "Bulk import").  The whole manifest is
checked first: if any row is wrong, nothing is imported and every problem is
listed with its line number (header = line 1) and exit status 1.  Then each
file is imported in its own transaction, with a progress bar; a file already
in its dossier (same file code, same SHA-256) is skipped, so running the
same import again finishes an interrupted one and imports nothing twice.
``--check`` validates the manifest only and says what an import would do.

Exit status: 0 all imported or skipped, 1 manifest refused, 2 some files
failed (listed), 3 FOLDER is not a folder.
"""
import os
import sys

from tqdm import tqdm

from archive.imports import ManifestInvalid, check_manifest, import_plan, in_transaction
from archive.imports.manifest import make_translate

from ._common import parser, script_env


def main(argv=None, out=sys.stdout, err=sys.stderr):
    p = parser("Import a folder of files described by FOLDER/manifest.csv.", "archive-import")
    p.add_argument("folder", metavar="FOLDER", help="the folder holding manifest.csv and the files")
    p.add_argument("--check", action="store_true",
                   help="validate the manifest only: import nothing, say what would be imported")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    folder = os.path.abspath(args.folder)
    if not os.path.isdir(folder):
        print(f"Không phải thư mục: {args.folder}", file=err)
        return 3
    with script_env(args.config_uri, "archive-import") as env:
        run = in_transaction(env.tm, lambda: env.root)
        translate = make_translate(env.registry, "vi")
        try:
            plan = check_manifest(run, folder, env.settings, translate=translate)
        except ManifestInvalid as exc:
            print(f"{translate(exc.message)} ({len(exc.problems)} lỗi)", file=err)
            for problem in exc.problems:
                print(f"  dòng {problem.line}: {problem.text(translate)}", file=err)
            return 1
        if args.check:
            print(f"manifest.csv hợp lệ: {len(plan.rows)} dòng; sẽ nhập {len(plan.to_import)} tệp, "
                  f"bỏ qua {plan.skipped} tệp đã có.", file=out)
            return 0
        with tqdm(total=len(plan.to_import), unit="tệp", file=err, disable=args.quiet,
                  desc="archive-import") as bar:
            def progress(done, total):
                bar.update(done - bar.n)
                if done % 500 == 0:
                    env.conn.cacheMinimize()  # memory stays bounded on a large import

            result = import_plan(plan, run, env.registry, env.actor, progress=progress,
                                 source=folder)
        print(f"Đã nhập {result.imported} tệp, bỏ qua {result.skipped} tệp đã có "
              f"(tạo {result.dossiers_created} hồ sơ mới); lỗi: {len(result.failed)}.", file=out)
        for line, message in result.failed:
            print(f"  dòng {line}: {translate(message)}", file=err)
        return 2 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
