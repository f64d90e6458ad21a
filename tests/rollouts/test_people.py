"""Issue 24 item 5: the learner list (search, filter, sort, export, paging) and the
person page."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

from sqlalchemy import Integer, cast, func, literal, select

from app.auth.models import Role
from app.extensions import db
from app.mail.models import OutboundEmail
from app.people.models import Person
from app.rollouts.models import Enrollment, EnrollmentState, RolloutStatus
from tests.factories import EnrollmentFactory, PersonFactory, RolloutFactory, region, staff
from tests.statements import round_trips_during, statements_during

SENT = datetime(2026, 9, 1, 8, tzinfo=UTC)


def _rollout():  # type: ignore[no-untyped-def]
    rollout = RolloutFactory(slug="sef-de", status=RolloutStatus.LAUNCHED, launched_at=SENT)
    boss = PersonFactory(name="Mia Manager")
    people = {
        "anna": EnrollmentFactory(
            rollout=rollout,
            person__name="Anna Árpád",
            person__email="anna@example.com",
            person__employee_id="E-ANNA",
            person__manager=boss,
            state=EnrollmentState.COMMITTED,
            committed_at=SENT,
            invited_at=SENT,
            buddy_group=1734,  # a database-wide key: people see the rollout's number
        ),
        "ben": EnrollmentFactory(
            rollout=rollout,
            person__name="Ben Annecy",
            person__email="ben@example.com",
            person__employee_id="E-BEN",
            state=EnrollmentState.INVITED,
            invited_at=SENT,
            buddy_group=1734,  # a database-wide key: people see the rollout's number
        ),
        "evil": EnrollmentFactory(
            rollout=rollout,
            person__name="=HYPERLINK(1)",
            person__email="evil@example.com",
            person__employee_id="E-EVIL",
            state=EnrollmentState.INVITED,
            invited_at=SENT,
        ),
    }
    return rollout, people


def _email_to(enrollment, kind: str, subject: str) -> OutboundEmail:  # type: ignore[no-untyped-def]
    """An outbox row to the enrollment's person, as the mail layer queues one."""
    return OutboundEmail(
        idempotency_key=f"{kind}:{enrollment.id}",
        kind=f"rollouts/{kind}",
        region_id=enrollment.region_id,
        person_id=enrollment.person_id,
        to_address=enrollment.person.email,
        subject=subject,
        text_body="x",
        html_body="<p>x</p>",
        message_id=f"<{kind}-{enrollment.id}@summit>",
    )


def _names(html: str) -> list[str]:
    return re.findall(r'/learners/\d+">([^<]+)</a>', html)


def test_search_is_a_case_insensitive_prefix_of_name_word_email_or_id(client, login_as) -> None:  # type: ignore[no-untyped-def]
    _rollout()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    url = "/r/de/rollouts/sef-de/learners"
    assert _names(client.get(f"{url}?q=ANN").get_data(as_text=True)) == [
        "Anna Árpád",
        "Ben Annecy",
    ]
    assert _names(client.get(f"{url}?q=ben@").get_data(as_text=True)) == ["Ben Annecy"]
    assert _names(client.get(f"{url}?q=e-evil").get_data(as_text=True)) == ["=HYPERLINK(1)"]
    assert _names(client.get(f"{url}?q=nna").get_data(as_text=True)) == []  # prefix only
    assert _names(client.get(f"{url}?q=%25").get_data(as_text=True)) == []  # no wildcard


def test_filters_and_sort(client, login_as) -> None:  # type: ignore[no-untyped-def]
    _rollout()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    url = "/r/de/rollouts/sef-de/learners"
    html = client.get(f"{url}?stage=committed").get_data(as_text=True)
    assert _names(html) == ["Anna Árpád"]
    manager = client.get(url).get_data(as_text=True)
    assert "Mia Manager" in manager  # offered as a filter
    boss_id = db.session.scalar(select(Person.id).where(Person.name == "Mia Manager"))
    assert _names(client.get(f"{url}?manager={boss_id}").get_data(as_text=True)) == ["Anna Árpád"]
    assert _names(client.get(f"{url}?group=1").get_data(as_text=True)) == [
        "Anna Árpád",
        "Ben Annecy",
    ]
    assert _names(client.get(f"{url}?group=-1").get_data(as_text=True)) == ["=HYPERLINK(1)"]
    desc = client.get(f"{url}?sort=email&dir=desc").get_data(as_text=True)
    assert _names(desc) == ["=HYPERLINK(1)", "Ben Annecy", "Anna Árpád"]
    assert 'aria-sort="descending"' in desc
    assert client.get(f"{url}?sort=nonsense").status_code == 404


