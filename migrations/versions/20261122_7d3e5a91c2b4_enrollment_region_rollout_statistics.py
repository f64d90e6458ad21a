"""enrollment: tell PostgreSQL's planner that a rollout fixes the region

Revision ID: 7d3e5a91c2b4
Revises: 312efadb16b5
Create Date: 2026-11-22 13:50:00.000000

Region scoping adds ``enrollment.region_id IN (...)`` to every staff query that already
filters by rollout. Taken as independent, the two filters make the planner expect about
a hundred enrollments of a 6,000-learner rollout and hash-join every learner of the
region for the free-rider review (25 ms a list instead of 4 ms). Functional-dependency
statistics correct the estimate. No table or index changes (the models are unchanged);
SQLite has no such statistics.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "7d3e5a91c2b4"
down_revision = "312efadb16b5"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE STATISTICS st_enrollment_rollout_region (dependencies) "
            "ON rollout_id, region_id FROM enrollment"
        )
        op.execute("ANALYZE enrollment")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_enrollment_rollout_region")
