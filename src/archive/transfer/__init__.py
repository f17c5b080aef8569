"""Transfer of permanent dossiers to the historical archive (nộp lưu lịch sử).

A transfer exports the selected dossiers (permanent, due for transfer, never
on hold) as a BagIt bag (RFC 8493, bagit-python, SHA-256 manifests) laid out
per DOMAIN.md §5: per dossier a ``METS.xml`` wrapping EAD and the Circular
05/2025 fields, a ``metadata.csv`` of the same, an ``index.html`` readable
without this software, and the files under ``representations/<role>/data/``.
The dossiers are marked transferred only when the receipt (biên bản giao
nhận) of the historical archive is recorded, a separate step.  A bag made
here can be loaded into an empty archive (``archive.transfer.importer``).

Modules: ``resources`` (Transfers, Transfer), ``metadata`` (the fields and
their encoding, shared by export and import), ``bag`` (writing the bag),
``service`` (select, export, receipt, cancel), ``importer``, ``events``,
``errors``.
"""


def includeme(config):
    """The export job's handler and its subscriber (``job``)."""
    config.include(".job")
