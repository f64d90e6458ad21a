from datetime import UTC, datetime

from sqlalchemy import func, select, text

from app.audit.models import AuditEvent
from app.auth.models import Role
from app.extensions import db
from app.rollouts.models import EnrollmentState
from app.terms.closing import close_term, due_term_closes
from app.terms.models import ExcuseReason, TermClose, TermReview, Verdict
from app.terms.review import excuse
from tests.factories import EnrollmentFactory, staff
from tests.progress.helpers import make_course
from tests.terms.helpers import complete, progress_imported

CLOSE = datetime(2026, 10, 12, 5, tzinfo=UTC)


def verdicts(course, term):
    rows = db.session.scalars(select(TermReview).where(TermReview.term_id == term.id)).all()
    by_id = {e.id: k for k, e in course.enrollments.items()}
    return {by_id[r.enrollment_id]: r.verdict for r in rows if r.enrollment_id in by_id}


def audits():
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("term.verdict.%"))
    )


def test_close_gives_each_learner_a_verdict_and_is_idempotent():
    course = make_course()
    complete(course, "ada", "m1", "m2")
    complete(course, "chloe", "m1")
    term = course.program.terms[0]
    result = close_term(region=course.rollout.region, rollout=course.rollout, term=term, now=CLOSE)
    assert (result.on_track, result.candidates, result.changed) == (1, 3, 4)
    assert verdicts(course, term) == {
        "ada": Verdict.ON_TRACK,
        "ben": Verdict.FREE_RIDER_CANDIDATE,
        "chloe": Verdict.FREE_RIDER_CANDIDATE,
        "dev": Verdict.FREE_RIDER_CANDIDATE,
    }
    # the verdicts of a first close are audited by the close's own event (rule and counts)
    assert audits() == 0
    closed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "term.closed")).one()
    assert (closed.data["on_track"], closed.data["candidates"], closed.data["changed"]) == (1, 3, 4)
    again = close_term(region=course.rollout.region, rollout=course.rollout, term=term, now=CLOSE)
    assert again.changed == 0
    assert audits() == 0
    closes = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "term.closed")
    assert db.session.scalar(closes) == 1
    assert db.session.scalar(select(func.count()).select_from(TermClose)) == 1


def test_late_progress_turns_a_candidate_on_track_and_reviews_stay():
    course = make_course()
    term = course.program.terms[0]
    close_term(region=course.rollout.region, rollout=course.rollout, term=term, now=CLOSE)
    review = db.session.scalars(
        select(TermReview).where(TermReview.enrollment_id == course.enrollments["dev"].id)
    ).one()
    excuse(
        region=course.rollout.region,
        review=review,
        reason=ExcuseReason.ILLNESS,
        note="Ill for three weeks",
        actor=staff(Role.LOCAL_LEAD, "de"),
    )
    complete(course, "ben", "m1", "m2")
    complete(course, "dev", "m1", "m2")
    result = close_term(
        region=course.rollout.region, rollout=course.rollout, term=term, now=CLOSE.replace(day=13)
    )
    assert result.changed == 1
    got = verdicts(course, term)
    assert got["ben"] is Verdict.ON_TRACK
    assert got["dev"] is Verdict.EXCUSED  # a reviewed verdict is never overwritten
    assert audits() == 1  # ben's verdict changed after the first close: audited on its own


def reviews(course, term):
    """Each learner's review of ``term`` as the database holds it (and, on PostgreSQL, the
    row version: ``ctid`` moves whenever a row is written)."""
    version = "ctid::text" if db.session.get_bind().dialect.name == "postgresql" else "''"
    by_id = {e.id: k for k, e in course.enrollments.items()}
    rows = db.session.execute(
        text(
            f"SELECT enrollment_id, {version}, verdict, modules_done, modules_expected, "  # noqa: S608
            "closed_at, verdict_changed_at FROM term_review WHERE term_id = :term"
        ),
        {"term": term.id},
    ).all()
    return {by_id[row[0]]: tuple(row[1:]) for row in rows if row[0] in by_id}


