"""Building and exporting reports: the one entry point of the UI, the API
and ``archive-report``."""
import io
from dataclasses import dataclass

from ..errors import ValidationFailed
from ..i18n import _
from .base import (  # noqa: F401
    Column, Report, ReportExported, ReportKind, UnknownFormat, UnknownReport,
)
from .writers import WRITERS

__all__ = [
    "FORMATS", "Column", "Export", "Report", "ReportExported", "ReportKind", "UnknownFormat",
    "UnknownReport", "build_report", "check_format", "export_report", "get_kind", "kinds",
    "parse_filters", "render",
]

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _all_kinds():
    from . import catalogue as module

    return module.KINDS


def kinds(root=None):
    """The report kinds, in the order the reports page lists them."""
    return list(_all_kinds())


def get_kind(name):
    for kind in _all_kinds():
        if kind.name == name:
            return kind
    raise UnknownReport()


def parse_filters(root, fonds=None, year=None):
    """Validated filters: ``fonds`` an existing fonds code or None, ``year`` an
    int (1800-2200) or None.  Raises ValidationFailed naming the field."""
    fonds = (fonds or "").strip() or None
    if fonds is not None and fonds not in root["fonds"]:
        raise ValidationFailed(fields={"fonds": _("Không có phông ${code}.",
                                                  mapping={"code": fonds})})
    if year in (None, ""):
        year = None
    else:
        try:
            year = int(str(year).strip())
        except ValueError:
            year = 0
        if not 1800 <= year <= 2200:
            raise ValidationFailed(fields={"year": _("Năm phải là số có 4 chữ số.")})
    return fonds, year


def build_report(root, name, fonds=None, year=None):
    """The report ``name`` over the archive as it is in this transaction.
    Raises UnknownReport, ValidationFailed (bad filters)."""
    kind = get_kind(name)
    fonds, year = parse_filters(root, fonds, year)
    rows = [list(row) for row in kind.rows(root, fonds=fonds, year=year)]
    return Report(kind=kind, columns=tuple(kind.columns), rows=rows, fonds=fonds, year=year)


@dataclass
class Export:
    body: bytes
    filename: str
    content_type: str
    rows: int


def check_format(fmt):
    if fmt not in FORMATS:
        raise UnknownFormat(fields={"format": UnknownFormat.message})
    return fmt


def render(report, fmt, translate=None):
    out = io.BytesIO()
    WRITERS[check_format(fmt)](report, out, translate=translate)
    return out.getvalue()


def export_report(root, registry, actor, name, fmt, fonds=None, year=None, translate=None):
    """Build the report and write it as ``fmt`` (csv, xlsx, pdf); journal
    the export (ReportExported on the archive root: kind, format, filters,
    row count).  Raises UnknownReport, UnknownFormat, ValidationFailed."""
    check_format(fmt)
    report = build_report(root, name, fonds, year)
    body = render(report, fmt, translate)
    parts = [report.kind.name] + [str(v) for v in (report.fonds, report.year) if v]
    filename = "-".join(parts) + "-" + report.generated.strftime("%Y%m%d") + "." + fmt
    registry.notify(ReportExported(root, actor, {
        "kind": report.kind.name, "format": fmt,
        "filters": {"fonds": report.fonds, "year": report.year}, "rows": len(report.rows)}))
    return Export(body=body, filename=filename, content_type=FORMATS[fmt], rows=len(report.rows))