def test_paging_keeps_the_filters(client, login_as) -> None:  # type: ignore[no-untyped-def]
    rollout = RolloutFactory(slug="sef-de")
    for i in range(55):
        EnrollmentFactory(rollout=rollout, person__name=f"Zed {i:02d}")
    login_as(staff(Role.LOCAL_LEAD, "de"))
    first = client.get("/r/de/rollouts/sef-de/learners?q=zed&sort=name&dir=desc")
    html = first.get_data(as_text=True)
    assert "Page 1 of 2" in html and _names(html)[0] == "Zed 54"
    assert "page=2" in html and "q=zed" in html
    second = client.get("/r/de/rollouts/sef-de/learners?q=zed&sort=name&dir=desc&page=2")
    assert _names(second.get_data(as_text=True)) == [
        "Zed 04",
        "Zed 03",
        "Zed 02",
        "Zed 01",
        "Zed 00",
    ]


def test_csv_export_is_the_filtered_set_with_formulas_neutralised(client, login_as) -> None:  # type: ignore[no-untyped-def]
    _rollout()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    response = client.get("/r/de/rollouts/sef-de/learners?format=csv&stage=invited&sort=name")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["Name", "Email", "Employee id"]
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(1)", "Anna Árpád", "Ben Annecy"]
    assert rows[2][4] == "Mia Manager"


def test_person_page_shows_the_journey(client, login_as) -> None:  # type: ignore[no-untyped-def]
    _, people = _rollout()
    anna = people["anna"]
    db.session.add(_email_to(anna, "invite", "Join the Summit programme"))
    db.session.commit()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    html = client.get(f"/r/de/rollouts/sef-de/learners/{anna.id}").get_data(as_text=True)
    assert "Anna Árpád" in html and "Mia Manager" in html
    assert "Group 1: Ben Annecy" in html and "1734" not in html
    assert "Committed" in html and "Join the Summit programme" in html


def test_buddy_groups_are_numbered_per_rollout_in_the_order_they_were_formed(
    client, login_as, csrf_token
) -> None:  # type: ignore[no-untyped-def]
    rollout = RolloutFactory(slug="sef-de", status=RolloutStatus.LAUNCHED, launched_at=SENT)
    other = RolloutFactory(slug="sef-de-2")
    EnrollmentFactory(rollout=other, buddy_group=1700)  # another rollout's group comes first
    members = {}
    for key, names in ((1802, ["Cleo", "Dan"]), (1734, ["Ava", "Bo"]), (1801, ["Eli", "Fay"])):
        for name in names:
            members[name] = EnrollmentFactory(
                rollout=rollout, person__name=name, state=EnrollmentState.COMMITTED, buddy_group=key
            )
    EnrollmentFactory(rollout=rollout, person__name="Gus")
    db.session.commit()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    url = "/r/de/rollouts/sef-de/learners"
    html = client.get(url).get_data(as_text=True)
    assert not re.search(r"Group \d{3,}|group-\d{3,}", html)
    assert re.findall(r'<option value="(\d+)">Group (\d+)</option>', html) == [
        ("1", "1"),
        ("2", "2"),
        ("3", "3"),
    ]
    rows = []
    for row in re.findall(r"<tr><td>.*?</tr>", html, re.DOTALL):
        group = re.search(r'#group-(\d+)">Group (\d+)</a></td>', row)
        rows.append((_names(row)[0], *(group.groups() if group else ("", ""))))
    assert rows == [
        ("Ava", "1", "1"),
        ("Bo", "1", "1"),
        ("Cleo", "3", "3"),
        ("Dan", "3", "3"),
        ("Eli", "2", "2"),
        ("Fay", "2", "2"),
        ("Gus", "", ""),
    ]
    # the filter takes the number people see, mapped to the group in the query
    assert _names(client.get(f"{url}?group=2").get_data(as_text=True)) == ["Eli", "Fay"]
    assert _names(client.get(f"{url}?group=3").get_data(as_text=True)) == ["Cleo", "Dan"]
    assert _names(client.get(f"{url}?group=4").get_data(as_text=True)) == []
    assert _names(client.get(f"{url}?group=0").get_data(as_text=True)) == []
    assert _names(client.get(f"{url}?group=1734").get_data(as_text=True)) == []
    exported = client.get(f"{url}?format=csv&sort=name").get_data(as_text=True)
    assert [(r[0], r[5]) for r in list(csv.reader(io.StringIO(exported)))[1:]] == [
        ("Ava", "1"),
        ("Bo", "1"),
        ("Cleo", "3"),
        ("Dan", "3"),
        ("Eli", "2"),
        ("Fay", "2"),
        ("Gus", ""),
    ]
    person = client.get(f"{url}/{members['Eli'].id}").get_data(as_text=True)
    assert "Group 2: Fay" in person and "#group-2" in person and "1801" not in person
    page = client.get("/r/de/rollouts/sef-de/buddies").get_data(as_text=True)
    assert re.findall(r'<li id="group-(\d+)">Group (\d+):', page) == [
        ("1", "1"),
        ("2", "2"),
        ("3", "3"),
    ]
    assert "Group 1734" not in page
    # the move form names the group by its number and posts its key (stable while a
    # group elsewhere in the rollout dissolves)
    assert '<option value="1801">Group 2: Eli, Fay</option>' in page


