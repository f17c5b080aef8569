"""archive-run: what ``make run`` starts.

Starts the ZEO server (``archive-zeo CONFIG``) unless one already answers on
the configured socket, waits for it, then runs ``pserve CONFIG`` in the
foreground.  Ctrl-C (or SIGTERM) stops pserve first, then the ZEO server it
started, each cleanly.  Killed outright (SIGKILL), it leaves nothing running:
both children get SIGTERM from the kernel when it dies (Linux).
"""
import os
import signal
import subprocess
import sys
import time

from pyramid.paster import get_appsettings

from archive.children import die_with_parent

from ._common import parser
from .zeo import ZeoPaths, is_alive

BIN = os.path.dirname(sys.executable)


def main(argv=None):
    p = parser("Start the ZEO server and the web server of the archive.", "archive-run")
    args = p.parse_args(argv)
    settings = get_appsettings(args.config_uri)
    paths = ZeoPaths(settings)
    for key in ("archive.var", "archive.upload_tmp", "archive.index_dir"):
        if settings.get(key):
            os.makedirs(settings[key], exist_ok=True)
    children = []   # pserve, once started
    stopping = []   # the signals received

    def forward(signum, frame):
        stopping.append(signum)
        for web in children:
            if web.poll() is None:
                web.send_signal(signum)

    # Handlers first, before any child: a Ctrl-C or SIGTERM while the ZEO
    # server starts stops it too, and pserve then starts with SIGINT at its
    # default (a KeyboardInterrupt), even when this process was started with
    # SIGINT ignored -- as a shell does for a command run with `&` -- which
    # pserve would otherwise inherit, and never stop on Ctrl-C.
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    zeo = None
    try:
        if not is_alive(paths.socket):
            # its own session: a Ctrl-C in the terminal reaches pserve, and the
            # database is closed only after the web server has stopped.  Both
            # children get SIGTERM (a clean stop) if this process dies without
            # stopping them (kill -9): nothing is left holding the port or Data.fs.
            zeo = subprocess.Popen([os.path.join(BIN, "archive-zeo"), args.config_uri],
                                   start_new_session=True,
                                   preexec_fn=die_with_parent(signal.SIGTERM))
            deadline = time.monotonic() + 120
            while not stopping and not is_alive(paths.socket):
                if zeo.poll() is not None or time.monotonic() > deadline:
                    print("archive-run: the ZEO server did not start", file=sys.stderr)
                    return 1
                time.sleep(0.1)
        if stopping:
            return 128 + stopping[0]
        web = subprocess.Popen([os.path.join(BIN, "pserve"), args.config_uri],
                               preexec_fn=die_with_parent(signal.SIGTERM))
        children.append(web)
        if stopping:  # a signal came while pserve was being started
            web.send_signal(stopping[-1])
        code = web.wait()
        print(f"archive-run: the web server stopped ({code})", file=sys.stderr, flush=True)
        return 128 - code if code < 0 else code  # killed by a signal: 128 + its number
    finally:
        for web in children:
            if web.poll() is None:  # an error of our own: do not leave it running
                web.terminate()
                web.wait()
        if zeo is not None and zeo.poll() is None:
            print("archive-run: stopping the ZEO server", file=sys.stderr, flush=True)
            zeo.terminate()
            try:
                zeo.wait(60)
            except subprocess.TimeoutExpired:
                print("archive-run: the ZEO server did not stop within 60 s: killed",
                      file=sys.stderr, flush=True)
                zeo.kill()
                zeo.wait()


if __name__ == "__main__":
    sys.exit(main())
