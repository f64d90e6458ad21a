"""Summit as a company runs it, on this machine: nginx (Debian) terminating TLS with a
certificate made now by trustme, in front of gunicorn serving ``wsgi:app``, with ``summit
worker`` (and ``summit scheduler`` when a test needs it) in their own processes,
configured only through the environment, as in production (``SUMMIT_ENV=production``).

nginx runs ``deploy/nginx/summit.conf``, the file the repository ships, with its
placeholders filled in; only the outer ``nginx.conf`` (pid file, logs, temp folders under a
throw-away directory) is the test's.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
NGINX_TEMPLATE = ROOT / "deploy" / "nginx" / "summit.conf"
NGINX = os.environ.get("NGINX", shutil.which("nginx") or "/usr/sbin/nginx")
BIN = Path(sys.executable).parent

#: environment variables of this shell that would leak into the stack's configuration
_OWN_SETTINGS = ("SUMMIT_", "ENTRA_", "MAIL_", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "XAPI_")

OUTER_CONF = """\
${user}
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    include ${dir}/summit.conf;
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spki_sha256(cert_pem: bytes) -> str:
    """Base64 SHA-256 of a certificate's public key: what Chromium's
    ``--ignore-certificate-errors-spki-list`` pins (this test's certificate, and no other)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    key = x509.load_pem_x509_certificate(cert_pem).public_key()
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


@dataclass
class Stack:
    folder: Path
    database_url: str
    redis_url: str
    smtp_port: int
    host: str = "127.0.0.1"
    https_port: int = 0
    http_port: int = 0
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    ca_file: Path | None = None
    spki: str = ""
    #: ENTRA_* settings of the web processes while a test signs staff in with Entra ID
    #: (:meth:`use_entra`); empty otherwise, as the other journeys run
    entra: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"https://{self.host}:{self.https_port}"

    @property
    def socket_path(self) -> Path:
        return self.folder / "gunicorn.sock"

    def env(self) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_SETTINGS)}
        return {
            **inherited,
            "SUMMIT_ENV": "production",
            "SECRET_KEY": self.secret_key,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "SUMMIT_BASE_URL": self.base_url,
            "SUMMIT_TRUSTED_PROXY_HOPS": "1",
            "SUMMIT_REGIONS_DIR": str(ROOT / "regions"),
            "MAIL_TRANSPORT": "smtp",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(self.smtp_port),
            "MAIL_DEFAULT_SENDER": "Summit <summit@example.com>",
            **self.entra,
        }

    def app_settings(self) -> dict[str, Any]:
        """Settings for an app in the test process that makes the same links as the stack."""
        return {"base_url": self.base_url, "secret_key": self.secret_key}

    # --- TLS ----------------------------------------------------------------------------

    def make_certificate(self) -> tuple[Path, Path]:
        import trustme

        ca = trustme.CA()
        cert = ca.issue_cert(self.host, "localhost")
        chain, key = self.folder / "server.pem", self.folder / "server.key"
        cert.private_key_pem.write_to_path(str(key))
        chain.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
        self.ca_file = self.folder / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        self.spki = spki_sha256(cert.cert_chain_pems[0].bytes())
        return chain, key

    # --- processes ----------------------------------------------------------------------

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("ab")
        process = subprocess.Popen(
            args, cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self.processes[name] = process
        return process

    def start(self) -> None:
        """nginx first (its ports are in every link), then gunicorn and the worker."""
        chain, key = self.make_certificate()
        for attempt in range(3):
            self.https_port, self.http_port = free_port(), free_port()
            self._write_nginx_conf(chain, key)
            nginx = self._spawn(
                "nginx",
                [
                    NGINX,
                    "-p",
                    str(self.folder),
                    "-c",
                    str(self.folder / "nginx.conf"),
                    "-e",
                    str(self.folder / "error.log"),
                ],
            )
            if self._listening(nginx):
                break
            self.stop_process("nginx")  # the port was taken meanwhile: take others
            if attempt == 2:
                raise RuntimeError(f"nginx did not start:\n{self.log('nginx')}")
        self.start_web()
        self.start_worker()
        self.wait_until_up()

    def start_web(self) -> None:
        self._spawn(
            "gunicorn",
            [
                str(BIN / "gunicorn"),
                "--workers",
                "2",
                "--bind",
                f"unix:{self.socket_path}",
                "--graceful-timeout",
                "3",
                "wsgi:app",
            ],
        )

    def use_entra(self, settings: dict[str, str], *, wait: bool = True) -> None:
        """Restart gunicorn with these ENTRA_* settings (empty: without Entra ID again);
        ``wait=False`` does not wait for it to answer (the next test that uses the stack
        does). Only the web processes sign staff in; the worker keeps its environment."""
        assert all(name.startswith("ENTRA_") for name in settings), settings
        self.entra = dict(settings)
        self.stop_process("gunicorn", quick=True)  # between tests: nothing is in flight
        self.start_web()
        if wait:
            self.wait_until_up()

    def _listening(self, nginx: subprocess.Popen, timeout: float = 10) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and nginx.poll() is None:
            try:
                socket.create_connection((self.host, self.https_port), timeout=1).close()
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def start_worker(self, name: str = "worker") -> None:
        self._spawn(name, [str(BIN / "summit"), "worker", "--name", f"https-{os.getpid()}"])

    def start_scheduler(self) -> None:
        self._spawn("scheduler", [str(BIN / "summit"), "scheduler", "--interval", "2"])

    def _write_nginx_conf(self, chain: Path, key: Path) -> None:
        for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.folder / sub).mkdir(exist_ok=True)
        # as envsubst does: nginx's own $variables stay as they are
        server = Template(NGINX_TEMPLATE.read_text()).safe_substitute(
            SUMMIT_SERVER_NAME=self.host,
            SUMMIT_HTTPS_LISTEN=f"{self.host}:{self.https_port}",
            SUMMIT_HTTP_LISTEN=f"{self.host}:{self.http_port}",
            SUMMIT_TLS_CERTIFICATE=chain,
            SUMMIT_TLS_CERTIFICATE_KEY=key,
            SUMMIT_UPSTREAM=f"unix:{self.socket_path}",
        )
        unfilled = [line for line in server.splitlines() if "${SUMMIT_" in line.split("#")[0]]
        assert not unfilled, f"placeholders left in {NGINX_TEMPLATE}: {unfilled}"
        (self.folder / "summit.conf").write_text(server)
        # as root, nginx's workers would run as nobody, who cannot enter pytest's 0700 folders
        user = "user root;" if os.geteuid() == 0 else ""
        outer = Template(OUTER_CONF).substitute(user=user, dir=self.folder)
        (self.folder / "nginx.conf").write_text(outer)

    def wait_until_up(self, timeout: float = 30) -> None:
        """Until /healthz answers through nginx over verified TLS (gunicorn and nginx up)."""
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited:\n{self.log(name)}")
            try:
                response = requests.get(f"{self.base_url}/healthz", verify=self.ca_file, timeout=5)
                if response.status_code == 200:
                    return
                last = RuntimeError(f"/healthz answered {response.status_code}")
            except requests.RequestException as exc:
                last = exc
            time.sleep(0.1)
        raise RuntimeError(f"the stack did not come up: {last}\n{self.log('gunicorn')}")

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        if name == "nginx":
            error = self.folder / "error.log"
            text += error.read_text(errors="replace") if error.exists() else ""
        return text[-4000:]

    def alive(self) -> None:
        for name, process in self.processes.items():
            assert process.poll() is None, f"{name} died:\n{self.log(name)}"

    def settle(self, timeout: float = 30) -> None:
        """Drop what is queued and wait until every worker is idle, so nothing started for
        one test (a scheduler's tick enqueues a job per region) runs into the next."""
        from redis import Redis
        from rq import Queue, Worker

        from app.tasks import QUEUES

        connection = Redis.from_url(self.redis_url)
        try:
            for name in QUEUES:
                Queue(name, connection=connection).empty()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if all(w.get_state() != "busy" for w in Worker.all(connection=connection)):
                    return
                time.sleep(0.1)
            raise AssertionError("the worker is still busy after the test")
        finally:
            connection.close()

    def drain(self, timeout: float = 30) -> None:
        """Wait until the worker has run everything queued (nothing waits, nothing runs)."""
        from redis import Redis
        from rq import Queue

        from app.tasks import QUEUES

        connection = Redis.from_url(self.redis_url)
        try:
            deadline = time.monotonic() + timeout
            quiet = 0
            while time.monotonic() < deadline:
                queues = [Queue(name, connection=connection) for name in QUEUES]
                busy = sum(q.count + q.started_job_registry.count for q in queues)
                quiet = quiet + 1 if busy == 0 else 0
                if quiet == 3:  # a job just taken is in the started registry already
                    return
                time.sleep(0.1)
            raise AssertionError("the worker did not run what was queued")
        finally:
            connection.close()

    def stop_process(self, name: str, *, quick: bool = False) -> None:
        process = self.processes.pop(name, None)
        if process is None:
            return
        if process.poll() is None:
            # nginx and gunicorn stop gracefully on QUIT/TERM; RQ's worker on TERM;
            # gunicorn at once (``quick``) on QUIT
            graceful = signal.SIGQUIT if name == "nginx" else signal.SIGTERM
            process.send_signal(signal.SIGQUIT if quick else graceful)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def stop(self) -> None:
        """Stop everything at once (each stops gracefully), then wait for all."""
        names = list(self.processes)
        for name in names:
            process = self.processes[name]
            if process.poll() is None:
                process.send_signal(signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
        for name in names:
            self.stop_process(name)