def test_person_page_of_another_region_or_rollout_is_404(client, login_as) -> None:  # type: ignore[no-untyped-def]
    _rollout()
    other = RolloutFactory(slug="sef-fr", region_id=region("fr").id)
    foreign = EnrollmentFactory(
        rollout=other, region_id=region("fr").id, person__region_id=region("fr").id
    )
    elsewhere = EnrollmentFactory(rollout=RolloutFactory(slug="other-de"))
    login_as(staff(Role.LOCAL_LEAD, "de"))
    assert client.get(f"/r/de/rollouts/sef-de/learners/{foreign.id}").status_code == 404
    assert client.get(f"/r/de/rollouts/sef-de/learners/{elsewhere.id}").status_code == 404
    assert client.get(f"/r/de/rollouts/other-de/learners/{elsewhere.id}").status_code == 200
    login_as(staff(Role.SPONSOR, "de"))
    assert client.get(f"/r/de/rollouts/other-de/learners/{elsewhere.id}").status_code == 403


def _statements(client, url: str) -> list[str]:  # type: ignore[no-untyped-def]
    def load() -> None:
        assert client.get(url).status_code == 200

    return statements_during(load)


def test_the_searched_list_is_kept_until_a_learner_changes(client, login_as) -> None:  # type: ignore[no-untyped-def]
    _, people = _rollout()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    url = "/r/de/rollouts/sef-de/learners?q=ann&sort=name"
    client.get(url)  # the session gets its CSRF token: not kept
    first = client.get(url).get_data(as_text=True)
    assert _names(first) == ["Anna Árpád", "Ben Annecy"]
    assert len(_statements(client, url)) == 1  # the sign-in's: the page was kept
    people["ben"].person.name = "Annika Berg"
    db.session.commit()
    assert _names(client.get(url).get_data(as_text=True)) == ["Anna Árpád", "Annika Berg"]


def test_the_person_page_shows_each_new_email_and_its_sending(client, login_as) -> None:  # type: ignore[no-untyped-def]
    from app.mail.models import EmailStatus

    _, people = _rollout()
    anna = people["anna"]
    login_as(staff(Role.LOCAL_LEAD, "de"))
    url = f"/r/de/rollouts/sef-de/learners/{anna.id}"
    client.get(url)
    assert "No email yet." in client.get(url).get_data(as_text=True)
    assert len(_statements(client, url)) == 2  # sign-in and the outbox in brief: kept
    # ... sent together: a kept person page waits for the database once
    trips = round_trips_during(lambda: client.get(url))
    assert len(trips) == 1 and len(trips[0]) == 2 and "outbound_email" in trips[0][1]

    # the outbox is not followed by the read epochs (every send would move them): the page
    # asks it in brief on every request
    email = _email_to(anna, "reminder", "Your first module is waiting")
    db.session.add(email)
    db.session.commit()
    html = client.get(url).get_data(as_text=True)
    assert "Your first module is waiting" in html and "pending" in html

    db.session.execute(
        OutboundEmail.__table__.update()
        .where(OutboundEmail.id == email.id)
        .values(status=EmailStatus.SENT, sent_at=SENT, attempts=1)
    )
    db.session.commit()
    html = client.get(url).get_data(as_text=True)
    assert "pending" not in html and ">sent<" in html


