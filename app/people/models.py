"""Person: an employee as the HR roster knows them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, RegionScoped, utcnow


def normalise_email(email: str) -> str:
    """The form emails are stored and compared in: trimmed and lower-case."""
    return email.strip().lower()


class Person(RegionScoped, Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the HR system's id; unique across the company
    employee_id: Mapped[str] = mapped_column(String(64), unique=True)
    #: normalised with :func:`normalise_email`
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    #: Babel locale for emails; the region's when empty
    locale: Mapped[str | None] = mapped_column(String(16))
    #: IANA zone when the person works outside their region's zone
    time_zone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: set when the person's data was erased (name and email replaced by a pseudonym)
    erased_at: Mapped[datetime | None]

    manager: Mapped[Person | None] = relationship(remote_side=[id])
    region = relationship("Region")

    def __repr__(self) -> str:
        return f"<Person {self.employee_id}>"
