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


INHERITED = ("access", "provenance", "physical_state", "language")


def _record_fields(data, dossier, new=False):
    """The document fields of ``data``; empty inherited ones (access,
    provenance, physical state, language) take the dossier's value, and so
    do absent ones of a ``new`` document."""
    fields = {k: v for k, v in data.items() if k in RECORD_FIELDS}
    for name in INHERITED:
        if (name in fields and not fields[name]) or (new and name not in fields):
            fields[name] = getattr(dossier, name)
    if isinstance(fields.get("language"), (set, list, frozenset)):
        fields["language"] = tuple(sorted(fields["language"]))
    return fields


def file_record(dossier, registry, actor, data, uploads=(), refuse_classified=True):
    """File a new document into ``dossier`` with its uploaded files.

    ``uploads`` are ``Spooled`` files (see ``archive.services.files``).  The
    ordinal is the dossier's next; ``doc_code`` follows from it.  Raises
    DossierClosed, ClassifiedFileRefused (files of a secret document, when
    ``refuse_classified``).  On error the spooled files are the caller's to
    discard.
    """
    ensure_open(dossier)
    fields = _record_fields(data, dossier, new=True)
    if uploads and refuse_classified and fields.get("secrecy", "none") not in ("none", "", None):
        raise ClassifiedFileRefused(fields={"file": ClassifiedFileRefused.message})
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
    fields = _record_fields(data, record.dossier)
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
