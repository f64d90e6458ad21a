"""The weekly email rendered from shapes (once per language, zone and content variant,
then filled per learner) is, byte for byte, the email rendered for that learner alone."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from app.calls.models import CallSession
from app.extensions import db
from app.journey import content, services
from app.links.services import LinkInvalid, read_token
from app.mail import rendering
from tests.factories import PersonFactory, region
from tests.journey.helpers import complete, launched, learner, weekly_emails

# Monday 23 November 2026, 08:00 UTC: the Paris send time has passed, term 1 runs
MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
WEEK = "2026-W48"
#: names as HR exports them: markup, quotes, ampersands, scripts from everywhere
NAMES = (
    'Zoë <b>"Ø\'Brien"</b> & Co',
    "李 小龍",
    "Renée {{ name }} %(n)s",
    "أحمد",
    "Anna",
)


def _learners(locales: tuple[str | None, ...]) -> tuple[content.WeekContent, list]:
    rollout = launched("fr")
    db.session.add(
        CallSession(
            region_id=rollout.region_id,
            rollout_id=rollout.id,
            series_date=datetime(2026, 11, 26).date(),
            starts_at=datetime(2026, 11, 26, 14, 0, tzinfo=UTC),
        )
    )
    enrollments = []
    for i, (name, locale) in enumerate(zip(NAMES, locales, strict=True)):
        person = PersonFactory(name=name, locale=locale, region_id=rollout.region_id)
        enrollments.append(learner(rollout, person=person, buddy_group=700 + i // 2))
    complete(enrollments[0], 1)
    complete(enrollments[2], 1, 2)
    db.session.flush()
    week = content.WeekContent(region=region("fr"), week=WEEK, now=MONDAY)
    claimed = [(1000 + e.id, e.id) for e in enrollments]
    return week, week.learners(claimed)


def _links(send_id: int) -> dict[str, str]:
    return {
        "journey": f"https://summit.example/j/{send_id}?a=1&b=2",
        "question": f"https://summit.example/q/{send_id}",
        "course": "https://learning.example.com/course?x=<1>",
        "pause": f"https://summit.example/p/{send_id}",
    }


def test_every_learner_gets_exactly_the_email_rendered_for_them_alone(app):
    week, learners = _learners(("fr", "ja", "de", "fr", None))
    for send_id, one in learners:
        fast = week.render_fast(one, links=_links(send_id))
        alone = week.render(one, links=_links(send_id))
        assert fast == alone, one.name
        assert "\ue000" not in fast.html + fast.text + fast.subject


def test_learners_of_one_shape_share_one_rendering(app):
    rollout = launched("fr")
    same = [learner(rollout, person=PersonFactory(name=n, locale="fr")) for n in NAMES]
    ahead = learner(rollout, person=PersonFactory(locale="fr"))
    complete(ahead, 1, 2)
    german = learner(rollout, person=PersonFactory(locale="de"))
    week = content.WeekContent(region=region("fr"), week=WEEK, now=MONDAY)
    claimed = [(1000 + e.id, e.id) for e in [*same, ahead, german]]
    emails = [week.render_fast(one, links=_links(i)) for i, one in week.learners(claimed)]
    # five learners alike (language, zone, progress, no buddy), one ahead, one in German
    assert len(week._shapes) == 3
    assert [
        e.html.count(n.translate(rendering._IN_TEXT)) for e, n in zip(emails, NAMES, strict=False)
    ] == [1] * 5
    assert ": Ihre Woche" in emails[-1].subject


def test_a_value_a_template_would_transform_cannot_be_a_slot(app):
    shape = rendering.EmailShape(subject="Hi " + rendering.slot("name"), text="", html="")
    assert shape.fill({"name": "A\n  B"}).subject == "Hi A B"


def test_queued_links_carry_one_valid_token_per_purpose(app):
    rollout = launched("fr")
    me = learner(rollout)
    db.session.commit()
    assert services.send_week(region=region("fr"), week=WEEK) == 1
    (email,) = weekly_emails()
    tokens = set(re.findall(r"/journey/(?:go/)?([A-Za-z0-9_.\-]{20,})", email.html_body))
    purposes = set()
    for token in tokens:
        for purpose in (services.TRACK_PURPOSE, services.JOURNEY_PURPOSE):
            try:
                claims = read_token(token, purpose=purpose)
            except LinkInvalid:  # the other purpose's token
                continue
            assert claims.person_id == me.person_id
            purposes.add(purpose)
    assert purposes == {services.TRACK_PURPOSE, services.JOURNEY_PURPOSE}
