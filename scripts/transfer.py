"""archive-transfer: transfer permanent dossiers to the historical archive.

    archive-transfer CONFIG --out DIR [--fonds CODE] [--year Y | --dossier ID ...] [--zip]
        write a BagIt bag DIR/NL-<year>-<NNNN>-<fonds> of the dossiers due for
        transfer (permanent, closed, deadline passed, not on hold) of the fonds;
        --year: only those whose deadline year is Y; --dossier: exactly these
        (stable ids or file codes), each checked.  The dossiers are then
        "being transferred" until the receipt is recorded.
    archive-transfer CONFIG --due [--fonds CODE]
        list the dossiers due for transfer, change nothing
    archive-transfer CONFIG --receipt TRANSFER --number N --date DD/MM/YYYY
        record the historical archive's receipt (biên bản giao nhận): the
        dossiers of the transfer are marked transferred
    archive-transfer CONFIG --cancel TRANSFER --reason TEXT
        cancel a transfer without receipt (its dossiers may be offered again)
    archive-transfer CONFIG --list
        list the transfers

TRANSFER is the number (NL-2026-0001) or the stable id.  Every change is
journaled like a change in the UI; a held dossier is refused on every path.
"""
import sys

from archive.errors import ArchiveError
from archive.resources import Dossier
from archive.schemas.vocabularies import doc_type_name
from archive.transfer import service
from archive.errors import NotFound

from ._common import describe_error, parser, script_env


def build_parser():
    p = parser("Transfer permanent dossiers to the historical archive as a BagIt bag, "
               "record the receipt, cancel or list transfers.", "archive-transfer")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--out", metavar="DIR", help="write the bag under DIR")
    mode.add_argument("--due", action="store_true", help="list the dossiers due, change nothing")
    mode.add_argument("--receipt", metavar="TRANSFER", help="record the receipt of TRANSFER")
    mode.add_argument("--cancel", metavar="TRANSFER", help="cancel TRANSFER (not yet received)")
    mode.add_argument("--list", action="store_true", help="list the transfers")
    p.add_argument("--fonds", metavar="CODE", help="the fonds whose dossiers are transferred")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--year", type=int, metavar="Y", help="only dossiers whose deadline year is Y")
    which.add_argument("--dossier", nargs="+", metavar="ID", default=[],
                       help="exactly these dossiers (stable ids or file codes)")
    p.add_argument("--zip", action="store_true", help="also write DIR/<bag>.zip")
    p.add_argument("--number", help="receipt number (with --receipt)")
    p.add_argument("--date", help="receipt date DD/MM/YYYY or YYYY-MM-DD (with --receipt)")
    p.add_argument("--reason", help="why the transfer is cancelled (with --cancel)")
    return p


def resolve_dossier(root, key):
    obj = root.objectmap.get(key)
    if isinstance(obj, Dossier):
        return key
    for fonds in root["fonds"].values():
        oid = fonds.file_codes.get(key)
        if oid:
            return oid
    return key   # select_due reports it as not found


def find_transfer(root, key):
    transfers = service.transfers_of(root)
    if key in transfers:
        return transfers[key]
    for transfer in transfers.values():
        if transfer.number == key:
            return transfer
    raise NotFound(message=f"no transfer {key}")


def run(env, args, out):
    registry, actor = env.registry, env.actor
    if args.list:
        with env.tm:
            for t in service.list_transfers(env.root):
                print(f"{t.number}\t{t.id}\t{t.fonds_code}\t{t.state}\t{len(t.dossiers)} dossiers\t"
                      f"{t.receipt_number}\t{t.receipt_date or ''}\t{t.bag_dir}", file=out)
        return 0
    if args.due:
        with env.tm:
            root = env.root
            ids = service.due_ids(root, args.fonds)
            for dossier in service.load_dossiers(root, ids):
                print(f"{dossier.id}\t{dossier.fonds.code}\t{dossier.file_code}\t{dossier.title}",
                      file=out)
        return 0
    if args.receipt:
        if not args.number or not args.date:
            print("archive-transfer: --receipt needs --number and --date", file=sys.stderr)
            return 2
        transfer = env.run(lambda root: service.record_receipt(
            find_transfer(root, args.receipt), registry, actor, args.number, args.date))
        print(f"receipt recorded: {transfer.number}", file=out)
        return 0
    if args.cancel:
        if not args.reason:
            print("archive-transfer: --cancel needs --reason", file=sys.stderr)
            return 2
        env.run(lambda root: service.cancel_transfer(find_transfer(root, args.cancel), registry,
                                                     actor, args.reason))
        print(f"cancelled: {args.cancel}", file=out)
        return 0

    def export(root):
        ids = [resolve_dossier(root, key) for key in args.dossier]
        dossiers = service.select_due(root, args.fonds, args.year, ids or None)
        transfer = service.export_transfer(root, registry, actor, dossiers, args.out,
                                           doc_type_name=doc_type_name, make_zip=args.zip)
        return {"number": transfer.number, "id": transfer.id, "bag": transfer.bag_dir,
                "zip": transfer.zip_path, "dossiers": len(transfer.dossiers),
                "files": transfer.file_total, "bytes": transfer.byte_total,
                "oxum": transfer.payload_oxum}

    result = env.run(export)
    print(f"transfer {result['number']} ({result['id']}): {result['dossiers']} dossiers, "
          f"{result['files']} files, {result['bytes']} bytes", file=out)
    print(f"bag: {result['bag']}", file=out)
    if result["zip"]:
        print(f"zip: {result['zip']}", file=out)
    print("the dossiers are marked transferred when the receipt is recorded: "
          f"archive-transfer CONFIG --receipt {result['number']} --number N --date DD/MM/YYYY",
          file=out)
    return 0


def main(argv=None, out=sys.stdout):
    args = build_parser().parse_args(argv)
    with script_env(args.config_uri, "archive-transfer") as env:
        try:
            return run(env, args, out)
        except ArchiveError as exc:
            print("archive-transfer: " + describe_error(exc), file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
