"""Bulk import of a folder of files described by ``manifest.csv``
(``archive-import CONFIG FOLDER``, or a ZIP uploaded on the web page, run as
a job).  See ``manifest`` for the columns, ``service`` for the import."""
from .manifest import MANIFEST, ManifestProblem, Plan, Row, all_columns, validate_manifest
from .service import (
    FileChanged, ImportCompleted, ImportResult, ManifestInvalid, check_manifest,
    import_plan, in_transaction,
)

__all__ = ["MANIFEST", "ManifestProblem", "Plan", "Row", "all_columns", "validate_manifest",
           "FileChanged", "ImportCompleted", "ImportResult", "ManifestInvalid",
           "check_manifest", "import_plan", "in_transaction"]


def includeme(config):
    """Registers the web import's job handler when the job queue is there."""
    from .job import register

    register(config)
