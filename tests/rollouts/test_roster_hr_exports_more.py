"""More HR export shapes (``fixtures/hr_exports``, sources in its README): Lucca's user
file (cp1252, semicolons, the top person as their own manager)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.people.models import Person
from tests.factories import RolloutFactory

EXPORTS = Path(__file__).parent / "fixtures" / "hr_exports"


def _people() -> dict[str, Person]:
    return {p.employee_id: p for p in db.session.scalars(select(Person))}


def _manager(people: dict[str, Person], who: str) -> str | None:
    manager_id = people[who].manager_id
    return next((k for k, p in people.items() if p.id == manager_id), None)


def _import(runner, path: Path, *extra: str, rollout: bool = True):  # type: ignore[no-untyped-def]
    if rollout:
        RolloutFactory(slug="sef-fr")
        db.session.commit()
    args = ["roster", "import", str(path), "--rollout", "sef-fr", *extra]
    dry = runner.invoke(args=[*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert not _people()  # a dry run writes nobody
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    return result


def test_lucca_user_file_with_its_culture_column(runner) -> None:  # type: ignore[no-untyped-def]
    """On main the ``culture`` column (Lucca's display language) was ignored."""
    result = _import(runner, EXPORTS / "lucca_user_import_fr.csv")
    people = _people()
    assert set(people) == {"0042", "0057", "0063", "0071", "directrice.commerciale@example.fr"}
    assert _manager(people, "0042") is None  # "manager = the person themselves": the top
    assert _manager(people, "0057") == "0042"  # by email, in other case
    assert _manager(people, "0063") == "0057"
    assert _manager(people, "0071") == "directrice.commerciale@example.fr"  # created
    assert people["0042"].name == "Hélène Roux"  # cp1252 read as such
    assert (people["0042"].locale, people["0063"].locale) == ("fr_FR", "en_GB")
    assert "line 6, employeenumber: duplicate employee id (first on line 4)" in result.output