def test_more_managers_than_a_list_can_offer_are_searched_by_name(client, login_as) -> None:  # type: ignore[no-untyped-def]
    """A rollout of 300,000 has tens of thousands of managers: no <select> of them all."""
    from app.rollouts.queries import MANAGER_CHOICES

    rollout, _ = _rollout()
    de = region("de").id
    # one learner per manager, set-based: the managers and their reports in two inserts
    db.session.execute(
        Person.__table__.insert(),
        [
            {
                "employee_id": f"M{i:04}",
                "name": f"Boss {i:04}",
                "email": f"boss{i}@example.com",
                "region_id": de,
            }
            for i in range(MANAGER_CHOICES)
        ],
    )
    bosses = dict(
        db.session.execute(select(Person.name, Person.id).where(Person.name.like("Boss %"))).all()
    )
    for name in ("Boss 0000", "Boss 0001", "Boss 0002"):  # by name: a query's order is no order
        boss_id = bosses[name]
        EnrollmentFactory(
            rollout=rollout, person__name=f"Report of {name}", person__manager_id=boss_id
        )
    db.session.execute(
        Person.__table__.insert(),
        [
            {
                "employee_id": f"R{i:04}",
                "name": f"Direct report {i:04}",
                "email": f"report{i}@example.com",
                "region_id": de,
                "manager_id": bosses[f"Boss {i:04}"],
            }
            for i in range(3, MANAGER_CHOICES)
        ],
    )
    db.session.execute(
        Enrollment.__table__.insert().from_select(
            ["region_id", "rollout_id", "person_id", "state"],
            select(Person.region_id, literal(rollout.id), Person.id, literal("invited")).where(
                Person.name.like("Direct report %")
            ),
        )
    )
    db.session.commit()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    url = "/r/de/rollouts/sef-de/learners"
    html = client.get(url).get_data(as_text=True)
    assert '<select name="manager">' not in html and 'name="manager_q"' in html
    # Mia Manager (from _rollout) plus the bosses: more than the list offers
    assert _names(client.get(f"{url}?manager_q=mia").get_data(as_text=True)) == ["Anna Árpád"]
    assert _names(client.get(f"{url}?manager_q=boss+0001").get_data(as_text=True)) == [
        "Report of Boss 0001"
    ]
    assert _names(client.get(f"{url}?manager_q=boss1@").get_data(as_text=True)) == [
        "Report of Boss 0001"
    ]
    assert _names(client.get(f"{url}?manager_q=nobody").get_data(as_text=True)) == []


def test_more_buddy_groups_than_a_list_can_offer_are_filtered_by_number(client, login_as) -> None:  # type: ignore[no-untyped-def]
    rollout, _ = _rollout()  # its two learners share the group of key 1734
    de = region("de").id
    db.session.execute(
        Person.__table__.insert(),
        [
            {
                "employee_id": f"G{i:04}",
                "name": f"Grouped {i:04}",
                "email": f"g{i}@example.com",
                "region_id": de,
            }
            for i in range(400)
        ],
    )
    # 200 more groups of two, keys 10, 11, … in the order of the names
    db.session.execute(
        Enrollment.__table__.insert().from_select(
            ["region_id", "rollout_id", "person_id", "state", "buddy_group"],
            select(
                Person.region_id,
                literal(rollout.id),
                Person.id,
                literal("committed"),
                literal(10) + cast(func.substr(Person.employee_id, 2), Integer) // 2,
            ).where(Person.name.like("Grouped %")),
        )
    )
    db.session.commit()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    url = "/r/de/rollouts/sef-de/learners"
    html = client.get(url).get_data(as_text=True)
    assert '<select name="group">' not in html
    assert 'type="number" name="group" min="1" max="201"' in html
    # group 1 is the first formed (key 10: Grouped 0000 and 0001), 201 the last (key 1734)
    assert _names(client.get(f"{url}?group=1").get_data(as_text=True)) == [
        "Grouped 0000",
        "Grouped 0001",
    ]
    assert _names(client.get(f"{url}?group=201").get_data(as_text=True)) == [
        "Anna Árpád",
        "Ben Annecy",
    ]
    assert _names(client.get(f"{url}?group=-1").get_data(as_text=True)) == ["=HYPERLINK(1)"]
