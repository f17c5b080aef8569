"""Filing documents (records) into dossiers and changing them."""
from pyramid.settings import asbool

from ..errors import ClassifiedFileRefused, ValidationFailed
from ..events import RecordFiled, RecordModified
from ..i18n import _
from ..resources import RECORD_FIELDS, Record, utcnow
from .dossiers import ensure_open
from .files import attach_file


def refuses_classified(settings):
    """``archive.refuse_classified_files`` (default on): files of secret
    documents are refused, only their metadata is kept (DOMAIN.md §3)."""
    return asbool(settings.get("archive.refuse_classified_files", "true"))


def _record_fields(data):
    return {k: v for k, v in data.items() if k in RECORD_FIELDS}


def file_record(dossier, registry, actor, data, uploads=(), refuse_classified=True):
    """File a new document into ``dossier`` with its uploaded files.

    ``uploads`` are ``Spooled`` files (see ``archive.services.files``).  The
    ordinal is the dossier's next; ``doc_code`` follows from it.  Raises
    DossierClosed, ClassifiedFileRefused (files of a secret document, when
    ``refuse_classified``).  On error the spooled files are the caller's to
    discard.
    """
    ensure_open(dossier)
    fields = _record_fields(data)
    if uploads and refuse_classified and fields.get("secrecy", "none") not in ("none", "", None):
        raise ClassifiedFileRefused(fields={"file": ClassifiedFileRefused.message})
    for inherited in ("access", "provenance", "physical_state"):
        if not fields.get(inherited):
            fields[inherited] = getattr(dossier, inherited)
    if not fields.get("language"):
        fields["language"] = dossier.language
    record = Record(dossier.next_ordinal(), created_by=actor.login, **fields)
    dossier.add(record.id, record)
    for spooled in uploads:
        attach_file(record, spooled, registry, actor)
    dossier.modified = utcnow()
    registry.notify(RecordFiled(record, actor, {"doc_code": record.doc_code,
                                                "files": len(uploads)}))
    return record


def update_record(record, registry, actor, data, refuse_classified=True):
    """Change a document's metadata.  Raises DossierClosed, ValidationFailed
    (a document that has files cannot become secret when they are refused)."""
    ensure_open(record.dossier)
    fields = _record_fields(data)
    if refuse_classified and len(record) and fields.get("secrecy", "none") not in ("none", "", None):
        raise ValidationFailed(fields={"secrecy": _("Văn bản đã có tệp nội dung: không thể đặt độ mật.")})
    changed = {k: v for k, v in fields.items() if getattr(record, k, None) != v}
    for name, value in changed.items():
        setattr(record, name, value)
    record.modified = utcnow()
    registry.notify(RecordModified(record, actor, {"fields": sorted(changed)}))
    return record


def add_files(record, registry, actor, uploads, refuse_classified=True):
    """Attach more files to an existing document.  Raises DossierClosed,
    ClassifiedFileRefused."""
    ensure_open(record.dossier)
    if refuse_classified and record.secrecy not in ("none", "", None):
        raise ClassifiedFileRefused(fields={"file": ClassifiedFileRefused.message})
    stored = [attach_file(record, spooled, registry, actor) for spooled in uploads]
    record.modified = utcnow()
    return stored
