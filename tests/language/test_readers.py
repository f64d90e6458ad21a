"""One rule for the locale a person reads, on every page behind a link and in every email:
their own locale, else their region's (also when Summit does not write theirs), else
English (``app.language.person_locale``)."""

from __future__ import annotations

from icalendar import Calendar
from sqlalchemy import select

from app.extensions import db
from app.language import person_locale, translate
from app.mail.models import OutboundEmail
from app.rollouts.onboarding import commit_enrollment, commit_url
from app.rollouts.services import launch_rollout
from tests.factories import EnrollmentFactory, PersonFactory, RolloutFactory, region


def _path(url: str) -> str:
    return url.removeprefix("http://summit.test")


def _launched(locale: str | None, run_jobs) -> tuple[object, OutboundEmail]:  # type: ignore[no-untyped-def]
    rollout = RolloutFactory(region_id=region("de").id)
    enrollment = EnrollmentFactory(
        rollout=rollout, person=PersonFactory(region_id=rollout.region_id, locale=locale)
    )
    launch_rollout(region=rollout.region, rollout=rollout, actor=None, channel="cli")
    db.session.commit()
    run_jobs()
    invitation = db.session.scalars(
        select(OutboundEmail).where(
            OutboundEmail.person_id == enrollment.person_id,
            OutboundEmail.kind == "rollouts/invitation",
        )
    ).one()
    return enrollment, invitation


def test_a_japanese_learners_page_behind_a_link_is_japanese(client, run_jobs) -> None:  # type: ignore[no-untyped-def]
    """ja is neither the region's language nor one of the first three (en, de, fr)."""
    enrollment, invitation = _launched("ja_JP", run_jobs)
    assert invitation.locale == "ja_JP" and "始めましょうか" in invitation.subject
    page = client.get(_path(commit_url(enrollment)), headers={"Accept-Language": "de-DE,en;q=0.5"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="ja-JP" dir="ltr">' in html and "参加します" in html
    assert "Ich bin dabei" not in html and "I commit" not in html


def test_a_japanese_learners_study_block_calendar_is_japanese(client, run_jobs) -> None:  # type: ignore[no-untyped-def]
    """The add-to-calendar file of the commit page: its event reads in the learner's language."""
    enrollment, _invitation = _launched("ja_JP", run_jobs)
    commit_enrollment(
        region=enrollment.rollout.region,
        enrollment=enrollment,
        goal="クラウドのサービスを安全にリリースする",
    )
    db.session.commit()
    response = client.get(_path(commit_url(enrollment)).rstrip("/") + "/study-time.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    event = next(iter(Calendar.from_ical(response.data).walk("VEVENT")))
    title = enrollment.rollout.program.title
    assert str(event["SUMMARY"]) == translate("Study time: %(program)s", "ja", program=title)
    assert not str(event["SUMMARY"]).startswith("Study time")


def test_an_unsupported_locale_reads_the_regions_language_as_in_the_emails(  # type: ignore[no-untyped-def]
    client, run_jobs
) -> None:
    enrollment, invitation = _launched("sv_SE", run_jobs)  # Summit has no Swedish catalog
    assert invitation.locale == "de_DE" and "Wollen wir loslegen?" in invitation.subject
    html = client.get(_path(commit_url(enrollment))).get_data(as_text=True)
    assert '<html lang="de-DE"' in html and "Ich bin dabei" in html


def test_the_rule_itself() -> None:
    class Place:
        locale = "fr_FR"

    class Reader:
        def __init__(self, locale: str | None) -> None:
            self.locale = locale

    assert person_locale(Reader("ja_JP"), Place()) == "ja_JP"
    assert person_locale(Reader("pt-BR"), Place()) == "pt_BR"
    assert person_locale(Reader("sv_SE"), Place()) == "fr_FR"
    assert person_locale(Reader(None), Place()) == "fr_FR"
    assert person_locale(Reader("sv_SE"), None) == "en"
