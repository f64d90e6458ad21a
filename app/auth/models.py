"""Staff users and their roles per region."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, str_enum, utcnow
from app.language import pgettext


class Role(enum.StrEnum):
    GLOBAL_ADMIN = "global_admin"
    LOCAL_LEAD = "local_lead"
    EXPERT = "expert"
    HR_PARTNER = "hr_partner"
    SPONSOR = "sponsor"

    @property
    def label(self) -> str:
        """The role's name in the reader's language."""
        names = {
            Role.GLOBAL_ADMIN: pgettext("role", "Global admin"),
            Role.LOCAL_LEAD: pgettext("role", "Local lead"),
            Role.EXPERT: pgettext("role", "Expert"),
            Role.HR_PARTNER: pgettext("role", "HR partner"),
            Role.SPONSOR: pgettext("role", "Sponsor"),
        }
        return names[self]


#: roles that may change things in their regions (sponsors only read)
EDITOR_ROLES = frozenset({Role.GLOBAL_ADMIN, Role.LOCAL_LEAD, Role.EXPERT, Role.HR_PARTNER})


class StaffUser(Base):
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Entra ID object id (``oid`` claim), set on first sign-in
    entra_oid: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: Entra ID tenant id (``tid`` claim) of that object: an account is its oid in its tenant
    entra_tid: Mapped[str | None] = mapped_column(String(36))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None]
    #: raised to end every session of this person (signing out, a role revoked); a session
    #: holding another value is over on its next request
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Babel locale chosen on the profile for the staff pages; empty: the browser's, then
    #: the region's (app.language.staff_locale)
    locale: Mapped[str | None] = mapped_column(String(16))

    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_global_admin(self) -> bool:
        return any(r.role is Role.GLOBAL_ADMIN for r in self.roles)

    def roles_in(self, region_id: int) -> set[Role]:
        """Roles this user holds in one region (a global admin holds it everywhere)."""
        found = {r.role for r in self.roles if r.region_id == region_id}
        if self.is_global_admin:
            found.add(Role.GLOBAL_ADMIN)
        return found

    def region_ids(self) -> set[int]:
        return {r.region_id for r in self.roles if r.region_id is not None}

    def __repr__(self) -> str:
        return f"<StaffUser {self.email}>"


class RoleAssignment(Base):
    __tablename__ = "role_assignment"
    __table_args__ = (UniqueConstraint("user_id", "region_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    #: NULL for the global admin role, which covers every region
    region_id: Mapped[int | None] = mapped_column(
        ForeignKey("region.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(str_enum(Role, 32))
    #: where the assignment came from: "demo", "admin", "entra"
    source: Mapped[str] = mapped_column(String(16), default="admin")

    user: Mapped[StaffUser] = relationship(back_populates="roles")


class ImportStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class DirectoryImport(Base):
    """One run of the Entra ID directory import, with its progress counters."""

    __tablename__ = "directory_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[ImportStatus] = mapped_column(
        str_enum(ImportStatus, 16), default=ImportStatus.QUEUED
    )
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )
    #: the directory attribute that chose each person's region, as configured at the time
    region_attribute: Mapped[str] = mapped_column(String(64))
    pages: Mapped[int] = mapped_column(default=0)
    #: directory users read so far
    seen: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    #: users without the key attribute (employeeId by default), or disabled accounts
    skipped_no_key: Mapped[int] = mapped_column(default=0)
    #: users whose region attribute matches no region's ``[entra] directory_values``
    skipped_no_region: Mapped[int] = mapped_column(default=0)
    #: users whose email belongs to another person (fix it in the directory or roster)
    conflicts: Mapped[int] = mapped_column(default=0)
    managers_changed: Mapped[int] = mapped_column(default=0)
    #: why the run failed, for the admin (no secrets: Graph's error code and message)
    error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class DirectoryImportManager(Base):
    """A directory import's staged manager links: who the directory says manages whom.

    Written page by page while the people are upserted; once every page is in, the
    managers are resolved from here in one statement and the rows are deleted.
    """

    __tablename__ = "directory_import_manager"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("directory_import.id", ondelete="CASCADE"), primary_key=True
    )
    #: the person's key attribute (``Person.employee_id``)
    employee_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: their manager's key attribute
    manager_key: Mapped[str] = mapped_column(String(64))
    #: filled when the managers are resolved: the person, their manager before and after
    person_id: Mapped[int | None]
    old_manager_id: Mapped[int | None]
    new_manager_id: Mapped[int | None]
