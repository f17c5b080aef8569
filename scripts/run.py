"""archive-run: what ``make run`` starts.

Starts the ZEO server (``archive-zeo CONFIG``) unless one already answers on
the configured socket, waits for it, then runs ``pserve CONFIG`` in the
foreground.  Ctrl-C (or SIGTERM) stops pserve first, then the ZEO server it
started, each cleanly.
"""
import os
import signal
import subprocess
import sys

from pyramid.paster import get_appsettings

from ._common import parser
from .zeo import ZeoPaths, is_alive, wait_until_alive

BIN = os.path.dirname(sys.executable)


def main(argv=None):
    p = parser("Start the ZEO server and the web server of the archive.", "archive-run")
    args = p.parse_args(argv)
    settings = get_appsettings(args.config_uri)
    paths = ZeoPaths(settings)
    for key in ("archive.var", "archive.upload_tmp", "archive.index_dir"):
        if settings.get(key):
            os.makedirs(settings[key], exist_ok=True)
    zeo = None
    if not is_alive(paths.socket):
        # its own session: a Ctrl-C in the terminal reaches pserve, and the
        # database is closed only after the web server has stopped
        zeo = subprocess.Popen([os.path.join(BIN, "archive-zeo"), args.config_uri],
                               start_new_session=True)
        if not wait_until_alive(paths.socket, timeout=120, process=zeo):
            print("archive-run: the ZEO server did not start", file=sys.stderr)
            zeo.terminate()
            return 1
    children = []

    def forward(signum, frame):
        for web in children:
            if web.poll() is None:
                web.send_signal(signum)

    # Handlers first: pserve then starts with SIGINT at its default (a
    # KeyboardInterrupt), even when this process was started with SIGINT
    # ignored -- as a shell does for a command run with `&` -- which pserve
    # would otherwise inherit, and never stop on Ctrl-C.
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    web = subprocess.Popen([os.path.join(BIN, "pserve"), args.config_uri])
    children.append(web)
    code = web.wait()
    print(f"archive-run: the web server stopped ({code})", file=sys.stderr, flush=True)
    if zeo is not None:
        print("archive-run: stopping the ZEO server", file=sys.stderr, flush=True)
        zeo.terminate()
        try:
            zeo.wait(60)
        except subprocess.TimeoutExpired:
            print("archive-run: the ZEO server did not stop within 60 s: killed", file=sys.stderr,
                  flush=True)
            zeo.kill()
    return code


if __name__ == "__main__":
    sys.exit(main())