def test_a_second_close_writes_no_row():
    course = make_course()
    complete(course, "ada", "m1", "m2")
    term = course.program.terms[0]
    close_term(region=course.rollout.region, rollout=course.rollout, term=term, now=CLOSE)
    before = reviews(course, term)
    again = close_term(
        region=course.rollout.region, rollout=course.rollout, term=term, now=CLOSE.replace(day=13)
    )
    assert again.changed == 0
    assert (again.on_track, again.candidates) == (1, 3)
    # same values and, on PostgreSQL, the same row versions: nothing was rewritten
    assert reviews(course, term) == before
    assert audits() == 0


def test_a_close_run_again_takes_no_review_id():
    """Issue 26: the reviewed learners are left out before the INSERT; an ``ON CONFLICT``
    alone took a sequence id per learner on each run (a million a close at 1M)."""
    course = make_course()
    term = course.program.terms[0]
    close_term(region=course.rollout.region, rollout=course.rollout, term=term, now=CLOSE)
    last = db.session.scalar(select(func.max(TermReview.id)))
    for day in (13, 14):
        close_term(
            region=course.rollout.region,
            rollout=course.rollout,
            term=term,
            now=CLOSE.replace(day=day),
        )
    late = EnrollmentFactory(rollout=course.rollout, state=EnrollmentState.ACTIVE)
    close_term(
        region=course.rollout.region, rollout=course.rollout, term=term, now=CLOSE.replace(day=15)
    )
    new = db.session.scalars(select(TermReview).where(TermReview.enrollment_id == late.id)).one()
    assert new.id == last + 1


def test_a_review_opened_before_the_close_gets_its_verdict_and_counts_as_changed():
    course = make_course()
    term = course.program.terms[0]
    ben = course.enrollments["ben"]
    # a nudge opened ben's review before the close (at risk, not closed)
    db.session.add(
        TermReview(
            region_id=ben.region_id,
            enrollment_id=ben.id,
            term_id=term.id,
            verdict=Verdict.AT_RISK,
            modules_expected=2,
            modules_done=0,
        )
    )
    db.session.flush()
    result = close_term(region=course.rollout.region, rollout=course.rollout, term=term, now=CLOSE)
    assert (result.on_track, result.candidates, result.changed) == (0, 4, 4)
    row = reviews(course, term)["ben"]
    assert row[1] == Verdict.FREE_RIDER_CANDIDATE
    assert row[4] is not None and row[5] is not None  # closed, verdict given now
    # a verdict given by this close (not changed after an earlier one): no per-learner event
    assert audits() == 0


def test_late_progress_that_does_not_move_a_verdict_updates_the_count_only():
    course = make_course()
    term = course.program.terms[0]
    close_term(region=course.rollout.region, rollout=course.rollout, term=term, now=CLOSE)
    before = reviews(course, term)
    complete(course, "dev", "m1")  # one of the two required modules: still a candidate
    result = close_term(
        region=course.rollout.region, rollout=course.rollout, term=term, now=CLOSE.replace(day=13)
    )
    assert result.changed == 0
    after = reviews(course, term)
    assert after["dev"][1:] == (Verdict.FREE_RIDER_CANDIDATE, 1, *before["dev"][3:])
    assert {k: v for k, v in after.items() if k != "dev"} == {
        k: v for k, v in before.items() if k != "dev"
    }
    assert audits() == 0


def test_the_number_of_statements_does_not_grow_with_learners():
    small = make_course()
    large = make_course("fr", slug="sef-large")
    for _ in range(40):
        e = EnrollmentFactory(rollout=large.rollout)
        e.transition(EnrollmentState.COMMITTED)
        e.transition(EnrollmentState.TIME_APPROVED)
    db.session.flush()
    from sqlalchemy import event

    seen = []
    event.listen(db.engine, "before_cursor_execute", lambda c, cur, st, *a: seen.append(st[:90]))
    a = close_term(
        region=small.rollout.region, rollout=small.rollout, term=small.program.terms[0], now=CLOSE
    )
    b = close_term(
        region=large.rollout.region, rollout=large.rollout, term=large.program.terms[0], now=CLOSE
    )
    assert b.candidates == 44
    assert a.statements == b.statements <= 15


