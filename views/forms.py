"""deform forms bound to a request: CSRF token, translation, service errors.

``ArchiveForm`` wraps ``deform.Form``: it binds the schema (locale, choices),
adds the CSRF token field that Pyramid checks on every POST, and shows the
named exceptions of the services beside the field they name.
"""
import colander
import deform
from pkg_resources import resource_filename
from pyramid.i18n import get_localizer
from pyramid.threadlocal import get_current_request

from archive.errors import ArchiveError
from archive.i18n import _


@colander.deferred
def deferred_csrf_default(node, kw):
    return kw["request"].session.get_csrf_token()


def csrf_node():
    return colander.SchemaNode(colander.String(), name="csrf_token", default=deferred_csrf_default,
                               widget=deform.widget.HiddenWidget(), missing="")


class ArchiveForm:
    def __init__(self, request, schema, buttons=(), formid="deform", appstruct=None, action="",
                 **bind):
        self.request = request
        schema = schema.clone()
        schema.add(csrf_node())
        self.schema = schema.bind(request=request, locale=request.locale_name, **bind)
        self.form = deform.Form(
            self.schema, formid=formid, action=action, renderer=request.registry.deform_renderer,
            buttons=[deform.Button(name=name, title=title) for title, name in buttons])
        self.appstruct = appstruct
        self.cstruct = None
        self.error = None
        self.message = None

    def validate(self):
        """The appstruct of the posted form, or None after recording the errors."""
        controls = list(self.request.POST.items())
        try:
            appstruct = self.form.validate(controls)
        except deform.ValidationFailure as failure:
            self.error = failure
            self.message = _("Dữ liệu chưa hợp lệ, xin kiểm tra các trường được đánh dấu.")
            return None
        appstruct.pop("csrf_token", None)
        self.cstruct = self.schema.serialize(dict(appstruct, csrf_token=self.request.session.get_csrf_token()))
        return appstruct

    def submit(self, action):
        """On POST: validate, then return ``action(data)``.  None when nothing
        was posted, when the data is invalid, or when the service raised a
        named exception: then its message is shown on the form and nothing of
        the request is committed."""
        if self.request.method != "POST":
            return None
        data = self.validate()
        if data is None:
            return None
        try:
            return action(data)
        except ArchiveError as exc:
            self.request.tm.doom()
            self.fail(exc.message, exc.fields)
            return None

    def fail(self, message, fields=None):
        """Show a service error: ``message`` above the form, ``fields`` beside
        the fields they name."""
        exc = colander.Invalid(self.schema, message if not fields else None)
        for name, msg in (fields or {}).items():
            if name in self.schema:
                exc.add(colander.Invalid(self.schema[name], msg), self._pos(name))
        self.form.widget.handle_error(self.form, exc)
        cstruct = self.cstruct or self.form.cstruct
        self.error = deform.ValidationFailure(self.form, cstruct, exc)
        self.message = message

    def _pos(self, name):
        return [child.name for child in self.schema.children].index(name)

    def render(self):
        if self.error is not None:
            return self.error.render()
        if self.appstruct is not None:
            return self.form.render(self.appstruct)
        return self.form.render()


class FilesWidget(deform.widget.Widget):
    """A plain ``<input type="file" multiple>``: the files are read from the
    request by the view (``archive.views.uploads``), streamed, never buffered
    by deform."""

    template = "archive_files"
    readonly_template = "archive_files"

    def serialize(self, field, cstruct, **kw):
        return field.renderer(self.template, field=field, **kw)

    def deserialize(self, field, pstruct):
        return colander.null


def files_node(title, description):
    return colander.SchemaNode(colander.String(), name="file", title=title, description=description,
                               missing=colander.drop, widget=FilesWidget())


def field_names(schema):
    """The names of a schema's fields, in form order."""
    return [child.name for child in schema.children]


def make_renderer():
    def translator(term):
        request = get_current_request()
        if request is None:
            return term.interpolate() if hasattr(term, "interpolate") else term
        return get_localizer(request).translate(term)

    return deform.ZPTRendererFactory([resource_filename("archive.views", "templates/deform/"),
                                      resource_filename("deform", "templates/")],
                                     translator=translator)


def includeme(config):
    config.registry.deform_renderer = make_renderer()
