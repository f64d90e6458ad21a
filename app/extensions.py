"""Extension singletons, unbound until ``init_app`` (nothing happens at import)."""

from flask_babel import Babel
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from app.csrf import OriginCheckingCSRF
from app.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = OriginCheckingCSRF()
#: Jinja is set up by app.language (one set of filters for pages and emails), not here
babel = Babel(configure_jinja=False)
