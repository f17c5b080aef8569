"""A real server for tests that need HTTP: ``pserve`` in a subprocess on a free
port, with the test's own copy of testing.ini (FileStorage under a temporary
directory, or ZEO when the test asks for it)."""
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(HERE)
BIN = os.path.dirname(sys.executable)
ADMIN_PASSWORD = "admin-password-1"


def poll(check, timeout, interval=0.2):
    """Call ``check()`` until it returns something true, for at most
    ``timeout`` seconds; returns that value."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not so after {timeout} s")
        time.sleep(interval)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_ini(app_dir, app_settings=None, server_settings=None):
    """Copy testing.ini into ``app_dir`` with settings replaced or added."""
    with open(os.path.join(PROJECT, "testing.ini"), encoding="utf-8") as fh:
        text = fh.read()

    def apply(text, section, settings):
        for key, value in (settings or {}).items():
            pattern = re.compile(rf"^{re.escape(key)} = .*$", re.M)
            line = f"{key} = {value}"
            if pattern.search(text):
                text = pattern.sub(lambda m: line, text)
            else:
                text = text.replace(f"[{section}]\n", f"[{section}]\n{line}\n", 1)
        return text

    text = apply(text, "app:main", app_settings)
    text = apply(text, "server:main", server_settings)
    path = os.path.join(str(app_dir), "testing.ini")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


class LiveServer:
    def __init__(self, app_dir, app_settings=None, server_settings=None):
        self.app_dir = str(app_dir)
        self.port = free_port()
        server = {"listen": f"127.0.0.1:{self.port}"}
        server.update(server_settings or {})
        self.ini = write_ini(app_dir, app_settings, server)
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.log_path = os.path.join(self.app_dir, "server.log")

    def start(self, timeout=60):
        env = dict(os.environ, ARCHIVE_ADMIN_PASSWORD=ADMIN_PASSWORD)
        self.log = open(self.log_path, "ab")
        # its own process group: stop() kills whatever the server started too
        self.process = subprocess.Popen([os.path.join(BIN, "pserve"), self.ini], cwd=self.app_dir,
                                        env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("server exited:\n" + self.output())
            try:
                with urllib.request.urlopen(self.url + "/login", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not start:\n" + self.output())

    def output(self):
        with open(self.log_path, "rb") as fh:
            return fh.read().decode("utf-8", "replace")[-5000:]

    @property
    def pid(self):
        return self.process.pid

    def rss_kb(self, peak=False):
        """Resident memory of the server (VmHWM = peak, VmRSS = now), in kB."""
        key = "VmHWM" if peak else "VmRSS"
        with open(f"/proc/{self.pid}/status") as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1])
        raise RuntimeError("no " + key)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """``sig`` to the server, then SIGKILL to what is left of its process
        group (the server after ``timeout``, anything it started)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()
        self.log.close()

    def kill(self):
        self.stop(signal.SIGKILL)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
