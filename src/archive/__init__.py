"""Dossier Archive: the WSGI application's composition root."""
from pyramid.config import Configurator

from .db import bootstrap, ensure_var, registry_db, root_factory
from .services.users import make_hasher


def main(global_config, **settings):
    """Compose the application: includes, root factory, scans; then make sure
    the database has an archive in it (first start)."""
    settings.setdefault("tm.manager_hook", "pyramid_tm.explicit_manager")
    settings.setdefault("retry.attempts", "10")
    ensure_var(settings)
    with Configurator(settings=settings, root_factory=root_factory) as config:
        config.registry.password_hasher = make_hasher(settings.get("archive.password_profile", "default"))
        config.include("pyramid_tm")
        config.include("pyramid_retry")
        config.include("pyramid_zodbconn")
        config.include("pyramid_chameleon")
        config.include(".journal")
        config.include("archive.retention")
        config.include("archive.jobs")
        config.include("archive.imports")
        config.include("archive.batches")
        config.include("archive.digitise")
        config.include("archive.transfer")
        config.include("archive.search")
        config.include("archive.views")
    db = registry_db(config.registry)
    bootstrap(db, config.registry)
    from archive.search import start_writer  # composition: the core itself never imports search

    start_writer(config.registry, db)
    from archive.jobs import start_worker

    start_worker(config.registry, db)
    return config.make_wsgi_app()
