"""Read side of the privacy pages."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.people.models import Person


def people_matching(query: str, *, limit: int = 20) -> list[Person]:
    """People whose employee id is ``query`` or whose email is it (any case)."""
    return list(
        db.session.scalars(
            select(Person)
            .where((Person.employee_id == query) | (Person.email == query.lower()))
            .limit(limit)
        )
    )
