"""Settings: read from the environment once, into one typed object.

Business settings per region live in ``regions/*.toml``; only deployment
settings (where things are, secrets, transports) come from the environment.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"
ENVIRONMENTS = ("development", "production", "test")
#: slack a delivery lease keeps beyond one send (clock skew between workers, the DB write)
MAIL_LEASE_MARGIN_SECONDS = 5
#: attempts inside one Microsoft Graph send, each within MAIL_SEND_TIMEOUT (its token
#: request included): sendMail, and sendMail again with a renewed token after a 401
GRAPH_SEND_ATTEMPTS = 2
#: Entra ID authorities that are not one tenant: anyone with a Microsoft account gets a token
MULTI_TENANT_AUTHORITIES = ("common", "organizations", "consumers")
#: the shortest SECRET_KEY production accepts (bytes): it signs sessions and every email link
MIN_SECRET_BYTES = 32


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message says which and what to do."""


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, value: str) -> int:
    try:
        return int(value.strip() or "0")
    except ValueError:
        raise SettingsError(f"{name}={value!r} is not a whole number.") from None


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for every PostgreSQL URL, whatever spelling was given."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def normalise_origin(origin: str) -> str:
    """An origin as browsers send it in the Origin header: lower case, no trailing slash."""
    return origin.strip().rstrip("/").lower()


