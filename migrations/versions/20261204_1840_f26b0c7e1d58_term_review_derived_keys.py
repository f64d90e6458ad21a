"""term_review: no foreign keys on enrollment_id and term_id; deleting an enrollment or
a term deletes its reviews by a trigger (issue 26, term close at 1,000,000)

The term close writes every review from a SELECT that joins the enrollment and reads the
term: the two keys re-checked, row by row, what the statement had just proved, and were
half of a close's CPU at 1,000,000 learners (a lookup per row in each parent, and a
``FOR KEY SHARE`` lock that dirtied every enrollment page). What the keys still did is
their ``ON DELETE CASCADE``: an enrollment or a term deleted (by a program edit that
removes a term, by the cascade from a person or a rollout, by hand) took its reviews
along. An ``AFTER DELETE`` trigger on each parent keeps that, in one place, for every
path: on PostgreSQL once per statement over the deleted rows (a transition table), on
SQLite per row. Neither costs anything when reviews are written.

The nullable keys (``buddy_confirmed_by_id``, ``reviewed_by_id``) stay: the close never
writes them (they cost it 0.1 s at 300,000 rows, NULL checks), and the pages that set
them are guarded by nothing else.

Revision ID: f26b0c7e1d58
Revises: e26a4c1b9d37
Create Date: 2026-12-04 18:40:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "f26b0c7e1d58"
down_revision = "e26a4c1b9d37"
branch_labels = None
depends_on = None

#: parent table -> the term_review column that names it
PARENTS = {"enrollment": "enrollment_id", "term": "term_id"}


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("term_review", schema=None) as batch_op:
        batch_op.drop_constraint("fk_term_review_enrollment_id_enrollment", type_="foreignkey")
        batch_op.drop_constraint("fk_term_review_term_id_term", type_="foreignkey")
    for parent, column in PARENTS.items():
        if postgres:
            op.execute(
                f"CREATE FUNCTION term_review_{parent}_deleted() RETURNS trigger "
                f"LANGUAGE plpgsql AS $$ BEGIN "
                f"DELETE FROM term_review WHERE {column} IN (SELECT id FROM deleted_rows); "
                f"RETURN NULL; END $$"
            )
            op.execute(
                f"CREATE TRIGGER term_review_{parent}_deleted AFTER DELETE ON {parent} "
                f"REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT "
                f"EXECUTE FUNCTION term_review_{parent}_deleted()"
            )
        else:
            op.execute(
                f"CREATE TRIGGER term_review_{parent}_deleted AFTER DELETE ON {parent} "
                f"BEGIN DELETE FROM term_review WHERE {column} = OLD.id; END"
            )


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    for parent in PARENTS:
        if postgres:
            op.execute(f"DROP TRIGGER term_review_{parent}_deleted ON {parent}")
            op.execute(f"DROP FUNCTION term_review_{parent}_deleted()")
        else:
            op.execute(f"DROP TRIGGER term_review_{parent}_deleted")
    with op.batch_alter_table("term_review", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_term_review_enrollment_id_enrollment",
            "enrollment",
            ["enrollment_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_foreign_key(
            "fk_term_review_term_id_term", "term", ["term_id"], ["id"], ondelete="CASCADE"
        )

