"""What every script shares: loading the app, a connection with an explicit
transaction manager, retry on conflicts, the acting identity."""
import argparse
import contextlib
import getpass
import os

import transaction
from pyramid.paster import get_appsettings, setup_logging
from ZODB.POSException import ConflictError

from archive import main
from archive.db import ROOT_KEY, registry_db
from archive.events import Actor


class ScriptEnv:
    """The loaded application's registry, settings and a database connection."""

    def __init__(self, config_uri, script_name):
        setup_logging(config_uri)
        # the web process is the index's one writer: scripts only queue changes
        settings = dict(get_appsettings(config_uri))
        settings["archive.search.writer"] = "false"
        # and jobs are done by archive-worker, not by a thread of every script
        settings["archive.jobs.worker"] = "false"
        path = os.path.abspath(config_uri.split("#")[0])
        self.app = main({"__file__": path, "here": os.path.dirname(path)}, **settings)
        self.registry = self.app.registry
        self.settings = self.registry.settings
        self.db = registry_db(self.registry)
        self.tm = transaction.TransactionManager(explicit=True)
        self.conn = self.db.open(self.tm)
        try:
            user = getpass.getuser()
        except Exception:  # no login name in some containers
            user = "unknown"
        self.actor = Actor("system", f"script:{script_name}:{user}")

    @property
    def root(self):
        return self.conn.root()[ROOT_KEY]

    def attempts(self, n=10):
        """``for attempt in env.attempts(): with attempt: ...`` retries a
        transaction that hit a ConflictError."""
        return self.tm.attempts(n)

    def run(self, fn, attempts=10):
        """Run ``fn(root)`` in one transaction, retried on conflicts."""
        for attempt in self.tm.attempts(attempts):
            with attempt:
                result = fn(self.root)
        return result

    def close(self):
        with contextlib.suppress(Exception):
            self.tm.abort()
        search = getattr(self.registry, "search", None)
        if search is not None:
            search.stop()
        self.conn.close()
        for db in getattr(self.registry, "_zodb_databases", {}).values():
            db.close()


def text(message):
    """A message of the core in plain (Vietnamese) text, placeholders filled."""
    return message.interpolate() if hasattr(message, "interpolate") else str(message)


def describe_error(exc):
    """One line for a named exception of the services, with its field errors."""
    details = "; ".join(f"{name}: {text(msg)}" for name, msg in exc.fields.items())
    return text(exc.message) + (f" ({details})" if details else "")


def parser(description, prog):
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument("config_uri", metavar="CONFIG", help="the .ini file, e.g. development.ini")
    return p


@contextlib.contextmanager
def script_env(config_uri, name):
    env = ScriptEnv(config_uri, name)
    try:
        yield env
    finally:
        env.close()


__all__ = ["ScriptEnv", "script_env", "parser", "text", "describe_error", "ConflictError"]
