"""archive-zeo: the single writer of the embedded database.

FileStorage allows one process.  ``make run`` (``archive-run``) therefore
starts this ZEO server on a Unix socket under ``var/`` and points the web
process and every archive-* script at it (``zodbconn.uri = zeo://...`` with a
shared blob directory), so they all work on the same data at the same time.
The storage is ``archive.storage.DurableFileStorage``: blob files are fsynced
before a commit is acknowledged.

    archive-zeo CONFIG           serve in the foreground (Ctrl-C or SIGTERM stop it cleanly)
    archive-zeo CONFIG --stop    stop the server started for CONFIG
    archive-zeo CONFIG --status  exit 0 when it answers, 1 otherwise
"""
import logging
import os
import signal
import socket
import sys
import threading
import time

from pyramid.paster import get_appsettings

from ._common import parser

log = logging.getLogger("archive.zeo")


class ZeoPaths:
    def __init__(self, settings):
        self.socket = settings["archive.zeo.socket"]
        self.data = settings["archive.zeo.data"]
        self.blobs = settings["archive.zeo.blobs"]
        self.pidfile = self.socket + ".pid"


def paths_for(config_uri):
    return ZeoPaths(get_appsettings(config_uri))


def is_alive(path):
    """True when a server accepts connections on the Unix socket ``path``."""
    if not os.path.exists(path):
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(2)
        try:
            s.connect(path)
        except OSError:
            return False
    return True


def wait_until_alive(path, timeout=60, process=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if is_alive(path):
            return True
        if process is not None and process.poll() is not None:
            return False
        time.sleep(0.1)
    return False


def serve(paths, stop_event=None):
    """Serve until SIGTERM/SIGINT (or ``stop_event``); close the storage cleanly."""
    from ZEO.StorageServer import StorageServer

    from archive.storage import DurableFileStorage

    for directory in (os.path.dirname(paths.socket), os.path.dirname(paths.data), paths.blobs):
        os.makedirs(directory, exist_ok=True)
    if is_alive(paths.socket):
        raise SystemExit(f"archive-zeo: a server already answers on {paths.socket}")
    if os.path.exists(paths.socket):
        os.unlink(paths.socket)  # left by a crash
    storage = DurableFileStorage(paths.data, blob_dir=paths.blobs)
    server = StorageServer(paths.socket, {"1": storage})
    stop = stop_event or threading.Event()

    def handle(signum, frame):
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)
    with open(paths.pidfile, "w") as fh:
        fh.write(str(os.getpid()))
    server.start_thread()
    log.info("ZEO server for %s listening on %s", paths.data, paths.socket)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        log.info("stopping the ZEO server")
        server.close()  # closes the storage: Data.fs index written, lock released
        for leftover in (paths.pidfile, paths.socket):
            if os.path.exists(leftover):
                os.unlink(leftover)


def _running(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited
    except (FileNotFoundError, IndexError):
        return False


def stop_server(paths, timeout=30):
    if not os.path.exists(paths.pidfile):
        print("archive-zeo: not running")
        return 0
    with open(paths.pidfile) as fh:
        pid = int(fh.read().strip())
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        os.unlink(paths.pidfile)
        print("archive-zeo: not running (stale pid file removed)")
        return 0
    deadline = time.time() + timeout
    while time.time() < deadline:
        # the server removes its pid file once the storage is closed
        if not os.path.exists(paths.pidfile) or not _running(pid):
            print("archive-zeo: stopped")
            return 0
        time.sleep(0.1)
    print("archive-zeo: still running after %ss" % timeout, file=sys.stderr)
    return 1


def main(argv=None):
    p = parser("Serve the archive's database to the web process and the scripts.", "archive-zeo")
    p.add_argument("--stop", action="store_true", help="stop the server started for CONFIG")
    p.add_argument("--status", action="store_true", help="exit 0 when the server answers")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s [%(name)s] %(message)s")
    paths = paths_for(args.config_uri)
    if args.stop:
        return stop_server(paths)
    if args.status:
        alive = is_alive(paths.socket)
        print("running" if alive else "not running")
        return 0 if alive else 1
    serve(paths)
    return 0


if __name__ == "__main__":
    sys.exit(main())
