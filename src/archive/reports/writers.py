"""CSV, XLSX and PDF writers for a built ``Report``.

Formula injection: a spreadsheet takes a cell beginning with ``=``, ``+``,
``-``, ``@`` (or a tab or carriage return, which some programs strip before
looking) for a formula, so that a dossier title like ``=HYPERLINK("http://...")``
would become a live link or a command.  Every text cell is neutralised:

* CSV: prefixed with an apostrophe (the OWASP advice: spreadsheets show the
  text, and a reader sees it was neutralised);
* XLSX: written as a string cell (``t="s"``), never as a formula, with the
  cell style's *quote prefix* set, so the text stays text even when edited;
* PDF: shown as the plain text it is (a PDF has no formulas).

Numbers stay numbers (a count cannot carry a formula).
"""
import csv
import io
import os
import re

from translationstring import TranslationString

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
FONT_DIR = "/usr/share/fonts/truetype/dejavu"
# openpyxl refuses the control characters XML 1.0 cannot hold
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def is_dangerous(text):
    return isinstance(text, str) and text.startswith(DANGEROUS)


def neutralise(value):
    """The CSV form of a cell value: text beginning like a formula gets an
    apostrophe in front; other values unchanged."""
    if is_dangerous(value):
        return "'" + value
    return value


def _plain(value, translate):
    """A cell as str or int (None -> "")."""
    if value is None:
        return ""
    if isinstance(value, TranslationString):
        return translate(value)
    if isinstance(value, bool):
        return "x" if value else ""
    if isinstance(value, int):
        return value
    return str(value)


def default_translate(message):
    return message.interpolate() if hasattr(message, "interpolate") else str(message)


def plain_table(report, translate=None):
    """Header and rows with every message translated and every value a str or
    an int, before neutralisation."""
    translate = translate or default_translate
    header = [_plain(title, translate) for title in report.header]
    rows = [[_plain(value, translate) for value in row] for row in report.rows]
    return header, rows


# ---------------------------------------------------------------------- CSV

def write_csv(report, out, translate=None):
    """UTF-8 with a byte-order mark (so that Excel reads the Vietnamese text
    as UTF-8), comma-separated, CRLF line ends, header then rows."""
    header, rows = plain_table(report, translate)
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([neutralise(v) for v in header])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    text.flush()
    text.detach()


# ---------------------------------------------------------------------- XLSX

def write_xlsx(report, out, translate=None):
    """One sheet of header + rows (the same cells as the CSV, unneutralised
    text in string cells), a second sheet with the title, the filters and
    the generation date."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    translate = translate or default_translate
    header, rows = plain_table(report, translate)
    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = _sheet_title(translate(report.kind.title))
    bold = Font(bold=True)
    for r, values in enumerate([header] + rows, start=1):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c)
            _set(cell, value)
            if r == 1:
                cell.font = bold
    ws.freeze_panes = "A2"
    for c, column in enumerate(report.columns, start=1):
        ws.column_dimensions[get_column_letter(c)].width = max(10, min(60, 12 * column.width))
    info = wb.create_sheet("Thông tin")
    for r, (label, value) in enumerate(info_lines(report, translate), start=1):
        _set(info.cell(row=r, column=1), label)
        _set(info.cell(row=r, column=2), value)
    wb.save(out)


def _sheet_title(text):
    text = re.sub(r"[\[\]\*\?/\\:]", " ", text).strip()
    return text[:31] or "Báo cáo"


def _set(cell, value):
    if isinstance(value, int):
        cell.value = value
        return
    text = _ILLEGAL.sub("", value)
    cell.value = text
    # openpyxl makes any text beginning with "=" a formula: force a string cell
    cell.data_type = "s"
    if is_dangerous(text):
        cell.quotePrefix = True


def info_lines(report, translate):
    from ..i18n import _

    fonds = report.fonds or translate(_("Tất cả"))
    year = str(report.year) if report.year else translate(_("Tất cả"))
    return [
        (translate(_("Loại báo cáo")), translate(report.kind.title)),
        (translate(_("Phông")), fonds),
        (translate(report.kind.year_meaning), year),
        (translate(_("Số dòng")), str(len(report.rows))),
        (translate(_("Ngày lập")), report.generated.strftime("%d/%m/%Y %H:%M")),
    ]


# ---------------------------------------------------------------------- PDF

def write_pdf(report, out, translate=None):
    """A4 landscape, DejaVu Sans embedded (it has every Vietnamese letter
    with its tone marks), the title, filters and generation date on top,
    the table with its header repeated on every page, "page n/N" below."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    from ..i18n import _

    translate = translate or default_translate
    header, rows = plain_table(report, translate)
    page_label = translate(_("Trang"))
    generated = translate(_("Ngày lập")) + ": " + report.generated.strftime("%d/%m/%Y %H:%M")

    class ReportPDF(FPDF):
        def footer(self):
            self.set_y(-12)
            self.set_font("DejaVu", size=8)
            self.cell(0, 8, f"{page_label} {self.page_no()}/{{nb}}", align="C")
            self.set_x(self.l_margin)
            self.cell(0, 8, generated, align="R")

    pdf = ReportPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("DejaVu", "", os.path.join(FONT_DIR, "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", os.path.join(FONT_DIR, "DejaVuSans-Bold.ttf"))
    pdf.set_title(translate(report.kind.title))
    pdf.set_creator("Dossier Archive")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(0, 8, translate(report.kind.title), align="C",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=9)
    for label, value in info_lines(report, translate)[1:]:
        pdf.cell(0, 5, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", size=7)
    widths = tuple(column.width for column in report.columns)
    with pdf.table(col_widths=widths, repeat_headings=1, line_height=4,
                   headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
                   text_align="LEFT") as table:
        for values in [header] + rows:
            row = table.row()
            for value in values:
                row.cell(str(value))
    pdf.output(out)


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "pdf": write_pdf}
