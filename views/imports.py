"""The web bulk import: a fonds' page (permission ``digitise`` on the fonds)
where a ZIP of manifest.csv + files is uploaded; the import runs as a job
(``archive.imports.job``) and the page shows its progress and, at the end,
the counts and every problem."""
import os

import colander
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config

from archive import security as perm
from archive.db import archive_root
from archive.errors import FileTooLarge, IncompleteUpload, ValidationFailed
from archive.i18n import _
from archive.imports.job import enqueue_import, jobs_of_fonds, zip_folder
from archive.imports.ziparchive import check_zip, limits
from archive.resources import Fonds, new_id

from .content import flash
from .forms import ArchiveForm, FilesWidget
from .jobs import STATE_LABELS as JOB_STATES
from .uploads import max_upload, part_complete

CHUNK = 1024 * 1024


class ZipWidget(FilesWidget):
    template = readonly_template = "archive_zip"


class ImportSchema(colander.MappingSchema):
    file = colander.SchemaNode(
        colander.String(), title=_("Tệp ZIP"), missing=colander.drop, widget=ZipWidget(),
        description=_("Một tệp ZIP gồm manifest.csv (mỗi dòng một tệp: thông tin hồ sơ, văn bản và "
                      "đường dẫn tệp; xem hướng dẫn) và các tệp được liệt kê."))


def receive_zip(request):
    """Copy the uploaded ZIP in chunks into the imports folder; returns
    (path, original name).  Raises ValidationFailed, FileTooLarge,
    IncompleteUpload."""
    part = request.POST.get("file")
    if not hasattr(part, "file"):
        raise ValidationFailed(fields={"file": _("Chọn một tệp ZIP.")})
    if not part_complete(part):
        raise IncompleteUpload()
    limit = max_upload(request)
    path = os.path.join(zip_folder(request.registry.settings), new_id() + ".zip")
    part.file.seek(0)
    size = 0
    try:
        with open(path, "xb") as out:
            while True:
                chunk = part.file.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise FileTooLarge()
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        os.unlink(path)
        raise
    return path, os.path.basename((part.filename or "import.zip").replace("\\", "/"))


@view_config(context=Fonds, name="import", renderer="templates/import.pt", permission=perm.DIGITISE)
def import_page(context, request):
    """GET: the upload form and this fonds' import jobs.  POST: check the
    ZIP (refused at once when unsafe) and queue the import."""
    form = ArchiveForm(request, ImportSchema(), buttons=((_("Tải lên và nhập"), "save"),),
                       formid="import")

    def start(data):
        path, name = receive_zip(request)
        try:
            check_zip(path, *limits(request.registry.settings))
            from archive.events import Actor

            actor = Actor(request.identity.login, request.client_addr or "")
            return enqueue_import(archive_root(request), request.registry, actor, context, path, name)
        except BaseException:
            os.unlink(path)
            raise

    job = form.submit(start)
    if job is not None:
        flash(request, _("Đã nhận tệp ${name}: việc nhập đang chờ xử lý.", mapping={"name": job.payload["name"]}))
        return HTTPSeeOther(request.resource_url(context, "import"))
    jobs = jobs_of_fonds(archive_root(request), context.code)
    return {"form": form.render(), "message": form.message, "jobs": jobs, "job_states": JOB_STATES,
            "running": any(j.state in ("pending", "running") for j in jobs),
            "page_title": _("Nhập hàng loạt vào phông ${name}", mapping={"name": context.name})}

