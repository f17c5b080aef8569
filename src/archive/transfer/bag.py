"""Writing a transfer bag (BagIt, RFC 8493, with bagit-python).

Layout (DOMAIN.md §5: E-ARK CSIP style inside a BagIt bag)::

    <bag>/bagit.txt, bag-info.txt, manifest-sha256.txt, tagmanifest-sha256.txt
    <bag>/data/index.html            the transfer, readable in any browser
    <bag>/data/dossiers.csv          the transfer list (one row per dossier)
    <bag>/data/<file_code>/METS.xml  METS: EAD + the Circular 05/2025 fields, files, structure
    <bag>/data/<file_code>/metadata.csv
    <bag>/data/<file_code>/index.html
    <bag>/data/<file_code>/representations/<role>/data/<ordinal>/<file name>

``role`` is the StoredFile's (``original``, ``rendition`` for the PDF/A made
by OCR, ...).  Every file is copied from its blob while its SHA-256 is
computed; it must equal the stored one, and after bagit-python wrote the
manifest, each manifest entry must equal it too (``BagIntegrityError``
otherwise: the partial bag is removed).
"""
import csv
import hashlib
import html
import json
import os
import shutil
import subprocess
import sys
import uuid
import zipfile
from urllib.parse import quote
from xml.etree import ElementTree as ET

from ..services.files import CHUNK, blob_path
from . import metadata as md
from .errors import BagExists, BagIntegrityError

METS_NS = "http://www.loc.gov/METS/"
XLINK_NS = "http://www.w3.org/1999/xlink"
EAD_NS = "urn:isbn:1-931666-22-9"
TT05_NS = "urn:dossier-archive:tt05-2025"   # the Circular 05/2025 fields, one element per field
for prefix, uri in (("mets", METS_NS), ("xlink", XLINK_NS), ("ead", EAD_NS), ("tt05", TT05_NS)):
    ET.register_namespace(prefix, uri)

LANG_639_2 = {"vi": "vie", "en": "eng", "fr": "fre", "zh": "chi", "ru": "rus", "km": "khm",
              "lo": "lao"}
SOFTWARE = "Dossier Archive"


def M(tag):
    return f"{{{METS_NS}}}{tag}"


def E(tag):
    return f"{{{EAD_NS}}}{tag}"


def T(tag):
    return f"{{{TT05_NS}}}{tag}"


def X(tag):
    return f"{{{XLINK_NS}}}{tag}"


