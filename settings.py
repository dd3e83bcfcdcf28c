"""Settings, read from the environment (twelve-factor). No secret has a default."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent


class SettingsError(RuntimeError):
    """A required setting is missing or wrong; the app refuses to start."""


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        return int(value)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {value!r}.") from None


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        return float(value)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {value!r}.") from None


def _dates(name: str) -> list[str]:
    """A comma-separated list of ISO dates (YYYY-MM-DD)."""
    return [part.strip() for part in os.environ.get(name, "").split(",") if part.strip()]


# The roles an account can have (core.models.Role), for settings that name roles.
_ROLE_NAMES = ("carer", "supervisor", "manager", "office")


def _roles(name: str, default: str) -> list[str]:
    """A comma-separated list of roles; empty means none. An unknown role stops
    the app rather than silently requiring nobody."""
    value = os.environ.get(name, default)
    roles = [part.strip().lower() for part in value.split(",") if part.strip()]
    unknown = [role for role in roles if role not in _ROLE_NAMES]
    if unknown:
        raise SettingsError(
            f"{name} names roles Candour does not have: {', '.join(unknown)} "
            f"(choose from {', '.join(_ROLE_NAMES)}, separated by commas)."
        )
    return roles


def load(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping.

    `CANDOUR_ENV` is `production` unless set to `development` or `testing`; outside
    those two a missing `SECRET_KEY` stops the app rather than signing sessions with
    a guessable key.
    """
    overrides = dict(overrides or {})
    env = overrides.get("ENV_NAME") or os.environ.get("CANDOUR_ENV", "production")
    instance = ROOT / "instance"
    default_db = f"sqlite:///{instance / 'candour.db'}"
    secret = overrides.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
    if not secret:
        if env not in {"development", "testing"}:
            raise SettingsError(
                "SECRET_KEY must be set (for example: export SECRET_KEY=$(python -c "
                "'import secrets; print(secrets.token_hex(32))'))."
            )
        # Development and tests only: a fresh random key per process.
        secret = os.urandom(32).hex()

    config: dict[str, Any] = {
        "ENV_NAME": env,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL", default_db),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Cookies: HttpOnly and SameSite=Lax always; Secure when served over HTTPS
        # (set SESSION_COOKIE_SECURE=true behind a TLS-terminating proxy).
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", env == "production"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        # Behind a proxy, trust X-Forwarded-For/-Proto from this many hops.
        "PROXY_HOPS": int(os.environ.get("PROXY_HOPS", "0")),
        # CSRF tokens live as long as the session: a carer may open a form, lose
        # signal and submit hours later.
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": True,
        # Request bodies above this are refused with 413 (the sync API limit).
        "MAX_CONTENT_LENGTH": 256 * 1024,
        # Sign-in limits (core/sign_in_limits.py): after this many failures within
        # the window, for one account or from one address, each further attempt
        # waits, after the latest failure, the first wait, then twice as long, …
        # up to the longest wait. Never a lock the right password cannot pass.
        "LOGIN_MAX_FAILURES": _int("LOGIN_MAX_FAILURES", 5),
        "LOGIN_ADDRESS_MAX_FAILURES": _int("LOGIN_ADDRESS_MAX_FAILURES", 50),
        "LOGIN_WINDOW": timedelta(minutes=_int("LOGIN_WINDOW_MINUTES", 60)),
        "LOGIN_FIRST_WAIT": timedelta(seconds=_int("LOGIN_FIRST_WAIT_SECONDS", 30)),
        "LOGIN_LONGEST_WAIT": timedelta(seconds=_int("LOGIN_LONGEST_WAIT_SECONDS", 600)),
        # Two-factor sign-in (core/two_factor.py): the roles that must use a code
        # from an authenticator app after their password. Empty: nobody must (e.g.
        # where sign-in goes through the provider's own SSO); others may still.
        "TWO_FACTOR_ROLES": _roles("TWO_FACTOR_ROLES", "manager,office"),
        # The service's address, for links shown to be passed on (invitations);
        # empty: the address the page was opened at.
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", "").strip(),
        # A link to choose one's password (an invitation or a manager's reset)
        # works once, for this many days (core/invitations.py).
        "INVITATION_DAYS": _int("INVITATION_DAYS", 7),
        # Escalation of a serious report (notifications/escalation.py): unacknowledged
        # after this many minutes it goes to the next manager of the branch, then all.
        "ESCALATION_MINUTES": _int("ESCALATION_MINUTES", 15),
        # Duty timers (incidents/duties.py). Where a rule says "without delay" or
        # "as soon as reasonably practicable" the provider's policy sets the number.
        "DUTY_WITHOUT_DELAY_HOURS": _int("DUTY_WITHOUT_DELAY_HOURS", 24),
        "DUTY_CANDOUR_IN_PERSON_HOURS": _int("DUTY_CANDOUR_IN_PERSON_HOURS", 72),
        "DUTY_CANDOUR_WRITTEN_WORKING_DAYS": _int("DUTY_CANDOUR_WRITTEN_WORKING_DAYS", 10),
        "DUTY_FAMILY_CONTACT_HOURS": _int("DUTY_FAMILY_CONTACT_HOURS", 24),
        # Bank holidays announced as one-offs (e.g. a coronation), on top of the
        # England and Wales ones the app works out itself.
        "EXTRA_BANK_HOLIDAYS": _dates("EXTRA_BANK_HOLIDAYS"),
        # Photos of incidents (incidents/attachments.py): the largest file accepted
        # (a phone's camera photo; Candour's form makes them far smaller first), the
        # most pixels decoded, the long side of the copy kept, photos per incident,
        # and where their bytes are kept (incidents/file_store.py).
        "ATTACHMENT_MAX_BYTES": _int("ATTACHMENT_MAX_BYTES", 10 * 2**20),
        "ATTACHMENT_MAX_PIXELS": _int("ATTACHMENT_MAX_PIXELS", 50_000_000),
        "ATTACHMENT_MAX_SIDE": _int("ATTACHMENT_MAX_SIDE", 1600),
        "ATTACHMENTS_PER_INCIDENT": _int("ATTACHMENTS_PER_INCIDENT", 20),
        "FILE_STORE": os.environ.get("FILE_STORE", "database").strip() or "database",
        # The review list.
        "INCIDENTS_PAGE_SIZE": _int("INCIDENTS_PAGE_SIZE", 25),
        # The actions list.
        "ACTIONS_PAGE_SIZE": _int("ACTIONS_PAGE_SIZE", 50),
        # Learning: when incidents form a pattern worth a thematic review, and
        # when an action counts as due soon.
        "PATTERN_LOOKBACK_DAYS": _int("PATTERN_LOOKBACK_DAYS", 90),
        "PATTERN_REPEAT_COUNT": _int("PATTERN_REPEAT_COUNT", 3),
        "PATTERN_REPEAT_DAYS": _int("PATTERN_REPEAT_DAYS", 30),
        "PATTERN_CONDITION_COUNT": _int("PATTERN_CONDITION_COUNT", 3),
        "PATTERN_HOTSPOT_MIN": _int("PATTERN_HOTSPOT_MIN", 4),
        "PATTERN_HOTSPOT_RATIO": _float("PATTERN_HOTSPOT_RATIO", 2.0),
        "ACTION_DUE_SOON_DAYS": _int("ACTION_DUE_SOON_DAYS", 7),
        # Messages (notifications/): the job queue, retries and e-mail.
        # QUEUE_URL: empty for a SQLite file under instance/, redis://host:port/db
        # for Redis; tests use "immediate" (each job runs where it is enqueued).
        "QUEUE_URL": os.environ.get("QUEUE_URL", "immediate" if env == "testing" else "").strip(),
        "QUEUE_NAME": os.environ.get("QUEUE_NAME", "candour").strip() or "candour",
        "MESSAGE_RETRY_HOURS": _int("MESSAGE_RETRY_HOURS", 24),
        # A message a worker claimed and has not finished within this long (the
        # worker was killed) is sent again.
        "MESSAGE_SENDING_LEASE_SECONDS": _int("MESSAGE_SENDING_LEASE_SECONDS", 300),
        # E-mail over SMTP; no MAIL_SERVER: no e-mail (links are shown to pass on).
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "").strip(),
        "MAIL_PORT": _int("MAIL_PORT", 587),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", True),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "").strip(),
        "MAIL_TIMEOUT_SECONDS": _int("MAIL_TIMEOUT_SECONDS", 30),
        # Web push (notifications/push): the VAPID key pair made once by
        # `flask --app app push-keys`, and who the push services may contact
        # (mailto: or https: address). Without both keys push is off.
        "VAPID_PUBLIC_KEY": os.environ.get("VAPID_PUBLIC_KEY", "").strip(),
        "VAPID_PRIVATE_KEY": os.environ.get("VAPID_PRIVATE_KEY", "").strip(),
        "VAPID_SUBJECT": os.environ.get("VAPID_SUBJECT", "").strip(),
        # How long a push service keeps an alert for a phone that is off.
        "PUSH_TTL_SECONDS": _int("PUSH_TTL_SECONDS", 24 * 60 * 60),
        "TESTING": env == "testing",
    }
    config.update(overrides)
    if config["MAIL_SERVER"] and not config["PUBLIC_URL"]:
        raise SettingsError(
            "MAIL_SERVER is set, so PUBLIC_URL must be too (e.g. https://candour.example.org): "
            "every e-mail links to the service at that address."
        )
    # Over HTTPS the session cookie is named with the __Host- prefix: browsers then
    # accept it only when Secure, for Path=/ and with no Domain, so no other site
    # or subdomain can set or overwrite it. Plain HTTP (development, tests) cannot
    # use the prefix, so there it keeps the plain name.
    if "SESSION_COOKIE_NAME" not in overrides:
        config["SESSION_COOKIE_NAME"] = (
            "__Host-session" if config["SESSION_COOKIE_SECURE"] else "session"
        )
    config.setdefault("SESSION_COOKIE_PATH", "/")
    config.setdefault("SESSION_COOKIE_DOMAIN", None)
    return config
