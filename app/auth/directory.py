"""Directory import: people, their managers and regions from Entra ID through Graph.

An alternative to the roster CSV. Streams ``/users`` page by page (``@odata.nextLink``),
upserts each page with two lookups and two bulk statements (no query per person),
then resolves managers in chunks once every page is in. The region comes from one
directory attribute (ENTRA_DIRECTORY_REGION_ATTRIBUTE: country, officeLocation, ...)
matched against each region's ``[entra] directory_values``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from app.auth.models import DirectoryImport, ImportStatus, StaffUser
from app.auth.roles import directory_values
from app.db import utcnow
from app.extensions import db
from app.microsoft.graph import GraphClient
from app.people.models import Person, normalise_email
from app.people.signals import manager_changed
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
    sends ``manager_changed`` for each person whose manager changed. Updates the
    run's counters after every page and calls ``on_page`` (the job commits there,
    so the progress is visible while it runs). Flushes; never commits itself.
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
    managers: dict[str, str] = {}
    for page in client.iter_pages("/users", params):
        rows = _page_rows(
            page,
            run=run,
            key_attr=key_attr,
            region_attr=region_attr,
            region_by_value=region_by_value,
        )
        _upsert(rows, run)
        managers.update({r.key: r.manager_key for r in rows if r.manager_key})
        run.pages += 1
        db.session.flush()
        log.info("directory import %s: page %s, %s users so far", run.id, run.pages, run.seen)
        on_page()
    run.managers_changed = _set_managers(managers)
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


def _upsert(rows: list[_Row], run: DirectoryImport) -> None:
    if not rows:
        return
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


def _set_managers(managers: dict[str, str]) -> int:
    """Point each person at their directory manager, in chunks; returns how many changed."""

    if not managers:
        return 0
    keys = list(set(managers) | set(managers.values()))
    ids: dict[str, tuple[int, int | None]] = {}
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        for employee_id, person_id, manager_id in db.session.execute(
            select(Person.employee_id, Person.id, Person.manager_id).where(
                Person.employee_id.in_(chunk)
            )
        ):
            ids[employee_id] = (person_id, manager_id)
    changes: list[tuple[int, int | None, int]] = []
    for key, manager_key in managers.items():
        if key not in ids or manager_key not in ids:
            continue  # a manager Summit does not know: keep what the roster said
        person_id, old = ids[key]
        new = ids[manager_key][0]
        if new != old and new != person_id:
            changes.append((person_id, old, new))
    for start in range(0, len(changes), CHUNK):
        chunk = changes[start : start + CHUNK]
        db.session.execute(
            update(Person), [{"id": pid, "manager_id": new} for pid, _old, new in chunk]
        )
        if manager_changed.receivers:
            olds = {pid: (old, new) for pid, old, new in chunk}
            for person in db.session.scalars(select(Person).where(Person.id.in_(list(olds)))):
                old, new = olds[person.id]
                manager_changed.send(person, old_manager_id=old, new_manager_id=new)
    db.session.flush()
    return len(changes)


def mark_failed(*, run: DirectoryImport, error: str) -> None:
    """Record why a run stopped (shown to the admin)."""
    run.status = ImportStatus.FAILED
    run.error = error[:1000]
    run.finished_at = utcnow()
    db.session.flush()
