"""Extension singletons, unbound until ``init_app`` (nothing happens at import)."""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from app.csrf import OriginCheckingCSRF
from app.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = OriginCheckingCSRF()
