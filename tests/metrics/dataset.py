"""A crafted week (2026-W48) whose every figure is worked out by hand in test_metrics.py.

Germany (aggregate policy) has 11 enrollments covering every edge of every metric;
India (named policy) has 3, one of them a confirmed free rider.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from app.approvals.models import AllocationStatus, TimeAllocation
from app.auth.models import Role
from app.calls.models import CallAttendance, CallSession, CallStatus
from app.extensions import db
from app.masterclasses.models import InvitationStatus, MasterClass, MasterClassInvitation
from app.progress.models import ModuleProgress
from app.rollouts.models import Enrollment, EnrollmentState, RolloutSponsor, RolloutStatus
from app.terms.models import TermReview, Verdict
from tests.factories import (
    EnrollmentFactory,
    PersonFactory,
    ProgramFactory,
    RolloutFactory,
    region,
    staff,
)

WEEK = "2026-W48"
#: the aggregate region's free rider: this name must appear nowhere a sponsor looks
HIDDEN_NAME = "Zacharias Geheimname"
#: the named region's free rider (a formula, to test CSV neutralisation too)
NAMED_FREE_RIDER = '=HYPERLINK("http://evil.example/","Priya")'


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Dataset:
    de_rollout: object
    in_rollout: object
    de: dict[str, Enrollment]
    sponsor_de: RolloutSponsor
    sponsor_in: RolloutSponsor


def _enroll(
    rollout: object,
    key: str,
    path: list[tuple[EnrollmentState, datetime]],
    *,
    name: str | None = None,
    invited: datetime | None = None,
) -> Enrollment:
    person = PersonFactory(region_id=rollout.region_id, name=name or f"Learner {key}")
    enrollment = EnrollmentFactory(rollout=rollout, person=person, invited_at=invited or at(11, 1))
    for state, when in path:
        enrollment.transition(state, at=when)
    return enrollment


def build() -> Dataset:
    de_region = region("de")
    program = ProgramFactory(structure=date(2026, 10, 12))  # T1 ended 8 Nov; T2 9 Nov–6 Dec
    rollout = RolloutFactory(program=program, region_id=de_region.id, status=RolloutStatus.LAUNCHED)
    sponsor_de = RolloutSponsor(
        region_id=de_region.id, name="Dora Sponsor", email="dora.sponsor@example.com"
    )
    rollout.sponsors.append(sponsor_de)
    C, T, A = EnrollmentState.COMMITTED, EnrollmentState.TIME_APPROVED, EnrollmentState.ACTIVE
    started = [(C, at(11, 2)), (T, at(11, 3)), (A, at(11, 4))]
    e = {
        "E1": _enroll(rollout, "E1", [*started, (EnrollmentState.COMPLETED, at(11, 25))]),
        "E2": _enroll(rollout, "E2", [*started, (EnrollmentState.COMPLETED, at(11, 20))]),
        "E3": _enroll(rollout, "E3", started),
        "E4": _enroll(rollout, "E4", started),
        "E5": _enroll(rollout, "E5", started[:2]),
        "E6": _enroll(rollout, "E6", started[:1]),
        "E7": _enroll(rollout, "E7", []),
        "E8": _enroll(rollout, "E8", [*started, (EnrollmentState.WITHDRAWN, at(11, 15))]),
        "E9": _enroll(
            rollout, "E9", [*started, (EnrollmentState.REMOVED, at(11, 16))], name=HIDDEN_NAME
        ),
        # invited after the week: not counted yet
        "E10": _enroll(rollout, "E10", [], invited=at(12, 1)),
        # withdrew after the week: still in the program at its end
        "E11": _enroll(rollout, "E11", [*started, (EnrollmentState.WITHDRAWN, at(12, 2))]),
    }
    e["E1"].goal_reached = "reached"
    e["E2"].goal_reached = "partly"
    e["E3"].goal_reached = "not"
    e["E11"].goal_reached = "reached"
    db.session.flush()
    modules = {m.key: m for m in program.modules}

    def progress(key: str, module: str, when: datetime, completed: bool = True) -> None:
        db.session.add(
            ModuleProgress(
                region_id=de_region.id,
                rollout_id=e[key].rollout_id,
                enrollment_id=e[key].id,
                module_id=modules[module].id,
                percent=100.0 if completed else 50.0,
                completed=completed,
                observed_at=when,
                source="generic",
            )
        )

    for m in ("m1", "m2", "m3"):
        progress("E1", m, at(10, 20))
    progress("E1", "m4", at(11, 25))  # active this week
    progress("E3", "m1", at(10, 30))
    progress("E3", "m2", at(10, 30))
    progress("E3", "m3", at(11, 27))  # active, and on pace (3 of 3)
    progress("E4", "m1", at(11, 10))
    progress("E4", "m2", at(11, 10))  # 2 of 3: behind
    progress("E4", "m3", at(11, 10), completed=False)
    for m in ("m1", "m2", "m3"):
        progress("E11", m, at(11, 20))  # on pace, not active this week
    progress("E8", "m1", at(11, 26))  # withdrawn: not counted
    progress("E5", "m1", at(11, 30, 10))  # after the week ended

    manager = PersonFactory(region_id=de_region.id, name="Max Manager")

    def allocation(
        key: str, status: AllocationStatus, requested: datetime, decided: datetime | None
    ) -> None:
        db.session.add(
            TimeAllocation(
                region_id=de_region.id,
                enrollment_id=e[key].id,
                manager_id=manager.id,
                status=status,
                hours_requested=2.0,
                requested_at=requested,
                decided_at=decided,
            )
        )

    allocation("E1", AllocationStatus.APPROVED, at(11, 2), at(11, 3))  # 24 h
    allocation("E2", AllocationStatus.APPROVED, at(11, 2), at(11, 2, 21))  # 12 h
    allocation("E3", AllocationStatus.APPROVED, at(11, 2), at(11, 4))  # 48 h
    allocation("E4", AllocationStatus.APPROVED, at(11, 2), at(11, 6))  # 96 h
    allocation("E5", AllocationStatus.APPROVED, at(11, 2), at(11, 3, 15))  # 30 h
    allocation("E6", AllocationStatus.PENDING, at(11, 20), None)
    allocation("E8", AllocationStatus.DECLINED, at(11, 2), at(11, 5))
    allocation("E7", AllocationStatus.APPROVED, at(11, 28), at(11, 30, 10))  # pending at t

    def session(day: datetime, status: CallStatus = CallStatus.SCHEDULED) -> CallSession:
        s = CallSession(
            region_id=de_region.id,
            rollout_id=rollout.id,
            series_date=day.date(),
            starts_at=day,
            status=status,
        )
        db.session.add(s)
        db.session.flush()
        return s

    s1, s2 = session(at(11, 26, 15)), session(at(11, 19, 15))
    s3 = session(at(10, 20, 15))  # more than 4 weeks before the end
    session(at(11, 12, 15), CallStatus.CANCELLED)
    session(at(12, 3, 15))  # upcoming: Thursday 16:00 in Berlin
    for s, key, attended in [
        (s1, "E1", True),
        (s1, "E3", True),
        (s1, "E4", False),
        (s2, "E1", True),
        (s2, "E5", True),
        (s2, "E8", True),
        (s3, "E6", True),
    ]:
        db.session.add(
            CallAttendance(
                region_id=de_region.id, session_id=s.id, enrollment_id=e[key].id, attended=attended
            )
        )

    term1, term2 = program.terms[0], program.terms[1]

    def review(
        key: str,
        term: object,
        verdict: Verdict,
        buddy: datetime | None = None,
        reviewed: datetime | None = None,
    ) -> None:
        db.session.add(
            TermReview(
                region_id=de_region.id,
                enrollment_id=e[key].id,
                term_id=term.id,
                verdict=verdict,
                buddy_confirmed_at=buddy,
                reviewed_at=reviewed,
            )
        )

    review("E1", term1, Verdict.ON_TRACK, buddy=at(11, 9))
    review("E2", term1, Verdict.ON_TRACK, buddy=at(11, 10))
    review("E3", term1, Verdict.ON_TRACK)
    review("E4", term1, Verdict.FREE_RIDER_CANDIDATE)
    review("E9", term1, Verdict.CONFIRMED_FREE_RIDER, reviewed=at(11, 16))
    review("E6", term1, Verdict.EXCUSED)
    review("E5", term1, Verdict.ON_TRACK, buddy=at(12, 1))  # signed after the week
    review("E1", term2, Verdict.ON_TRACK, buddy=at(11, 20))  # term 2 has not ended

    mc = MasterClass(
        program_id=program.id,
        region_id=de_region.id,
        title="Chaos engineering",
        starts_at=at(12, 10, 14),
        capacity=20,
    )
    db.session.add(mc)
    db.session.flush()
    db.session.add(
        MasterClassInvitation(
            region_id=de_region.id,
            master_class_id=mc.id,
            enrollment_id=e["E1"].id,
            status=InvitationStatus.ACCEPTED,
            invited_at=at(11, 25),
            responded_at=at(11, 25, 12),
        )
    )
    db.session.add(
        MasterClassInvitation(
            region_id=de_region.id,
            master_class_id=mc.id,
            enrollment_id=e["E2"].id,
            status=InvitationStatus.DECLINED,
            invited_at=at(11, 25),
            responded_at=at(11, 26),
        )
    )

    in_region = region("in")
    in_rollout = RolloutFactory(region_id=in_region.id, status=RolloutStatus.LAUNCHED)
    sponsor_in = RolloutSponsor(
        region_id=in_region.id, name="Ira Sponsor", email="ira.sponsor@example.com"
    )
    in_rollout.sponsors.append(sponsor_in)
    _enroll(in_rollout, "I1", [*started, (EnrollmentState.COMPLETED, at(11, 21))])
    rider = _enroll(
        in_rollout, "I2", [*started, (EnrollmentState.REMOVED, at(11, 14))], name=NAMED_FREE_RIDER
    )
    _enroll(in_rollout, "I3", started)
    db.session.add(
        TermReview(
            region_id=in_region.id,
            enrollment_id=rider.id,
            term_id=in_rollout.program.terms[0].id,
            verdict=Verdict.CONFIRMED_FREE_RIDER,
            reviewed_at=at(11, 14),
        )
    )
    # a draft rollout's region gets no report
    RolloutFactory(region_id=region("fr").id, status=RolloutStatus.DRAFT)
    db.session.flush()
    return Dataset(
        de_rollout=rollout,
        in_rollout=in_rollout,
        de=e,
        sponsor_de=sponsor_de,
        sponsor_in=sponsor_in,
    )


def global_sponsor() -> object:
    return staff(Role.SPONSOR, None, name="Gita Global", email="gita.global@example.com")
