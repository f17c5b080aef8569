"""Child processes that must not outlive the process that started them.

``subprocess.Popen(..., preexec_fn=die_with_parent())``: on Linux the child
gets ``sig`` when its parent dies, however it dies (even by SIGKILL, which the
parent cannot handle).  Elsewhere it does nothing.  Only for a parent whose
calling thread lives as long as the child (PR_SET_PDEATHSIG fires when the
*thread* that started the child ends) and that starts no other threads while
forking (preexec_fn is not thread-safe).
"""
import os
import signal

_PR_SET_PDEATHSIG = 1


def _load_prctl():
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux (glibc)
        return None


_PRCTL = _load_prctl()


def die_with_parent(sig=signal.SIGKILL):
    """A ``preexec_fn``: the child receives ``sig`` when the process calling
    this (its parent-to-be) dies.  SIGTERM lets a server close cleanly."""
    parent = os.getpid()

    def preexec():
        if _PRCTL is not None:
            _PRCTL(_PR_SET_PDEATHSIG, int(sig))
            if os.getppid() != parent:  # the parent died before prctl
                os.kill(os.getpid(), sig)

    return preexec


def kill_group(process, sig=signal.SIGKILL):
    """Send ``sig`` to a child started with ``start_new_session=True`` and to
    everything it started in its process group; reap the child."""
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        if process.poll() is None:
            process.send_signal(sig)
    if sig == signal.SIGKILL:
        process.wait()
