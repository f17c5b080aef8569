"""archive-admin: users, tokens, fonds and file checks from the shell.

    archive-admin CONFIG user add LOGIN --role ROLE [--fonds CODE ...] [--name NAME]
                                   (the password is read from standard input)
    archive-admin CONFIG user set LOGIN [--role ROLE] [--fonds CODE ...] [--password]
                                   [--disable | --enable]
    archive-admin CONFIG user list
    archive-admin CONFIG token create LOGIN [--label LABEL]   (prints the new token)
    archive-admin CONFIG token revoke TOKEN
    archive-admin CONFIG fonds add CODE NAME ORGAN_ID
    archive-admin CONFIG verify      (recompute every file's SHA-256; exit 1 on a mismatch)

Works while the server runs: with the embedded default both talk to the ZEO
server of ``make run``.  Every change is journalled like a change in the UI.
"""
import getpass
import sys

import colander

from archive.errors import ArchiveError
from archive.resources import Dossier, StoredFile
from archive.schemas import FondsSchema, deserialize
from archive.schemas.types import LOGIN
from archive.security import ROLES
from archive.services import users as user_service
from archive.services.files import verify
from archive.services.fonds import create_fonds

from ._common import describe_error, parser, script_env


def read_password(stdin=sys.stdin):
    if stdin.isatty():
        first = getpass.getpass("Mật khẩu / password: ")
        second = getpass.getpass("Nhập lại / repeat: ")
        if first != second:
            raise SystemExit("archive-admin: the passwords differ")
        return first
    return stdin.readline().rstrip("\r\n")


def build_parser():
    p = parser("Manage users, API tokens and fonds of the archive; verify stored files.",
               "archive-admin")
    sub = p.add_subparsers(dest="area", required=True)

    user = sub.add_parser("user", help="accounts").add_subparsers(dest="action", required=True)
    add = user.add_parser("add", help="create an account (password from standard input)")
    add.add_argument("login")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--fonds", nargs="*", default=[], metavar="CODE",
                     help="fonds granted to an archivist or official")
    add.add_argument("--name", default="", help="display name")
    change = user.add_parser("set", help="change role, grants, password or active flag")
    change.add_argument("login")
    change.add_argument("--role", choices=ROLES)
    change.add_argument("--fonds", nargs="*", metavar="CODE")
    change.add_argument("--name")
    change.add_argument("--password", action="store_true", help="read a new password from stdin")
    state = change.add_mutually_exclusive_group()
    state.add_argument("--disable", action="store_true")
    state.add_argument("--enable", action="store_true")
    user.add_parser("list", help="list accounts")

    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="action", required=True)
    create = token.add_parser("create", help="create a token and print it (shown once)")
    create.add_argument("login")
    create.add_argument("--label", default="", help="what the token is for")
    revoke = token.add_parser("revoke", help="revoke a token")
    revoke.add_argument("token")

    fonds = sub.add_parser("fonds", help="fonds").add_subparsers(dest="action", required=True)
    fadd = fonds.add_parser("add", help="create a fonds")
    fadd.add_argument("code")
    fadd.add_argument("name")
    fadd.add_argument("organ_id")

    sub.add_parser("verify", help="recompute the SHA-256 of every stored file")
    return p


def run(env, args, out=sys.stdout, stdin=sys.stdin):
    hasher = env.registry.password_hasher
    registry, actor = env.registry, env.actor
    if args.area == "user" and args.action == "add":
        if not LOGIN.match(args.login):
            raise SystemExit("archive-admin: a login has 2-64 lower-case letters, digits, . _ -")
        password = read_password(stdin)
        env.run(lambda root: user_service.create_user(root, registry, actor, hasher, args.login,
                                                      password, args.role, args.fonds, args.name))
        print(f"user {args.login} created ({args.role})", file=out)
    elif args.area == "user" and args.action == "set":
        password = read_password(stdin) if args.password else None
        active = False if args.disable else (True if args.enable else None)
        env.run(lambda root: user_service.update_user(
            root, registry, actor, hasher, args.login, role=args.role, fonds=args.fonds,
            password=password, name=args.name, active=active))
        print(f"user {args.login} changed", file=out)
    elif args.area == "user" and args.action == "list":
        for user in env.root["users"].values():
            flag = "" if user.active else " (disabled)"
            print(f"{user.login}\t{user.role}\t{','.join(user.fonds)}\t{user.name}{flag}", file=out)
    elif args.area == "token" and args.action == "create":
        def create(root):
            user = root["users"].get(args.login)
            if user is None:
                raise SystemExit(f"archive-admin: no user {args.login}")
            return user_service.create_token(root, registry, actor, user, args.label)
        print(env.run(create), file=out)
    elif args.area == "token" and args.action == "revoke":
        env.run(lambda root: user_service.revoke_token(root, registry, actor, args.token,
                                                       may_revoke_others=True))
        print("token revoked", file=out)
    elif args.area == "fonds" and args.action == "add":
        data = deserialize(FondsSchema(), {"code": args.code, "name": args.name,
                                           "organ_id": args.organ_id})
        env.run(lambda root: create_fonds(root, registry, actor, **data))
        print(f"fonds {args.code} created", file=out)
    elif args.area == "verify":
        return verify_all(env, out)
    return 0


def verify_all(env, out):
    checked = bad = 0
    for fonds in env.root["fonds"].values():
        for dossier in fonds.values():
            if not isinstance(dossier, Dossier):
                continue
            for record in dossier.values():
                for stored in record.values():
                    if not isinstance(stored, StoredFile):
                        continue
                    checked += 1
                    if not verify(stored):
                        bad += 1
                        print(f"MISMATCH {record.doc_code} {stored.name} {stored.id}", file=out)
            env.conn.cacheMinimize()
    print(f"{checked} files checked, {bad} mismatches", file=out)
    return 1 if bad else 0


def main(argv=None, out=sys.stdout, stdin=sys.stdin):
    args = build_parser().parse_args(argv)
    with script_env(args.config_uri, "archive-admin") as env:
        try:
            return run(env, args, out, stdin)
        except colander.Invalid as exc:
            for field, message in exc.asdict().items():
                print(f"archive-admin: {field}: {message}", file=sys.stderr)
            return 2
        except ArchiveError as exc:
            print("archive-admin: " + describe_error(exc), file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
