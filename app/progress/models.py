"""ModuleProgress: what the course platform says a learner did, per module."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, RegionScoped


class ModuleProgress(RegionScoped, Base):
    __tablename__ = "module_progress"
    __table_args__ = (UniqueConstraint("enrollment_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"), index=True)
    #: 0–100
    percent: Mapped[float] = mapped_column(default=0.0)
    completed: Mapped[bool] = mapped_column(default=False)
    #: when the platform observed this state; an older observation never overwrites a newer one
    observed_at: Mapped[datetime]
    #: "openedx", "moodle", "linkedin", "generic", "summit", "xapi"
    source: Mapped[str] = mapped_column(String(24))
