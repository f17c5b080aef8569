"""archive-disposal: disposal of expired dossiers from the shell.

    archive-disposal CONFIG list [--state STATE]
    archive-disposal CONFIG show DISPOSAL
    archive-disposal CONFIG due --fonds CODE [--date YYYY-MM-DD]
    archive-disposal CONFIG propose --as LOGIN --fonds CODE --title TITLE [--reason TEXT]
                                    [--early FILE_CODE=REASON ...] FILE_CODE ...
    archive-disposal CONFIG review DISPOSAL --as LOGIN --minutes FILE --date YYYY-MM-DD [--note TEXT]
    archive-disposal CONFIG approve DISPOSAL --as LOGIN --decision-number NO --decision-date YYYY-MM-DD
                                    [--signer NAME]
    archive-disposal CONFIG reject DISPOSAL --as LOGIN --reason TEXT
    archive-disposal CONFIG destroy DISPOSAL --as LOGIN

DISPOSAL is a disposal's number (HUY-2026-001) or id.  ``--as`` names the
account that acts: the same permissions as in the web UI apply to it, and the
four-eyes rule (the proposer never approves) compares these logins, so a
proposal made by an administrator cannot be approved by that administrator
here either.  Every step is journalled like one in the UI.  After ``destroy``,
run ``archive-pack CONFIG`` to purge the bytes from the disk.
"""
import datetime
import os
import sys

from pyramid.authorization import ACLHelper, Authenticated, Everyone

from archive import security as perm
from archive.disposal import (
    STATE_LABELS, STATES, approve_disposal, destroy_disposal, get_disposals, propose_disposal,
    reject_disposal, review_disposal,
)
from archive.disposal import retention as disposal_retention
from archive.disposal.services import today_local
from archive.errors import ArchiveError, NotFound
from archive.events import Actor
from archive.services.files import spool_upload

from ._common import describe_error, parser, script_env, text

PROG = "archive-disposal"


class Refused(Exception):
    """A refusal of the script itself (bad arguments, no permission)."""


def build_parser():
    p = parser("Propose, review, approve and carry out the disposal of expired dossiers.", PROG)
    sub = p.add_subparsers(dest="action", required=True)
    lst = sub.add_parser("list", help="list disposal proposals")
    lst.add_argument("--state", choices=STATES)
    show = sub.add_parser("show", help="show one disposal and its dossiers")
    show.add_argument("disposal")
    due = sub.add_parser("due", help="dossiers of a fonds due for disposal")
    due.add_argument("--fonds", required=True)
    due.add_argument("--date", help="the day to judge on (default: today)")

    def acting(sp):
        sp.add_argument("--as", dest="login", required=True,
                        help="the account that acts (its permissions apply)")

    pro = sub.add_parser("propose", help="open a proposal for expired dossiers of one fonds")
    acting(pro)
    pro.add_argument("--fonds", required=True)
    pro.add_argument("--title", required=True)
    pro.add_argument("--reason", default="")
    pro.add_argument("--early", action="append", default=[], metavar="FILE_CODE=REASON",
                     help="administrators only: propose a dossier before it is due, with the reason")
    pro.add_argument("dossiers", nargs="*", metavar="FILE_CODE")
    rev = sub.add_parser("review", help="record the valuation council's review and minutes")
    acting(rev)
    rev.add_argument("disposal")
    rev.add_argument("--minutes", required=True, help="the council's minutes (PDF, scan, ODT, DOCX)")
    rev.add_argument("--date", required=True, help="date of the council's meeting, YYYY-MM-DD")
    rev.add_argument("--note", default="")
    app = sub.add_parser("approve", help="record the destruction decision (not by the proposer)")
    acting(app)
    app.add_argument("disposal")
    app.add_argument("--decision-number", required=True)
    app.add_argument("--decision-date", required=True, help="YYYY-MM-DD")
    app.add_argument("--signer", default="")
    rej = sub.add_parser("reject", help="close a proposal without destroying anything")
    acting(rej)
    rej.add_argument("disposal")
    rej.add_argument("--reason", required=True)
    des = sub.add_parser("destroy", help="destroy the dossiers of an approved disposal")
    acting(des)
    des.add_argument("disposal")
    return p


def parse_date(value, what):
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise Refused(f"{what}: expected a date YYYY-MM-DD, got {value!r}")


def find_disposal(root, key):
    container = root.get("disposals")
    disposal = root.objectmap.get(key) if container is not None else None
    if disposal is None and container is not None:
        for candidate in container.values():
            if candidate.number == key:
                disposal = candidate
                break
    if disposal is None or disposal.__parent__ is not container:
        raise NotFound()
    return disposal


def check_permission(root, login, context, permission):
    """The account ``login`` and whether the ACLs grant it ``permission`` on
    ``context``, exactly as for a request of that user."""
    user = root["users"].get(login)
    if user is None or not user.active:
        raise Refused(f"no active account {login!r}")
    principals = [Everyone, Authenticated] + perm.principals_for(user)
    if not ACLHelper().permits(context, principals, permission):
        raise Refused(f"{login} may not do this ({permission})")
    return user


def find_fonds(root, code):
    fonds = root["fonds"].get(code)
    if fonds is None:
        raise Refused(f"no fonds {code!r}")
    return fonds


