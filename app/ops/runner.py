"""`make run`: start web + worker + scheduler with honcho, or web alone without Redis."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    try:
        Redis.from_url(url, socket_connect_timeout=2).ping()
        processes: list[str] = []
        jobs = f"RQ worker and scheduler on {url}"
    except (RedisError, OSError):
        env["SUMMIT_JOBS_INLINE"] = "1"
        processes = ["web"]
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
    cmd = [sys.executable, "-m", "honcho", "-f", str(ROOT / "Procfile"), "start", *processes]
    return subprocess.call(cmd, cwd=ROOT, env=env)  # noqa: S603 (our own command line)


if __name__ == "__main__":
    raise SystemExit(main())
