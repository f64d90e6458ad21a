"""xapi_statement.exact_form: what a page read needs to know of the stored JSON (issue 26)

A page of ``GET /xapi/statements`` splices each statement's stored text into the response
with the LRS's ``authority`` and ``stored``, adding ``timestamp`` and ``version`` when the
statement has none. Which of those it has was read from the JSON on every page, five
``->>`` a row, each parsing the whole text (three quarters of the page query's time). The
statement's parser knows them: a small integer of bits written with the statement. No
backfill: a row stored before it (NULL) is read from its JSON as before.

Revision ID: h26a4c7e2b90
Revises: g26e7b1d4a29
Create Date: 2026-12-05 19:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "h26a4c7e2b90"
down_revision = "g26e7b1d4a29"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("xapi_statement", sa.Column("exact_form", sa.SmallInteger(), nullable=True))


def downgrade():
    op.drop_column("xapi_statement", "exact_form")
