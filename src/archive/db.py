"""The database: opening, the root factory, first-start bootstrap.

pyramid_zodbconn is small and unmaintained: this module is the only one that
uses it.  ``zodbconn.uri`` chooses the storage: ``durablefile://`` (embedded,
one process), ``zeo://`` (the ZEO server of ``archive-zeo``, shared by the web
process and the scripts), or RelStorage through ``zconfig://``.
"""
import logging
import os
import secrets
import sys

import transaction
from pyramid_zodbconn import get_connection

from .evolve import GENERATION, born
from .resources import ArchiveRoot

log = logging.getLogger(__name__)

ROOT_KEY = "archive"


def root_factory(request):
    """Traversal root: the ArchiveRoot of the request's ZODB connection."""
    return get_connection(request).root()[ROOT_KEY]


def archive_root(request):
    return root_factory(request)


def read_snapshot(db, fn):
    """``fn(root)`` on a connection of its own, in a transaction that is
    aborted afterwards: a consistent snapshot to read from, for the run phase
    of a job (which may take long, outside the job's own transactions, and
    must not conflict with its lease renewals)."""
    tm = transaction.TransactionManager(explicit=True)
    conn = db.open(tm)
    try:
        tm.begin()
        try:
            return fn(conn.root()[ROOT_KEY])
        finally:
            tm.abort()
    finally:
        conn.close()


def registry_db(registry):
    """The ZODB database pyramid_zodbconn opened for this application."""
    return registry._zodb_databases[""]


def bootstrap(db, registry, out=sys.stdout):
    """Create the archive on the very first start: the root at the latest
    generation and an administrator (login from ARCHIVE_ADMIN_LOGIN, default
    ``admin``; password from ARCHIVE_ADMIN_PASSWORD or random, printed once).
    Returns the ArchiveRoot's generation."""
    from .events import SYSTEM
    from .services.users import create_user

    tm = transaction.TransactionManager(explicit=True)
    conn = db.open(tm)
    try:
        with tm:
            zroot = conn.root()
            if ROOT_KEY in zroot:
                root = zroot[ROOT_KEY]
                if root.generation < GENERATION:
                    log.warning("The database is at generation %s, the code expects %s: "
                                "run archive-evolve.", root.generation, GENERATION)
                return root.generation
            root = ArchiveRoot()
            born(root)
            zroot[ROOT_KEY] = root
            login = os.environ.get("ARCHIVE_ADMIN_LOGIN") or "admin"
            password = os.environ.get("ARCHIVE_ADMIN_PASSWORD")
            generated = not password
            if generated:
                password = secrets.token_urlsafe(12)
            create_user(root, registry, SYSTEM, registry.password_hasher, login, password,
                        "administrator", name="Quản trị viên")
        if generated:
            print(f"\n*** Dossier Archive: administrator account created.\n"
                  f"*** login: {login}\n*** password: {password}\n"
                  f"*** (shown once; change it after logging in)\n", file=out, flush=True)
        else:
            print(f"*** Dossier Archive: administrator account '{login}' created.", file=out,
                  flush=True)
        return GENERATION
    finally:
        conn.close()


def session_secret(settings):
    """The session signing secret: from settings, or a file made on first start."""
    secret = settings.get("archive.session_secret")
    if secret:
        return secret
    path = settings.get("archive.session_secret_file")
    if not path:
        return secrets.token_hex(32)
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    with open(path) as fh:
        return fh.read().strip()


def ensure_var(settings):
    for key in ("archive.var", "archive.upload_tmp", "archive.index_dir"):
        path = settings.get(key)
        if path:
            os.makedirs(path, exist_ok=True)