@dataclass(frozen=True)
class Settings:
    """Every deployment setting of Summit; the README's settings table lists the same."""

    #: production unless SUMMIT_ENV says otherwise: development conveniences are opt-in
    env: str = "production"
    database_url: str = ""
    #: PostgreSQL connections each process keeps open, and how many more it may open at a
    #: peak (a web process serves one request per thread; see the README's deployment notes)
    database_pool_size: int = 5
    database_max_overflow: int = 5
    #: seconds a request waits for a pooled connection before it fails
    database_pool_timeout: int = 10
    #: PostgreSQL statement_timeout (seconds, 0: none) of the web process and of the others
    #: (workers, scheduler, CLI: imports, term closes and report builds take longer)
    database_statement_timeout_web: int = 30
    database_statement_timeout_jobs: int = 1800
    redis_url: str = "redis://127.0.0.1:6379/0"
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:5000"
    #: reverse proxies in front of Summit whose X-Forwarded-For/-Proto/-Host/-Port are trusted
    trusted_proxy_hops: int = 0
    regions_dir: Path = PROJECT_ROOT / "regions"
    #: smtp | graph | dev (dev keeps every email in the dev mailbox page)
    mail_transport: str = "dev"
    mail_server: str = "localhost"
    mail_port: int = 25
    mail_use_tls: bool = False
    mail_use_ssl: bool = False
    mail_username: str = ""
    mail_password: str = ""
    mail_default_sender: str = "Summit <summit@localhost>"
    #: most messages one sending mailbox may send per minute (Exchange Online: 30)
    mail_rate_per_minute: int = 0
    #: most recipients one sending mailbox may reach per day (Exchange Online: 10,000)
    mail_rate_per_day: int = 0
    #: outbox rows a delivery job claims at once, and how long it holds them
    mail_batch_size: int = 200
    mail_lease_seconds: int = 120
    #: the longest one attempt of a send may take (connecting included); a send's
    #: deadline is this times its attempts, and the lease must outlast that deadline
    mail_send_timeout_seconds: int = 60
    #: an email that failed with a 4xx this many times, or is this old, ends ``failed``
    mail_max_attempts: int = 8
    mail_max_age_hours: int = 48
    entra_tenant_id: str = ""
    entra_client_id: str = ""
    entra_client_secret: str = ""
    entra_authority: str = ""
    #: tenant ids (GUIDs) whose users may sign in; required with a multi-tenant authority
    entra_allowed_tenants: tuple[str, ...] = ()
    entra_redirect_uri: str = ""
    #: PEM file holding the app's private key and certificate (instead of a client secret)
    entra_client_certificate_path: str = ""
    #: CA bundle for Entra ID and Graph (a TLS-inspecting proxy); empty: the system's
    entra_ca_bundle: str = ""
    #: Microsoft Graph root (national clouds differ)
    entra_graph_url: str = "https://graph.microsoft.com/v1.0"
    #: app role values or group object ids that make someone a global admin
    entra_admin_roles: tuple[str, ...] = ("Summit.GlobalAdmin",)
    #: a manager's approval POST needs an Entra sign-in as that manager
    entra_strict_approvals: bool = False
    #: the directory attribute whose value picks a person's region (country, officeLocation...)
    entra_directory_region_attribute: str = "country"
    #: the directory attribute stored as Person.employee_id (employeeId, or id for object ids)
    entra_directory_key_attribute: str = "employeeId"
    #: OData $filter for the users the directory import reads (empty: all users)
    entra_directory_filter: str = ""
    #: the mailbox Graph sends as (UPN); empty: the address of MAIL_DEFAULT_SENDER
    entra_mail_mailbox: str = ""
    #: the user (UPN or object id) who organises Teams meetings; empty: no Teams links
    entra_teams_organizer: str = ""
    #: how long a staff action that emails people may be withdrawn (free-rider confirmation):
    #: its emails wait in the outbox that long
    undo_grace_minutes: int = 10
    #: run jobs in this process instead of RQ (set automatically when Redis is down)
    jobs_inline: bool = False
    #: origins (scheme://host[:port]) whose pages may call the xAPI endpoint from a browser
    xapi_allowed_origins: tuple[str, ...] = ()
    #: Fernet keys (comma-separated, the first encrypts) for the credentials Summit stores,
    #: such as a progress connector's token; required in production to store any
    secrets_key: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def mail_send_deadline_seconds(self) -> int:
        """The longest one send may take, every attempt inside it: MAIL_SEND_TIMEOUT for
        SMTP (one attempt), twice that for Graph. The transports cut a send there."""
        attempts = GRAPH_SEND_ATTEMPTS if self.mail_transport == "graph" else 1
        return self.mail_send_timeout_seconds * attempts

    @property
    def entra_configured(self) -> bool:
        return bool(self.entra_tenant_id and self.entra_client_id)

    @property
    def entra_authority_url(self) -> str:
        """The authority MSAL talks to: ENTRA_AUTHORITY, or the tenant's in the public cloud."""
        if self.entra_authority:
            return self.entra_authority.rstrip("/")
        return f"https://login.microsoftonline.com/{self.entra_tenant_id}"

    @property
    def entra_multi_tenant(self) -> bool:
        """True when the authority accepts more than one tenant (common, organizations,
        consumers): then only ENTRA_ALLOWED_TENANTS may sign in."""
        last = self.entra_authority_url.rstrip("/").rsplit("/", 1)[-1].lower()
        return last in MULTI_TENANT_AUTHORITIES

    @property
    def entra_redirect_url(self) -> str:
        return self.entra_redirect_uri or f"{self.base_url}/auth/entra/callback"

    @property
    def entra_app_credentials(self) -> bool:
        """True when Summit can call Graph as itself (client credentials)."""
        return self.entra_configured and bool(
            self.entra_client_secret or self.entra_client_certificate_path
        )

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
    ) -> Settings:
        """Read the environment once; fail fast on a missing production secret."""
        env = os.environ if environ is None else environ
        summit_env = (env.get("SUMMIT_ENV") or "production").strip().lower()
        if summit_env not in ENVIRONMENTS:
            raise SettingsError(
                f"SUMMIT_ENV={summit_env!r} is not one of {', '.join(ENVIRONMENTS)}."
            )
        values: dict[str, Any] = {
            "env": summit_env,
            "database_url": normalise_database_url(
                env.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'summit.db'}"
            ),
            "database_pool_size": _int(
                "DATABASE_POOL_SIZE", env.get("DATABASE_POOL_SIZE", str(cls.database_pool_size))
            ),
            "database_max_overflow": _int(
                "DATABASE_MAX_OVERFLOW",
                env.get("DATABASE_MAX_OVERFLOW", str(cls.database_max_overflow)),
            ),
            "database_pool_timeout": _int(
                "DATABASE_POOL_TIMEOUT",
                env.get("DATABASE_POOL_TIMEOUT", str(cls.database_pool_timeout)),
            ),
            "database_statement_timeout_web": _int(
                "DATABASE_STATEMENT_TIMEOUT_WEB",
                env.get("DATABASE_STATEMENT_TIMEOUT_WEB", str(cls.database_statement_timeout_web)),
            ),
            "database_statement_timeout_jobs": _int(
                "DATABASE_STATEMENT_TIMEOUT_JOBS",
                env.get(
                    "DATABASE_STATEMENT_TIMEOUT_JOBS", str(cls.database_statement_timeout_jobs)
                ),
            ),
            "redis_url": env.get("REDIS_URL", cls.redis_url),
            "secret_key": env.get("SECRET_KEY", ""),
            "base_url": env.get("SUMMIT_BASE_URL", cls.base_url).rstrip("/"),
            "trusted_proxy_hops": _int(
                "SUMMIT_TRUSTED_PROXY_HOPS", env.get("SUMMIT_TRUSTED_PROXY_HOPS", "0")
            ),
            "mail_transport": env.get("MAIL_TRANSPORT", "dev").strip().lower(),
            "mail_server": env.get("MAIL_SERVER", cls.mail_server),
            "mail_port": int(env.get("MAIL_PORT", cls.mail_port)),
            "mail_use_tls": _bool(env.get("MAIL_USE_TLS", "false")),
            "mail_use_ssl": _bool(env.get("MAIL_USE_SSL", "false")),
            "mail_username": env.get("MAIL_USERNAME", ""),
            "mail_password": env.get("MAIL_PASSWORD", ""),
            "mail_default_sender": env.get("MAIL_DEFAULT_SENDER", cls.mail_default_sender),
            "mail_rate_per_minute": int(env.get("MAIL_RATE_PER_MINUTE", "0")),
            "mail_rate_per_day": int(env.get("MAIL_RATE_PER_DAY", "0")),
            "mail_batch_size": int(env.get("MAIL_BATCH_SIZE", cls.mail_batch_size)),
            "mail_lease_seconds": int(env.get("MAIL_LEASE_SECONDS") or cls.mail_lease_seconds),
            "mail_send_timeout_seconds": int(
                env.get("MAIL_SEND_TIMEOUT", cls.mail_send_timeout_seconds)
            ),
            "mail_max_attempts": int(env.get("MAIL_MAX_ATTEMPTS", cls.mail_max_attempts)),
            "mail_max_age_hours": int(env.get("MAIL_MAX_AGE_HOURS", cls.mail_max_age_hours)),
            "entra_tenant_id": env.get("ENTRA_TENANT_ID", ""),
            "entra_client_id": env.get("ENTRA_CLIENT_ID", ""),
            "entra_client_secret": env.get("ENTRA_CLIENT_SECRET", ""),
            "entra_authority": env.get("ENTRA_AUTHORITY", ""),
            "entra_allowed_tenants": tuple(
                v.strip().lower()
                for v in env.get("ENTRA_ALLOWED_TENANTS", "").split(",")
                if v.strip()
            ),
            "entra_redirect_uri": env.get("ENTRA_REDIRECT_URI", ""),
            "entra_client_certificate_path": env.get("ENTRA_CLIENT_CERTIFICATE_PATH", ""),
            "entra_ca_bundle": env.get("ENTRA_CA_BUNDLE", ""),
            "entra_graph_url": env.get("ENTRA_GRAPH_URL", cls.entra_graph_url).rstrip("/"),
            "entra_admin_roles": tuple(
                v.strip()
                for v in env.get("ENTRA_ADMIN_ROLES", ",".join(cls.entra_admin_roles)).split(",")
                if v.strip()
            ),
            "entra_strict_approvals": _bool(env.get("ENTRA_STRICT_APPROVALS", "false")),
            "entra_directory_region_attribute": env.get(
                "ENTRA_DIRECTORY_REGION_ATTRIBUTE", cls.entra_directory_region_attribute
            ),
            "entra_directory_key_attribute": env.get(
                "ENTRA_DIRECTORY_KEY_ATTRIBUTE", cls.entra_directory_key_attribute
            ),
            "entra_directory_filter": env.get("ENTRA_DIRECTORY_FILTER", ""),
            "entra_mail_mailbox": env.get("ENTRA_MAIL_MAILBOX", ""),
            "entra_teams_organizer": env.get("ENTRA_TEAMS_ORGANIZER", ""),
            "undo_grace_minutes": _int(
                "SUMMIT_UNDO_GRACE_MINUTES", env.get("SUMMIT_UNDO_GRACE_MINUTES", "10")
            ),
            "jobs_inline": _bool(env.get("SUMMIT_JOBS_INLINE", "false")),
            "xapi_allowed_origins": tuple(
                normalise_origin(v)
                for v in env.get("XAPI_ALLOWED_ORIGINS", "").split(",")
                if v.strip()
            ),
            "secrets_key": tuple(
                v.strip() for v in env.get("SUMMIT_SECRETS_KEY", "").split(",") if v.strip()
            ),
        }
        if env.get("SUMMIT_REGIONS_DIR"):
            values["regions_dir"] = Path(env["SUMMIT_REGIONS_DIR"])
        settings = cls(**values)
        if overrides:
            settings = settings.with_overrides(overrides)
        if not env.get("MAIL_LEASE_SECONDS") and "mail_lease_seconds" not in (overrides or {}):
            # the default lease outlasts the transport's longest send
            shortest = settings.mail_send_deadline_seconds + 2 * MAIL_LEASE_MARGIN_SECONDS
            lease = max(settings.mail_lease_seconds, shortest)
            settings = replace(settings, mail_lease_seconds=lease)
        return settings.validated()

    def with_overrides(self, overrides: Mapping[str, Any]) -> Settings:
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        extra = {**self.extra, **{k: overrides[k] for k in unknown}}
        return replace(self, **{k: v for k, v in overrides.items() if k in known}, extra=extra)

    def validated(self) -> Settings:
        if not 0 <= self.trusted_proxy_hops <= 10:
            raise SettingsError(
                f"SUMMIT_TRUSTED_PROXY_HOPS={self.trusted_proxy_hops}: give the number of "
                "reverse proxies in front of Summit (0 when browsers reach gunicorn directly)."
            )
        if self.database_pool_size < 1 or self.database_max_overflow < 0:
            raise SettingsError(
                "DATABASE_POOL_SIZE must be at least 1 and DATABASE_MAX_OVERFLOW at least 0."
            )
        if (
            self.database_pool_timeout < 1
            or self.database_statement_timeout_web < 0
            or self.database_statement_timeout_jobs < 0
        ):
            raise SettingsError(
                "DATABASE_POOL_TIMEOUT must be at least 1 second; DATABASE_STATEMENT_TIMEOUT_WEB "
                "and DATABASE_STATEMENT_TIMEOUT_JOBS are seconds, 0 for none."
            )
        if self.mail_transport not in {"smtp", "graph", "dev"}:
            raise SettingsError(f"MAIL_TRANSPORT={self.mail_transport!r}: use smtp, graph or dev.")
        if self.mail_use_tls and self.mail_use_ssl:
            raise SettingsError("Set MAIL_USE_TLS or MAIL_USE_SSL, not both.")
        worst = self.mail_send_deadline_seconds
        shortest_lease = worst + 2 * MAIL_LEASE_MARGIN_SECONDS
        if self.mail_send_timeout_seconds < 1 or self.mail_lease_seconds < shortest_lease:
            attempts = worst // max(self.mail_send_timeout_seconds, 1)
            raise SettingsError(
                f"MAIL_LEASE_SECONDS={self.mail_lease_seconds} is too short: a worker holds "
                f"an email while one send may take {worst} s (MAIL_SEND_TIMEOUT="
                f"{self.mail_send_timeout_seconds} s for each of the {attempts} attempt(s) "
                f"inside one {self.mail_transport} send), plus twice a "
                f"{MAIL_LEASE_MARGIN_SECONDS} s margin; set it to at least {shortest_lease}."
            )
        if not 0 <= self.undo_grace_minutes <= 24 * 60:
            raise SettingsError(
                f"SUMMIT_UNDO_GRACE_MINUTES={self.undo_grace_minutes}: give the minutes "
                "(0 to 1440) a free-rider confirmation may be withdrawn before its emails leave."
            )
        if self.mail_max_attempts < 1 or self.mail_max_age_hours < 1:
            raise SettingsError("MAIL_MAX_ATTEMPTS and MAIL_MAX_AGE_HOURS must be at least 1.")
        if self.entra_configured and self.entra_multi_tenant and not self.entra_allowed_tenants:
            raise SettingsError(
                "ENTRA_TENANT_ID / ENTRA_AUTHORITY name a multi-tenant authority (common, "
                "organizations or consumers): any Microsoft account could sign in. Use your "
                "tenant's id, or list the tenant ids allowed in ENTRA_ALLOWED_TENANTS."
            )
        for tenant in self.entra_allowed_tenants:
            if not _is_guid(tenant):
                raise SettingsError(
                    f"ENTRA_ALLOWED_TENANTS: {tenant!r} is not a tenant id (a GUID such as "
                    "72f988bf-86f1-41af-91ab-2d7cd011db47), comma-separated."
                )
        if self.entra_configured and not self.entra_app_credentials:
            raise SettingsError(
                "ENTRA_TENANT_ID and ENTRA_CLIENT_ID are set but the app has no credential: "
                "set ENTRA_CLIENT_SECRET or ENTRA_CLIENT_CERTIFICATE_PATH."
            )
        if (
            self.is_production
            and self.entra_configured
            and not self.base_url.startswith("https://")
        ):
            raise SettingsError(
                "SUMMIT_BASE_URL must start with https:// when Entra ID sign-in is on: "
                "session cookies are only marked Secure on HTTPS, and Entra ID accepts "
                "only HTTPS redirect URIs outside localhost."
            )
        if self.mail_transport == "graph" and not self.entra_app_credentials:
            raise SettingsError(
                "MAIL_TRANSPORT=graph sends through Microsoft Graph: set ENTRA_TENANT_ID, "
                "ENTRA_CLIENT_ID and ENTRA_CLIENT_SECRET (or ENTRA_CLIENT_CERTIFICATE_PATH)."
            )
        for origin in self.xapi_allowed_origins:
            scheme, sep, host = origin.partition("://")
            if scheme not in ("http", "https") or not sep or not host or "/" in host:
                raise SettingsError(
                    f"XAPI_ALLOWED_ORIGINS: {origin!r} is not an origin; write "
                    "scheme://host[:port], such as https://lms.example.com, comma-separated."
                )
        for key in self.secrets_key:
            if not _is_fernet_key(key):
                raise SettingsError(
                    "SUMMIT_SECRETS_KEY: each key must be a Fernet key (32 url-safe base64 bytes), "
                    "made with: python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'."
                )
        if self.is_production:
            if not self.secret_key:
                raise SettingsError(
                    "SECRET_KEY is not set. Summit refuses to start in production without it "
                    "(SUMMIT_ENV unset means production; SUMMIT_ENV=development for a local "
                    "try-out): set SECRET_KEY to a long random value (python -c "
                    "'import secrets; print(secrets.token_urlsafe(48))')."
                )
            if len(self.secret_key.encode()) < MIN_SECRET_BYTES:
                raise SettingsError(
                    f"SECRET_KEY is shorter than {MIN_SECRET_BYTES} bytes: it signs sessions "
                    "and every link in an email, so a short one can be guessed. Use python -c "
                    "'import secrets; print(secrets.token_urlsafe(48))'."
                )
            return self
        if self.secret_key:
            return self
        if self.env == "test":
            # never a fixed key: the test suite passes its own; anything else gets a key
            # that dies with the process (its sessions and links with it)
            return replace(self, secret_key=secrets.token_urlsafe(48))
        return replace(self, secret_key=_development_secret())


def _is_fernet_key(key: str) -> bool:

    try:
        return len(base64.urlsafe_b64decode(key.encode())) == 32
    except (binascii.Error, ValueError):
        return False


def _is_guid(value: str) -> bool:
    parts = value.split("-")
    return [len(p) for p in parts] == [8, 4, 4, 4, 12] and all(
        c in "0123456789abcdefABCDEF" for c in "".join(parts)
    )


def _development_secret() -> str:
    """A secret generated once and kept under instance/ so sessions survive restarts."""
    path = INSTANCE_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key
