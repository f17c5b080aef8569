"""UI views of the content tree: fonds, dossiers, records, files."""
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config, view_defaults

from archive import security as perm
from archive.db import archive_root
from archive.errors import ArchiveError
from archive.events import ObjectViewed
from archive.i18n import _
from archive.resources import Dossier, Fonds, FondsContainer, Record, StoredFile
from archive.schemas import DossierSchema, FondsSchema, RecordSchema, vocabularies
from archive.services import dossiers as dossier_service
from archive.services import records as record_service
from archive.services.fonds import create_fonds

from .forms import ArchiveForm, field_names, files_node
from .helpers import LazyPage, Page, actor_of
from .uploads import discard_all, refuse_classified, spool_uploads


def flash(request, message, queue="success"):
    request.session.flash(request.localizer.translate(message), queue)  # the JSON session drops mappings


@view_defaults(context=FondsContainer)
class FondsContainerViews:
    def __init__(self, context, request):
        self.context, self.request = context, request

    @view_config(renderer="templates/fonds_list.pt", permission=perm.HOME)
    def list(self):
        visible = [f for f in self.context.values() if self.request.has_permission(perm.VIEW, f)]
        return {"page": Page.from_request(self.request, visible), "page_title": _("Phông lưu trữ")}

    @view_config(name="add", renderer="templates/form.pt", permission=perm.MANAGE)
    def add(self):
        form = ArchiveForm(self.request, FondsSchema(), buttons=((_("Tạo phông"), "save"),))
        fonds = form.submit(lambda data: create_fonds(
            archive_root(self.request), self.request.registry, actor_of(self.request), **data))
        if fonds is not None:
            flash(self.request, _("Đã tạo phông."))
            return HTTPSeeOther(self.request.resource_url(fonds))
        return {"form": form.render(), "message": form.message, "page_title": _("Tạo phông mới")}


@view_defaults(context=Fonds)
class FondsViews:
    def __init__(self, context, request):
        self.context, self.request = context, request

    @view_config(renderer="templates/fonds.pt", permission=perm.VIEW)
    def view(self):
        """Newest first by file code (organ.year.notation), loading only the
        dossiers of the pages up to the one shown."""
        fonds, has = self.context, self.request.has_permission

        def visible():
            for code in reversed(fonds.file_codes.keys()):
                dossier = fonds.get(fonds.file_codes[code])
                if dossier is not None and has(perm.VIEW, dossier):
                    yield dossier

        return {"page": LazyPage.from_request(self.request, visible()),
                "can_add": has(perm.ADD_DOSSIER, fonds),
                "page_title": fonds.name}

    @view_config(name="add-dossier", renderer="templates/form.pt", permission=perm.ADD_DOSSIER)
    def add_dossier(self):
        form = ArchiveForm(self.request, DossierSchema(), buttons=((_("Tạo hồ sơ"), "save"),),
                           appstruct={"organ_id": self.context.organ_id})
        dossier = form.submit(lambda data: dossier_service.create_dossier(
            self.context, self.request.registry, actor_of(self.request), data))
        if dossier is not None:
            flash(self.request, _("Đã tạo hồ sơ ${code}.", mapping={"code": dossier.file_code}))
            return HTTPSeeOther(self.request.resource_url(dossier))
        return {"form": form.render(), "message": form.message,
                "page_title": _("Hồ sơ mới trong phông ${name}", mapping={"name": self.context.name})}


