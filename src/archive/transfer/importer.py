"""Loading a transfer bag into an (empty) archive: ``archive-import-bag``.

The bag is validated first (bagit-python: structure, Payload-Oxum, every
SHA-256); then each dossier's ``METS.xml`` is read (the ``tt05`` block holds
every field with its type, the fileSec and structMap the files) and the
fonds, dossiers, documents and files are created through the ordinary
services, in the caller's one transaction: either the whole bag is loaded or
nothing.  Each file is streamed and hashed like an upload; its SHA-256, name
and media type must equal the bag's, and each document gets its original
ordinal, so the result reproduces the dossiers exactly.
"""
import os
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

from ..errors import ArchiveError
from ..services import dossiers as dossier_service
from ..services import records as record_service
from ..services.files import attach_file, spool_upload
from ..services.fonds import create_fonds
from . import metadata as md
from .bag import M, T, X
from .errors import InvalidBag, TargetNotEmpty
from .events import BagImported


@dataclass
class FileSpec:
    path: str        # absolute path in the bag
    name: str
    role: str
    sha256: str
    size: int
    media_type: str
    owner_id: str = ""   # the file's stable id in the archive it came from
    group: str = ""      # "grp-<id of the original>": a rendition and its source


@dataclass
class RecordSpec:
    ordinal: int
    fields: dict
    computed: dict
    files: list = field(default_factory=list)


@dataclass
class DossierSpec:
    folder: str
    fonds_code: str
    fonds_name: str
    fonds_organ_id: str
    closed: bool
    fields: dict
    computed: dict
    records: list = field(default_factory=list)


def invalid(reason):
    return InvalidBag(mapping={"reason": reason})


def validate_bag(bag_dir):
    """The bagit.Bag after a full validation; InvalidBag otherwise."""
    import bagit

    try:
        bag = bagit.Bag(bag_dir)
        bag.validate(processes=1)
    except bagit.BagValidationError as exc:
        details = "; ".join(str(d) for d in (exc.details or [])[:5])
        raise invalid(f"{exc.message} {details}".strip())
    except bagit.BagError as exc:
        raise invalid(str(exc))
    if "sha256" not in bag.algorithms:
        raise invalid("thiếu manifest SHA-256")
    return bag


def _fields(node, stored_names):
    stored, computed = {}, {}
    for f in node.findall(T("field")):
        name = f.get("name")
        value = md.decode(f.get("type"), f.text)
        (stored if name in stored_names else computed)[name] = value
    return stored, computed


def read_dossier(bag, folder):
    """The DossierSpec of ``data/<folder>/METS.xml``."""
    base = os.path.join(bag.path, "data", folder)
    try:
        tree = ET.parse(os.path.join(base, "METS.xml"))
    except (ET.ParseError, OSError) as exc:
        raise invalid(f"{folder}/METS.xml: {exc}")
    root = tree.getroot()
    node = root.find(f"{M('dmdSec')}/{M('mdWrap')}/{M('xmlData')}/{T('dossier')}")
    if node is None:
        raise invalid(f"{folder}/METS.xml: thiếu khối siêu dữ liệu TT05-2025")
    stored, computed = _fields(node, md.DOSSIER_STORED + md.DOSSIER_DECIDED)
    spec = DossierSpec(folder, node.get("fonds_code"), node.get("fonds_name"),
                       node.get("fonds_organ_id"), node.get("closed") == "true", stored, computed)
    files = {}
    for grp in root.iter(M("fileGrp")):
        for fnode in grp.findall(M("file")):
            loc = fnode.find(M("FLocat"))
            href = loc.get(X("href")) if loc is not None else None
            if not href:
                raise invalid(f"{folder}/METS.xml: tệp {fnode.get('ID')} không có đường dẫn")
            path = os.path.normpath(os.path.join(base, *href.split("/")))
            if not path.startswith(base + os.sep):
                raise invalid(f"{folder}/METS.xml: đường dẫn ra ngoài hồ sơ: {href}")
            rel = os.path.relpath(path, bag.path).replace(os.sep, "/")
            if rel not in bag.entries:
                raise invalid(f"{rel}: không có trong manifest")
            files[fnode.get("ID")] = FileSpec(path, loc.get(X("title")) or os.path.basename(path),
                                              grp.get("USE") or "original",
                                              (fnode.get("CHECKSUM") or "").lower(),
                                              int(fnode.get("SIZE") or 0),
                                              fnode.get("MIMETYPE") or "",
                                              fnode.get("OWNERID") or "", fnode.get("GROUPID") or "")
    files_of = {}
    for div in root.iter(M("div")):
        if div.get("TYPE") == "record":
            files_of[int(div.get("ORDER"))] = [files[fp.get("FILEID")] for fp in div.findall(M("fptr"))]
    for rnode in node.findall(T("record")):
        rstored, rcomputed = _fields(rnode, md.RECORD_STORED)
        ordinal = int(rnode.get("ordinal"))
        spec.records.append(RecordSpec(ordinal, rstored, rcomputed, files_of.get(ordinal, [])))
    spec.records.sort(key=lambda r: r.ordinal)
    return spec


