"""The ADL LRS conformance test suite (adlnet/lrs-conformance-test-suite, xAPI 1.0.3)
against a Summit served by gunicorn, when a checkout of the suite with its npm packages
installed is named by ``LRS_CONFORMANCE_SUITE`` (skipped otherwise; never in CI: the suite
is not part of this repository). bench/README.md, "xAPI conformance", says how to set it up.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

SUITE = os.environ.get("LRS_CONFORMANCE_SUITE", "")
BIN = Path(sys.executable).parent

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.skipif(
        not SUITE or not (Path(SUITE) / "node_modules").is_dir(),
        reason="LRS_CONFORMANCE_SUITE does not name a checkout of the ADL suite with node_modules",
    ),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _summit(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "summit"), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_the_adl_suite_passes_every_test(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'lrs.db'}",
        "REDIS_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
        "SECRET_KEY": "conformance",
        "SUMMIT_ENV": "development",
        "SUMMIT_JOBS_INLINE": "true",
    }
    for command in (("db", "upgrade"), ("regions", "sync"), ("demo",)):
        _summit(env, *command)
    printed = _summit(env, "xapi", "credentials", "--rollout", "sef-us")
    user = re.search(r"Username:\s+(\S+)", printed).group(1)  # type: ignore[union-attr]
    password = re.search(r"Password:\s+(\S+)", printed).group(1)  # type: ignore[union-attr]
    port = _free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        env=env,
        cwd=Path(__file__).parents[2],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        endpoint = f"http://127.0.0.1:{port}/xapi"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{endpoint}/about", timeout=1).close()  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        auth = ["-a", "-u", user, "-p", password]
        run = subprocess.run(
            ["node", "bin/console_runner.js", "-e", endpoint, *auth, "-x", "1.0.3", "-z"],
            cwd=SUITE,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    summaries = [line for line in run.stdout.splitlines() if line.startswith('{"total"')]
    assert summaries, run.stdout[-2000:]
    summary = json.loads(summaries[-1])
    assert summary["failed"] == 0, run.stdout[-4000:]
    assert summary["passed"] == summary["total"] > 1000
