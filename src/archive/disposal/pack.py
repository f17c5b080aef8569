"""Pack: the archive's own maintenance that purges destroyed content.

ZODB never changes a committed revision: after a destruction the dossiers'
old revisions, and the blob files they reference, stay on disk until the
storage is packed.  ``pack_database`` packs up to now (or ``days`` ago),
which drops every revision no longer current and every object no longer
reachable, with its blob files; FileStorage then leaves the previous data
file as ``Data.fs.old`` and the removed (and, as hard links, the kept) blob
files under ``blobs.old``: those are overwritten (when not shared with a live
file) and removed too, so that no file under ``var/`` holds the bytes.

Works on the embedded FileStorage and through the ZEO server of
``archive-zeo`` (the server packs; the files are found from the settings
``archive.zeo.data`` and ``archive.zeo.blobs``, on this machine).
"""
import logging
import os
import shutil
import stat
import time

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024


def storage_paths(db, settings):
    """(data file, blob directory) of the database's FileStorage, or of the
    ZEO server's from the settings; None where unknown."""
    storage = db.storage
    data = getattr(storage, "_file_name", None)
    blobs = getattr(getattr(storage, "fshelper", None), "base_dir", None)
    if data is None:  # a ZEO client: the server's files, when on this machine
        data = settings.get("archive.zeo.data")
        blobs = settings.get("archive.zeo.blobs") or blobs
    return data, blobs


def overwrite(path):
    """Overwrite a file with zeros and force it to disk before it is removed,
    so that its blocks do not keep the content (on a file system that writes
    in place)."""
    try:
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)  # blobs are read-only
        size = os.path.getsize(path)
        with open(path, "r+b") as fh:
            left = size
            zeros = bytes(min(CHUNK, size))
            while left > 0:
                n = min(left, CHUNK)
                fh.write(zeros[:n])
                left -= n
            fh.flush()
            os.fsync(fh.fileno())
    except OSError:
        log.warning("could not overwrite %s before removing it", path, exc_info=True)


def purge_old_blobs(old_dir, live_dir):
    """Remove ``blobs.old``: files that are not the same file as a live blob
    (hard links share its content) are overwritten first.  Returns how many
    files were overwritten."""
    overwritten = 0
    for path, _dirs, files in os.walk(old_dir):
        for name in files:
            file_path = os.path.join(path, name)
            if not name.endswith(".blob"):
                continue
            live = os.path.join(live_dir, os.path.relpath(file_path, old_dir)) if live_dir else None
            st = os.stat(file_path)
            shared = st.st_nlink > 1 or (live is not None and os.path.exists(live))
            if not shared:
                overwrite(file_path)
                overwritten += 1
    shutil.rmtree(old_dir)
    return overwritten


def pack_database(db, settings, days=0, shred=True):
    """Pack the database (revisions older than ``days`` days; 0 = up to now)
    and remove what FileStorage keeps of the previous state.  Returns a dict:
    sizes before and after, files removed and overwritten, seconds taken."""
    started = time.time()
    data, blobs = storage_paths(db, settings)
    before = os.path.getsize(data) if data and os.path.exists(data) else None
    db.pack(t=time.time() - days * 86400)
    removed, overwritten = [], 0
    if data:
        old = data + ".old"
        if os.path.exists(old):
            if shred:
                overwrite(old)
            os.remove(old)
            removed.append(old)
    if blobs:
        old_blobs = blobs.rstrip(os.sep) + ".old"
        if os.path.isdir(old_blobs):
            overwritten = purge_old_blobs(old_blobs, blobs) if shred else 0
            if os.path.isdir(old_blobs):
                shutil.rmtree(old_blobs)
            removed.append(old_blobs)
    after = os.path.getsize(data) if data and os.path.exists(data) else None
    return {"data": data, "blobs": blobs, "size_before": before, "size_after": after,
            "removed": removed, "overwritten": overwritten,
            "seconds": round(time.time() - started, 3)}
