"""A term review lives as long as its enrollment and its term (issue 26).

``term_review`` has no foreign keys on ``enrollment_id`` and ``term_id`` (the close proves
both in its SELECT; the keys were half of its CPU at 1,000,000 learners): a trigger on
each parent deletes the reviews, whichever path deletes the parent. Each path here leaves
no review without its enrollment or its term, and the other reviews in place.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func, select, text

from app.extensions import db
from app.people.models import Person
from app.programs.models import Term
from app.programs.services import ModuleSpec, ProgramInput, TermSpec, save_program
from app.rollouts.models import Enrollment, Rollout
from app.terms.closing import close_term
from app.terms.models import TermReview
from tests.progress.helpers import make_course

CLOSE = datetime(2026, 12, 12, 5, tzinfo=UTC)

ORPHANS = text(
    "SELECT count(*) FROM term_review r "
    "WHERE NOT EXISTS (SELECT 1 FROM enrollment e WHERE e.id = r.enrollment_id) "
    "OR NOT EXISTS (SELECT 1 FROM term t WHERE t.id = r.term_id)"
)


def reviews(**where: int) -> int:
    stmt = select(func.count()).select_from(TermReview)
    for name, value in where.items():
        stmt = stmt.where(getattr(TermReview, name) == value)
    return db.session.scalar(stmt) or 0


@pytest.fixture
def closed():  # type: ignore[no-untyped-def]
    """Two rollouts (each of its own program) of four learners, the first and the last term
    closed in both: 16 reviews; one review confirmed by a buddy (that key stays: SET NULL
    when the buddy goes)."""
    course = make_course()
    other = make_course("fr", slug="sef-other", buddies=False)
    assert other.program.id != course.program.id
    for c in (course, other):
        for term in (c.program.terms[0], c.program.terms[-1]):
            close_term(region=c.rollout.region, rollout=c.rollout, term=term, now=CLOSE)
    ada, ben = course.enrollments["ada"], course.enrollments["ben"]
    review = db.session.scalars(
        select(TermReview).where(
            TermReview.enrollment_id == ada.id,
            TermReview.term_id == course.program.terms[0].id,
        )
    ).one()
    review.buddy_confirmed_by_id = ben.id
    db.session.flush()
    assert reviews() == 16
    return course, other


def _after(expected_left: int) -> None:
    db.session.flush()
    db.session.expire_all()
    assert db.session.scalar(ORPHANS) == 0
    assert reviews() == expected_left


def test_a_program_edit_that_removes_a_term_deletes_its_reviews(closed):  # type: ignore[no-untyped-def]
    course, _other = closed
    program = course.program
    last = program.terms[-1]
    # the same modules, the first two due by term 1, the others by term 2; term 3 removed
    modules = [
        ModuleSpec(
            key=m.key,
            title=m.title,
            estimated_hours=m.estimated_hours,
            row=i,
            due_row=0 if i < 2 else 1,
        )
        for i, m in enumerate(program.modules)
    ]
    data = ProgramInput(
        slug=program.slug,
        title=program.title,
        provider=program.provider,
        course_url=program.course_url,
        hours_per_week=program.hours_per_week,
        modules=modules,
        terms=[
            TermSpec(starts_on=t.starts_on, ends_on=t.ends_on, title=t.title, row=i)
            for i, t in enumerate(program.terms[:2])
        ],
    )
    last_id = last.id
    save_program(program=program, data=data, actor=None)
    assert db.session.get(Term, last_id) is None
    assert reviews(term_id=last_id) == 0
    _after(12)


def test_deleting_a_term_deletes_its_reviews(closed):  # type: ignore[no-untyped-def]
    course, _other = closed
    first = course.program.terms[0].id
    db.session.execute(delete(Term).where(Term.id == first))
    assert reviews(term_id=first) == 0
    _after(12)


def test_deleting_an_enrollment_deletes_its_reviews_and_its_buddy_confirmations(closed):  # type: ignore[no-untyped-def]
    course, _other = closed
    ada, ben = course.enrollments["ada"], course.enrollments["ben"]
    ben_id = ben.id
    db.session.execute(delete(Enrollment).where(Enrollment.id == ben_id))
    assert reviews(enrollment_id=ben_id) == 0
    assert reviews(enrollment_id=ada.id) == 2
    # the key that stayed: ada's confirmation by ben is forgotten, her review kept
    assert reviews(buddy_confirmed_by_id=ben_id) == 0
    _after(14)


def test_deleting_a_person_deletes_the_reviews_of_their_enrollments(closed):  # type: ignore[no-untyped-def]
    course, _other = closed
    chloe = course.enrollments["chloe"]
    enrollment_id, person_id = chloe.id, chloe.person_id
    db.session.execute(delete(Person).where(Person.id == person_id))
    assert reviews(enrollment_id=enrollment_id) == 0
    _after(14)


def test_deleting_a_rollout_deletes_the_reviews_of_its_enrollments(closed):  # type: ignore[no-untyped-def]
    _course, other = closed
    ids = [e.id for e in other.enrollments.values()]
    db.session.execute(delete(Rollout).where(Rollout.id == other.rollout.id))
    assert (
        db.session.scalar(
            select(func.count()).select_from(TermReview).where(TermReview.enrollment_id.in_(ids))
        )
        == 0
    )
    _after(8)


def test_deleting_several_enrollments_in_one_statement(closed):  # type: ignore[no-untyped-def]
    course, other = closed
    ids = [course.enrollments["ada"].id, other.enrollments["dev"].id]
    db.session.execute(delete(Enrollment).where(Enrollment.id.in_(ids)))
    _after(12)
