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

The nullable keys (``buddy_confirmed_by_id``, ``reviewed_by_id``) stay: the close does not
prove them (the pages that set them are guarded by nothing else), though they cost its
INSERT 0.3–0.5 s of 2.6 s CPU at 300,000 rows (a NULL check queued per row).

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

#: parent table -> (trigger on PostgreSQL, its function; trigger on SQLite)
TRIGGERS = {
    "enrollment": (
        """CREATE FUNCTION term_review_enrollment_deleted() RETURNS trigger LANGUAGE plpgsql
        AS $$ BEGIN
            DELETE FROM term_review WHERE enrollment_id IN (SELECT id FROM deleted_rows);
            RETURN NULL;
        END $$""",
        """CREATE TRIGGER term_review_enrollment_deleted AFTER DELETE ON enrollment
        REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT
        EXECUTE FUNCTION term_review_enrollment_deleted()""",
        """CREATE TRIGGER term_review_enrollment_deleted AFTER DELETE ON enrollment
        BEGIN DELETE FROM term_review WHERE enrollment_id = OLD.id; END""",
    ),
    "term": (
        """CREATE FUNCTION term_review_term_deleted() RETURNS trigger LANGUAGE plpgsql
        AS $$ BEGIN
            DELETE FROM term_review WHERE term_id IN (SELECT id FROM deleted_rows);
            RETURN NULL;
        END $$""",
        """CREATE TRIGGER term_review_term_deleted AFTER DELETE ON term
        REFERENCING OLD TABLE AS deleted_rows FOR EACH STATEMENT
        EXECUTE FUNCTION term_review_term_deleted()""",
        """CREATE TRIGGER term_review_term_deleted AFTER DELETE ON term
        BEGIN DELETE FROM term_review WHERE term_id = OLD.id; END""",
    ),
}


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("term_review", schema=None) as batch_op:
        batch_op.drop_constraint("fk_term_review_enrollment_id_enrollment", type_="foreignkey")
        batch_op.drop_constraint("fk_term_review_term_id_term", type_="foreignkey")
    for function, pg_trigger, sqlite_trigger in TRIGGERS.values():
        if postgres:
            op.execute(function)
            op.execute(pg_trigger)
        else:
            op.execute(sqlite_trigger)


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    op.execute(
        "DROP TRIGGER term_review_enrollment_deleted" + (" ON enrollment" if postgres else "")
    )
    op.execute("DROP TRIGGER term_review_term_deleted" + (" ON term" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION term_review_enrollment_deleted()")
        op.execute("DROP FUNCTION term_review_term_deleted()")
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
