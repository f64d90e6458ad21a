"""Confirming a free rider asks first, says to whom it writes, holds its emails for the
grace period and can be withdrawn until they leave (issue 24)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth.models import Role
from app.extensions import db
from app.mail.dispatch import sweep
from app.mail.models import EmailStatus, OutboundEmail
from app.rollouts.models import EnrollmentState
from app.terms.common import ReviewError
from app.terms.confirming import confirm_free_rider, withdraw_confirmation
from app.terms.models import ExcuseReason, TermClose, Verdict
from app.terms.review import excuse, tell_sponsors_if_reviewed
from tests.factories import staff
from tests.terms.test_review import closed_course, page, review_of

ILLNESS = ExcuseReason.ILLNESS
GRACE = timedelta(minutes=10)  # SUMMIT_UNDO_GRACE_MINUTES' default


def outbox() -> list[OutboundEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)))


def deliver_at(moment, run_jobs):
    """What the scheduler does at ``moment``: sweep the outbox for due rows, deliver them."""
    with time_machine.travel(moment):
        db.session.commit()
        sweep()
        run_jobs()


def confirm_url(course, who):
    return f"{page(course)}/review/{review_of(course, who).id}/confirm"


def post(client, csrf_token, url, form_page, **form):
    return client.post(url, data={"csrf_token": csrf_token(form_page), **form})


# --- pages ---------------------------------------------------------------------------------


def test_nothing_is_emailed_before_the_lead_confirms_with_a_reason(client, login_as, csrf_token):
    course = closed_course()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    review_page = client.get(f"{page(course)}/review").get_data(as_text=True)
    # the first click is a link to a page that asks, not a form that acts
    assert f'href="{confirm_url(course, "dev")}"' in review_page
    asked = client.get(confirm_url(course, "dev"))
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "Dev Patel receives an email in German" in html
    assert "Their manager, Maria Manager, receives an email in German" in html
    assert "for 10 minutes" in html
    assert outbox() == []
    assert review_of(course, "dev").verdict is Verdict.FREE_RIDER_CANDIDATE
    # no reason: refused, nothing changed
    url = f"{page(course)}/review/{review_of(course, 'dev').id}"
    refused = post(client, csrf_token, url, confirm_url(course, "dev"), decision="confirm")
    assert refused.status_code == 303
    assert outbox() == []
    assert course.enrollments["dev"].state is EnrollmentState.TIME_APPROVED
    assert "say why you confirm" in client.get(confirm_url(course, "dev")).get_data(as_text=True)


def test_confirming_holds_the_emails_and_a_second_click_changes_nothing(
    client, login_as, csrf_token, run_jobs, smtp_sink
):
    course = closed_course()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    url = f"{page(course)}/review/{review_of(course, 'dev').id}"
    before = datetime.now(UTC)
    done = post(
        client, csrf_token, url, confirm_url(course, "dev"), decision="confirm", note="0 of 2"
    )
    assert done.status_code == 303 and done.headers["Location"].endswith("/confirm")
    mails = outbox()
    assert {m.to_address for m in mails} == {"dev.patel@example.com", "maria.de@example.com"}
    assert all(m.next_attempt_at >= before + GRACE for m in mails)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "term.confirmed_free_rider")
    ).one()
    assert event.data["reason"] == "0 of 2" and event.actor_id is not None
    # the second click (a double POST) is answered, and changes nothing
    again = post(
        client, csrf_token, url, confirm_url(course, "dev"), decision="confirm", note="0 of 2"
    )
    assert again.status_code == 303
    assert [m.id for m in outbox()] == [m.id for m in mails]
    assert "Already confirmed" in client.get(confirm_url(course, "dev")).get_data(as_text=True)
    run_jobs()
    assert smtp_sink.to("dev.patel@example.com") == []  # still inside the grace period
    deliver_at(datetime.now(UTC) + GRACE + timedelta(minutes=1), run_jobs)
    assert len(smtp_sink.to("dev.patel@example.com")) == 1
    assert len(smtp_sink.to("maria.de@example.com")) == 1


def test_withdrawing_within_the_grace_period_cancels_the_emails(
    client, login_as, csrf_token, run_jobs, smtp_sink
):
    course = closed_course()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    url = f"{page(course)}/review/{review_of(course, 'dev').id}"
    post(client, csrf_token, url, confirm_url(course, "dev"), decision="confirm", note="0 of 2")
    assert len(outbox()) == 2
    page_html = client.get(confirm_url(course, "dev")).get_data(as_text=True)
    assert "Withdraw the confirmation" in page_html
    back = post(client, csrf_token, f"{url}/withdraw", confirm_url(course, "dev"), note="Wrong")
    assert back.status_code == 303
    assert outbox() == []
    review = review_of(course, "dev")
    assert review.verdict is Verdict.FREE_RIDER_CANDIDATE and review.reviewed_at is None
    assert course.enrollments["dev"].state is EnrollmentState.TIME_APPROVED
    assert course.enrollments["dev"].left_at is None
    actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-1] == "term.confirmation_withdrawn"
    deliver_at(datetime.now(UTC) + GRACE + timedelta(minutes=1), run_jobs)
    assert smtp_sink.to("dev.patel@example.com") == []
    assert smtp_sink.to("maria.de@example.com") == []
    # the candidate is back on the review page, to decide again
    assert "Dev Patel" in client.get(f"{page(course)}/review").get_data(as_text=True)


def test_withdrawing_after_the_grace_period_is_refused(
    client, login_as, csrf_token, run_jobs, smtp_sink
):
    course = closed_course()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    url = f"{page(course)}/review/{review_of(course, 'dev').id}"
    post(client, csrf_token, url, confirm_url(course, "dev"), decision="confirm", note="0 of 2")
    later = datetime.now(UTC) + GRACE + timedelta(minutes=1)
    deliver_at(later, run_jobs)
    assert len(smtp_sink.to("dev.patel@example.com")) == 1
    with time_machine.travel(later):
        token_page = confirm_url(course, "dev")
        html = client.get(token_page).get_data(as_text=True)
        assert "Withdraw the confirmation" not in html
        assert "can no longer be withdrawn" in html
        token = csrf_token(f"{page(course)}/review")
        refused = client.post(f"{url}/withdraw", data={"csrf_token": token})
        assert refused.status_code == 303
        message = client.get(token_page).get_data(as_text=True)
    assert "the grace period is over" in message
    assert review_of(course, "dev").verdict is Verdict.CONFIRMED_FREE_RIDER
    assert course.enrollments["dev"].state is EnrollmentState.REMOVED


def test_another_regions_review_is_404_on_every_step(client, login_as, csrf_token):
    mine = closed_course("de")
    theirs = closed_course("fr", slug="sef-fr-test")
    login_as(staff(Role.LOCAL_LEAD, "de"))
    foreign = review_of(theirs, "ben").id
    token = csrf_token(f"{page(mine)}/review")
    assert client.get(f"{page(mine)}/review/{foreign}/confirm").status_code == 404
    for suffix, form in (("", {"decision": "confirm", "note": "x"}), ("/withdraw", {})):
        response = client.post(
            f"{page(mine)}/review/{foreign}{suffix}", data={"csrf_token": token, **form}
        )
        assert response.status_code == 404
    assert review_of(theirs, "ben").verdict is Verdict.FREE_RIDER_CANDIDATE
    assert outbox() == []


def test_the_confirm_form_needs_its_csrf_token(client, login_as):
    course = closed_course()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    url = f"{page(course)}/review/{review_of(course, 'dev').id}"
    assert client.post(url, data={"decision": "confirm", "note": "x"}).status_code == 400
    assert outbox() == []


# --- services ------------------------------------------------------------------------------


def test_the_sponsors_outcome_waits_for_the_grace_period_and_goes_with_a_withdrawal():
    course = closed_course()
    rollout, term = course.rollout, course.program.terms[0]
    region = rollout.region
    lead = staff(Role.LOCAL_LEAD, "de")
    now = datetime.now(UTC)
    excuse(
        region=region,
        review=review_of(course, "ben"),
        reason=ExcuseReason.ILLNESS,
        note="Ill since September",
        actor=lead,
    )
    excuse(
        region=region,
        review=review_of(course, "chloe"),
        reason=ExcuseReason.LEAVE,
        note="Parental leave",
        actor=lead,
    )
    dev = review_of(course, "dev")
    assert confirm_free_rider(region=region, review=dev, actor=lead, reason="none", now=now)
    assert tell_sponsors_if_reviewed(region=region, rollout=rollout, term=term, now=now)
    sponsor = [m for m in outbox() if m.to_address == "sponsor@example.com"]
    assert len(sponsor) == 1 and sponsor[0].next_attempt_at == now + GRACE
    withdraw_confirmation(region=region, review=dev, actor=lead, now=now + timedelta(minutes=5))
    assert outbox() == []
    closing = db.session.scalars(select(TermClose)).one()
    assert closing.sponsors_told_at is None  # told again once the candidate is decided


def test_a_withdrawal_is_refused_once_an_email_left():
    course = closed_course()
    region = course.rollout.region
    lead = staff(Role.LOCAL_LEAD, "de")
    now = datetime.now(UTC)
    dev = review_of(course, "dev")
    confirm_free_rider(region=region, review=dev, actor=lead, reason="none", now=now)
    sent = outbox()[0]
    sent.status = EmailStatus.SENT  # a worker sent it (e.g. a grace period of 0 before)
    db.session.flush()
    with pytest.raises(ReviewError, match="already left"):
        withdraw_confirmation(region=region, review=dev, actor=lead, now=now)
    assert db.session.scalar(select(func.count()).select_from(OutboundEmail)) == 2
    assert dev.verdict is Verdict.CONFIRMED_FREE_RIDER


def test_confirming_an_excused_learner_is_refused():
    course = closed_course()
    region = course.rollout.region
    lead = staff(Role.LOCAL_LEAD, "de")
    ben = review_of(course, "ben")
    excuse(region=region, review=ben, reason=ExcuseReason.ILLNESS, note="Ill", actor=lead)
    with pytest.raises(ReviewError):
        confirm_free_rider(region=region, review=ben, actor=lead, reason="x")
    assert outbox() == []


@pytest.mark.parametrize("note", ["", "   ", "\n\t"])
def test_excusing_without_a_reason_is_refused_by_the_service(note):
    """Not only the web form: the CLI or a script calling the service must say why too."""
    course = closed_course()
    region = course.rollout.region
    ben = review_of(course, "ben")
    with pytest.raises(ReviewError, match="a reason is required"):
        excuse(
            region=region,
            review=ben,
            reason=ExcuseReason.ILLNESS,
            note=note,
            actor=staff(Role.LOCAL_LEAD, "de"),
        )
    assert ben.verdict is Verdict.FREE_RIDER_CANDIDATE
    assert ben.excuse_reason is None and ben.reviewed_at is None
