"""The goal survey: sent at completion and at program end, answered through a signed link.

The answer lands in ``Enrollment.goal_reached`` (reached / partly / not), which the
goal-attainment metric reads.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.audit.services import record
from app.db import utcnow
from app.extensions import db
from app.goals.models import GoalAnswer
from app.language import person_locale
from app.links.services import make_action_url
from app.mail.services import queue_email
from app.masterclasses.recognition import opt_in_url
from app.programs.models import Term
from app.regions.models import Region
from app.rollouts.models import Enrollment, EnrollmentState, Rollout

log = logging.getLogger(__name__)

SURVEY_PURPOSE = "goal-survey"
#: the survey stays answerable for a while after the program ends
SURVEY_MAX_AGE = timedelta(days=90)
COMMENT_MAX = 2000
#: who is asked at program end: everyone still enrolled who got past the invitation
STILL_ENROLLED = (
    EnrollmentState.COMMITTED,
    EnrollmentState.TIME_APPROVED,
    EnrollmentState.ACTIVE,
    EnrollmentState.COMPLETED,
)


class InvalidAnswer(ValueError):
    pass


def survey_url(enrollment: Enrollment) -> str:

    return make_action_url(
        endpoint="goals_public.survey",
        purpose=SURVEY_PURPOSE,
        person_id=enrollment.person_id,
        object_id=enrollment.id,
    )


def send_goal_survey(enrollment: Enrollment, *, reason: str, now: datetime | None = None) -> bool:
    """Email the learner their goal survey link, once per enrollment.

    ``reason`` is "completion" or "program_end" (it picks the wording). Sets
    ``goal_survey_sent_at`` and queues one email; returns False if already sent
    or already answered.
    """
    if enrollment.goal_survey_sent_at is not None or enrollment.goal_reached is not None:
        return False
    now = now or utcnow()
    enrollment.goal_survey_sent_at = now
    _queue_survey(enrollment, key=f"goals/survey/{enrollment.id}", completed=reason == "completion")
    db.session.flush()
    return True


def _queue_survey(enrollment: Enrollment, *, key: str, completed: bool) -> None:

    person = enrollment.person
    queue_email(
        kind="goals/survey",
        to_address=person.email,
        to_name=person.name,
        idempotency_key=key,
        context={
            "name": person.name,
            "program": enrollment.rollout.program.title,
            "goal": enrollment.goal or "",
            "completed": completed,
            "survey_url": survey_url(enrollment),
            "leaderboard_url": opt_in_url(enrollment),
        },
        locale=person_locale(person, person.region),
        region_id=enrollment.region_id,
        person_id=person.id,
    )


def due_goal_surveys(*, region: Region, now: datetime | None = None) -> int:
    """The daily sweep: after a program's end (region-local date), survey everyone still
    enrolled who was not asked yet; also completers the completion signal missed.

    Sets ``goal_survey_sent_at`` and queues one email each; returns how many.
    """

    now = now or utcnow()
    today = now.astimezone(ZoneInfo(region.time_zone)).date()
    program_end = (
        select(Term.program_id, func.max(Term.ends_on).label("ends_on"))
        .group_by(Term.program_id)
        .subquery()
    )
    ended = select(Rollout.id).join(program_end, program_end.c.program_id == Rollout.program_id)
    ended = ended.where(Rollout.region_id == region.id, program_end.c.ends_on < today)
    stmt = (
        select(Enrollment)
        .where(
            Enrollment.region_id == region.id,
            Enrollment.goal_survey_sent_at.is_(None),
            Enrollment.goal_reached.is_(None),
            (
                Enrollment.rollout_id.in_(ended) & Enrollment.state.in_(STILL_ENROLLED)
                | (Enrollment.state == EnrollmentState.COMPLETED)
            ),
        )
        .order_by(Enrollment.id)
        .execution_options(yield_per=500)
    )
    sent = 0
    for enrollment in db.session.scalars(stmt):
        reason = "completion" if enrollment.state == EnrollmentState.COMPLETED else "program_end"
        sent += send_goal_survey(enrollment, reason=reason, now=now)
    if sent:
        log.info("region %s: %s goal surveys sent", region.code, sent)
    return sent


def answer_goal_survey(
    enrollment: Enrollment,
    *,
    answer: str,
    comment: str = "",
    actor: Any = None,
    now: datetime | None = None,
) -> Enrollment:
    """Store the learner's answer (the latest answer wins) and audit it.

    Writes ``goal_reached``, ``goal_comment`` and ``goal_answered_at``; raises
    InvalidAnswer for anything but reached / partly / not.
    """
    try:
        value = GoalAnswer(answer)
    except ValueError as exc:
        raise InvalidAnswer(answer) from exc
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise InvalidAnswer("comment too long")
    now = now or utcnow()
    previous = enrollment.goal_reached
    enrollment.goal_reached = value.value
    enrollment.goal_comment = comment or None
    enrollment.goal_answered_at = now
    record(
        region_id=enrollment.region_id,
        action="goal.answered",
        obj=enrollment,
        actor=actor,
        channel="link",
        data={"answer": value.value, "previous": previous},
    )
    db.session.flush()
    return enrollment
