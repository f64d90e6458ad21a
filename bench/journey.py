"""Benchmark: the weekly journey email of one region, rendered and queued in batches.

    .venv/bin/python -m bench.journey [--scale small|medium|full|huge]

A scratch PostgreSQL database (migrations, regions), one launched rollout with ``N``
learners (small 5,000; full 50,000), two completed modules each, buddies in pairs and a
call this week. Times the week's run as the job does it (keyset batches of
``BATCH``: claim the ``JourneySend`` rows, read progress and buddies, render each email,
one multi-row outbox INSERT; commit per batch) next to the raw tool doing the storage
part of the same work: one ``INSERT … SELECT`` of ``N`` outbox rows of the same size,
already rendered. Then the same run again (a second tick: nothing to send), and the
recipients query alone. Delivery is not timed (the outbox is drained by mail workers).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from bench.common import Figure, make_parser, peak_rss_mb, sized

ROOT = Path(__file__).resolve().parent.parent
WEEK = "2026-W39"  # the week of 21 September 2026: term 1 runs
RAW_OUTBOX = """
INSERT INTO outbound_email (idempotency_key, kind, region_id, person_id, to_address, to_name,
  subject, text_body, html_body, message_id, status, attempts, created_at, next_attempt_at,
  locale)
SELECT 'raw/' || e.id, 'journey/weekly', e.region_id, e.person_id, p.email, p.name,
  'Bench: your week', :text, :html, '<raw' || e.id || '@summit>', 'pending', 0, now(), now(),
  'de_DE'
FROM enrollment e JOIN person p ON p.id = e.person_id WHERE e.rollout_id = :rollout
"""


def main() -> None:
    parser = make_parser(__doc__ or "")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the one-process fan-out with pyinstrument (bench/results/profiles/)",
    )
    args = parser.parse_args()
    learners = sized(args.scale, 5_000, 50_000, medium=30_000, huge=1_000_000)
    from bench._pg import scratch_database

    with scratch_database("summit_bench_journey", args.database_url) as url:
        run(
            url.render_as_string(hide_password=False),
            learners,
            profile=f"{args.scale}-journey" if args.profile else None,
        )


def run(database_url: str, learners: int, *, profile: str | None = None) -> None:
    from flask_migrate import upgrade
    from rq import Queue

    from app import create_app
    from app.calls.models import CallSession
    from app.extensions import db
    from app.journey import services
    from app.journey.content import WeekContent
    from app.mail.models import OutboundEmail
    from app.regions.services import sync_regions
    from app.tasks import get_redis

    app = create_app(
        {
            "env": "test",
            "database_url": database_url,
            "redis_url": "redis://127.0.0.1:6379/6",
            "base_url": "http://summit.bench",
            "regions_dir": ROOT / "regions",
        }
    )
    with app.app_context():
        upgrade()
        sync_regions(directory=ROOT / "regions")
        db.session.commit()
        from bench._pg import seed_learners

        seeded = seed_learners(learners, region_code="fr")
        region, rollout, program = seeded["region"], seeded["rollout"], seeded["program"]
        params = {"rollout": rollout.id}
        db.session.execute(
            text(
                "UPDATE enrollment SET buddy_group = 1000000 + (id + 1) / 2, state = 'active' "
                "WHERE rollout_id = :rollout"
            ),
            params,
        )
        first_two = [m.id for m in sorted(program.modules, key=lambda m: m.position)[:2]]
        db.session.execute(
            text(
                "INSERT INTO module_progress (region_id, rollout_id, enrollment_id, module_id, "
                "percent, completed, observed_at, source) SELECT e.region_id, e.rollout_id, e.id, "
                "m, 100, true, now(), 'bench' FROM enrollment e, unnest(CAST(:modules AS int[])) m "
                "WHERE e.rollout_id = :rollout"
            ),
            {**params, "modules": first_two},
        )
        db.session.add(
            CallSession(
                region_id=region.id,
                rollout_id=rollout.id,
                series_date=datetime(2026, 9, 24, tzinfo=UTC).date(),
                starts_at=datetime(2026, 9, 24, 14, 0, tzinfo=UTC),
            )
        )
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        rss_seeded = peak_rss_mb()  # the peak so far: the seeding's

        profiler = None
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler()
            profiler.start()
        started = time.perf_counter()
        after, queued, batches = 0, 0, 0
        # as the job runs it: one WeekContent for the week, each shape rendered once
        week_content = WeekContent(region=region, week=WEEK, now=services.send_time(region, WEEK))
        while True:
            result = services.send_batch(
                region=region, week=WEEK, after=after, week_content=week_content
            )
            db.session.commit()
            queued += result.queued
            batches += 1
            if result.selected < services.BATCH:
                break
            after = result.last_id
        summit = time.perf_counter() - started
        assert queued == learners, (queued, learners)
        if profiler is not None:
            profiler.stop()
            out = ROOT / "bench" / "results" / "profiles"
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{profile}.txt").write_text(profiler.output_text(unicode=True))
            profiler.write_html(str(out / f"{profile}.html"))
        # the peak once every email is queued, before the raw tool and the recipients query
        # (which holds all the rows at once): the fan-out's own, if above the seeding's
        rss_fanned_out = peak_rss_mb()

        sample = db.session.scalars(
            db.select(OutboundEmail).where(OutboundEmail.kind == "journey/weekly").limit(1)
        ).one()
        started = time.perf_counter()
        db.session.execute(
            text(RAW_OUTBOX),
            {**params, "text": sample.text_body, "html": sample.html_body},
        )
        db.session.commit()
        raw = time.perf_counter() - started

        started = time.perf_counter()
        again = services.send_batch(region=region, week=WEEK)
        db.session.commit()
        second = time.perf_counter() - started
        assert again.queued == 0 and again.selected == 0

        started = time.perf_counter()
        db.session.execute(services.recipients(region.id, "2026-W40", limit=learners + 1)).all()
        db.session.rollback()
        select_all = time.perf_counter() - started
        Queue("mail", connection=get_redis()).empty()  # the delivery jobs this run queued

    label = f"{learners:,} learners"
    Figure(
        "journey",
        f"{label}: weekly email, render + queue ({batches} batches of {services.BATCH})",
        round(summit, 2),
        "s",
        round(raw, 2),
        "raw INSERT … SELECT of the same number of pre-rendered outbox rows",
        round(summit / raw, 1) if raw else None,
    ).emit()
    Figure(
        "journey",
        f"{label}: per email",
        round(1000 * summit / learners, 2),
        "ms",
        round(1000 * raw / learners, 3),
        "raw INSERT … SELECT, per row",
        round(summit / raw, 1) if raw else None,
    ).emit()
    Figure(
        "journey", f"{label}: second tick of the week (sends nothing)", round(second, 3), "s"
    ).emit()
    Figure(
        "journey", f"{label}: the week's recipients, one query", round(select_all, 3), "s"
    ).emit()
    Figure("journey", f"{label}: peak RSS after seeding", round(rss_seeded), "MB").emit()
    Figure(
        "journey",
        f"{label}: peak RSS after the fan-out (bounded: batches)",
        round(rss_fanned_out),
        "MB",
    ).emit()
    Figure("journey", f"{label}: peak RSS at the end", round(peak_rss_mb()), "MB").emit()


if __name__ == "__main__":
    main()