def sub(parent, tag, text=None, **attrs):
    node = ET.SubElement(parent, tag, {k: str(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        node.text = str(text)
    return node


# --------------------------------------------------------------------------- planning

class PlannedFile:
    """One stored file and where it goes in the bag."""

    def __init__(self, stored, record, path):
        self.stored = stored
        self.record = record
        self.path = path          # relative to the dossier's directory

    @property
    def file_id(self):
        return "file-" + self.stored.id


def plan_files(dossier):
    """[PlannedFile] of a dossier, records in ordinal order, names kept
    (a clash within one folder, also by case, gets a ``<n>-`` prefix)."""
    planned = []
    for record in dossier.records():
        taken = set()
        for stored in record.files():
            role = stored.role or "original"
            folder = f"representations/{role}/data/{record.ordinal:07d}"
            name = stored.name
            n = 1
            while (folder, name.casefold()) in taken:
                n += 1
                name = f"{n}-{stored.name}"
            taken.add((folder, name.casefold()))
            planned.append(PlannedFile(stored, record, f"{folder}/{name}"))
    return planned


# --------------------------------------------------------------------------- METS

def dossier_date_range(dossier):
    start, end = dossier.start_date or "", dossier.end_date or ""
    return start, end


def build_mets(dossier, fonds, planned, transfer_number, created, doc_type_name):
    """The METS document of one dossier (an ElementTree Element)."""
    files_of = {}
    for item in planned:
        files_of.setdefault(item.record.id, []).append(item)
    root = ET.Element(M("mets"), {"OBJID": dossier.file_code, "LABEL": dossier.title,
                                  "TYPE": "Hồ sơ", "PROFILE": "https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml"})
    hdr = sub(root, M("metsHdr"), CREATEDATE=created, RECORDSTATUS="NEW")
    agent = sub(hdr, M("agent"), ROLE="CREATOR", TYPE="ORGANIZATION")
    sub(agent, M("name"), fonds.name)
    sub(agent, M("note"), dossier.organ_id)
    software = sub(hdr, M("agent"), ROLE="CREATOR", TYPE="OTHER", OTHERTYPE="SOFTWARE")
    sub(software, M("name"), SOFTWARE)
    sub(hdr, M("altRecordID"), transfer_number, TYPE="transfer")

    # descriptive metadata: EAD 2002 ...
    dmd = sub(root, M("dmdSec"), ID="dmd-ead", CREATED=created)
    wrap = sub(sub(dmd, M("mdWrap"), MDTYPE="EAD", LABEL="EAD"), M("xmlData"))
    ead = sub(wrap, E("ead"))
    header = sub(ead, E("eadheader"))
    sub(header, E("eadid"), dossier.file_code, countrycode="VN")
    sub(sub(sub(header, E("filedesc")), E("titlestmt")), E("titleproper"), dossier.title)
    arch = sub(ead, E("archdesc"), level="file")
    did = sub(arch, E("did"))
    sub(sub(did, E("repository")), E("corpname"), fonds.name)
    sub(did, E("unitid"), dossier.file_code, countrycode="VN", repositorycode=dossier.organ_id)
    sub(did, E("unittitle"), dossier.title)
    start, end = dossier_date_range(dossier)
    if start or end:
        normal = f"{start}/{end}" if start and end else (start or end)
        sub(did, E("unitdate"), f"{start} – {end}".strip(" –"), normal=normal, type="inclusive")
    physdesc = sub(did, E("physdesc"))
    sub(physdesc, E("extent"), dossier.doc_total, unit="văn bản")
    sub(physdesc, E("extent"), dossier.page_total, unit="trang")
    if dossier.sheet_total is not None:
        sub(physdesc, E("extent"), dossier.sheet_total, unit="tờ")
    lang = sub(did, E("langmaterial"))
    for code in sorted(dossier.language or ()):
        sub(lang, E("language"), code, langcode=LANG_639_2.get(code, code))
    if dossier.creator:
        sub(sub(did, E("origination"), label="Người lập hồ sơ"), E("persname"), dossier.creator)
    sub(sub(arch, E("accessrestrict")), E("p"),
        f"{dossier.access} – {md.ACCESS_NAMES.get(dossier.access, '')}".strip(" –"))
    retention = md.display(dossier.retention) + ("" if dossier.retention == "permanent" else " năm")
    sub(sub(arch, E("appraisal")), E("p"), f"Thời hạn bảo quản: {retention}")
    if dossier.keywords:
        control = sub(arch, E("controlaccess"))
        for word in (w.strip() for w in dossier.keywords.split(",")):
            if word:
                sub(control, E("subject"), word)
    if dossier.notes:
        sub(sub(arch, E("note")), E("p"), dossier.notes)
    dsc = sub(arch, E("dsc"))
    for record in dossier.records():
        c = sub(dsc, E("c"), level="item", id=f"record-{record.ordinal:07d}")
        rdid = sub(c, E("did"))
        sub(rdid, E("unitid"), record.doc_code)
        sub(rdid, E("unittitle"), record.subject)
        if record.issued_date:
            sub(rdid, E("unitdate"), record.issued_date, normal=record.issued_date)
        sub(sub(rdid, E("origination"), label="Cơ quan ban hành"), E("corpname"), record.issuer)
        rphys = sub(rdid, E("physdesc"))
        name = doc_type_name(record.doc_type) if doc_type_name else record.doc_type
        sub(rphys, E("genreform"), name, normal=record.doc_type)
        if record.page_count:
            sub(rphys, E("extent"), record.page_count, unit="trang")
        for item in files_of.get(record.id, ()):
            sub(rdid, E("dao"), href=item.path, title=item.stored.name,
                role=item.stored.role or "original")

    # ... and every field with its type (Circular 05/2025 list of fields)
    dmd = sub(root, M("dmdSec"), ID="dmd-tt05", CREATED=created)
    wrap = sub(sub(dmd, M("mdWrap"), MDTYPE="OTHER", OTHERMDTYPE="TT05-2025",
                   LABEL="Thông tư 05/2025/TT-BNV"), M("xmlData"))
    node = sub(wrap, T("dossier"), id=dossier.id, fonds_code=fonds.code, fonds_name=fonds.name,
               fonds_organ_id=fonds.organ_id, closed="true" if dossier.closed else "false")
    for name, value in md.dossier_values(dossier):
        kind, text = md.encode(value)
        sub(node, T("field"), text, name=name, label=md.label(name), type=kind)
    for record in dossier.records():
        rnode = sub(node, T("record"), id=record.id, ordinal=record.ordinal)
        for name, value in md.record_values(record):
            kind, text = md.encode(value)
            sub(rnode, T("field"), text, name=name, label=md.label(name, record=True), type=kind)

    # files and structure
    file_sec = sub(root, M("fileSec"))
    groups = {}
    for item in planned:
        role = item.stored.role or "original"
        if role not in groups:
            groups[role] = sub(file_sec, M("fileGrp"), USE=role, ID=f"grp-{role}")
        stored = item.stored
        fnode = sub(groups[role], M("file"), ID=item.file_id, MIMETYPE=stored.media_type,
                    SIZE=stored.size, CREATED=stored.created.isoformat(), CHECKSUM=stored.sha256,
                    CHECKSUMTYPE="SHA-256", OWNERID=stored.id,
                    GROUPID="grp-" + (getattr(stored, "source", None) or stored.id))
        sub(fnode, M("FLocat"), **{"LOCTYPE": "URL", X("type"): "simple", X("href"): item.path,
                                   X("title"): stored.name})
    smap = sub(root, M("structMap"), TYPE="PHYSICAL", LABEL="Hồ sơ")
    top = sub(smap, M("div"), TYPE="dossier", LABEL=dossier.title, DMDID="dmd-ead dmd-tt05")
    for record in dossier.records():
        div = sub(top, M("div"), TYPE="record", ORDER=record.ordinal, LABEL=record.doc_code)
        for item in files_of.get(record.id, ()):
            sub(div, M("fptr"), FILEID=item.file_id)
    return root


def write_xml(element, path):
    ET.indent(element)
    ET.ElementTree(element).write(path, encoding="UTF-8", xml_declaration=True)


# --------------------------------------------------------------------------- CSV

def csv_columns():
    columns = ["level", "file_code", "doc_code"]
    for name in (md.DOSSIER_STORED + md.DOSSIER_DECIDED + md.DOSSIER_COMPUTED + md.RECORD_COMPUTED
                 + md.RECORD_STORED):
        if name not in columns:
            columns.append(name)
    return columns + ["files"]


def metadata_rows(dossier, planned):
    """The rows of a dossier's metadata.csv: the dossier, then its documents
    (the same texts as the METS ``tt05`` block)."""
    rows = []
    row = {"level": "dossier", "file_code": dossier.file_code, "doc_code": ""}
    row.update({name: md.encode(value)[1] for name, value in md.dossier_values(dossier)})
    row["files"] = ""
    rows.append(row)
    for record in dossier.records():
        row = {"level": "record", "file_code": dossier.file_code}
        row.update({name: md.encode(value)[1] for name, value in md.record_values(record)})
        row["files"] = ";".join(p.path for p in planned if p.record is record)
        rows.append(row)
    return rows


def write_csv(path, columns, rows):
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="raise")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})


