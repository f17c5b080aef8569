"""Child processes of the OCR run (OCRmyPDF, Tesseract): they die with the
worker that started them, and a timeout kills their whole process group."""
import os
import signal

_PR_SET_PDEATHSIG = 1


def _load_prctl():
    try:
        import ctypes
        return ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux
        return None


_PRCTL = _load_prctl()


def die_with_parent():
    """In the child, before exec: be killed when the worker dies (a worker
    killed with kill -9 leaves no OCR running; its job runs again)."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)


def kill_group(process):
    """Kill a child started with ``start_new_session`` and everything it started."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except OSError:
            process.kill()
        process.wait()
