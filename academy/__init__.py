"""Live Academy: training for live-stream e-commerce hosts, operators and planners."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from academy.api.views import bp as api_bp
from academy.api.views import tokens_bp as api_tokens_bp
from academy.assessment.views import bp as assessment_bp
from academy.auth.views import bp as auth_bp
from academy.cohorts.views import bp as cohorts_bp
from academy.config import PROJECT_ROOT, load_config
from academy.curriculum.views import bp as curriculum_bp
from academy.db import init_db
from academy.errors import register_error_handlers
from academy.i18n import init_i18n
from academy.logging_setup import init_logging
from academy.notify.views import bp as notify_bp
from academy.practice.views import bp as practice_bp
from academy.request_guards import init_request_guards
from academy.security import init_security
from academy.site.views import bp as site_bp
from academy.static_files import init_static_files
from academy.templating import init_templating


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: configuration, database, security, languages, pages, errors."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("ACADEMY_INSTANCE_PATH", str(PROJECT_ROOT / "instance")),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(load_config(os.environ, Path(app.instance_path), overrides))
    init_request_guards(app)
    init_db(app)
    init_security(app)
    init_i18n(app)
    init_templating(app)
    app.register_blueprint(site_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(curriculum_bp)
    app.register_blueprint(cohorts_bp)
    app.register_blueprint(practice_bp)
    app.register_blueprint(assessment_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(api_tokens_bp)
    app.register_blueprint(notify_bp)
    register_error_handlers(app)
    init_static_files(app)
    init_logging(app)  # last: it reads the routes to keep credentials out of the log
    proxies = app.config["PROXY_COUNT"]
    if proxies:  # the client's address and scheme as the reverse proxy saw them
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies)
    return app
