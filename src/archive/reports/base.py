"""What a report is made of: columns, kinds, the built report, formatting of
values as the paper forms show them."""
import datetime
from dataclasses import dataclass, field

from ..errors import ArchiveError, ValidationFailed
from ..events import ArchiveEvent
from ..i18n import _


class UnknownReport(ArchiveError):
    status = 404
    message = _("Không có loại báo cáo này.")


class UnknownFormat(ValidationFailed):
    message = _("Định dạng báo cáo phải là csv, xlsx hoặc pdf.")


class ReportExported(ArchiveEvent):
    """A report was produced and handed out (journaled: kind, format,
    filters, row count)."""

    action = "report.export"


@dataclass(frozen=True)
class Column:
    key: str
    title: object          # a translatable message
    width: float = 1.0     # relative width in the PDF table


class ReportKind:
    """One kind of report.  Subclasses set ``name``, ``title``,
    ``description``, ``columns``, ``year_meaning`` and implement
    ``rows(root, fonds, year)``: an iterable of lists, one value per column,
    in the order the report shows them."""

    name = ""
    title = ""
    description = ""
    year_meaning = _("Năm hình thành hồ sơ")
    columns = ()

    def rows(self, root, fonds=None, year=None):  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass
class Report:
    kind: ReportKind
    columns: tuple
    rows: list
    fonds: object = None
    year: object = None
    generated: datetime.datetime = field(
        default_factory=lambda: datetime.datetime.now().replace(microsecond=0))

    @property
    def header(self):
        return [column.title for column in self.columns]

    @property
    def filters(self):
        return {"fonds": self.fonds, "year": self.year}


# ---------------------------------------------------------------------- values

def show_date(value):
    """An ISO date, full or partial (YYYY, YYYY-MM), as the forms write it:
    DD/MM/YYYY, MM/YYYY or YYYY."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    parts = str(value).split("-")
    return "/".join(reversed(parts))


def show_datetime(value):
    if value is None or value == "":
        return ""
    if isinstance(value, (int, float)):
        value = datetime.datetime.fromtimestamp(value)
    if isinstance(value, datetime.datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    return show_date(value)


PERMANENT = _("Vĩnh viễn")


def show_retention(value):
    if value == "permanent":
        return PERMANENT
    if value is None or value == "":
        return ""
    return _("${years} năm", mapping={"years": value})
