"""Who is asking: the SecurityPolicy, login and logout.

A request is authenticated either by ``Authorization: Bearer <token>`` (API
clients, scripts, the one-stop-shop system) or by the signed session cookie
of a logged-in browser, never both: a request that carries a Bearer header is
judged by the token alone, and is exempt from CSRF checks (a cookie is never
sent with it by a third-party page).
"""
from pyramid.authorization import ACLHelper, Authenticated, Everyone
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.interfaces import ISecurityPolicy
from pyramid.security import forget, remember
from pyramid.view import view_config

from archive import security
from archive.db import archive_root
from archive.errors import InvalidCredentials
from archive.events import LoggedIn, LoginFailed
from archive.i18n import _
from archive.schemas import LoginSchema
from archive.services.users import authenticate, user_for_token

from .helpers import actor_of, safe_next_url
from .forms import ArchiveForm


def bearer_token(request):
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() == "bearer":
        return token.strip()
    return None


class ArchiveSecurityPolicy:
    def __init__(self):
        self.helper = ACLHelper()

    def identity(self, request):
        """The active User of this request, or None."""
        root = archive_root(request)
        token = bearer_token(request)
        if token is not None:
            return user_for_token(root, token)
        login = request.session.get("login")
        if not login:
            return None
        user = root["users"].get(login)
        if user is None or not user.active:
            return None
        return user

    def authenticated_userid(self, request):
        user = request.identity
        return user.login if user is not None else None

    def effective_principals(self, request):
        principals = [Everyone]
        user = request.identity
        if user is not None:
            principals.append(Authenticated)
            principals.extend(security.principals_for(user))
        return principals

    def permits(self, request, context, permission):
        return self.helper.permits(context, self.effective_principals(request), permission)

    def remember(self, request, userid, **kw):
        request.session.invalidate()  # a new session on login: no fixation
        request.session["login"] = userid
        request.session.new_csrf_token()
        return []

    def forget(self, request, **kw):
        request.session.invalidate()
        return []


def csrf_applies(request):
    """CSRF is checked on every unsafe request except token-authenticated ones."""
    return bearer_token(request) is None


@view_config(name="login", context="archive.resources.ArchiveRoot", renderer="templates/login.pt",
             permission=security.PUBLIC)
def login_view(request):
    form = ArchiveForm(request, LoginSchema(), buttons=((_("Đăng nhập"), "submit"),), formid="login")
    next_url = safe_next_url(request, request.params.get("next"))
    if request.method == "POST":
        appstruct = form.validate()
        if appstruct is not None:
            root = archive_root(request)
            try:
                user = authenticate(root, request.registry.password_hasher,
                                    appstruct["login"], appstruct["password"])
            except InvalidCredentials as exc:
                request.registry.notify(LoginFailed(root, actor_of(request, appstruct["login"]),
                                                    {"login": appstruct["login"]}))
                form.fail(exc.message)
            else:
                remember(request, user.login)
                request.registry.notify(LoggedIn(user, actor_of(request, user.login)))
                return HTTPSeeOther(next_url)
    return {"form": form.render(), "next": next_url, "page_title": _("Đăng nhập")}


@view_config(name="logout", context="archive.resources.ArchiveRoot", request_method="POST",
             permission=security.PUBLIC)
def logout_view(request):
    forget(request)
    return HTTPSeeOther(request.resource_url(request.root, "login"))


def principals_of(request):
    """The current user's principals, as the ACLs see them (for search)."""
    return request.registry.getUtility(ISecurityPolicy).effective_principals(request)
