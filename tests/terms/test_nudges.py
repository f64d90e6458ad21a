from datetime import UTC, datetime

from sqlalchemy import select

from app.extensions import db
from app.terms.models import TermReview, Verdict
from app.terms.nudges import due_at_risk_nudges
from tests.progress.helpers import make_course
from tests.terms.helpers import complete, progress_imported

MID_TERM = datetime(2026, 9, 25, 7, 0, tzinfo=UTC)  # 18 of 28 days: one module due


def test_learners_behind_pace_and_their_buddies_are_nudged_once(run_jobs, smtp_sink):
    course = make_course()
    course.program.terms[0].title = ""  # a term saved without a title: "Term 1" in German
    complete(course, "ada", "m1")
    assert due_at_risk_nudges(region=course.rollout.region, now=MID_TERM) == 3
    reviews = db.session.scalars(select(TermReview)).all()
    assert {r.enrollment_id for r in reviews} == {
        course.enrollments[k].id for k in ("ben", "chloe", "dev")
    }
    assert all(r.verdict is Verdict.AT_RISK and r.at_risk_reason == "behind_pace" for r in reviews)
    run_jobs()
    assert len(smtp_sink.messages) == 6  # three learners, three buddies
    to_ada = smtp_sink.to("ada.lovelace@example.com")
    assert len(to_ada) == 1 and "Ben Okafor" in to_ada[0]["Subject"]
    to_ben = smtp_sink.to("ben.okafor@example.com")[0]
    # the German region writes in German
    assert "Abschnitt 1" in to_ben["Subject"]

    # the next days: nobody is nudged twice in the same term
    assert due_at_risk_nudges(region=course.rollout.region, now=MID_TERM.replace(day=26)) == 0
    run_jobs()
    assert len(smtp_sink.messages) == 6


def test_nobody_is_nudged_on_pace_or_between_terms():
    course = make_course()
    for who in ("ada", "ben", "chloe", "dev"):
        complete(course, who, "m1")
    assert due_at_risk_nudges(region=course.rollout.region, now=MID_TERM) == 0
    after_program = datetime(2026, 12, 15, 9, tzinfo=UTC)
    assert due_at_risk_nudges(region=course.rollout.region, now=after_program) == 0


def test_a_new_term_may_nudge_again():
    course = make_course()
    due_at_risk_nudges(region=course.rollout.region, now=MID_TERM)
    term2 = datetime(2026, 10, 20, 7, tzinfo=UTC)
    assert due_at_risk_nudges(region=course.rollout.region, now=term2) == 4


def test_missing_three_calls_in_a_row_nudges_only_those_learners(run_jobs, smtp_sink):
    """The calls capability's attendance, read by the terms job through the real wiring:
    three held calls missed in a row nudge the learner (and buddy); two do not."""
    import time_machine

    from app.calls.attendance import record_attendance
    from app.calls.services import generate_series, sessions_of
    from jobs.terms import nudge_at_risk

    with time_machine.travel(datetime(2026, 9, 1, 8, tzinfo=UTC), tick=False):
        course = make_course()
        rollout = course.rollout
        generate_series(region=rollout.region, rollout=rollout, notify=False)
    for who in ("ada", "ben", "chloe", "dev"):
        complete(course, who, "m1")  # everyone on pace: only the calls can nudge
    ids = {who: e.id for who, e in course.enrollments.items()}
    held = [s for s in sessions_of(rollout.id) if s.starts_at < MID_TERM]
    assert len(held) == 3  # 10, 17 and 24 September
    present = [{"ada", "ben", "dev"}, {"ada", "ben"}, {"ada", "ben"}]
    for session, here in zip(held, present, strict=True):
        record_attendance(
            region=rollout.region,
            session=session,
            present=[ids[w] for w in here],
            listed=list(ids.values()),
            actor=None,
        )
    region_id = rollout.region_id
    db.session.commit()
    with time_machine.travel(MID_TERM, tick=False):
        assert nudge_at_risk(region_id) == 1  # Chloé missed three in a row, Dev two
    db.session.expire_all()
    review = db.session.scalars(select(TermReview)).one()
    assert review.enrollment_id == ids["chloe"]
    assert review.at_risk_reason == "missed_calls"
    run_jobs()
    assert {to for m in smtp_sink.messages for to in m.rcpt_tos} == {
        "chloe.dubois@example.com",
        "dev.patel@example.com",  # her buddy
    }


def test_the_daily_jobs_run_per_region():
    from jobs.terms import close_due_terms, nudge_at_risk, request_buddy_signoffs

    course = make_course()
    region_id = course.rollout.region_id
    progress_imported(course, datetime(2026, 10, 12, 9, tzinfo=UTC))
    db.session.commit()
    import time_machine

    with time_machine.travel(MID_TERM):
        assert nudge_at_risk(region_id) == 4
    with time_machine.travel(datetime(2026, 10, 6, 7, tzinfo=UTC)):
        assert request_buddy_signoffs(region_id) == 4
    with time_machine.travel(datetime(2026, 10, 13, 7, tzinfo=UTC)):
        assert close_due_terms(region_id) == 1
        assert close_due_terms(region_id) == 0


def test_the_term_end_is_written_in_the_learners_language(run_jobs, smtp_sink):
    course = make_course()
    due_at_risk_nudges(region=course.rollout.region, now=MID_TERM)
    run_jobs()
    message = smtp_sink.to("ben.okafor@example.com")[0]
    text = next(p.get_content() for p in message.walk() if p.get_content_type() == "text/plain")
    assert "4. Oktober 2026" in text