@view_defaults(context=Dossier)
class DossierViews:
    def __init__(self, context, request):
        self.context, self.request = context, request

    @view_config(renderer="templates/dossier.pt", permission=perm.VIEW)
    def view(self):
        self.request.registry.notify(ObjectViewed(self.context, actor_of(self.request)))
        has = self.request.has_permission
        return {"records": [r for r in self.context.records() if has(perm.VIEW, r)],
                "can_edit": has(perm.EDIT, self.context),
                "can_add": has(perm.ADD_RECORD, self.context),
                "can_close": has(perm.CLOSE, self.context),
                "doc_type_name": vocabularies.doc_type_name,
                "page_title": self.context.title}

    @view_config(name="edit", renderer="templates/form.pt", permission=perm.EDIT)
    def edit(self):
        current = {name: getattr(self.context, name) for name in field_names(DossierSchema())}
        current = {k: v for k, v in current.items() if v is not None}
        form = ArchiveForm(self.request, DossierSchema(), buttons=((_("Lưu"), "save"),),
                           appstruct=current)
        if form.submit(lambda data: dossier_service.update_dossier(
                self.context, self.request.registry, actor_of(self.request), data)) is not None:
            flash(self.request, _("Đã lưu."))
            return HTTPSeeOther(self.request.resource_url(self.context))
        return {"form": form.render(), "message": form.message,
                "page_title": _("Sửa hồ sơ ${code}", mapping={"code": self.context.file_code})}

    @view_config(name="close", request_method="POST", permission=perm.CLOSE)
    def close(self):
        try:
            dossier_service.close_dossier(self.context, self.request.registry, actor_of(self.request))
        except ArchiveError as exc:
            self.request.tm.doom()
            flash(self.request, exc.message, "danger")
        else:
            flash(self.request, _("Đã đóng hồ sơ: từ nay chỉ được xem."))
        return HTTPSeeOther(self.request.resource_url(self.context))

    @view_config(name="add-record", renderer="templates/form.pt", permission=perm.ADD_RECORD)
    def add_record(self):
        schema = RecordSchema()
        schema.add(files_node(_("Tệp"), _("Bản quét (PDF, TIFF, JPEG, PNG) hoặc văn bản điện tử "
                                          "(PDF, ODT, DOCX, XLSX); chọn được nhiều tệp.")))
        form = ArchiveForm(self.request, schema, buttons=((_("Lưu văn bản"), "save"),),
                           formid="record")

        def file_record(data):
            uploads = spool_uploads(self.request)
            try:
                return record_service.file_record(
                    self.context, self.request.registry, actor_of(self.request), data, uploads,
                    refuse_classified=refuse_classified(self.request))
            except BaseException:
                discard_all(uploads)
                raise

        record = form.submit(file_record)
        if record is not None:
            flash(self.request, _("Đã lưu văn bản ${code}.", mapping={"code": record.doc_code}))
            return HTTPSeeOther(self.request.resource_url(record))
        return {"form": form.render(), "message": form.message,
                "page_title": _("Thêm văn bản vào hồ sơ ${code}", mapping={"code": self.context.file_code})}


@view_defaults(context=Record)
class RecordViews:
    def __init__(self, context, request):
        self.context, self.request = context, request

    @view_config(renderer="templates/record.pt", permission=perm.VIEW)
    def view(self):
        self.request.registry.notify(ObjectViewed(self.context, actor_of(self.request)))
        has = self.request.has_permission
        return {"files": self.context.files(),
                "can_edit": has(perm.EDIT, self.context),
                "can_download": has(perm.DOWNLOAD, self.context),
                "doc_type_name": vocabularies.doc_type_name,
                "page_title": self.context.subject}

    @view_config(name="edit", renderer="templates/form.pt", permission=perm.EDIT)
    def edit(self):
        current = {name: getattr(self.context, name) for name in field_names(RecordSchema())}
        form = ArchiveForm(self.request, RecordSchema(), buttons=((_("Lưu"), "save"),),
                           appstruct={k: v for k, v in current.items() if v is not None})
        if form.submit(lambda data: record_service.update_record(
                self.context, self.request.registry, actor_of(self.request), data,
                refuse_classified=refuse_classified(self.request))) is not None:
            flash(self.request, _("Đã lưu."))
            return HTTPSeeOther(self.request.resource_url(self.context))
        return {"form": form.render(), "message": form.message,
                "page_title": _("Sửa văn bản ${code}", mapping={"code": self.context.doc_code})}

    @view_config(name="add-files", request_method="POST", permission=perm.EDIT)
    def add_files(self):
        uploads = []
        try:
            uploads = spool_uploads(self.request)
            record_service.add_files(self.context, self.request.registry, actor_of(self.request),
                                     uploads, refuse_classified=refuse_classified(self.request))
        except ArchiveError as exc:
            discard_all(uploads)
            self.request.tm.doom()
            flash(self.request, exc.message, "danger")
        else:
            flash(self.request, _("Đã thêm tệp."))
        return HTTPSeeOther(self.request.resource_url(self.context))


@view_config(context=StoredFile, permission=perm.VIEW, renderer="templates/file.pt")
def file_view(context, request):
    return {"page_title": context.name, "can_download": request.has_permission(perm.DOWNLOAD, context)}