def test_only_learners_with_approved_time_get_a_verdict():
    course = make_course()
    invited = EnrollmentFactory(rollout=course.rollout)
    close_term(
        region=course.rollout.region,
        rollout=course.rollout,
        term=course.program.terms[0],
        now=CLOSE,
    )
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(TermReview)
            .where(TermReview.enrollment_id == invited.id)
        )
        == 0
    )


def test_due_term_closes_waits_for_the_grace_period():
    course = make_course()
    region = course.rollout.region
    progress_imported(course, datetime(2026, 10, 10, 9, tzinfo=UTC))
    # term 1 ends 4 October; grace 7 days: due from 12 October (Berlin)
    assert due_term_closes(region=region, now=datetime(2026, 10, 11, 12, tzinfo=UTC)) == []
    assert len(due_term_closes(region=region, now=datetime(2026, 10, 11, 22, 30, tzinfo=UTC))) == 1
    assert due_term_closes(region=region, now=datetime(2026, 10, 13, 12, tzinfo=UTC)) == []


def test_a_term_is_not_closed_on_progress_older_than_the_region_allows():
    course = make_course()
    region = course.rollout.region
    # term 1 is due on 12 October; the last import's data is from 1 October (7 days allowed)
    progress_imported(course, datetime(2026, 10, 1, 9, tzinfo=UTC))
    assert due_term_closes(region=region, now=datetime(2026, 10, 12, 12, tzinfo=UTC)) == []
    assert db.session.scalars(select(TermClose)).all() == []
    # a newer export arrives: the next daily run closes the term
    progress_imported(course, datetime(2026, 10, 12, 6, tzinfo=UTC))
    assert len(due_term_closes(region=region, now=datetime(2026, 10, 12, 12, tzinfo=UTC))) == 1


def test_no_progress_at_all_is_stale_too():
    course = make_course()
    assert due_term_closes(region=course.rollout.region, now=CLOSE) == []


def test_the_local_lead_confirms_closing_on_stale_progress(client, login_as, csrf_token):
    course = make_course()
    progress_imported(course, datetime(2026, 9, 20, 9, tzinfo=UTC))
    db.session.commit()
    page = f"/r/de/rollouts/{course.rollout.slug}/terms/1/review"
    login_as(staff(Role.HR_PARTNER, "de"))
    html = client.get(page).get_data(as_text=True)
    assert "Progress as of" in html and "older than this region allows" in html
    assert "Close term 1" not in html  # the lead's decision
    login_as(staff(Role.LOCAL_LEAD, "de"))
    html = client.get(page).get_data(as_text=True)
    assert "Close term 1" in html
    close = f"/r/de/rollouts/{course.rollout.slug}/terms/1/close"
    unconfirmed = client.post(close, data={"csrf_token": csrf_token(page)})
    assert unconfirmed.status_code == 303
    assert db.session.scalars(select(TermClose)).all() == []
    confirmed = client.post(close, data={"csrf_token": csrf_token(page), "confirm": "yes"})
    assert confirmed.status_code == 303
    assert len(db.session.scalars(select(TermClose)).all()) == 1
    login_as(staff(Role.HR_PARTNER, "de"))
    assert (
        client.post(close, data={"csrf_token": csrf_token(page), "confirm": "yes"}).status_code
        == 403
    )


def test_cli_close(runner):
    course = make_course()
    db.session.commit()
    args = ["term", "close", "--rollout", course.rollout.slug, "--term", "1"]
    refused = runner.invoke(args=args)
    assert refused.exit_code != 0
    assert "--accept-stale-progress" in refused.output
    assert db.session.scalars(select(TermClose)).all() == []
    result = runner.invoke(args=[*args, "--accept-stale-progress"])
    assert result.exit_code == 0, result.output
    assert "4 free-rider candidates to review" in result.output
    result = runner.invoke(args=[*args[:-1], "9", "--accept-stale-progress"])
    assert result.exit_code != 0
