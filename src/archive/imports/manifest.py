"""Reading and validating an import manifest (``manifest.csv``).

One row per computer file.  The columns are the field names of the API and
of ``archive.schemas`` (DOMAIN.md §2, §3, §6):

* ``fonds`` (required): the code of an existing fonds;
* the dossier's fields: ``notation``, ``title``, ``retention`` (required),
  ``organ_id``, ``year``, ``access``, ``start_date``, ``paper_file_code`` ...;
* the document's fields: ``doc_type``, ``issued_date``, ``issuer``,
  ``subject`` (required), ``number``, ``signer`` ...; the document fields
  whose name is also a dossier field take the prefix ``doc_``:
  ``doc_notation``, ``doc_access``, ``doc_language``, ``doc_provenance``,
  ``doc_physical_state``, ``doc_keywords``, ``doc_notes``;
* ``file`` (required): the file's path relative to the manifest's folder;
* ``doc_key`` (optional): rows of one dossier with the same ``doc_key`` are
  the files of one document (each row without it is a document of its own).

Rows of the same dossier (same fonds and file code) must repeat the same
dossier fields; rows of one document the same document fields.  Multi-valued
fields (``language``) take codes separated by ``;`` or ``,``; booleans take
``1``/``0``, ``true``/``false``, ``có``/``không``.

``validate_manifest`` checks every row and returns a ``Plan`` and the list of
``ManifestProblem`` (line number as in the file, header = line 1, and a
Vietnamese message): an import with any problem imports nothing.
"""
import csv
import hashlib
import io
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field

import colander

from archive.i18n import _
from archive.resources import Dossier, utcnow
from archive.schemas import DossierSchema, RecordSchema
from archive.services.files import ALLOWED, CHUNK, safe_filename, sniff
from archive.services.records import refuses_classified

MANIFEST = "manifest.csv"
MAX_MANIFEST = 64 * 1024 * 1024  # bytes of manifest text read at most
MAX_ROWS = 200_000

FONDS = "fonds"
FILE = "file"
DOC_KEY = "doc_key"


def dossier_columns():
    return [node.name for node in DossierSchema().children]


def record_columns():
    """column name -> document field name."""
    dossier = set(dossier_columns())
    return {(("doc_" + node.name) if node.name in dossier else node.name): node.name
            for node in RecordSchema().children}


def all_columns():
    return [FONDS] + dossier_columns() + list(record_columns()) + [DOC_KEY, FILE]


REQUIRED_COLUMNS = (FONDS, FILE)

TRUE_WORDS = {"1", "true", "yes", "x", "có", "co", "c"}
FALSE_WORDS = {"0", "false", "no", "không", "khong", "k"}


@dataclass
class ManifestProblem:
    line: int
    message: object  # a TranslationString (Vietnamese msgid)

    def text(self, translate=None):
        return translate(self.message) if translate else _interpolate(self.message)


@dataclass
class Row:
    """One valid manifest row: where it goes and what it carries."""

    line: int
    fonds: str
    file_code: str
    dossier_data: dict
    record_data: dict
    path: str          # absolute, inside the folder
    relpath: str
    name: str
    size: int
    sha256: str
    media_type: str
    doc_key: str = ""
    skip: bool = False  # already in its dossier (same SHA-256)


@dataclass
class Plan:
    rows: list = field(default_factory=list)
    # (fonds, file_code) -> {sha256: record id} of what the archive already holds
    existing: dict = field(default_factory=dict)
    closed: set = field(default_factory=set)  # (fonds, file_code) of closed dossiers

    @property
    def to_import(self):
        return [row for row in self.rows if not row.skip]

    @property
    def skipped(self):
        return sum(1 for row in self.rows if row.skip)


def _interpolate(message):
    return message.interpolate() if hasattr(message, "interpolate") else str(message)


def make_translate(registry, locale="vi"):
    """A function turning messages (ours and colander's) into text of
    ``locale``, with the application's catalogues."""
    from pyramid.i18n import make_localizer
    from pyramid.interfaces import ITranslationDirectories

    dirs = registry.queryUtility(ITranslationDirectories) if registry is not None else None
    if not dirs:
        return _interpolate
    localizer = make_localizer(locale, dirs)
    return localizer.translate