def read_bag(bag_dir):
    """Validate the bag and read every dossier of it: (bag, [DossierSpec])."""
    if not os.path.isdir(bag_dir):
        raise invalid(f"không có thư mục {bag_dir}")
    bag = validate_bag(bag_dir)
    data = os.path.join(bag.path, "data")
    folders = sorted(name for name in os.listdir(data)
                     if os.path.isfile(os.path.join(data, name, "METS.xml")))
    if not folders:
        raise invalid("không có hồ sơ nào (data/<mã hồ sơ>/METS.xml)")
    specs = [read_dossier(bag, folder) for folder in folders]
    if len({(s.fonds_code, s.fonds_organ_id) for s in specs}) != 1:
        raise invalid("hồ sơ của nhiều phông trong một gói")
    return bag, specs


def _spool(spec, tmpdir, max_size):
    with open(spec.path, "rb") as fh:
        spooled = spool_upload(fh, spec.name, max_size, tmpdir)
    problems = []
    if spooled.sha256 != spec.sha256:
        problems.append("SHA-256")
    if spooled.name != spec.name:
        problems.append("tên tệp")
    if spec.media_type and spooled.media_type != spec.media_type:
        problems.append("loại tệp")
    if problems:
        spooled.discard()
        raise invalid(f"{spec.path}: {', '.join(problems)} khác với METS.xml")
    return spooled


def import_bag(root, registry, actor, bag_dir, tmpdir, max_size=2 ** 40, progress=None,
               refuse_classified=True):
    """Load the bag at ``bag_dir`` (see the module).  Raises InvalidBag,
    TargetNotEmpty (a dossier of the bag already exists here), and the
    services' errors (ClassifiedFileRefused when ``refuse_classified`` and a
    secret document of the bag has files).  Returns {"fonds", "dossiers", "records", "files"}."""
    bag, specs = read_bag(bag_dir)
    first = specs[0]
    fonds = root["fonds"].get(first.fonds_code)
    if fonds is not None:
        for spec in specs:
            code = spec.computed.get("file_code")
            if code in fonds.file_codes:
                raise TargetNotEmpty(mapping={"code": code})
    else:
        fonds = create_fonds(root, registry, actor, first.fonds_code, first.fonds_name,
                             first.fonds_organ_id)
    counts = {"fonds": fonds.code, "dossiers": 0, "records": 0, "files": 0}
    pending = []
    try:
        for spec in specs:
            # the period stands as typed; the schedule entry and version it was
            # decided under are kept as they were (the target's schedule may differ)
            decided = {name: spec.fields.get(name) for name in md.DOSSIER_DECIDED
                       if name in spec.fields}
            fields = {k: v for k, v in spec.fields.items() if k not in md.DOSSIER_DECIDED}
            dossier = dossier_service.create_dossier(fonds, registry, actor, fields)
            for name, value in decided.items():
                setattr(dossier, name, value)
            if dossier.file_code != spec.computed.get("file_code"):
                raise invalid(f"{spec.folder}: mã hồ sơ {dossier.file_code} khác "
                              f"{spec.computed.get('file_code')}")
            for rspec in spec.records:
                originals = [f for f in rspec.files if f.role == "original"]
                others = [f for f in rspec.files if f.role != "original"]
                pending = [_spool(f, tmpdir, max_size) for f in originals]
                record = record_service.file_record(dossier, registry, actor, rspec.fields,
                                                    pending, refuse_classified=refuse_classified)
                pending = []
                new_ids = {f.owner_id: stored.id for f, stored in zip(originals, record.files())}
                if record.ordinal != rspec.ordinal:
                    raise invalid(f"{spec.folder}: văn bản số {rspec.ordinal} thành số {record.ordinal}")
                for fspec in others:
                    pending = [_spool(fspec, tmpdir, max_size)]
                    stored = attach_file(record, pending[0], registry, actor, role=fspec.role)
                    pending = []
                    source = new_ids.get(fspec.group[len("grp-"):])
                    if source and fspec.group[len("grp-"):] != fspec.owner_id:
                        stored.source = source   # the OCR job finds it and makes no second one
                counts["records"] += 1
                counts["files"] += len(rspec.files)
            if spec.closed:
                dossier_service.close_dossier(dossier, registry, actor)
            counts["dossiers"] += 1
            if progress is not None:
                progress(1)
    except ArchiveError:
        for spooled in pending:
            spooled.discard()
        raise
    registry.notify(BagImported(fonds, actor, {
        "bag": os.path.abspath(bag_dir), "external_identifier": bag.info.get("External-Identifier"),
        "payload_oxum": bag.info.get("Payload-Oxum"), **counts}))
    return counts
