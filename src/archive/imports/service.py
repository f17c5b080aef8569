"""Carrying out a validated import plan: one item per transaction.

An item is one manifest row: one computer file, filed as a new document of
its dossier (created when first needed) or, with a ``doc_key`` shared by an
earlier row, added to that document.  Everything goes through the services
(``create_dossier``, ``file_record``, ``add_files``, ``spool_upload``), so the
journal, the search queue and the OCR job subscriber see the same events as
for work done in the UI.

A row whose file is already in its dossier (same SHA-256) is skipped, so an
interrupted import is finished by running it again.
"""
import logging
from dataclasses import dataclass, field

from archive.errors import ArchiveError
from archive.events import ArchiveEvent
from archive.i18n import _
from archive.services.dossiers import create_dossier
from archive.services.files import spool_upload
from archive.services.records import add_files, file_record, refuses_classified

from .manifest import validate_manifest

log = logging.getLogger(__name__)


class ImportCompleted(ArchiveEvent):
    """An import ran to its end (journaled with its counts)."""

    action = "import.complete"


class ManifestInvalid(ArchiveError):
    """The manifest has problems: nothing is imported.  ``problems`` lists
    them (line, message)."""

    status = 422
    message = _("Tệp manifest.csv có lỗi: không nhập gì cả.")

    def __init__(self, problems):
        super().__init__()
        self.problems = list(problems)


class FileChanged(ArchiveError):
    status = 409
    message = _("Tệp đã thay đổi sau khi kiểm tra manifest (SHA-256 khác): bỏ qua, hãy chạy lại.")


@dataclass
class ImportResult:
    total: int = 0
    imported: int = 0
    skipped: int = 0
    failed: list = field(default_factory=list)  # [(line, message)]
    dossiers_created: int = 0

    def as_dict(self, translate=None):
        tr = translate or (lambda m: m.interpolate() if hasattr(m, "interpolate") else str(m))
        return {"total": self.total, "imported": self.imported, "skipped": self.skipped,
                "dossiers_created": self.dossiers_created,
                "failed": [{"line": line, "message": tr(message)} for line, message in self.failed]}


def in_transaction(tm, get_root, attempts=10):
    """A ``run(fn)`` that calls ``fn(root)`` in one transaction of ``tm``,
    retried on ConflictError."""
    def run(fn):
        for attempt in tm.attempts(attempts):
            with attempt:
                result = fn(get_root())
        return result
    return run


def check_manifest(run, folder, settings, translate=None, only_fonds=None):
    """Validate in one transaction (that changes nothing).  Returns the plan,
    raises ManifestInvalid."""
    def validate(root):
        return validate_manifest(root, folder, settings, translate=translate, only_fonds=only_fonds)

    plan, problems = run(validate)
    if problems:
        raise ManifestInvalid(problems)
    return plan


def import_plan(plan, run, registry, actor, progress=None, source=""):
    """Import the rows of ``plan`` that are not already there, each in its
    own transaction through ``run(fn)``.  ``progress(done, total)`` is called
    after each row.  Returns an ImportResult; an item that fails (a named
    error of the services) is counted, named by line and skipped: the others
    go on."""
    settings = registry.settings
    max_size = int(settings.get("archive.max_upload", 2 * 1024 ** 3))
    tmpdir = settings["archive.upload_tmp"]
    refuse = refuses_classified(settings)
    result = ImportResult(total=len(plan.rows), skipped=plan.skipped)
    # (fonds, file_code) -> {sha256: record id}; updated after each commit
    known = {key: dict(shas) for key, shas in plan.existing.items()}
    todo = plan.to_import
    groups = {}  # (fonds, file_code, doc_key) -> SHA-256s of its rows
    for other in plan.rows:
        if other.doc_key:
            groups.setdefault((other.fonds, other.file_code, other.doc_key), []).append(other.sha256)
    done = 0
    if progress:
        progress(0, len(todo))

    def spool(row):
        with open(row.path, "rb") as stream:
            spooled = spool_upload(stream, row.name, max_size, tmpdir)
        if spooled.sha256 != row.sha256:
            spooled.discard()
            raise FileChanged()
        return spooled

    for row in todo:
        key = (row.fonds, row.file_code)
        shas = known.setdefault(key, {})
        # The file is copied (and hashed) before the transaction, which then
        # stays short; an attempt retried after a conflict copies it again,
        # the first one's copy having become a blob that was thrown away.
        box = {}

        def item(root, row=row, shas=shas, box=box):
            if row.sha256 in shas:
                return "skipped", None, False
            if box.get("spooled") is None or box["spooled"].path is None:
                box["spooled"] = spool(row)
            fonds = root["fonds"][row.fonds]
            dossier = fonds.get(fonds.file_codes.get(row.file_code, ""), None)
            created = dossier is None
            if created:
                dossier = create_dossier(fonds, registry, actor, row.dossier_data)
            target = None
            if row.doc_key:  # a file of the same document already stored?
                for sha256 in groups[key + (row.doc_key,)]:
                    if sha256 in shas:
                        target = root.objectmap.get(shas[sha256])
                        break
            if target is not None:
                add_files(target, registry, actor, [box["spooled"]], refuse_classified=refuse)
                record = target
            else:
                record = file_record(dossier, registry, actor, row.record_data, [box["spooled"]],
                                     refuse_classified=refuse)
            return "imported", record.id, created

        try:
            if row.sha256 not in shas:
                box["spooled"] = spool(row)
            outcome, record_id, created = run(item)
        except (ArchiveError, OSError) as exc:
            message = exc.message if isinstance(exc, ArchiveError) else \
                _("Không đọc được tệp: ${error}", mapping={"error": str(exc)})
            log.warning("import %s: line %s failed: %s", source, row.line, exc)
            result.failed.append((row.line, message))
        else:
            if outcome == "skipped":
                result.skipped += 1
            else:
                result.imported += 1
                result.dossiers_created += int(created)
                shas[row.sha256] = record_id
        finally:
            if box.get("spooled") is not None:
                box["spooled"].discard()  # nothing when it became a blob
        done += 1
        if progress:
            progress(done, len(todo))

    def journal(root):
        registry.notify(ImportCompleted(root, actor, {
            "source": source, "total": result.total, "imported": result.imported,
            "skipped": result.skipped, "failed": len(result.failed),
            "dossiers_created": result.dossiers_created}))
    run(journal)
    return result


__all__ = ["ImportCompleted", "ManifestInvalid", "FileChanged", "ImportResult",
           "in_transaction", "check_manifest", "import_plan"]