def read_text(path):
    """The manifest's text (UTF-8, with or without BOM) or a ManifestProblem."""
    try:
        size = os.path.getsize(path)
    except OSError:
        return None, ManifestProblem(0, _("Không tìm thấy tệp manifest.csv trong thư mục."))
    if size > MAX_MANIFEST:
        return None, ManifestProblem(0, _("Tệp manifest.csv quá lớn (tối đa 64 MB)."))
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        return None, ManifestProblem(line, _("Tệp manifest.csv phải được lưu dạng UTF-8 (có hoặc không "
                                             "có BOM); dòng này có byte không hợp lệ."))
    return unicodedata.normalize("NFC", text), None


def parse_csv(text):
    """(header, [(line, {column: value})]) or raises ValueError: the line of
    each row is the line it starts on (a quoted cell may span lines).  The
    delimiter is a comma, or a semicolon when the header has more of them
    (spreadsheets in some locales save so)."""
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = None
    rows = []
    start = 1
    for cells in reader:
        if header is None:
            header = [c.strip().lower() for c in cells]
        elif any(c.strip() for c in cells):
            rows.append((start, cells))
        start = reader.line_num + 1
        if len(rows) > MAX_ROWS:
            break
    return header or [], rows


def _set_value(raw):
    return [part for part in re.split(r"[;,\s]+", raw.strip()) if part]


def _cstruct(schema, values, columns, problems_out):
    """The colander cstruct of ``schema`` from the row's ``values``
    (column -> text), for the ``columns`` mapping column -> field."""
    cstruct = {}
    for column, name in columns.items():
        raw = values.get(column, "").strip()
        node = schema[name]
        if isinstance(node.typ, colander.Set):
            if raw:
                cstruct[name] = _set_value(raw)
        elif isinstance(node.typ, colander.Boolean):
            word = raw.lower()
            if word in TRUE_WORDS:
                cstruct[name] = "true"
            elif word in FALSE_WORDS or not word:
                cstruct[name] = "false"
            else:
                problems_out.append(_("${column}: phải là 1/0, true/false hoặc có/không.",
                                      mapping={"column": column}))
        elif raw:
            cstruct[name] = raw
    return cstruct


def _deserialize(schema, cstruct, columns, translate):
    """(appstruct, [messages]) with each message naming its column."""
    field_to_column = {name: column for column, name in columns.items()}
    try:
        return schema.deserialize(cstruct), []
    except colander.Invalid as exc:
        messages = []
        for name, message in sorted(exc.asdict(translate=translate).items()):
            column = field_to_column.get(name.split(".")[0], name)
            messages.append(_("${column}: ${message}", mapping={"column": column, "message": message}))
        return None, messages


def file_code_of(data, fonds):
    organ_id = data.get("organ_id") or fonds.organ_id
    year = data.get("year")
    if not year:
        start = data.get("start_date")
        year = int(start[:4]) if start else utcnow().year
    return f"{organ_id}.{year}.{data['notation']}"


def resolve_file(folder, relpath):
    """The absolute path of ``relpath`` inside ``folder``, or a message: no
    absolute paths, no ``..``, no symbolic link leading out of the folder."""
    if not relpath:
        return None, _("file: bắt buộc nhập đường dẫn tệp.")
    norm = relpath.replace("\\", "/")
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm) or "\x00" in norm:
        return None, _("file: đường dẫn phải là đường dẫn tương đối trong thư mục nhập (không bắt đầu "
                       "bằng / hay ổ đĩa).")
    parts = [p for p in norm.split("/") if p not in ("", ".")]
    if ".." in parts or not parts:
        return None, _("file: đường dẫn không được chứa \"..\".")
    base = os.path.realpath(folder)
    path = os.path.join(base, *parts)
    if not os.path.lexists(path):
        # the manifest is read as NFC; names made on macOS are often NFD
        decomposed = os.path.join(base, *(unicodedata.normalize("NFD", p) for p in parts))
        if os.path.lexists(decomposed):
            path = decomposed
    real = os.path.realpath(path)
    if os.path.commonpath([base, real]) != base:
        return None, _("file: liên kết tượng trưng trỏ ra ngoài thư mục nhập.")
    try:
        st = os.stat(real)
    except OSError:
        return None, _("file: không tìm thấy tệp ${path}.", mapping={"path": relpath})
    if not stat.S_ISREG(st.st_mode):
        return None, _("file: ${path} không phải là một tệp.", mapping={"path": relpath})
    return real, None