def find_dossier(root, fonds, key):
    oid = fonds.file_codes.get(key, key)
    dossier = fonds.get(oid)
    if dossier is None:
        raise Refused(f"no dossier {key!r} in fonds {fonds.code}")
    return dossier


def print_disposal(disposal, out):
    print(f"{disposal.number}\t{disposal.id}\t{disposal.state}\t{disposal.fonds_code}\t"
          f"{len(disposal.items)} dossiers\t{disposal.title}", file=out)


def run(env, args, out=sys.stdout):
    registry = env.registry
    actor = Actor(args.login, env.actor.address) if getattr(args, "login", None) else env.actor
    if args.action == "list":
        with env.tm:
            for disposal in get_disposals(env.root, state=args.state):
                print_disposal(disposal, out)
        return 0
    if args.action == "show":
        with env.tm:
            disposal = find_disposal(env.root, args.disposal)
            print_disposal(disposal, out)
            print(f"state: {text(STATE_LABELS[disposal.state])}; proposed by "
                  f"{disposal.proposed_by}; reviewed by {disposal.reviewed_by}; approved by "
                  f"{disposal.approved_by} (decision {disposal.decision_number} of "
                  f"{disposal.decision_date}); destroyed by {disposal.destroyed_by}", file=out)
            for item in disposal.items:
                early = f"\tEARLY: {item['early_reason']}" if item.get("early_reason") else ""
                print(f"  {item['file_code']}\t{item['retention']}\tdue {item['due']}\t"
                      f"{item['title']}{early}", file=out)
        return 0
    if args.action == "due":
        day = parse_date(args.date, "--date") if args.date else today_local()
        with env.tm:
            fonds = find_fonds(env.root, args.fonds)
            for dossier in disposal_retention.due_dossiers(env.root, fonds, day):
                print(f"{dossier.file_code}\t{dossier.retention}\t"
                      f"{disposal_retention.due_date(dossier)}\t{dossier.title}", file=out)
        return 0
    if args.action == "propose":
        early_codes = {}
        for spec in args.early:
            code, sep, reason = spec.partition("=")
            if not sep or not reason.strip():
                raise Refused(f"--early {spec!r}: expected FILE_CODE=REASON")
            early_codes[code] = reason.strip()

        def propose(root):
            fonds = find_fonds(root, args.fonds)
            check_permission(root, args.login, fonds, perm.PROPOSE_DISPOSAL)
            codes = list(args.dossiers) + [c for c in early_codes if c not in args.dossiers]
            dossiers = [find_dossier(root, fonds, code) for code in codes]
            early = {find_dossier(root, fonds, code).id: reason
                     for code, reason in early_codes.items()}
            disposal = propose_disposal(root, registry, actor, fonds, dossiers, args.title,
                                        args.reason, early=early)
            return disposal.number, disposal.id
        number, oid = env.run(propose)
        print(f"disposal {number} proposed ({oid})", file=out)
        return 0
    if args.action == "review":
        review_date = parse_date(args.date, "--date")
        if not os.path.isfile(args.minutes):
            raise Refused(f"--minutes: no file {args.minutes!r}")

        def review(root):
            disposal = find_disposal(root, args.disposal)
            check_permission(root, args.login, disposal, perm.PROPOSE_DISPOSAL)
            with open(args.minutes, "rb") as fh:
                spooled = spool_upload(fh, os.path.basename(args.minutes),
                                       int(env.settings.get("archive.max_upload", 2 ** 31)),
                                       env.settings["archive.upload_tmp"])
            try:
                review_disposal(root, disposal, registry, actor, spooled, review_date, args.note)
            finally:
                spooled.discard()
            return disposal.number
        print(f"disposal {env.run(review)} reviewed", file=out)
        return 0
    if args.action == "approve":
        decision_date = parse_date(args.decision_date, "--decision-date")

        def approve(root):
            disposal = find_disposal(root, args.disposal)
            check_permission(root, args.login, disposal, perm.APPROVE_DISPOSAL)
            approve_disposal(root, disposal, registry, actor, args.decision_number,
                             decision_date, args.signer)
            return disposal.number
        print(f"disposal {env.run(approve)} approved", file=out)
        return 0
    if args.action == "reject":
        def reject(root):
            disposal = find_disposal(root, args.disposal)
            check_permission(root, args.login, disposal, perm.APPROVE_DISPOSAL)
            reject_disposal(root, disposal, registry, actor, args.reason)
            return disposal.number
        print(f"disposal {env.run(reject)} rejected", file=out)
        return 0
    if args.action == "destroy":
        def destroy(root):
            disposal = find_disposal(root, args.disposal)
            check_permission(root, args.login, disposal, perm.APPROVE_DISPOSAL)
            destroy_disposal(root, disposal, registry, actor)
            return disposal.number, len(disposal.items)
        number, count = env.run(destroy)
        print(f"disposal {number}: {count} dossiers destroyed; run archive-pack to purge "
              f"their bytes from the disk", file=out)
        return 0
    return 2


def main(argv=None, out=sys.stdout):
    args = build_parser().parse_args(argv)
    with script_env(args.config_uri, PROG) as env:
        try:
            return run(env, args, out)
        except Refused as exc:
            print(f"{PROG}: {exc}", file=sys.stderr)
            return 2
        except ArchiveError as exc:
            print(f"{PROG}: " + describe_error(exc), file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
