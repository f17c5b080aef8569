"""archive-worker: process the job queue (OCR, renditions, imports).

    archive-worker CONFIG                 run until stopped (SIGTERM / Ctrl-C)
    archive-worker CONFIG --once          process the due jobs, then exit
    archive-worker CONFIG --threads N     N jobs at a time (default: the
                                          setting archive.jobs.threads, or 1)

Any number of workers may run at once, on this machine or others sharing the
ZEO server and the blob directory: each job is claimed by one of them (a
lease renewed while it runs).  A worker killed in the middle of a job loses
nothing: when its lease expires (``archive.jobs.lease`` seconds, default 60)
another worker, or this one restarted, runs the job again, and only one
result is stored.  SIGTERM or Ctrl-C stops taking jobs and lets the running
ones finish; a second one exits at once (those jobs then run again later).
"""
import logging
import signal
import sys

from archive.jobs.worker import Worker

from ._common import parser, script_env

log = logging.getLogger("archive.worker")


def main(argv=None, out=sys.stdout):
    p = parser("Process the job queue (OCR, renditions, imports).", "archive-worker")
    p.add_argument("--once", action="store_true",
                   help="process the jobs that are due, then exit")
    p.add_argument("--threads", type=int, default=None,
                   help="jobs processed at the same time (default: archive.jobs.threads or 1)")
    args = p.parse_args(argv)
    with script_env(args.config_uri, "archive-worker") as env:
        threads = args.threads or int(env.settings.get("archive.jobs.threads") or 1)
        worker = Worker.from_settings(env.db, env.registry, threads=threads, name="w")
        if args.once:
            worker.run_until_idle()
            print("no job left to do", file=out, flush=True)
            return 0
        signals = []

        def on_signal(signum, _frame):
            signals.append(signum)
            if len(signals) > 1:
                raise SystemExit(1)
            log.info("stopping: finishing the running jobs (send the signal again to exit now)")
            worker.stop(timeout=0)

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        print(f"archive-worker: {threads} thread(s), jobs: {', '.join(sorted(env.registry.job_handlers)) or '-'}",
              file=out, flush=True)
        worker.start()
        while any(thread.is_alive() for thread in worker.threads):
            for thread in worker.threads:
                thread.join(0.5)
        return 0


if __name__ == "__main__":
    sys.exit(main())