def hash_file(path):
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def dossier_shas(dossier):
    """{sha256: record id} of the original files of ``dossier``."""
    out = {}
    for record in dossier.values():
        for stored in record.values():
            if getattr(stored, "role", "original") == "original":
                out.setdefault(stored.sha256, record.id)
    return out


def _diff(a, b):
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def validate_manifest(root, folder, settings, translate=None, manifest=None, only_fonds=None):
    """Check the whole manifest of ``folder`` against the archive ``root``
    (read only).  Returns ``(plan, problems)``; any problem means the import
    must not start.  Rows whose file is already in their dossier (same
    SHA-256) are marked ``skip``.  With ``only_fonds`` (the web import of one
    fonds) an empty ``fonds`` cell means that fonds and any other is refused."""
    translate = translate or _interpolate
    problems = []
    text, problem = read_text(manifest or os.path.join(folder, MANIFEST))
    if problem is not None:
        return Plan(), [problem]
    try:
        header, rows = parse_csv(text)
    except (csv.Error, ValueError) as exc:
        return Plan(), [ManifestProblem(0, _("Không đọc được manifest.csv: ${error}",
                                             mapping={"error": str(exc)}))]
    known = all_columns()
    unknown = [c for c in header if c and c not in known]
    if unknown:
        problems.append(ManifestProblem(1, _("Cột không có trong danh mục: ${columns}. Các cột dùng tên "
                                             "trường của API (xem README).",
                                             mapping={"columns": ", ".join(unknown)})))
    duplicates = sorted({c for c in header if c and header.count(c) > 1})
    # (columns without a name, as spreadsheets sometimes leave, are ignored)
    if duplicates:
        problems.append(ManifestProblem(1, _("Cột bị lặp lại: ${columns}.",
                                             mapping={"columns": ", ".join(duplicates)})))
    missing = [c for c in REQUIRED_COLUMNS if c not in header and not (c == FONDS and only_fonds)]
    if missing:
        problems.append(ManifestProblem(1, _("Thiếu cột bắt buộc: ${columns}.",
                                             mapping={"columns": ", ".join(missing)})))
    if problems:
        return Plan(), problems
    if not rows:
        return Plan(), [ManifestProblem(2, _("Tệp manifest.csv không có dòng dữ liệu nào."))]
    if len(rows) > MAX_ROWS:
        return Plan(), [ManifestProblem(0, _("Tệp manifest.csv có quá nhiều dòng (tối đa ${max}).",
                                             mapping={"max": MAX_ROWS}))]

    dossier_cols = {c: c for c in dossier_columns()}
    record_cols = record_columns()
    dossier_schema = DossierSchema().bind()
    record_schema = RecordSchema().bind()
    refuse = refuses_classified(settings)
    max_size = int(settings.get("archive.max_upload", 2 * 1024 ** 3))
    plan = Plan()
    dossiers = {}   # (fonds, file_code) -> (line, dossier data)
    documents = {}  # (fonds, file_code, doc_key) -> (line, record data)
    contents = {}   # (fonds, file_code, sha256) -> line

    for line, cells in rows:
        values = {name: cell for name, cell in zip(header, cells) if name}
        messages = []
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            messages.append(_("Dòng có nhiều ô hơn số cột của dòng tiêu đề."))
        code = values.get(FONDS, "").strip() or (only_fonds or "")
        fonds = root["fonds"].get(code) if code else None
        if only_fonds and code != only_fonds:
            fonds = None
            messages.append(_("fonds: trang này chỉ nhập vào phông ${code}.", mapping={"code": only_fonds}))
        elif not code:
            messages.append(_("fonds: bắt buộc nhập mã phông."))
        elif fonds is None:
            messages.append(_("fonds: không có phông mã ${code}.", mapping={"code": code}))
        dossier_data, errs = _deserialize(dossier_schema, _cstruct(dossier_schema, values, dossier_cols, messages),
                                          dossier_cols, translate)
        messages += errs
        record_data, errs = _deserialize(record_schema, _cstruct(record_schema, values, record_cols, messages),
                                         record_cols, translate)
        messages += errs
        relpath = values.get(FILE, "").strip()
        path, problem = resolve_file(folder, relpath)
        sha256 = media_type = None
        size = 0
        if problem is not None:
            messages.append(problem)
        else:
            size = os.path.getsize(path)
            if size == 0:
                messages.append(_("file: tệp rỗng (0 byte)."))
            elif size > max_size:
                messages.append(_("file: tệp vượt quá dung lượng cho phép."))
            else:
                media_type = sniff(path)
                if media_type not in ALLOWED:
                    messages.append(_("file: loại tệp không được chấp nhận (chỉ nhận PDF, TIFF, JPEG, PNG, "
                                      "ODT, DOCX, XLSX)."))
                else:
                    sha256, size = hash_file(path)
        if record_data is not None and refuse and record_data.get("secrecy", "none") not in ("none", ""):
            messages.append(_("secrecy: văn bản mật chỉ được lưu siêu dữ liệu, không nhận tệp nội dung."))
        file_code = None
        if fonds is not None and dossier_data is not None:
            file_code = file_code_of(dossier_data, fonds)
            key = (code, file_code)
            if key in dossiers:
                first_line, first_data = dossiers[key]
                differ = _diff(first_data, dossier_data)
                if differ:
                    messages.append(_("Thông tin hồ sơ ${code} khác với dòng ${line} ở cột: ${columns}.",
                                      mapping={"code": file_code, "line": first_line,
                                               "columns": ", ".join(differ)}))
            else:
                dossiers[key] = (line, dossier_data)
                if key not in plan.existing:
                    dossier = fonds.get(fonds.file_codes.get(file_code, ""), None)
                    plan.existing[key] = dossier_shas(dossier) if isinstance(dossier, Dossier) else {}
                    if isinstance(dossier, Dossier) and dossier.closed:
                        plan.closed.add(key)
            doc_key = values.get(DOC_KEY, "").strip()
            if doc_key and record_data is not None:
                dkey = (code, file_code, doc_key)
                if dkey in documents:
                    first_line, first_data = documents[dkey]
                    differ = _diff(first_data, record_data)
                    if differ:
                        inverse = {v: k for k, v in record_cols.items()}
                        messages.append(_("Thông tin văn bản ${key} khác với dòng ${line} ở cột: ${columns}.",
                                          mapping={"key": doc_key, "line": first_line,
                                                   "columns": ", ".join(inverse.get(d, d) for d in differ)}))
                else:
                    documents[dkey] = (line, record_data)
            if sha256 is not None:
                ckey = (code, file_code, sha256)
                if ckey in contents:
                    messages.append(_("file: nội dung trùng với tệp ở dòng ${line} của cùng hồ sơ.",
                                      mapping={"line": contents[ckey]}))
                else:
                    contents[ckey] = line
                if key in plan.closed and sha256 not in plan.existing.get(key, {}):
                    messages.append(_("Hồ sơ ${code} đã đóng: không thể thêm văn bản.",
                                      mapping={"code": file_code}))
        if messages:
            problems.extend(ManifestProblem(line, m) for m in messages)
            continue
        existing = plan.existing.get((code, file_code), {})
        plan.rows.append(Row(
            line=line, fonds=code, file_code=file_code, dossier_data=dossier_data,
            record_data=record_data, path=path, relpath=relpath,
            name=safe_filename(os.path.basename(path), media_type), size=size, sha256=sha256,
            media_type=media_type, doc_key=values.get(DOC_KEY, "").strip(),
            skip=sha256 in existing))
    return plan, problems
