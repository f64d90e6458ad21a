"""A draft rollout's way to launch: each step with its state, what is missing, and
whether launch waits for it; and the dates of a rollout checked against each other."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.language import gettext, ngettext, number
from app.regions.models import Region
from app.rollouts.dates import cohort_start_problem, term_problems
from app.rollouts.models import Rollout, RolloutStatus
from app.rollouts.queries import DashboardCounts, dashboard_counts
from app.rollouts.safety import Audience, invitation_audience
from app.rollouts.services import RolloutError, launch_rollout


@dataclass(frozen=True)
class Step:
    """One item of the checklist: ``required`` steps must be ``done`` before launch."""

    key: str
    done: bool
    required: bool
    #: what is missing, or what is there (one sentence each)
    notes: list[str] = field(default_factory=list)


def draft_checklist(rollout: Rollout, counts: DashboardCounts, audience: Audience) -> list[Step]:
    """The steps from draft to launch, in the order a lead takes them."""
    program = rollout.program
    program_notes = term_problems(list(program.terms))
    cohort = cohort_start_problem(rollout.cohort_start, program)
    if cohort:
        program_notes.append(cohort)
    learners = sum(counts.states.values())
    roster_notes = (
        [] if learners else [gettext("Nobody is on the roster yet: import the list of learners.")]
    )
    manager_notes = (
        [
            ngettext(
                "%(num)s learner has no manager: you would sign off their study time. "
                "Add their manager to the roster and import it again.",
                "%(num)s learners have no manager: you would sign off their study time. "
                "Add their managers to the roster and import it again.",
                counts.no_manager,
                num=number(counts.no_manager),
            )
        ]
        if counts.no_manager
        else []
    )
    call_notes = [] if rollout.expert_id else [gettext("Choose the expert who hosts the calls.")]
    if not rollout.hr_partner_id:
        call_notes.append(gettext("No HR partner yet: they join the calls and the reviews."))
    sponsor_notes = []
    if not rollout.sponsor_message.strip():
        sponsor_notes.append(gettext("No sponsor's message yet: invitations quote it."))
    if not rollout.sponsors:
        sponsor_notes.append(gettext("No sponsor yet: nobody receives the weekly report."))
    return [
        Step("program", done=not program_notes, required=True, notes=program_notes),
        Step("roster", done=bool(learners), required=True, notes=roster_notes),
        Step(
            "managers",
            done=bool(learners) and not counts.no_manager,
            required=False,
            notes=manager_notes,
        ),
        Step("call", done=bool(rollout.expert_id), required=True, notes=call_notes),
        Step("sponsor", done=not sponsor_notes, required=False, notes=sponsor_notes),
        Step("preview", done=bool(audience.total), required=False),
    ]


def missing_for_launch(steps: list[Step]) -> list[Step]:
    """The required steps not done yet: launch waits for them."""
    return [s for s in steps if s.required and not s.done]


def checklist_of(rollout: Rollout) -> list[Step]:
    """The checklist of ``rollout`` as it stands (two grouped queries)."""
    return draft_checklist(rollout, dashboard_counts(rollout.id), invitation_audience(rollout))


def launch_checked(
    *, region: Region, rollout: Rollout, actor: Any, reason: str = "", channel: str = "web"
) -> bool:
    """Launch ``rollout`` once its required steps are done (``launch_rollout`` queues the
    invitations). Returns False when already launched (a second click changes nothing);
    raises RolloutError saying what is missing.

    The one way staff launch, from the web and from ``summit rollout launch`` alike:
    ``launch_rollout`` itself does not look at the checklist (tests and the demo call it
    to launch what they built)."""
    if rollout.status is not RolloutStatus.DRAFT:
        if rollout.status is RolloutStatus.LAUNCHED:
            return False
        raise RolloutError(gettext("A closed rollout is reopened, not launched again."))
    missing = missing_for_launch(checklist_of(rollout))
    if missing:
        raise RolloutError(
            " ".join(note for step in missing for note in step.notes)
            or gettext("Some required steps are not done yet.")
        )
    launch_rollout(region=region, rollout=rollout, actor=actor, reason=reason, channel=channel)
    return True
