"""Directory import throughput: Summit's import vs. raw DBAPI inserts of the same rows.

    DATABASE_URL=sqlite:////tmp/bench-entra.db .venv/bin/python bench/entra_directory.py 50000
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_entra \
        .venv/bin/python bench/entra_directory.py

Graph is replaced by an in-memory client serving pages of 999 users (the network is
not what is measured); the database work is: upsert people page by page, then
resolve managers. The raw tool inserts the same rows and sets the same managers
with DBAPI ``executemany`` on an empty table.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any


class MemoryGraph:
    def __init__(self, users: list[dict[str, Any]]) -> None:
        self.users = users

    def iter_pages(self, path: str, params: Any = None) -> Iterator[list[dict[str, Any]]]:
        for start in range(0, len(self.users), 999):
            yield self.users[start : start + 999]

    def close(self) -> None:
        pass


def directory(n: int) -> list[dict[str, Any]]:
    countries = ["DE", "FR", "IN", "US"]
    users = []
    for i in range(n):
        user = {
            "id": f"oid-{i}",
            "employeeId": f"B{i:07d}",
            "displayName": f"Bench Person {i}",
            "mail": f"bench.{i}@contoso.example",
            "accountEnabled": True,
            "country": countries[i % 4],
        }
        if i >= 10:
            user["manager"] = {"id": f"oid-{i // 10}", "employeeId": f"B{i // 10:07d}"}
        users.append(user)
    return users


def main() -> None:
    from bench.common import Figure, make_parser, sized

    parser = make_parser(__doc__ or "")
    parser.add_argument("users", type=int, nargs="?", default=0)
    args = parser.parse_args()
    n = args.users or sized(args.scale, 5_000, 50_000)
    os.environ.setdefault("SUMMIT_ENV", "development")
    if "DATABASE_URL" not in os.environ:
        import tempfile

        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench-entra.db"
    from flask_migrate import upgrade
    from sqlalchemy import delete, select, text

    from app import create_app
    from app.auth.directory import import_directory
    from app.auth.models import DirectoryImport
    from app.extensions import db
    from app.people.models import Person
    from app.regions.models import Region
    from app.regions.services import sync_regions

    app = create_app()
    users = directory(n)
    with app.app_context():
        upgrade()
        sync_regions(directory=app.extensions["summit.settings"].regions_dir)
        db.session.execute(delete(Person).where(Person.employee_id.like("B%")))
        db.session.commit()
        settings = app.extensions["summit.settings"]

        def run() -> tuple[float, DirectoryImport]:
            started = time.perf_counter()
            record = DirectoryImport(region_attribute="country")
            db.session.add(record)
            import_directory(
                run=record, settings=settings, client=MemoryGraph(users), on_page=db.session.commit
            )
            db.session.commit()
            return time.perf_counter() - started, record

        first, record = run()
        assert record.created == n, record.created
        again, record = run()
        assert record.created == record.updated == 0

        # the raw tool: the same rows and managers through DBAPI executemany
        db.session.execute(delete(Person).where(Person.employee_id.like("B%")))
        db.session.commit()
        region_ids = dict((r.holiday_country, r.id) for r in db.session.scalars(select(Region)))
        rows = [
            (u["employeeId"], u["mail"], u["displayName"], region_ids[u["country"]]) for u in users
        ]
        paramstyle = "?" if db.engine.dialect.name == "sqlite" else "%s"
        started = time.perf_counter()
        conn = db.engine.raw_connection()
        try:
            cur = conn.cursor()
            now = "2026-11-22 00:00:00"
            values = ", ".join([paramstyle] * 4)
            columns = "employee_id, email, name, region_id, created_at, updated_at"
            insert_sql = f"INSERT INTO person ({columns}) VALUES ({values}, '{now}', '{now}')"  # noqa: S608
            cur.executemany(insert_sql, rows)
            cur.execute("SELECT employee_id, id FROM person WHERE employee_id LIKE 'B%'")
            ids = dict(cur.fetchall())
            cur.executemany(
                f"UPDATE person SET manager_id = {paramstyle} WHERE id = {paramstyle}",  # noqa: S608
                [
                    (ids[u["manager"]["employeeId"]], ids[u["employeeId"]])
                    for u in users
                    if "manager" in u
                ],
            )
            conn.commit()
        finally:
            conn.close()
        raw = time.perf_counter() - started
        db.session.execute(delete(Person).where(Person.employee_id.like("B%")))
        db.session.execute(text("SELECT 1"))
        db.session.commit()
        dialect = db.engine.dialect.name

    print(f"{dialect}, {n} directory users")
    print(f"summit import (first run)   {first:8.2f} s  {n / first:10.0f} users/s")
    print(f"summit import (no changes)  {again:8.2f} s  {n / again:10.0f} users/s")
    print(f"raw DBAPI executemany       {raw:8.2f} s  {n / raw:10.0f} users/s")
    print(f"ratio first run / raw       {first / raw:8.2f}")
    raw_label = "DBAPI executemany of the same rows"
    Figure(
        "entra_directory",
        f"{n:,} directory users ({dialect}): first import",
        first,
        "s",
        raw,
        raw_label,
        first / raw,
    ).emit()
    Figure(
        "entra_directory",
        f"{n:,} directory users ({dialect}): no changes",
        again,
        "s",
        raw,
        raw_label,
        again / raw,
    ).emit()


if __name__ == "__main__":
    main()
