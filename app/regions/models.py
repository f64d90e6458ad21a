"""Region: a workspace's home, loaded from ``regions/<code>.toml``."""

from __future__ import annotations

import enum
from datetime import datetime, time

from sqlalchemy import JSON, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, ScopeRegion, str_enum, utcnow


class ReportingPolicy(enum.StrEnum):
    #: sponsors may see who the free riders are
    NAMED = "named"
    #: only counts go up (some works councils forbid naming individuals to management)
    AGGREGATE = "aggregate"


class HolidayRule(enum.StrEnum):
    NEXT_BUSINESS_DAY = "next_business_day"
    CANCEL = "cancel"


class Region(Base, ScopeRegion):
    __tablename__ = "region"

    #: the file name under regions/ (e.g. "de" for regions/de.toml), used in URLs
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: IANA time zone name, e.g. Europe/Berlin
    time_zone: Mapped[str] = mapped_column(String(64))
    #: Babel locale, e.g. de_DE
    locale: Mapped[str] = mapped_column(String(16))
    #: ISO 3166 country and subdivision for the ``holidays`` library
    holiday_country: Mapped[str] = mapped_column(String(8))
    holiday_subdivision: Mapped[str | None] = mapped_column(String(16))
    #: business days between two reminders of the same pending request
    reminder_cadence_days: Mapped[int] = mapped_column(default=3)
    #: reminders sent before the local lead is told
    escalate_after_reminders: Mapped[int] = mapped_column(default=2)
    call_weekday: Mapped[int] = mapped_column(default=3)  # Monday = 0
    call_time: Mapped[time] = mapped_column(Time)
    call_duration_minutes: Mapped[int] = mapped_column(default=45)
    call_on_holiday: Mapped[HolidayRule] = mapped_column(
        str_enum(HolidayRule, 32),
        default=HolidayRule.NEXT_BUSINESS_DAY,
    )
    reporting_policy: Mapped[ReportingPolicy] = mapped_column(
        str_enum(ReportingPolicy, 16),
        default=ReportingPolicy.NAMED,
    )
    #: days after a rollout closes that personal data is kept
    retention_days: Mapped[int] = mapped_column(default=365)
    #: the rest of the region file, validated, for capabilities that read more
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def names_individuals(self) -> bool:
        return self.reporting_policy is ReportingPolicy.NAMED

    def __repr__(self) -> str:
        return f"<Region {self.code}>"
