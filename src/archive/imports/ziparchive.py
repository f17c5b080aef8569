"""Checking and unpacking an uploaded import ZIP (manifest.csv + files)
without trusting it.

Refused, with a clear message: entries with an absolute name or a ``..``
component, symbolic links, encrypted entries, duplicate names, more than
``max_entries`` entries, more than ``max_unpacked`` bytes once unpacked (a
zip bomb), and a ZIP without manifest.csv.  The limits are checked on the
central directory before anything is written, and again on the bytes
actually decompressed (a forged header cannot lie its way past them).
"""
import os
import stat
import zipfile

from archive.errors import ArchiveError
from archive.i18n import _

from .manifest import MANIFEST

DEFAULT_MAX_ENTRIES = 20_000
DEFAULT_MAX_UNPACKED = 20 * 1024 ** 3
CHUNK = 1024 * 1024


class UnsafeZip(ArchiveError):
    status = 422
    message = _("Tệp ZIP không hợp lệ.")


def limits(settings):
    return (int(settings.get("archive.import.max_entries", DEFAULT_MAX_ENTRIES)),
            int(settings.get("archive.import.max_unpacked", DEFAULT_MAX_UNPACKED)))


def _parts(name):
    return [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]


def check_zip(path, max_entries=DEFAULT_MAX_ENTRIES, max_unpacked=DEFAULT_MAX_UNPACKED):
    """The ZIP's members to unpack and the folder prefix holding
    manifest.csv (``""`` or ``"name/"`` when the ZIP holds one folder).
    Raises UnsafeZip."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise UnsafeZip(_("Tệp tải lên không phải là tệp ZIP đọc được."))
    with archive:
        infos = archive.infolist()
        if len(infos) > max_entries:
            raise UnsafeZip(_("Tệp ZIP có quá nhiều mục (${count}; tối đa ${max}).",
                              mapping={"count": len(infos), "max": max_entries}))
        total = 0
        seen = set()
        members = []
        for info in infos:
            name = info.filename
            if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or "\x00" in name:
                raise UnsafeZip(_("Tệp ZIP có mục với đường dẫn tuyệt đối: ${name}.", mapping={"name": name}))
            parts = _parts(name)
            if ".." in parts:
                raise UnsafeZip(_("Tệp ZIP có mục chứa \"..\" (trỏ ra ngoài thư mục): ${name}.",
                                  mapping={"name": name}))
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise UnsafeZip(_("Tệp ZIP có liên kết tượng trưng (không được chấp nhận): ${name}.",
                                  mapping={"name": name}))
            if info.flag_bits & 0x1:
                raise UnsafeZip(_("Tệp ZIP có mục được mã hóa (đặt mật khẩu): ${name}.", mapping={"name": name}))
            if info.is_dir() or not parts:
                continue
            key = "/".join(parts)
            if key in seen:
                raise UnsafeZip(_("Tệp ZIP có hai mục trùng tên: ${name}.", mapping={"name": name}))
            seen.add(key)
            total += info.file_size
            if total > max_unpacked:
                raise UnsafeZip(_("Tệp ZIP khi giải nén vượt quá ${max} MB (nghi là \"bom ZIP\").",
                                  mapping={"max": max_unpacked // (1024 * 1024)}))
            members.append((info, parts))
    if MANIFEST in seen:
        prefix = ""
    else:
        tops = {parts[0] for _info, parts in members}
        if len(tops) == 1 and f"{next(iter(tops))}/{MANIFEST}" in seen:
            prefix = next(iter(tops)) + "/"
        else:
            raise UnsafeZip(_("Tệp ZIP phải có tệp manifest.csv ở thư mục gốc."))
    return members, prefix


def unpack(path, dest, max_entries=DEFAULT_MAX_ENTRIES, max_unpacked=DEFAULT_MAX_UNPACKED):
    """Check (``check_zip``) then unpack the ZIP into ``dest``, counting the
    bytes really decompressed.  Returns the folder holding manifest.csv.
    Raises UnsafeZip."""
    members, prefix = check_zip(path, max_entries, max_unpacked)
    base = os.path.realpath(dest)
    total = 0
    with zipfile.ZipFile(path) as archive:
        for info, parts in members:
            target = os.path.join(base, *parts)
            if os.path.commonpath([base, os.path.realpath(os.path.dirname(target))]) != base:
                raise UnsafeZip(_("Tệp ZIP có mục trỏ ra ngoài thư mục: ${name}.", mapping={"name": info.filename}))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            written = 0
            try:
                with archive.open(info) as src, open(target, "xb") as out:
                    while True:
                        chunk = src.read(CHUNK)
                        if not chunk:
                            break
                        written += len(chunk)
                        total += len(chunk)
                        if written > info.file_size or total > max_unpacked:
                            raise UnsafeZip(_("Tệp ZIP khi giải nén vượt quá ${max} MB (nghi là \"bom ZIP\").",
                                              mapping={"max": max_unpacked // (1024 * 1024)}))
                        out.write(chunk)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError) as exc:
                raise UnsafeZip(_("Không giải nén được ${name}: ${error}",
                                  mapping={"name": info.filename, "error": str(exc)}))
            except FileExistsError:
                raise UnsafeZip(_("Tệp ZIP có hai mục trùng tên: ${name}.", mapping={"name": info.filename}))
            except OSError as exc:
                raise UnsafeZip(_("Không giải nén được ${name}: ${error}",
                                  mapping={"name": info.filename, "error": exc.strerror or str(exc)}))
    return os.path.join(base, *_parts(prefix)) if prefix else base
