"""What one hit of a kept page costs in-process, next to the bare handler.

    PYTHONPATH=<tree> .venv/bin/python -m bench.kept_hit --scale medium [--page "person page"]

Calls ``app.wsgi_app`` directly (no HTTP, no test client) with the bench's signed-in cookie,
:data:`HITS` times for one page of the data set (``--page``, a label of ``bench.web_load``'s
pages; by default the first, the region overview; the first hit keeps it), and prints CPU
and wall milliseconds a hit for Summit and for ``bench/bare_app.py``. CPU time is the
figure to compare on a shared machine: wall time moves with the other processes (and
includes the database's answer); run it for two trees in the same minute to compare them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.test import EnvironBuilder

#: hits a round
HITS = 2000


def _environ(path: str, cookie: str | None) -> dict[str, Any]:
    route, _, query = path.partition("?")
    headers = {"Cookie": f"session={cookie}"} if cookie else {}
    return EnvironBuilder(path=route, query_string=query or None, headers=headers).get_environ()


def _hit(app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> str:
    status: list[str] = []
    body = app(dict(environ), lambda s, h, e=None: status.append(s))
    b"".join(body)
    close = getattr(body, "close", None)
    if close is not None:
        close()
    return status[0]


def per_hit(app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> tuple[float, float]:
    """CPU and wall milliseconds a hit, over :data:`HITS` hits."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(HITS):
        status = _hit(app, environ)
    if not status.startswith("200"):
        raise RuntimeError(f"HTTP {status}")
    return (
        (time.process_time() - cpu) / HITS * 1000,
        (time.perf_counter() - wall) / HITS * 1000,
    )


def main() -> None:
    from app import create_app
    from app.settings import Settings
    from bench.bare_app import app as bare
    from bench.common import make_parser
    from bench.dataset import prepare

    parser = make_parser(__doc__ or "")
    parser.add_argument("--page", default="", help="the label of the page (default: the first)")
    args = parser.parse_args()
    data = prepare(args.scale, args.database_url)
    app = create_app(Settings.from_env(data.env))
    pages = dict(data.pages)
    if args.page and args.page not in pages:
        parser.error(f"--page: one of {', '.join(pages)}")
    label = args.page or data.pages[0][0]
    path = pages[label]
    page, root = _environ(path, data.cookie), _environ("/", None)
    _hit(app, page)  # renders and keeps the page
    for _ in range(2):
        bare_cpu, bare_wall = per_hit(bare, root)
        cpu, wall = per_hit(app, page)
        with open("/proc/loadavg") as loadavg:
            load = loadavg.read().split()[0]
        print(
            f"{label} kept: CPU {cpu:.3f} ms, wall {wall:.3f} ms a hit; bare handler: "
            f"CPU {bare_cpu:.3f} ms, wall {bare_wall:.3f} ms (load {load})",
            flush=True,
        )


if __name__ == "__main__":
    main()
