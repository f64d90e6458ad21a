"""Directory import: people, their managers and regions from Entra ID through Graph.

An alternative to the roster CSV. Streams ``/users`` page by page (``@odata.nextLink``),
upserts each page with two lookups and two bulk statements (no query per person) and
stages its manager links in ``directory_import_manager``; once every page is in, the
managers are resolved and set in one statement each, and ``managers_changed`` is sent a
chunk of ids at a time. Nothing held in memory grows with the directory. The region
comes from one directory attribute (ENTRA_DIRECTORY_REGION_ATTRIBUTE: country,
officeLocation, ...) matched against each region's ``[entra] directory_values``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.auth.models import DirectoryImport, DirectoryImportManager, ImportStatus, StaffUser
from app.auth.roles import directory_values
from app.db import utcnow
from app.extensions import db
from app.microsoft.graph import GraphClient
from app.people.models import Person, normalise_email
from app.people.signals import managers_changed
from app.regions.models import Region
from app.settings import Settings
from app.tasks import enqueue_after_commit

log = logging.getLogger(__name__)
CHUNK = 1000


def start_directory_import(
    *, settings: Settings, requested_by: StaffUser | None
) -> DirectoryImport:
    """Create a queued import run and enqueue its job (on the imports queue) after commit."""
    run = DirectoryImport(
        requested_by_id=requested_by.id if requested_by else None,
        region_attribute=settings.entra_directory_region_attribute,
    )
    db.session.add(run)
    db.session.flush()
    enqueue_after_commit(
        "jobs.entra.import_directory",
        run.id,
        queue="imports",
        job_id=f"entra-directory-{run.id}",
        job_timeout=3 * 3600,
    )
    log.info("directory import %s queued by %s", run.id, requested_by.id if requested_by else "-")
    return run


@dataclass
class _Row:
    key: str
    email: str
    name: str
    region_id: int
    manager_key: str | None


def import_directory(
    *,
    run: DirectoryImport,
    settings: Settings,
    client: GraphClient,
    on_page: Callable[[], None] = lambda: None,
) -> DirectoryImport:
    """Read every directory user and upsert them as Person rows; set their managers.

    Changes: inserts new Person rows, updates name/email/region of known ones
    (matched by ``employee_id`` = the key attribute; erased people are left alone),
    sets ``manager_id`` where the directory names a manager Summit knows, and
    sends ``managers_changed`` with the ids of each chunk of people whose manager
    changed. Updates the run's counters after every page and calls ``on_page`` (the job
    commits there, so the progress is visible while it runs). Flushes; never commits itself.
    """
    key_attr = settings.entra_directory_key_attribute
    region_attr = run.region_attribute or settings.entra_directory_region_attribute
    regions = list(db.session.scalars(select(Region)))
    region_by_value = {value: r.id for r in regions for value in directory_values(r)}
    top_attr = region_attr.split(".", 1)[0]
    select_fields = {"id", "displayName", "mail", "userPrincipalName", "accountEnabled"}
    select_fields |= {key_attr, top_attr}
    params: dict[str, Any] = {
        "$select": ",".join(sorted(select_fields)),
        "$expand": f"manager($select=id,{key_attr})",
        "$top": "999",
    }
    if settings.entra_directory_filter:
        params["$filter"] = settings.entra_directory_filter
    run.status = ImportStatus.RUNNING
    run.started_at = run.started_at or utcnow()
    staged = 0  # manager links staged so far
    for page in client.iter_pages("/users", params):
        rows = _page_rows(
            page,
            run=run,
            key_attr=key_attr,
            region_attr=region_attr,
            region_by_value=region_by_value,
        )
        managers_now = _upsert(rows, run)
        staged += _stage_managers(rows, run, managers_now, staged=staged)
        run.pages += 1
        db.session.flush()
        log.info("directory import %s: page %s, %s users so far", run.id, run.pages, run.seen)
        on_page()
    run.managers_changed = _set_managers(run)
    run.status = ImportStatus.DONE
    run.finished_at = utcnow()
    db.session.flush()
    log.info(
        "directory import %s done: %s seen, %s created, %s updated, %s managers changed",
        run.id,
        run.seen,
        run.created,
        run.updated,
        run.managers_changed,
    )
    return run


def _attribute(user: dict[str, Any], dotted: str) -> Any:
    node: Any = user
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _page_rows(
    page: Iterable[dict[str, Any]],
    *,
    run: DirectoryImport,
    key_attr: str,
    region_attr: str,
    region_by_value: dict[str, int],
) -> list[_Row]:
    rows: dict[str, _Row] = {}
    emails: set[str] = set()
    for user in page:
        run.seen += 1
        key = str(user.get(key_attr) or "").strip()
        email = normalise_email(str(user.get("mail") or user.get("userPrincipalName") or ""))
        if not key or not email or user.get("accountEnabled") is False:
            run.skipped_no_key += 1
            continue
        value = str(_attribute(user, region_attr) or "").strip().lower()
        region_id = region_by_value.get(value)
        if region_id is None:
            run.skipped_no_region += 1
            continue
        if key in rows or email in emails:
            run.conflicts += 1
            continue
        manager = user.get("manager") or {}
        manager_key = str(manager.get(key_attr) or "").strip() or None
        rows[key] = _Row(
            key=key[:64],
            email=email[:320],
            name=str(user.get("displayName") or email)[:200],
            region_id=region_id,
            manager_key=manager_key,
        )
        emails.add(email)
    return list(rows.values())


def _upsert(rows: list[_Row], run: DirectoryImport) -> dict[str, int]:
    """Insert the page's new people, update the known ones that changed; returns the
    known people's current managers (``employee_id -> manager_id``, those with one)."""
    if not rows:
        return {}
    by_key = {
        r.employee_id: r
        for r in db.session.execute(
            select(
                Person.id,
                Person.employee_id,
                Person.email,
                Person.name,
                Person.region_id,
                Person.erased_at,
                Person.manager_id,
            ).where(Person.employee_id.in_([row.key for row in rows]))
        )
    }
    email_owner: dict[str, str] = {
        email: employee_id
        for email, employee_id in db.session.execute(
            select(Person.email, Person.employee_id).where(
                Person.email.in_([row.email for row in rows])
            )
        )
    }
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for row in rows:
        owner = email_owner.get(row.email)
        if owner is not None and owner != row.key:
            run.conflicts += 1
            continue
        known = by_key.get(row.key)
        if known is None:
            inserts.append(
                {
                    "employee_id": row.key,
                    "email": row.email,
                    "name": row.name,
                    "region_id": row.region_id,
                }
            )
        elif known.erased_at is None and (known.email, known.name, known.region_id) != (
            row.email,
            row.name,
            row.region_id,
        ):
            updates.append(
                {"id": known.id, "email": row.email, "name": row.name, "region_id": row.region_id}
            )
    if inserts:
        db.session.execute(insert(Person), inserts)
    if updates:
        db.session.execute(update(Person), updates)
    run.created += len(inserts)
    run.updated += len(updates)
    return {key: r.manager_id for key, r in by_key.items() if r.manager_id is not None}


