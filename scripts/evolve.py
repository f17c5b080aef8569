"""archive-evolve: bring the database up to the generation the code expects.

    archive-evolve CONFIG            run the missing steps, one transaction each
    archive-evolve CONFIG --dry-run  only say what would run

Back up ``var/`` (or the database) first: a step cannot be undone.
"""
import sys

from archive import evolve

from ._common import parser, script_env


def main(argv=None, out=sys.stdout):
    p = parser("Run the data migrations (evolve steps) the database still needs.", "archive-evolve")
    p.add_argument("--dry-run", action="store_true", help="list the pending steps, change nothing")
    args = p.parse_args(argv)
    with script_env(args.config_uri, "archive-evolve") as env:
        with env.tm:
            current = env.root.generation
            pending = evolve.pending(env.root)
        print(f"database generation {current}, code generation {evolve.GENERATION}", file=out)
        if not pending:
            print("nothing to do", file=out)
            return 0
        if args.dry_run:
            print("pending: " + ", ".join(str(g) for g in pending), file=out)
            return 0
        applied = evolve.evolve(env.root, env.tm)
        print("applied: " + ", ".join(str(g) for g in applied), file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
