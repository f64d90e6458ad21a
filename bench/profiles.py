"""A pyinstrument profile of each web page's request, saved with the figures.

    .venv/bin/python -m bench.profiles --scale small|medium|full|huge

For every page of ``bench/web_load.py`` (the data set's pages), in-process through the
WSGI app with the bench's signed-in cookie: one request to warm the process (templates,
SQLAlchemy's statement cache), then, profiled, the page rendered afresh (the read cache
emptied) and the same page again (served kept). Written to
``bench/results/profiles/<scale>-<page>-fresh.html|txt`` and ``...-kept.html|txt``; the
text form is what to read in a terminal or a review. ``bench.web_load`` writes them too,
before its load passes.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "results" / "profiles"


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


def profile_pages(data, scale: str) -> list[Path]:  # type: ignore[no-untyped-def]
    """Profile each of ``data.pages`` (a ``bench.dataset.Dataset``); the files written."""
    from pyinstrument import Profiler

    from app import create_app
    from app.readcache import clear
    from app.settings import Settings

    app = create_app(Settings.from_env(data.env))
    OUT.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    client = app.test_client()
    client.set_cookie(app.config.get("SESSION_COOKIE_NAME", "session"), data.cookie)
    for label, path in data.pages:
        warm = client.get(path)
        for kind in ("fresh", "kept"):
            if kind == "fresh":
                clear()
            profiler = Profiler(interval=0.0005)
            start = time.perf_counter()
            profiler.start()
            response = client.get(path)
            profiler.stop()
            took = (time.perf_counter() - start) * 1000
            stem = OUT / f"{scale}-{_slug(label)}-{kind}"
            stem.with_suffix(".html").write_text(profiler.output_html())
            stem.with_suffix(".txt").write_text(
                f"{label} {path} ({kind}): HTTP {response.status_code}, {took:.1f} ms "
                f"(warm-up request: HTTP {warm.status_code})\n\n"
                + profiler.output_text(unicode=True, color=False, show_all=False)
            )
            written += [stem.with_suffix(".html"), stem.with_suffix(".txt")]
            print(f"profile: {label} ({kind}) {took:.1f} ms → {stem}.html", flush=True)
    return written


def main() -> None:
    from bench.common import parse_args
    from bench.dataset import prepare

    args = parse_args(__doc__ or "")
    profile_pages(prepare(args.scale, args.database_url), args.scale)


if __name__ == "__main__":
    main()
