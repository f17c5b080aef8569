"""Console entry points (``archive-<verb> CONFIG ...``).  Each loads the
application from the .ini file (so the same subscribers, settings and
database are used as by the web process) and works in explicit transactions.
With the embedded default they talk to the ZEO server of ``make run``."""
