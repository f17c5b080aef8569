"""Helpers every template can use as ``h``."""
from pyramid.events import BeforeRender, subscriber

from archive.i18n import _
from archive.schemas import vocabularies as v
from archive.schemas.types import PartialDate


class TemplateHelpers:
    def __init__(self, request):
        self.request = request
        self.translate = request.localizer.translate

    def retention(self, value):
        if value == "permanent":
            return self.translate(_("vĩnh viễn"))
        if not value:
            return ""
        return self.ngettext("${n} năm", "${n} năm", value)

    def ngettext(self, singular, plural, n):
        """A plural message of the archive domain, with ``${n}`` filled."""
        return self.request.localizer.pluralize(singular, plural, n, domain="archive",
                                                mapping={"n": n})

    def date(self, value):
        if not value:
            return ""
        if hasattr(value, "strftime"):
            return value.astimezone().strftime("%d/%m/%Y %H:%M")
        return PartialDate().serialize(None, value)

    def label(self, vocabulary, code):
        for c, title in getattr(v, vocabulary):
            if c == code:
                return self.translate(title)
        return code or ""

    def labels(self, vocabulary, codes):
        return ", ".join(self.label(vocabulary, c) for c in (codes or ()))

    def doc_type(self, code):
        english = self.request.locale_name == "en"
        for c, vi, en in v.doc_types():
            if c == code:
                return f"{c} – {en if english else vi}"
        return code or ""

    def size(self, n):
        for unit in ("B", "KB", "MB", "GB"):
            if n < 1024 or unit == "GB":
                return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
            n /= 1024


@subscriber(BeforeRender)
def add_helpers(event):
    request = event.get("request")
    if request is not None:
        event["h"] = TemplateHelpers(request)
