"""The schema of a database as lines of text, the same on every run: tables in name order,
columns in their order, keys, indexes (with a partial index's ``WHERE``), checks, planner
statistics, and the rows the migrations wrote. Two databases built alike print alike."""

from __future__ import annotations

import json
import re
from typing import Any

import sqlalchemy as sa

#: the migrations' own bookkeeping, not the schema
SKIP = {"alembic_version"}


def _one_line(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text)).strip()


def describe(engine: sa.Engine) -> list[str]:
    """One line per column, key, index, check, statistics object and seeded row."""
    inspector = sa.inspect(engine)
    lines: list[str] = []

    def add(table: str, kind: str, item: Any) -> None:
        lines.append(f"{table} {kind} {json.dumps(item, default=_one_line)}")

    with engine.connect() as conn:
        for table in sorted(set(inspector.get_table_names()) - SKIP):
            for column in inspector.get_columns(table):
                default = column.get("default")
                add(
                    table,
                    "column",
                    [
                        column["name"],
                        str(column["type"]),
                        column["nullable"],
                        None if default is None else _one_line(default),
                    ],
                )
            pk = inspector.get_pk_constraint(table)
            add(table, "pk", [pk["name"], pk["constrained_columns"]])
            for fk in sorted(inspector.get_foreign_keys(table), key=lambda f: str(f["name"])):
                add(
                    table,
                    "fk",
                    [
                        fk["name"],
                        fk["constrained_columns"],
                        fk["referred_table"],
                        fk["referred_columns"],
                        sorted((fk.get("options") or {}).items()),
                    ],
                )
            for unique in sorted(inspector.get_unique_constraints(table), key=lambda u: u["name"]):
                add(table, "unique", [unique["name"], unique["column_names"]])
            for check in sorted(inspector.get_check_constraints(table), key=lambda c: c["name"]):
                add(table, "check", [check["name"], _one_line(check["sqltext"])])
            for index in sorted(inspector.get_indexes(table), key=lambda i: str(i["name"])):
                options = {k: _one_line(v) for k, v in (index.get("dialect_options") or {}).items()}
                add(
                    table,
                    "index",
                    [
                        index["name"],
                        index["column_names"],
                        index["unique"],
                        sorted(options.items()),
                    ],
                )
            if engine.dialect.name == "sqlite":  # the index as SQLite keeps it, WHERE included
                for name, sql in conn.execute(
                    sa.text(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                        " AND tbl_name = :table AND sql IS NOT NULL ORDER BY name"
                    ),
                    {"table": table},
                ):
                    add(table, "index-sql", [name, _one_line(sql)])
            rows = conn.execute(sa.text(f'SELECT * FROM "{table}"')).all()  # noqa: S608 (reflected names)
            for row in sorted(tuple(r) for r in rows):
                add(table, "row", list(row))
        if engine.dialect.name == "postgresql":
            for name, table, columns, kinds in conn.execute(
                sa.text(
                    "SELECT s.stxname, c.relname, ARRAY(SELECT a.attname FROM pg_attribute a"
                    " WHERE a.attrelid = s.stxrelid AND a.attnum = ANY(s.stxkeys)"
                    " ORDER BY a.attnum), s.stxkind::text FROM pg_statistic_ext s"
                    " JOIN pg_class c ON c.oid = s.stxrelid ORDER BY s.stxname"
                )
            ):
                add(table, "statistics", [name, list(columns), kinds])
    return lines
