"""Accounts, passwords and API tokens.

Passwords are hashed with argon2id (argon2-cffi).  API tokens are 256-bit
random strings shown once; only their SHA-256 is stored, keyed in
``ArchiveRoot.tokens``.
"""
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..errors import DuplicateCode, InvalidCredentials, NotFound, ValidationFailed
from ..events import TokenCreated, TokenRevoked, UserChanged
from ..i18n import _
from ..resources import User, utcnow
from ..security import GRANTED_ROLES, ROLES

PROFILES = {
    # argon2-cffi's defaults (RFC 9106 low-memory profile)
    "default": {},
    # for the test suite only: fast and weak
    "test": {"time_cost": 1, "memory_cost": 64, "parallelism": 1},
}


def make_hasher(profile="default"):
    return PasswordHasher(**PROFILES[profile])


def _check(role, fonds, root):
    errors = {}
    if role not in ROLES:
        errors["role"] = _("Vai trò không hợp lệ.")
    unknown = [code for code in fonds if code not in root["fonds"]]
    if unknown:
        errors["fonds"] = _("Phông không tồn tại: ${codes}", mapping={"codes": ", ".join(unknown)})
    if errors:
        raise ValidationFailed(fields=errors)


def _check_password(password):
    if not password or len(password) < 8:
        raise ValidationFailed(fields={"password": _("Mật khẩu phải có ít nhất 8 ký tự.")})


def create_user(root, registry, actor, hasher, login, password, role, fonds=(), name=""):
    """Raises DuplicateCode (login taken), ValidationFailed."""
    users = root["users"]
    if login in users:
        raise DuplicateCode(fields={"login": _("Tên đăng nhập đã có.")})
    fonds = tuple(fonds) if role in GRANTED_ROLES else ()
    _check(role, fonds, root)
    _check_password(password)
    user = users.add(login, User(login, role, hasher.hash(password), fonds, name))
    registry.notify(UserChanged(user, actor, {"role": role, "fonds": list(fonds), "created": True}))
    return user


def update_user(root, registry, actor, hasher, login, role=None, fonds=None, password=None,
                name=None, active=None):
    """Change role, grants, password, name or active flag.  Raises NotFound,
    ValidationFailed."""
    user = root["users"].get(login)
    if user is None:
        raise NotFound()
    role = role or user.role
    fonds = tuple(fonds) if fonds is not None else user.fonds
    if role not in GRANTED_ROLES:
        fonds = ()
    _check(role, fonds, root)
    detail = {}
    if role != user.role:
        detail["role"] = role
    if fonds != user.fonds:
        detail["fonds"] = list(fonds)
    user.role, user.fonds = role, fonds
    if password:
        _check_password(password)
        user.password_hash = hasher.hash(password)
        detail["password"] = True
    if name is not None:
        user.name = name
    if active is not None and active != user.active:
        user.active = active
        detail["active"] = active
    registry.notify(UserChanged(user, actor, detail))
    return user


def authenticate(root, hasher, login, password):
    """The active user with that login and password.  Raises InvalidCredentials."""
    user = root["users"].get(login or "")
    if user is None or not user.active:
        # spend the same time as a real check so logins cannot be probed
        try:
            hasher.verify(hasher.hash("x" * 12), "y")
        except VerificationError:
            pass
        raise InvalidCredentials()
    try:
        hasher.verify(user.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        raise InvalidCredentials()
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


def change_own_password(user, registry, actor, hasher, current, new):
    """Raises InvalidCredentials (wrong current password), ValidationFailed."""
    try:
        hasher.verify(user.password_hash, current or "")
    except (VerificationError, InvalidHashError):
        raise InvalidCredentials(fields={"current_password": InvalidCredentials.message})
    _check_password(new)
    user.password_hash = hasher.hash(new)
    registry.notify(UserChanged(user, actor, {"password": True}))
    return user


def token_key(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(root, registry, actor, user, label=""):
    """A new API token for ``user``; returns the token (shown once)."""
    token = secrets.token_urlsafe(32)
    root.tokens[token_key(token)] = {"login": user.login, "created": utcnow(), "label": label}
    registry.notify(TokenCreated(user, actor, {"label": label}))
    return token


def user_for_token(root, token):
    info = root.tokens.get(token_key(token)) if token else None
    if info is None:
        return None
    user = root["users"].get(info["login"])
    if user is None or not user.active:
        return None
    return user


def tokens_of(root, login):
    """[(key, info)] of the user's tokens, newest first (key = the token's SHA-256)."""
    mine = [(key, info) for key, info in root.tokens.items() if info["login"] == login]
    return sorted(mine, key=lambda item: item[1]["created"], reverse=True)


def revoke_token(root, registry, actor, token, may_revoke_others=False):
    """Revoke a token.  Raises NotFound (unknown, or another user's token
    without ``may_revoke_others``)."""
    revoke_token_key(root, registry, actor, token_key(token), may_revoke_others)


def revoke_token_key(root, registry, actor, key, may_revoke_others=False):
    """Revoke the token whose SHA-256 is ``key`` (see ``revoke_token``)."""
    info = root.tokens.get(key)
    if info is None or (info["login"] != actor.login and not may_revoke_others):
        raise NotFound()
    del root.tokens[key]
    registry.notify(TokenRevoked(root["users"].get(info["login"]), actor, {"label": info["label"]}))
