"""The demo organisation: what a new user sees after ``make run``.

Idempotent: every object is looked up by its natural key first, so running it
twice creates nothing new. Each capability may add its part in
``app/<capability>/demo.py`` with a ``seed(ctx)`` function, listed in :data:`SEEDS` and
called in that order after the organisation exists.
"""

from __future__ import annotations

import logging
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from app.approvals import demo as approvals_demo
from app.auth.models import Role, RoleAssignment, StaffUser
from app.calls import demo as calls_demo
from app.extensions import db
from app.goals import demo as goals_demo
from app.mail import demo as mail_demo
from app.masterclasses import demo as masterclasses_demo
from app.people.models import Person
from app.programs.models import Module, Program, Term
from app.progress import demo as progress_demo
from app.regions.models import Region
from app.reports import demo as reports_demo
from app.rollouts import demo as rollouts_demo
from app.rollouts.models import Enrollment, EnrollmentState, Rollout, RolloutSponsor, RolloutStatus
from app.terms import demo as terms_demo

log = logging.getLogger(__name__)

#: each capability's part, in order (the reports show what the others seeded)
SEEDS = (
    rollouts_demo.seed,
    approvals_demo.seed,
    calls_demo.seed,
    progress_demo.seed,
    terms_demo.seed,
    masterclasses_demo.seed,
    goals_demo.seed,
    reports_demo.seed,
    mail_demo.seed,
)

PROGRAM_SLUG = "software-engineer-of-the-future"
MODULES = [
    ("m1", "Cloud-native foundations", 4),
    ("m2", "Event-driven design", 5),
    ("m3", "Continuous delivery", 4),
    ("m4", "Observability", 3),
    ("m5", "Security by design", 4),
    ("m6", "Data engineering basics", 5),
    ("m7", "Machine learning for engineers", 6),
    ("m8", "Architecture katas", 5),
]
#: modules required by the end of each term
TERM_MODULES = [("m1", "m2", "m3"), ("m4", "m5", "m6"), ("m7", "m8")]

NAMES = {
    "de": (
        [
            "Anna",
            "Lukas",
            "Lea",
            "Jonas",
            "Mia",
            "Felix",
            "Sophie",
            "Paul",
            "Laura",
            "Maximilian",
            "Hannah",
            "Leon",
            "Katharina",
            "Tobias",
            "Julia",
            "Niklas",
            "Sarah",
            "Jan",
            "Lena",
            "Moritz",
        ],
        [
            "Müller",
            "Schmidt",
            "Schneider",
            "Fischer",
            "Weber",
            "Meyer",
            "Wagner",
            "Becker",
            "Schulz",
            "Hoffmann",
            "Koch",
            "Richter",
            "Klein",
            "Wolf",
            "Schröder",
            "Neumann",
        ],
    ),
    "fr": (
        [
            "Camille",
            "Louis",
            "Chloé",
            "Hugo",
            "Manon",
            "Lucas",
            "Léa",
            "Gabriel",
            "Inès",
            "Arthur",
            "Juliette",
            "Jules",
            "Zoé",
            "Raphaël",
            "Alice",
            "Théo",
            "Sarah",
            "Nathan",
            "Emma",
            "Adam",
        ],
        [
            "Martin",
            "Bernard",
            "Dubois",
            "Thomas",
            "Robert",
            "Richard",
            "Petit",
            "Durand",
            "Leroy",
            "Moreau",
            "Simon",
            "Laurent",
            "Lefèvre",
            "Michel",
            "Garcia",
            "Roux",
        ],
    ),
    "in": (
        [
            "Aarav",
            "Priya",
            "Vivaan",
            "Ananya",
            "Aditya",
            "Diya",
            "Arjun",
            "Isha",
            "Rohan",
            "Kavya",
            "Sai",
            "Meera",
            "Karthik",
            "Nisha",
            "Rahul",
            "Pooja",
            "Vikram",
            "Sneha",
            "Aman",
            "Riya",
        ],
        [
            "Sharma",
            "Iyer",
            "Reddy",
            "Nair",
            "Patel",
            "Gupta",
            "Rao",
            "Menon",
            "Kumar",
            "Singh",
            "Desai",
            "Joshi",
            "Pillai",
            "Bhat",
            "Mehta",
            "Chopra",
        ],
    ),
    "us": (
        [
            "James",
            "Olivia",
            "Michael",
            "Emma",
            "David",
            "Ava",
            "Daniel",
            "Sophia",
            "Matthew",
            "Isabella",
            "Andrew",
            "Mia",
            "Joshua",
            "Abigail",
            "Ryan",
            "Emily",
            "Brandon",
            "Madison",
            "Tyler",
            "Grace",
        ],
        [
            "Smith",
            "Johnson",
            "Williams",
            "Brown",
            "Jones",
            "Miller",
            "Davis",
            "Wilson",
            "Anderson",
            "Taylor",
            "Thomas",
            "Moore",
            "Jackson",
            "White",
            "Harris",
            "Clark",
        ],
    ),
}

