"""Web under load: gunicorn with 2 workers, wrk on loopback, the pages staff use most.

Prints requests/s and p50/p95/p99 per page next to a bare Flask handler served by the
same gunicorn settings in the same run. Targets: p95 ≤ 150 ms at 16 connections and
≥ 15% of the bare handler's requests/s.

Each page is loaded twice: once on a quiet database, where the read cache serves the
page it kept (:func:`app.readcache.cached_page`), and once while another process commits
a write to a counted table :data:`WRITES_PER_SECOND` times a second, as a steady stream
of learner progress does: every such commit moves the epoch, and the next request of
each worker renders the page afresh.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.common import Figure, parse_args
from bench.dataset import prepare

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DURATION = {"small": "5s", "full": "20s"}
CONNECTIONS = 16
#: commits per second during the second pass of each page
WRITES_PER_SECOND = 5


class Writer:
    """Commits one write to a counted table (an enrollment's leaderboard choice) through
    Summit's own session :data:`WRITES_PER_SECOND` times a second, in a thread."""

    def __init__(self, env: dict[str, str]) -> None:
        from app import create_app
        from app.settings import Settings

        self.app = create_app(Settings.from_env(env))
        self.commits = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Writer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        from sqlalchemy import not_, select, update

        from app.extensions import db
        from app.rollouts.models import Enrollment

        with self.app.app_context():
            enrollment_id = db.session.scalar(select(Enrollment.id).limit(1))
            while not self._stop.wait(1 / WRITES_PER_SECOND):
                db.session.execute(
                    update(Enrollment)
                    .where(Enrollment.id == enrollment_id)
                    .values(leaderboard_opt_in=not_(Enrollment.leaderboard_opt_in))
                )
                db.session.commit()
                self.commits += 1
            db.session.remove()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


def _gunicorn(app_path: str, port: int, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            app_path,
        ],
        cwd=ROOT,
        env=env,
    )


def _wrk(url: str, duration: str, cookie: str | None = None) -> dict[str, float]:
    cmd = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{duration}", "-s", str(HERE / "wrk_report.lua")]
    if cookie:
        cmd += ["-H", f"Cookie: session={cookie}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"SUMMIT p50=(\d+) p95=(\d+) p99=(\d+) requests=(\d+) errors=(\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50": int(m.group(1)) / 1000,
        "p95": int(m.group(2)) / 1000,
        "p99": int(m.group(3)) / 1000,
        "errors": int(m.group(5)) + (int(non2xx.group(1)) if non2xx else 0),
    }


def main() -> int:
    args = parse_args(__doc__ or "")
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 1
    data = prepare(args.scale, args.database_url)
    env = {**os.environ, **data.env}
    duration = DURATION[args.scale]
    bare_port, app_port = _free_port(), _free_port()
    bare = _gunicorn("bench.bare_app:app", bare_port, env)
    summit = _gunicorn("wsgi:app", app_port, env)
    failures = 0
    try:
        _wait(bare_port)
        _wait(app_port)
        base = _wrk(f"http://127.0.0.1:{bare_port}/", duration)
        Figure("web_load", "bare Flask handler", base["rps"], "req/s").emit()
        for label, path in data.pages:
            _wrk(f"http://127.0.0.1:{app_port}{path}", "1s", data.cookie)  # warm up
            quiet = _wrk(f"http://127.0.0.1:{app_port}{path}", duration, data.cookie)
            with Writer(env) as writer:
                busy = _wrk(f"http://127.0.0.1:{app_port}{path}", duration, data.cookie)
            rate = writer.commits / float(duration.rstrip("s"))
            for result, when in ((quiet, ""), (busy, f", {rate:.0f} commits/s")):
                if result["errors"]:
                    print(f"{path}: {result['errors']} failed or non-2xx", file=sys.stderr)
                    failures += 1
                Figure(
                    "web_load",
                    f"{label}{when}: req/s",
                    result["rps"],
                    "req/s",
                    base["rps"],
                    "bare handler",
                    result["rps"] / base["rps"],
                    "≥ 0.15",
                ).emit()
                Figure(
                    "web_load",
                    f"{label}{when}: p50 / p95 / p99",
                    result["p95"],
                    "ms (p95)",
                    target=f"p95 ≤ 150 (p50 {result['p50']:.0f}, p99 {result['p99']:.0f})",
                ).emit()
    finally:
        for proc in (bare, summit):
            proc.terminate()
            proc.wait(timeout=10)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