# --------------------------------------------------------------------------- index.html

STYLE = ("body{font-family:sans-serif;max-width:70em;margin:1em auto;padding:0 1em;color:#111}"
         "table{border-collapse:collapse;width:100%;margin:1em 0}"
         "th,td{border:1px solid #999;padding:.3em .5em;text-align:left;vertical-align:top}"
         "th{background:#eee}")


def page(title, body):
    return ("<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            f"{body}\n</body>\n</html>\n")


def esc(value):
    return html.escape(md.display(value))


def link(href, text):
    return f'<a href="{html.escape(quote(href))}">{html.escape(text)}</a>'


def dossier_html(dossier, fonds, planned, transfer_number, doc_type_name):
    rows = []
    for name, value in md.dossier_values(dossier):
        if name in ("closed_at",):
            continue
        rows.append(f"<tr><th>{html.escape(md.label(name))}</th><td>{esc(value)}</td></tr>")
    records = []
    for record in dossier.records():
        files = "<br>".join(link(p.path, f"{p.stored.name} ({p.stored.role}, {p.stored.size} byte)")
                            for p in planned if p.record is record)
        kind = doc_type_name(record.doc_type) if doc_type_name else record.doc_type
        records.append(
            f"<tr><td>{record.ordinal}</td><td>{esc(record.doc_code)}</td><td>{esc(kind)}</td>"
            f"<td>{esc(record.display_number)}</td><td>{esc(record.issued_date)}</td>"
            f"<td>{esc(record.issuer)}</td><td>{esc(record.subject)}</td>"
            f"<td>{esc(record.signer)}</td><td>{esc(record.page_count)}</td><td>{files}</td></tr>")
    body = (
        f"<p>{link('../index.html', 'Về danh sách gói nộp lưu')} · Gói {html.escape(transfer_number)}"
        f" · Phông: {html.escape(fonds.name)}</p>\n"
        f"<h1>{html.escape(dossier.file_code)}: {html.escape(dossier.title)}</h1>\n"
        f"<h2>Thông tin hồ sơ</h2>\n<table>\n{''.join(rows)}\n</table>\n"
        "<h2>Văn bản trong hồ sơ</h2>\n<table>\n<tr><th>STT</th><th>Mã văn bản</th>"
        "<th>Tên loại</th><th>Số, ký hiệu</th><th>Ngày</th><th>Cơ quan ban hành</th>"
        "<th>Trích yếu</th><th>Người ký</th><th>Số trang</th><th>Tệp</th></tr>\n"
        f"{''.join(records)}\n</table>\n"
        f"<p>Siêu dữ liệu đầy đủ: {link('METS.xml', 'METS.xml')} · {link('metadata.csv', 'metadata.csv')}</p>")
    return page(f"{dossier.file_code} – {dossier.title}", body)


def transfer_html(fonds, dossiers, transfer_number, created, counts):
    rows = []
    for i, dossier in enumerate(dossiers, 1):
        start, end = dossier_date_range(dossier)
        rows.append(
            f"<tr><td>{i}</td><td>{link(dossier.file_code + '/index.html', dossier.file_code)}</td>"
            f"<td>{esc(dossier.title)}</td><td>{esc(start)}</td><td>{esc(end)}</td>"
            f"<td>{esc(dossier.retention)}</td><td>{dossier.doc_total}</td>"
            f"<td>{dossier.page_total}</td><td>{esc(dossier.notes)}</td></tr>")
    body = (
        f"<h1>Mục lục hồ sơ nộp lưu {html.escape(transfer_number)}</h1>\n"
        f"<p>Phông: {html.escape(fonds.name)} ({html.escape(fonds.organ_id)}) · Ngày lập gói: "
        f"{html.escape(created)} · {counts['dossiers']} hồ sơ, {counts['records']} văn bản, "
        f"{counts['files']} tệp</p>\n"
        "<table>\n<tr><th>STT</th><th>Mã hồ sơ</th><th>Tiêu đề hồ sơ</th><th>Bắt đầu</th>"
        "<th>Kết thúc</th><th>Thời hạn bảo quản</th><th>Số văn bản</th><th>Số trang</th>"
        f"<th>Ghi chú</th></tr>\n{''.join(rows)}\n</table>\n"
        f"<p>{link('dossiers.csv', 'dossiers.csv')}: cùng danh sách dạng CSV.</p>")
    return page(f"Mục lục hồ sơ nộp lưu {transfer_number}", body)


TRANSFER_LIST_COLUMNS = ("stt", "file_code", "title", "start_date", "end_date", "retention",
                         "doc_total", "page_total", "file_total", "notes")


# --------------------------------------------------------------------------- writing

def copy_blob(stored, target):
    """Copy a stored file's blob to ``target``; returns its SHA-256."""
    return copy_path(blob_path(stored), target)


def copy_path(source, target):
    """Copy the file ``source`` to ``target``; returns its SHA-256."""
    digest = hashlib.sha256()
    with open(source, "rb") as src, open(target, "wb") as out:
        for chunk in iter(lambda: src.read(CHUNK), b""):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def make_bag_isolated(path, bag_info):
    """bagit.make_bag in a child process: it changes the working directory
    of its process while it works, which a threaded web server must not see."""
    code = ("import bagit, json, sys; a = json.load(sys.stdin); "
            "bagit.make_bag(a['path'], a['info'], processes=1, checksums=['sha256'])")
    result = subprocess.run([sys.executable, "-c", code], input=json.dumps(
        {"path": path, "info": bag_info}), capture_output=True, text=True, timeout=24 * 3600)
    if result.returncode != 0:
        raise RuntimeError("bagit.make_bag failed: " + result.stderr[-2000:])


class BagResult:
    def __init__(self, path, name, payload_oxum, counts, expected, zip_path=None):
        self.path = path
        self.name = name
        self.payload_oxum = payload_oxum
        self.counts = counts
        self.expected = expected   # bag-relative path -> stored SHA-256
        self.zip_path = zip_path


# --------------------------------------------------------------------------- staging
#
# A bag is written into a hidden folder beside its target,
# ``.<name>.<random>.part``, and renamed to ``<name>`` only once it is
# complete and checked; its ZIP likewise (``<name>.zip.<random>.part``).  A
# process killed midway leaves only such ``.part`` leftovers, which the next
# run for the same name removes first: nothing half-written ever carries the
# bag's own name.

def _part_suffix():
    return uuid.uuid4().hex[:12]


def bag_owner(path):
    """The ``Internal-Sender-Identifier`` (the transfer id) in the bag-info of
    the bag at ``path``, or None."""
    try:
        with open(os.path.join(path, "bag-info.txt"), encoding="utf-8") as fh:
            for line in fh:
                key, sep, value = line.partition(":")
                if sep and key.strip() == "Internal-Sender-Identifier":
                    return value.strip()
    except OSError:
        return None
    return None


def _remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.remove(path)


def clear_leftovers(out_dir, name, owner=None):
    """Remove what an interrupted run for ``name`` left in ``out_dir``: the
    ``.part`` folders and files; and, when ``owner`` (a transfer id) is given,
    the finished bag ``name`` and its ZIP if that bag is ``owner``'s (a job
    that ran again: its first run was cut off before its transfer was
    recorded).  Raises BagExists when the target is somebody else's."""
    out_dir = os.path.abspath(out_dir)
    if os.path.isdir(out_dir):
        for entry in os.listdir(out_dir):
            if (entry.startswith(f".{name}.") and entry.endswith(".part")) or \
                    (entry.startswith(f"{name}.zip.") and entry.endswith(".part")):
                _remove(os.path.join(out_dir, entry))
    target = os.path.join(out_dir, name)
    zip_path = target + ".zip"
    if os.path.lexists(target):
        if owner is None or bag_owner(target) != owner:
            raise BagExists(mapping={"path": target})
        _remove(zip_path)    # the ZIP first: it is made from the folder
        _remove(target)
    elif owner is not None and os.path.lexists(zip_path):
        raise BagExists(mapping={"path": zip_path})


def free_space(path):
    """Free bytes on the file system that holds ``path`` (or would: the
    nearest existing parent)."""
    path = os.path.abspath(path)
    while not os.path.exists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return shutil.disk_usage(path).free


def space_needed(payload_bytes, make_zip):
    """Bytes a bag of ``payload_bytes`` of files needs: the copies, the ZIP
    (files already compressed -- PDF, JPEG -- hardly shrink) and a margin for
    the metadata."""
    return payload_bytes * (2 if make_zip else 1) + 16 * 1024 ** 2


# --------------------------------------------------------------------------- writing in steps

def dossier_folder(staging, dossier_code):
    return os.path.join(staging, dossier_code)


def write_metadata(staging, fonds, dossiers, transfer_number, transfer_id, created, actor_login,
                   doc_type_name=None):
    """Write every metadata file of the bag into ``staging`` (the payload
    root, before bagit moves it under ``data/``) -- METS.xml, metadata.csv,
    index.html per dossier, dossiers.csv and index.html of the transfer --
    reading ``dossiers`` (persistent objects: inside a transaction).
    Returns ``(files, info, counts)``: ``files`` the files to copy, plain
    dicts (stored_id, blob, bag_path, sha256, size), ``info`` the bag-info."""
    import bagit

    files = []
    counts = {"dossiers": 0, "records": 0, "files": 0, "bytes": 0}
    list_rows = []
    for dossier in dossiers:
        base = dossier_folder(staging, dossier.file_code)
        os.makedirs(base)
        planned = plan_files(dossier)
        for item in planned:
            files.append({"stored_id": item.stored.id, "blob": blob_path(item.stored),
                          "bag_path": f"data/{dossier.file_code}/{item.path}",
                          "sha256": item.stored.sha256, "size": item.stored.size})
            counts["bytes"] += item.stored.size
        write_xml(build_mets(dossier, fonds, planned, transfer_number, created, doc_type_name),
                  os.path.join(base, "METS.xml"))
        write_csv(os.path.join(base, "metadata.csv"), csv_columns(), metadata_rows(dossier, planned))
        with open(os.path.join(base, "index.html"), "w", encoding="utf-8") as fh:
            fh.write(dossier_html(dossier, fonds, planned, transfer_number, doc_type_name))
        counts["dossiers"] += 1
        counts["records"] += dossier.doc_total
        counts["files"] += len(planned)
        list_rows.append({"stt": counts["dossiers"], "file_code": dossier.file_code,
                          "title": dossier.title, "start_date": dossier.start_date or "",
                          "end_date": dossier.end_date or "",
                          "retention": md.encode(dossier.retention)[1],
                          "doc_total": dossier.doc_total, "page_total": dossier.page_total,
                          "file_total": len(planned), "notes": dossier.notes or ""})
    write_csv(os.path.join(staging, "dossiers.csv"), TRANSFER_LIST_COLUMNS, list_rows)
    with open(os.path.join(staging, "index.html"), "w", encoding="utf-8") as fh:
        fh.write(transfer_html(fonds, dossiers, transfer_number, created, counts))
    starts = [d.start_date for d in dossiers if d.start_date]
    ends = [d.end_date for d in dossiers if d.end_date]
    info = {
        "Source-Organization": fonds.name,
        "Source-Organization-Identifier": fonds.organ_id,
        "Fonds-Code": fonds.code,
        "External-Identifier": transfer_number,
        "Internal-Sender-Identifier": transfer_id,
        "External-Description": (f"Hồ sơ bảo quản vĩnh viễn của phông {fonds.name} nộp lưu "
                                 f"vào lưu trữ lịch sử: {counts['dossiers']} hồ sơ."),
        "Contact-Name": actor_login,
        "Transfer-Date": created[:10],
        "Date-Start": min(starts) if starts else "",
        "Date-End": max(ends) if ends else "",
        "Dossier-Count": str(counts["dossiers"]),
        "Record-Count": str(counts["records"]),
        "File-Count": str(counts["files"]),
        "Payload-Files-Bytes": str(counts["bytes"]),
        "Bag-Software-Agent": f"{SOFTWARE} (bagit-python {bagit.VERSION})",
    }
    return files, info, counts


def copy_files(staging, files, progress=None):
    """Copy every planned file from its blob into ``staging``, checking its
    SHA-256 against the stored one (BagIntegrityError otherwise);
    ``progress(done, total)`` after each file.  Needs no transaction: the
    blob paths are committed, immutable files."""
    total = len(files)
    for done, item in enumerate(files, 1):
        target_file = os.path.join(staging, *item["bag_path"].split("/")[1:])
        os.makedirs(os.path.dirname(target_file), exist_ok=True)
        if copy_path(item["blob"], target_file) != item["sha256"]:
            raise BagIntegrityError(mapping={"path": item["bag_path"]})
        if progress is not None:
            progress(done, total)


def seal_bag(staging, info, expected):
    """Make ``staging`` a bag (bagit-python: manifests, bag-info with
    Payload-Oxum) and check every manifest entry against ``expected``
    (bag path -> stored SHA-256).  Returns the Payload-Oxum."""
    import bagit

    make_bag_isolated(staging, info)
    bag = bagit.Bag(staging)
    for bag_path, sha in expected.items():
        entry = bag.entries.get(bag_path)
        if entry is None or entry.get("sha256") != sha:
            raise BagIntegrityError(mapping={"path": bag_path})
    return bag.info.get("Payload-Oxum")


def write_bag(out_dir, name, fonds, dossiers, transfer_number, transfer_id, created, actor,
              doc_type_name=None, make_zip=False, owner=None, progress=None):
    """Write the bag ``out_dir/name`` for ``dossiers`` of ``fonds`` (inside a
    transaction: blobs are read), and its ZIP ``out_dir/name.zip`` when
    ``make_zip``.  Raises BagExists (``owner``: see ``clear_leftovers``),
    BagIntegrityError; on any error nothing is left behind."""
    out_dir = os.path.abspath(out_dir)
    target = os.path.join(out_dir, name)
    clear_leftovers(out_dir, name, owner)
    os.makedirs(out_dir, exist_ok=True)
    staging = os.path.join(out_dir, f".{name}.{_part_suffix()}.part")
    os.makedirs(staging)
    try:
        files, info, counts = write_metadata(staging, fonds, dossiers, transfer_number,
                                             transfer_id, created, actor.login, doc_type_name)
        copy_files(staging, files, progress)
        expected = {f["bag_path"]: f["sha256"] for f in files}
        oxum = seal_bag(staging, info, expected)
        zip_path = finish_bag(staging, target, make_zip)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BagResult(target, name, oxum, counts, expected, zip_path)


def finish_bag(staging, target, make_zip, progress=None):
    """Give the sealed bag ``staging`` its name ``target`` (and write its ZIP
    first when ``make_zip``: ``target.zip``, renamed into place last).
    Returns the ZIP's path or None."""
    zip_part = None
    if make_zip:
        zip_part = f"{target}.zip.{_part_suffix()}.part"
        zip_bag(staging, zip_part, arcroot=os.path.basename(target), progress=progress,
                final=False)
    try:
        os.rename(staging, target)
    except OSError:
        if zip_part:
            _remove(zip_part)
        if os.path.exists(target):
            raise BagExists(mapping={"path": target})
        raise
    if zip_part:
        os.replace(zip_part, target + ".zip")
        return target + ".zip"
    return None


def zip_bag(bag_dir, zip_path, arcroot=None, progress=None, final=True):
    """A ZIP of the bag (its top folder included, named ``arcroot`` or the
    folder's own name), for download; written to a ``.part`` file beside and
    renamed into place when complete (``final=False``: written to
    ``zip_path`` itself, which the caller renames).  ``progress(done,
    total)`` after each file."""
    part = f"{zip_path}.{_part_suffix()}.part" if final else zip_path
    root_name = arcroot or os.path.basename(os.path.abspath(bag_dir))
    entries = []
    for dirpath, dirnames, filenames in os.walk(bag_dir):
        dirnames.sort()
        for filename in sorted(filenames):
            entries.append(os.path.join(dirpath, filename))
    try:
        with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED, allowZip64=True,
                             compresslevel=1) as zf:
            for done, full in enumerate(entries, 1):
                zf.write(full, os.path.join(root_name, os.path.relpath(full, bag_dir)))
                if progress is not None:
                    progress(done, len(entries))
        if final:
            os.replace(part, zip_path)
    except BaseException:
        _remove(part)
        raise
    return zip_path
