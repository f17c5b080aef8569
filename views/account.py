"""The logged-in user's own account: API tokens and password."""
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config, view_defaults

from archive import security as perm
from archive.db import archive_root
from archive.errors import ArchiveError
from archive.i18n import _
from archive.resources import ArchiveRoot
from archive.schemas import PasswordChangeSchema, TokenLabelSchema
from archive.services import users as user_service

from .content import flash
from .forms import ArchiveForm
from .helpers import actor_of


@view_defaults(context=ArchiveRoot, permission=perm.HOME)
class AccountViews:
    def __init__(self, context, request):
        self.context, self.request = context, request
        self.user = request.identity

    def page(self, token_form, new_token=None):
        tokens = user_service.tokens_of(archive_root(self.request), self.user.login)
        return {"page_title": _("Tài khoản của tôi"), "user": self.user, "tokens": tokens,
                "token_form": token_form.render(), "new_token": new_token,
                "message": token_form.message}

    def token_form(self):
        return ArchiveForm(self.request, TokenLabelSchema(), formid="token",
                           buttons=((_("Tạo mã truy cập"), "create"),),
                           action=self.request.resource_url(self.context, "account-token"))

    @view_config(name="account", renderer="templates/account.pt")
    def view(self):
        return self.page(self.token_form())

    @view_config(name="account-token", request_method="POST", renderer="templates/account.pt")
    def create_token(self):
        """The new token is shown on this page only, never put in the session
        cookie (signed, not encrypted)."""
        form = self.token_form()
        token = form.submit(lambda data: user_service.create_token(
            archive_root(self.request), self.request.registry, actor_of(self.request), self.user,
            data["label"]))
        return self.page(form, new_token=token)

    @view_config(name="account-revoke", request_method="POST")
    def revoke(self):
        try:
            user_service.revoke_token_key(archive_root(self.request), self.request.registry,
                                          actor_of(self.request), self.request.POST.get("key", ""))
        except ArchiveError as exc:
            self.request.tm.doom()
            flash(self.request, exc.message, "danger")
        else:
            flash(self.request, _("Đã thu hồi mã truy cập."))
        return HTTPSeeOther(self.request.resource_url(self.context, "account"))

    @view_config(name="account-password", renderer="templates/form.pt")
    def password(self):
        form = ArchiveForm(self.request, PasswordChangeSchema(), formid="password",
                           buttons=((_("Đổi mật khẩu"), "save"),))
        if form.submit(lambda data: user_service.change_own_password(
                self.user, self.request.registry, actor_of(self.request),
                self.request.registry.password_hasher, data["current_password"],
                data["new_password"])) is not None:
            flash(self.request, _("Đã đổi mật khẩu."))
            return HTTPSeeOther(self.request.resource_url(self.context, "account"))
        return {"form": form.render(), "message": form.message, "page_title": _("Đổi mật khẩu")}