def _stage_managers(
    rows: list[_Row], run: DirectoryImport, managers_now: dict[str, int], *, staged: int
) -> int:
    """Keep the page's manager links for :func:`_set_managers` (a later page's link for
    the same person replaces an earlier one). A link that names the manager a known
    person already has is not staged (a re-import of an unchanged directory stages
    nothing); it drops one an earlier page staged for the same key. Returns how many
    links it staged."""
    table = DirectoryImportManager.__table__
    wanted = [r for r in rows if r.manager_key and len(r.manager_key) <= 64]  # longer: no key
    known = {r.manager_key for r in wanted if r.key in managers_now}
    manager_ids: dict[str, int] = {}
    if known:
        manager_ids = {
            employee_id: person_id
            for employee_id, person_id in db.session.execute(
                select(Person.employee_id, Person.id).where(Person.employee_id.in_(list(known)))
            )
        }
    unchanged = {
        r.key
        for r in wanted
        if r.key in managers_now and managers_now[r.key] == manager_ids.get(r.manager_key or "")
    }
    if unchanged and staged:
        db.session.execute(
            delete(table).where(table.c.run_id == run.id, table.c.employee_id.in_(list(unchanged)))
        )
    links = [
        {"run_id": run.id, "employee_id": r.key, "manager_key": r.manager_key}
        for r in wanted
        if r.key not in unchanged
    ]
    if not links:
        return 0
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    db.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[table.c.run_id, table.c.employee_id],
            set_={"manager_key": stmt.excluded.manager_key},
        ),
        links,  # executemany of one cached statement (a VALUES list compiles every row)
    )
    return len(links)


def _changed() -> ColumnElement[bool]:
    """A staged link that moves a known person to a known manager other than their own."""
    link = DirectoryImportManager.__table__.c
    return and_(
        link.person_id.is_not(None),
        link.new_manager_id.is_not(None),
        link.new_manager_id != link.person_id,
        or_(link.old_manager_id.is_(None), link.old_manager_id != link.new_manager_id),
    )


def _set_managers(run: DirectoryImport) -> int:
    """Point each person at their directory manager (a manager Summit does not know keeps
    what the roster said); returns how many changed. Three statements whatever the
    directory's size, then one query per chunk of changes while ``managers_changed`` has
    receivers, and one to drop the staged links."""
    table = DirectoryImportManager.__table__
    link = table.c
    person = Person.__table__
    manager = person.alias("manager")
    of_run = link.run_id == run.id
    db.session.execute(
        update(table)
        .where(of_run)
        .values(
            person_id=select(person.c.id)
            .where(person.c.employee_id == link.employee_id)
            .scalar_subquery(),
            old_manager_id=select(person.c.manager_id)
            .where(person.c.employee_id == link.employee_id)
            .scalar_subquery(),
            new_manager_id=select(manager.c.id)
            .where(manager.c.employee_id == link.manager_key)
            .scalar_subquery(),
        )
    )
    changed = db.session.execute(
        update(person)
        .where(person.c.id == link.person_id, of_run, _changed())
        .values(manager_id=link.new_manager_id, updated_at=utcnow())
    ).rowcount
    if changed and managers_changed.receivers:
        after = ""
        while True:
            chunk = db.session.execute(
                select(link.employee_id, link.person_id, link.old_manager_id, link.new_manager_id)
                .where(of_run, _changed(), link.employee_id > after)
                .order_by(link.employee_id)
                .limit(CHUNK)
            ).all()
            if not chunk:
                break
            after = chunk[-1].employee_id
            managers_changed.send(
                "directory",
                changes=[(c.person_id, c.old_manager_id, c.new_manager_id) for c in chunk],
            )
    db.session.execute(delete(table).where(of_run))
    db.session.flush()
    return changed


def mark_failed(*, run: DirectoryImport, error: str) -> None:
    """Record why a run stopped (shown to the admin)."""
    run.status = ImportStatus.FAILED
    run.error = error[:1000]
    run.finished_at = utcnow()
    db.session.execute(
        delete(DirectoryImportManager).where(DirectoryImportManager.run_id == run.id)
    )
    db.session.flush()
