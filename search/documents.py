"""What the index holds for a dossier or a document (record).

``document_for(obj)`` returns the fields of ``archive.search.schema`` for one
Dossier or Record, or None for anything else.  The text fields carry all the
metadata a person may remember (title, subject, names, places, notes), the
applicant data of one-stop dossiers, and the text of the files; the codes go
to the exact ``codes`` field as well; ``allow`` lists every principal that may
view the object, evaluated through the same ACLs as the views, so a search
filters on it before counting, faceting and highlighting.
"""
import logging

from pyramid.authorization import ACLHelper, Authenticated, Everyone
from pyramid.location import lineage

from archive.digitise import file_text
from archive.digitise.engine import XML_TEXT, zip_xml_text
from archive.resources import Dossier, Record
from archive.security import VIEW

from .analysis import code_field_text, normalize

log = logging.getLogger(__name__)

# Extracted text kept per document (the index stores it for snippets).
MAX_TEXT = 200_000
# Files larger than this are not read for text at indexing time (the
# digitisation jobs extract text and store it on the file instead).
MAX_EXTRACT_BYTES = 64 * 1024 * 1024

_acl = ACLHelper()


def allowed_principals(obj):
    """Every principal named in the ACLs above ``obj`` that may view it."""
    candidates = set()
    for node in lineage(obj):
        for _action, principal, _perms in getattr(node, "__acl__", ()) or ():
            candidates.add(principal)
    candidates -= {Everyone, Authenticated}
    return sorted(p for p in candidates
                  if _acl.permits(obj, [Everyone, Authenticated, p], VIEW))


def _join(*parts):
    return "\n".join(str(p) for p in parts if p)


def _year(value):
    return value[:4] if value else ""


def dossier_text(dossier):
    """Everything a person may type to find the dossier, codes included (a
    code typed beside a name must count as words too)."""
    return _join(dossier.title, dossier.file_code, dossier.notation, dossier.creator,
                 dossier.keywords, dossier.info_mark, dossier.notes, dossier.paper_file_code,
                 dossier.procedure_code, dossier.procedure_name, dossier.receipt_code,
                 dossier.applicant_name, dossier.applicant_id, dossier.field_name,
                 dossier.handling_unit, dossier.district)


def dossier_codes(dossier):
    return [c for c in (dossier.file_code, dossier.organ_id, dossier.procedure_code,
                        dossier.receipt_code, dossier.applicant_id, dossier.paper_file_code) if c]


def document_for(obj):
    """The index document of a Dossier or a Record, or None."""
    if isinstance(obj, Dossier):
        return _dossier_document(obj)
    if isinstance(obj, Record):
        return _record_document(obj)
    return None


def _common(dossier):
    fonds = dossier.fonds
    return {
        "dossier_id": dossier.id,
        "fonds": fonds.code if fonds is not None else "",
        "year": str(dossier.year or ""),
        "procedure": dossier.procedure_code or "",
        "retention": str(dossier.retention or ""),
        "district": normalize(dossier.district or ""),
        "file_code": dossier.file_code,
    }


def _dossier_document(dossier):
    text = dossier_text(dossier)
    doc = _common(dossier)
    doc.update({
        "id": dossier.id,
        "type": "dossier",
        "access": dossier.access or "",
        "doc_type": "",
        "date": dossier.end_date or dossier.start_date or str(dossier.year or ""),
        "title": dossier.title,
        "doc_code": "",
        "allow": " ".join(allowed_principals(dossier)),
        "codes": code_field_text(dossier_codes(dossier)),
        "exact": text,
        "folded": text,
        "pairs": text,
    })
    return doc


def _record_document(record):
    dossier = record.dossier
    number = record.display_number
    text = _join(record.subject, number, record.doc_code, record.issuer, record.signer,
                 record.keywords, record.notes, record.autograph, dossier_text(dossier),
                 files_text(record))[:MAX_TEXT]
    doc = _common(dossier)
    doc.update({
        "id": record.id,
        "type": "record",
        # the stricter of the two, as the ACLs apply both
        "access": max(record.access or "", dossier.access or ""),
        "doc_type": record.doc_type or "",
        "date": record.issued_date or "",
        "title": record.subject,
        "doc_code": record.doc_code,
        "allow": " ".join(allowed_principals(record)),
        # its own codes only: a pasted dossier code puts the dossier itself first
        "codes": code_field_text([record.doc_code, number]),
        "exact": text,
        "folded": text,
        "pairs": text,
    })
    return doc


def files_text(record):
    """The text of a document's files: the text the digitisation jobs stored
    on a file, page by page (an archivist's correction preferred to the
    machine's), or, while none is stored, extracted now from a born-digital
    file.  Renditions add nothing: their text is their original's."""
    parts = []
    for stored in record.files():
        if stored.role == "rendition":
            continue
        text = file_text(stored)
        if text is None:
            text = extract_text(stored)
        if text:
            parts.append(text)
    return "\n".join(parts)


def extract_text(stored):
    """Text of a born-digital file (PDF with a text layer, DOCX, ODT, XLSX);
    "" for scans (OCR is the digitisation jobs' work) and unreadable files."""
    if stored.size > MAX_EXTRACT_BYTES:
        return ""
    try:
        with stored.blob.open("r") as fh:
            if stored.media_type == "application/pdf":
                return _pdf_text(fh)
            if stored.media_type in XML_TEXT:
                return zip_xml_text(fh, XML_TEXT[stored.media_type])
    except Exception:  # a broken file is kept; it just adds no text
        log.info("no text from file %s (%s)", stored.id, stored.name, exc_info=True)
    return ""


def _pdf_text(fh):
    from pypdf import PdfReader

    reader = PdfReader(fh, strict=False)
    return "\n".join((page.extract_text() or "") for page in reader.pages[:500])
