"""Domain operations shared by the web UI, the JSON API and the scripts.

Each takes explicit arguments (the registry to notify, the acting ``Actor``),
raises the named exceptions of ``archive.errors``, and never commits: the
caller's transaction (pyramid_tm, or the script's manager) does.
"""
