"""Every model of every package, so SQLAlchemy's metadata is complete.

The migration environment (``migrations/env.py``, through Flask-Migrate) and
``create_all`` in the tests need every table; the factory imports this module. It sits
at the top of the layers with the factory: the core never imports a capability's models.
"""

from app import readcache
from app.approvals import models as approvals
from app.audit import models as audit
from app.auth import models as auth
from app.calls import models as calls
from app.connectors import models as connectors
from app.journey import models as journey
from app.mail import models as mail
from app.masterclasses import models as masterclasses
from app.ops import models as ops
from app.people import models as people
from app.programs import models as programs
from app.progress import models as progress
from app.regions import models as regions
from app.reports import models as reports
from app.rollouts import models as rollouts
from app.roster import models as roster
from app.terms import models as terms
from app.xapi import models as xapi

#: the modules whose classes make up the schema
MODULES = (
    readcache,
    regions,
    people,
    programs,
    audit,
    auth,
    mail,
    rollouts,
    roster,
    approvals,
    calls,
    progress,
    xapi,
    connectors,
    terms,
    masterclasses,
    journey,
    reports,
    ops,
)