STAFF = {
    "de": [
        ("Marion Kremer", Role.LOCAL_LEAD),
        ("Stefan Brandt", Role.EXPERT),
        ("Petra Vogel", Role.HR_PARTNER),
        ("Dr. Klaus Hartmann", Role.SPONSOR),
    ],
    "fr": [
        ("Sophie Lambert", Role.LOCAL_LEAD),
        ("Antoine Mercier", Role.EXPERT),
        ("Claire Fontaine", Role.HR_PARTNER),
        ("Henri Delacroix", Role.SPONSOR),
    ],
    "in": [
        ("Lakshmi Narayan", Role.LOCAL_LEAD),
        ("Ravi Subramanian", Role.EXPERT),
        ("Deepa Krishnan", Role.HR_PARTNER),
        ("Anil Kapoor", Role.SPONSOR),
    ],
    "us": [
        ("Jennifer Walsh", Role.LOCAL_LEAD),
        ("Marcus Reed", Role.EXPERT),
        ("Linda Torres", Role.HR_PARTNER),
        ("Robert Chen", Role.SPONSOR),
    ],
}
GLOBAL_ADMIN = ("Grace Hopper-Lee", "grace.hopper-lee@example.com")
#: learners per demo region (plus 1 director and 5 managers each: about 400 people in all)
LEARNERS_PER_REGION = 94
MANAGERS_PER_REGION = 5


@dataclass
class DemoContext:
    """What the organisation seed made, handed to each capability's ``seed``."""

    today: date
    program: Program
    regions: dict[str, Region]
    rollouts: dict[str, Rollout]
    staff: dict[str, StaffUser]
    created: bool
    rng: random.Random = field(default_factory=lambda: random.Random(42))


def _email_for(name: str) -> str:

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    parts = [p for p in ascii_name.lower().replace(".", "").split() if p]
    return ".".join(parts).replace("'", "") + "@example.com"


def monday_on_or_before(day: date) -> date:
    return day - timedelta(days=day.weekday())


def ensure_program(today: date) -> Program:
    program = db.session.scalars(select(Program).where(Program.slug == PROGRAM_SLUG)).one_or_none()
    if program is not None:
        return program
    start = monday_on_or_before(today) - timedelta(weeks=8)
    program = Program(
        slug=PROGRAM_SLUG,
        title="Software Engineer of the Future",
        provider="Open edX",
        course_url="https://learning.example.com/courses/course-v1:Summit+SEF+2026/course/",
        description=(
            "Upskilling our software engineers in new digital technologies, delivered in a new "
            "digital way: eight modules over three terms."
        ),
        hours_per_week=3.0,
    )
    modules = {
        key: Module(key=key, title=title, estimated_hours=hours, position=i)
        for i, (key, title, hours) in enumerate(MODULES)
    }
    program.modules = list(modules.values())
    for n, keys in enumerate(TERM_MODULES, start=1):
        term = Term(
            number=n,
            title=f"Term {n}",
            starts_on=start + timedelta(weeks=6 * (n - 1)),
            ends_on=start + timedelta(weeks=6 * n, days=-1),
        )
        term.required_modules = [modules[k] for k in keys] + (
            [] if n == 1 else [modules[k] for prev in TERM_MODULES[: n - 1] for k in prev]
        )
        program.terms.append(term)
    db.session.add(program)
    db.session.flush()
    return program


def _staff(name: str, email: str, region: Region | None, role: Role) -> StaffUser:
    user = db.session.scalars(select(StaffUser).where(StaffUser.email == email)).one_or_none()
    if user is None:
        user = StaffUser(email=email, name=name)
        db.session.add(user)
        db.session.flush()
    region_id = region.id if region else None
    if not any(r.role is role and r.region_id == region_id for r in user.roles):
        user.roles.append(RoleAssignment(region_id=region_id, role=role, source="demo"))
    return user


def ensure_people(region: Region, rng: random.Random) -> list[Person]:
    """Director → managers → learners for one region; returns the learners."""
    code = region.code
    existing = db.session.scalars(
        select(Person)
        .where(Person.employee_id.like(f"{code.upper()}-2%"))
        .order_by(Person.employee_id)
    ).all()
    if existing:
        return list(existing)
    first, last = NAMES.get(code, NAMES["us"])
    used: set[str] = set()

    def make(emp: str, manager: Person | None) -> Person:
        while True:
            name = f"{rng.choice(first)} {rng.choice(last)}"
            if name not in used:
                used.add(name)
                break
        person = Person(
            employee_id=emp,
            email=_email_for(name).replace("@", f".{code}@"),
            name=name,
            region_id=region.id,
            manager=manager,
        )
        db.session.add(person)
        return person

    director = make(f"{code.upper()}-1000", None)
    managers = [make(f"{code.upper()}-{1001 + i}", director) for i in range(MANAGERS_PER_REGION)]
    learners = [
        make(f"{code.upper()}-{2000 + i}", managers[i % MANAGERS_PER_REGION])
        for i in range(LEARNERS_PER_REGION)
    ]
    db.session.flush()
    return learners


