"""archive-report: write a report for auditors as CSV, XLSX or PDF.

    archive-report CONFIG KIND --format csv|xlsx|pdf -o FILE [--fonds CODE] [--year Y]
    archive-report CONFIG --list

KIND is one of the kinds ``--list`` prints (statistics, retention, ...).
``--year`` means what the kind says (``--list`` shows it: the year of
formation for statistics, the due year for the retention report...).  The
file is written whole or not at all (a temporary file renamed into place);
the export is journaled like one from the web.  Exit status 2 on bad input,
with the reason in Vietnamese.
"""
import os
import sys
import tempfile

from archive.errors import ArchiveError
from archive.reports import FORMATS, export_report, kinds

from ._common import describe_error, parser, script_env, text


def build_parser():
    p = parser("Write a report (retention, disposal, transfer, holds, destruction records, "
               "statistics) as CSV, XLSX or PDF.", "archive-report")
    p.add_argument("kind", nargs="?", metavar="KIND", help="the report kind (see --list)")
    p.add_argument("--format", choices=sorted(FORMATS), default="csv",
                   help="csv (UTF-8 with BOM), xlsx or pdf (default csv)")
    p.add_argument("-o", "--output", metavar="FILE", help="the file to write ('-' = standard output)")
    p.add_argument("--fonds", metavar="CODE", help="only this fonds")
    p.add_argument("--year", metavar="Y", help="only this year (its meaning depends on the kind)")
    p.add_argument("--list", action="store_true", help="list the report kinds and exit")
    return p


def write_atomically(path, body):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".archive-report-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main(argv=None, out=None):
    """Entry point of ``archive-report``; returns the exit status."""
    out = out or sys.stdout
    p = build_parser()
    args = p.parse_args(argv)
    if args.list:
        for kind in kinds():
            print(f"{kind.name:14} {text(kind.title)} (--year: {text(kind.year_meaning)})", file=out)
        return 0
    if not args.kind or not args.output:
        p.error("KIND and -o FILE are required (see --list)")
    with script_env(args.config_uri, "archive-report") as env:
        try:
            def work(root):
                export = export_report(root, env.registry, env.actor, args.kind, args.format,
                                       fonds=args.fonds, year=args.year)
                if args.output != "-":
                    # written before the journal entry commits: no export unjournaled
                    write_atomically(args.output, export.body)
                return export
            export = env.run(work)
        except ArchiveError as exc:
            print("archive-report: " + describe_error(exc), file=sys.stderr)
            return 2
        except OSError as exc:
            print(f"archive-report: không ghi được tệp {args.output}: {exc.strerror}", file=sys.stderr)
            return 2
    if args.output == "-":
        sys.stdout.buffer.write(export.body)
        sys.stdout.buffer.flush()
    else:
        print(f"{export.rows} rows written to {args.output}", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
