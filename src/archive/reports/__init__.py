"""Reports for auditors: retention report, disposal list, transfer list,
holds, destruction records, statistics per fonds and year.

A report *kind* (``archive.reports.catalogue``) turns the archive into a header
and rows of plain values (str, int, None, or a translatable message); a
*writer* (``archive.reports.writers``) turns those into CSV, XLSX or PDF,
neutralising every cell a spreadsheet would take for a formula.  The web UI,
the API and ``archive-report`` all call ``export_report``, which journals the
export (``ReportExported``).

Public API (see /work/coord/contracts.md):

    kinds(root) -> [ReportKind]            the kinds available on this archive
    get_kind(name) -> ReportKind           raises UnknownReport
    build_report(root, name, fonds=None, year=None) -> Report
    export_report(root, registry, actor, name, fmt, fonds=None, year=None,
                  translate=None) -> Export(body, filename, content_type, rows)
"""
from .core import (  # noqa: F401
    FORMATS, Column, Export, Report, ReportExported, ReportKind, UnknownFormat, UnknownReport,
    build_report, export_report, get_kind, kinds, parse_filters,
)

__all__ = [
    "FORMATS", "Column", "Export", "Report", "ReportExported", "ReportKind", "UnknownFormat",
    "UnknownReport", "build_report", "export_report", "get_kind", "kinds", "parse_filters",
]
