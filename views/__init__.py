"""The web layer: UI views (traversal over the content tree), the JSON API
(URL dispatch under /api/v1), templates, static assets, translations."""
from pyramid.session import SignedCookieSessionFactory

from archive.db import session_secret

from .auth import ArchiveSecurityPolicy, csrf_applies


def includeme(config):
    settings = config.get_settings()
    secure = str(settings.get("archive.secure_cookies", "auto")).lower()
    config.set_session_factory(SignedCookieSessionFactory(
        session_secret(settings), cookie_name="archive_session", httponly=True,
        samesite="Lax", secure=(secure in ("true", "1", "yes")), timeout=8 * 3600,
        reissue_time=600))
    config.set_security_policy(ArchiveSecurityPolicy())
    config.set_default_csrf_options(require_csrf=True, callback=csrf_applies)
    config.add_translation_dirs("colander:locale", "deform:locale", "archive.views:locale")
    config.add_static_view("static", "archive.views:static", cache_max_age=3600,
                           permission="public")
    config.add_static_view("deform-static", "deform:static", cache_max_age=3600,
                           permission="public")
    config.include(".forms")
    config.include(".conflicts")
    config.include(".api")
    config.scan(".", ignore=[".api", ".conflicts"])