#: how far each demo region got: its share of learners in each state
STATE_MIX = {
    "de": {"completed": 0.2, "active": 0.5, "time_approved": 0.1, "committed": 0.1, "invited": 0.1},
    "fr": {
        "completed": 0.05,
        "active": 0.35,
        "time_approved": 0.15,
        "committed": 0.2,
        "invited": 0.25,
    },
    "in": {
        "completed": 0.1,
        "active": 0.45,
        "time_approved": 0.15,
        "committed": 0.15,
        "invited": 0.15,
    },
    "us": {
        "completed": 0.02,
        "active": 0.2,
        "time_approved": 0.1,
        "committed": 0.18,
        "invited": 0.5,
    },
}

GOALS = [
    "Lead the move of our billing service to event-driven design",
    "Be able to run our team's deployments without the platform team",
    "Understand enough ML to judge the vendor proposals we get",
    "Set up proper tracing for the payments API",
    "Pass the internal architecture review on my own",
]


def ensure_rollout(
    region: Region,
    program: Program,
    staff: dict[str, StaffUser],
    learners: list[Person],
    rng: random.Random,
) -> Rollout:
    slug = f"sef-{region.code}"
    rollout = db.session.scalars(select(Rollout).where(Rollout.slug == slug)).one_or_none()
    if rollout is not None:
        return rollout
    roles = {role: name for name, role in STAFF.get(region.code, [])}
    rollout = Rollout(
        slug=slug,
        program_id=program.id,
        region_id=region.id,
        status=RolloutStatus.LAUNCHED,
        cohort_start=program.starts_on or date.today(),  # noqa: DTZ011 (a calendar date)
        call_weekday=region.call_weekday,
        call_time=region.call_time or time(16, 0),
        call_duration_minutes=region.call_duration_minutes,
        call_join_url=f"https://meet.example.com/summit-{region.code}",
        expert_id=staff[roles[Role.EXPERT]].id,
        hr_partner_id=staff[roles[Role.HR_PARTNER]].id,
        sponsor_message=(
            "This program is how we stay ahead. Give your people the hours: I will ask about it."
        ),
    )
    sponsor_name = roles[Role.SPONSOR]
    rollout.sponsors.append(
        RolloutSponsor(region_id=region.id, name=sponsor_name, email=_email_for(sponsor_name))
    )
    db.session.add(rollout)
    db.session.flush()
    mix = STATE_MIX.get(region.code, STATE_MIX["us"])
    states: list[str] = []
    for state, share in mix.items():
        states += [state] * round(share * len(learners))
    states = (states + ["invited"] * len(learners))[: len(learners)]
    rng.shuffle(states)
    start = rollout.launched_at or _utc(rollout.cohort_start) - timedelta(days=10)
    rollout.launched_at = start
    for person, state_name in zip(learners, states, strict=True):
        enrollment = Enrollment(
            rollout_id=rollout.id, region_id=region.id, person_id=person.id, invited_at=start
        )
        target = EnrollmentState(state_name)
        path = [
            EnrollmentState.COMMITTED,
            EnrollmentState.TIME_APPROVED,
            EnrollmentState.ACTIVE,
            EnrollmentState.COMPLETED,
        ]
        at = start
        for step in path:
            if target == EnrollmentState.INVITED:
                break
            at = at + timedelta(days=rng.randint(1, 4))
            enrollment.transition(step, at=at)
            if step == EnrollmentState.COMMITTED:
                enrollment.goal = rng.choice(GOALS)
            if step == target:
                break
        db.session.add(enrollment)
    db.session.flush()
    return rollout


def _utc(day: date) -> Any:

    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)


def seed_demo(*, today: date | None = None) -> DemoContext:
    """Create the demo organisation if missing, then let each capability add its part."""
    today = today or date.today()  # noqa: DTZ011 (a calendar date for the demo)
    rng = random.Random(42)
    created = (
        db.session.scalars(select(Program).where(Program.slug == PROGRAM_SLUG)).first() is None
    )
    program = ensure_program(today)
    regions = {r.code: r for r in db.session.scalars(select(Region))}
    staff: dict[str, StaffUser] = {
        GLOBAL_ADMIN[0]: _staff(GLOBAL_ADMIN[0], GLOBAL_ADMIN[1], None, Role.GLOBAL_ADMIN)
    }
    rollouts: dict[str, Rollout] = {}
    for code in sorted(regions):
        region = regions[code]
        for name, role in STAFF.get(code, []):
            staff[name] = _staff(name, _email_for(name), region, role)
        if code not in STAFF:
            continue
        learners = ensure_people(region, rng)
        rollouts[code] = ensure_rollout(region, program, staff, learners, rng)
    db.session.flush()
    ctx = DemoContext(
        today=today,
        program=program,
        regions=regions,
        rollouts=rollouts,
        staff=staff,
        created=created,
    )
    for seed in SEEDS:
        seed(ctx)
        db.session.flush()
    log.info("demo organisation ready (%s)", "created" if created else "already there")
    return ctx
