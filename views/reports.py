"""The reports page (auditors, administrators): pick a kind, filters and a
format, download.  Thin: the form is parsed, ``archive.reports.export_report``
builds, writes and journals the report."""
import colander
import deform.widget as w
from pyramid.response import Response
from pyramid.view import view_config

from archive import security as perm
from archive.db import archive_root
from archive.i18n import _
from archive.reports import FORMATS, export_report, kinds
from archive.resources import ArchiveRoot

from .forms import ArchiveForm
from .helpers import actor_of

FORMAT_LABELS = (("xlsx", _("Excel (XLSX)")), ("csv", _("CSV (UTF-8)")), ("pdf", _("PDF")))


@colander.deferred
def kind_widget(node, kw):
    return w.SelectWidget(values=[(k.name, k.title) for k in kw["kinds"]])


@colander.deferred
def kind_validator(node, kw):
    return colander.OneOf([k.name for k in kw["kinds"]])


@colander.deferred
def fonds_widget(node, kw):
    return w.SelectWidget(values=[("", _("Tất cả các phông"))] + list(kw["fonds_choices"]))


@colander.deferred
def fonds_validator(node, kw):
    return colander.OneOf([""] + [code for code, _label in kw["fonds_choices"]])


class ReportSchema(colander.Schema):
    kind = colander.SchemaNode(
        colander.String(), title=_("Loại báo cáo"), widget=kind_widget, validator=kind_validator,
        description=_("Báo cáo cần lập; mỗi loại có các cột của mẫu biểu tương ứng."))
    fonds = colander.SchemaNode(
        colander.String(), title=_("Phông"), widget=fonds_widget, validator=fonds_validator,
        missing="", description=_("Chỉ lấy hồ sơ của một phông; để trống để lấy tất cả."))
    year = colander.SchemaNode(
        colander.Integer(), title=_("Năm"), missing=None,
        validator=colander.Range(1800, 2200, min_err=_("Năm phải là số có 4 chữ số."),
                                 max_err=_("Năm phải là số có 4 chữ số.")),
        description=_("Để trống để lấy mọi năm. Ý nghĩa của năm theo loại báo cáo: năm hình "
                      "thành hồ sơ (thống kê), năm đến hạn (báo cáo thời hạn bảo quản)..."))
    format = colander.SchemaNode(
        colander.String(), title=_("Định dạng"), default="xlsx",
        widget=w.SelectWidget(values=FORMAT_LABELS),
        validator=colander.OneOf(sorted(FORMATS)),
        description=_("XLSX mở bằng Excel hoặc LibreOffice; CSV mã UTF-8; PDF để in và lưu hồ sơ."))


def download(export):
    response = Response(body=export.body, content_type=export.content_type.split(";")[0])
    if export.content_type.startswith("text/"):
        response.charset = "utf-8"
    response.content_disposition = f'attachment; filename="{export.filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@view_config(context=ArchiveRoot, name="reports", renderer="templates/reports.pt",
             permission=perm.REPORT)
def reports(context, request):
    root = archive_root(request)
    available = kinds(root)
    choices = [(f.code, f"{f.code} – {f.name}") for f in root["fonds"].values()]
    form = ArchiveForm(request, ReportSchema(), buttons=((_("Tải báo cáo"), "download"),),
                       formid="report", kinds=available, fonds_choices=choices)
    translate = request.localizer.translate
    export = form.submit(lambda data: export_report(
        root, request.registry, actor_of(request), data["kind"], data["format"],
        fonds=data["fonds"] or None, year=data["year"], translate=translate))
    if export is not None:
        return download(export)
    return {"form": form.render(), "message": form.message, "kinds": available,
            "page_title": _("Báo cáo")}
