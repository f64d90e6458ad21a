"""`make run`: start web + worker + scheduler (the Procfile), and keep them running.

A process that exits is started again after a pause (1, 2, 4 … 30 s; back to 1 s once
it has run for a minute) instead of stopping the others, as honcho did: a worker that
quit while Redis was away comes back by itself. Ctrl-C (or SIGTERM) stops them all.
Without Redis only the web process runs, with jobs inside it (development only).
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError

ROOT = Path(__file__).resolve().parents[2]
#: a process that ran this long before it died is restarted at once (1 s)
HEALTHY_SECONDS = 60.0
MAX_PAUSE = 30.0


@dataclass
class Supervised:
    name: str
    command: list[str]
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    pause: float = 1.0
    restart_at: float | None = None
    restarts: int = field(default=0)


def procfile(path: Path, only: list[str] | None = None) -> list[Supervised]:
    """The Procfile's processes (``name: command`` lines), or those named in ``only``."""
    found = []
    for line in path.read_text().splitlines():
        name, sep, command = line.partition(":")
        if not sep or line.lstrip().startswith("#"):
            continue
        if only and name.strip() not in only:
            continue
        found.append(Supervised(name.strip(), shlex.split(command.strip())))
    return found


def supervise(processes: list[Supervised], env: dict[str, str], cwd: Path) -> int:
    """Run ``processes``, restart any that exits, until SIGINT/SIGTERM; returns 0."""
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for item in processes:
        _start(item, env, cwd)
    while not stopping:
        now = time.monotonic()
        for item in processes:
            if item.proc is not None and item.proc.poll() is not None:
                code = item.proc.returncode
                ran = now - item.started
                item.pause = 1.0 if ran > HEALTHY_SECONDS else min(item.pause * 2, MAX_PAUSE)
                item.proc, item.restart_at = None, now + item.pause
                print(f"[runner] {item.name} exited ({code}); restarting in {item.pause:.0f} s")
            elif item.proc is None and item.restart_at is not None and now >= item.restart_at:
                item.restarts += 1
                _start(item, env, cwd)
        time.sleep(0.2)
    for item in processes:
        if item.proc is not None and item.proc.poll() is None:
            item.proc.terminate()
    for item in processes:
        if item.proc is not None:
            try:
                item.proc.wait(15)
            except subprocess.TimeoutExpired:
                item.proc.kill()
    return 0


def _start(item: Supervised, env: dict[str, str], cwd: Path) -> None:
    item.proc = subprocess.Popen(item.command, cwd=cwd, env=env)  # noqa: S603 (the Procfile)
    item.started = time.monotonic()
    item.restart_at = None
    print(f"[runner] {item.name} started (pid {item.proc.pid})", flush=True)


def main() -> int:
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    try:
        Redis.from_url(url, socket_connect_timeout=2).ping()
        only: list[str] | None = None
        jobs = f"RQ worker and scheduler on {url}"
    except (RedisError, OSError):
        env["SUMMIT_JOBS_INLINE"] = "1"
        only = ["web"]
        jobs = (
            f"WARNING: Redis at {url} cannot be reached, so jobs run inside the web process "
            "(emails still appear in the dev mailbox). Start Redis for the real worker."
        )
    print(
        "\n  Summit is starting on http://127.0.0.1:5000\n"
        "  Sign in: open the page and pick one of the demo staff\n"
        "    (Grace Hopper-Lee is the global admin; Marion Kremer leads Germany).\n"
        f"  Jobs: {jobs}\n",
        flush=True,
    )
    return supervise(procfile(ROOT / "Procfile", only), env, ROOT)


if __name__ == "__main__":
    raise SystemExit(main())
