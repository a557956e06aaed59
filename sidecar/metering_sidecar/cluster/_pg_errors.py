"""What the ledger says about PostgreSQL: connection strings checked at start, errors named by cause, and
the DSN's password kept out of every message."""

from __future__ import annotations

import re

import psycopg
import psycopg.conninfo
import psycopg.errors

from metering_sidecar.core import ConfigError, LedgerError


class LedgerRefused(ConfigError):
    """The ledger's schema is newer than this member may write: upgrade the member (exit 2)."""


_SECRETS = (
    re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE),  # key=value form
    re.compile(r"(://[^:/@\s]*:)([^@\s]*)(@)"),  # URI form: scheme://user:password@host
)


def scrub(text: str, dsn: str = "") -> str:
    """Return ``text`` without the DSN's password, in whichever form it appears.

    psycopg quotes a malformed DSN in its error messages, password included; every message about
    PostgreSQL goes through here before it is logged or raised.
    """
    secrets_in_dsn: list[str] = []
    if dsn:
        try:
            password = psycopg.conninfo.conninfo_to_dict(dsn).get("password")
        except psycopg.Error:
            password = None
        if password:
            secrets_in_dsn.append(str(password))
        for pattern in _SECRETS:
            secrets_in_dsn.extend(m.group(2) for m in pattern.finditer(dsn) if m.group(2))
    for secret in sorted(set(secrets_in_dsn), key=len, reverse=True):
        text = text.replace(secret, "***")
    for pattern in _SECRETS:
        text = pattern.sub(lambda m: m.group(1) + "***" + (m.group(3) if m.lastindex == 3 else ""), text)
    return text


def error_message(exc: BaseException, dsn: str) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
    return scrub(first, dsn)


def pg_error(exc: BaseException, dsn: str) -> LedgerError:
    """Name the cause: an operator must tell a permission problem from a lock or an unreachable server."""
    message = error_message(exc, dsn)
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        code = "PostgresPermissionDenied"
    elif isinstance(exc, psycopg.errors.LockNotAvailable):
        code = "PostgresLockTimeout"  # e.g. the lease row or a table held by another session
    elif isinstance(exc, psycopg.errors.QueryCanceled):
        code = "PostgresStatementTimeout"
    elif isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
        code = "PostgresUnavailable"
    else:
        # e.g. two shippers freezing the same window after a failover: the unique key lets one win; the
        # other's transaction rolls back and it tries again next pass.
        code = type(exc).__name__
    return LedgerError(code, message, retryable=True)


# libpq parameters whose values form a fixed set. libpq checks them only when it connects, and says so
# as a connection failure, so a typo would look like PostgreSQL being down for as long as the pod runs.
_CHOICES = {
    "sslmode": ("disable", "allow", "prefer", "require", "verify-ca", "verify-full"),
    "gssencmode": ("disable", "prefer", "require"),
    "channel_binding": ("disable", "prefer", "require"),
    "target_session_attrs": ("any", "read-write", "read-only", "primary", "standby", "prefer-standby"),
    "load_balance_hosts": ("disable", "random"),
    "sslnegotiation": ("postgres", "direct"),
}


def check_dsn(dsn: str) -> None:
    """Refuse a malformed --cluster-postgres-dsn at start (exit 2), without repeating its password."""
    try:
        params = psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.Error as exc:
        raise ConfigError(f"--cluster-postgres-dsn: not a valid PostgreSQL connection string: "
                          f"{error_message(exc, dsn)}") from None  # fmt: skip
    for name, allowed in _CHOICES.items():
        value = params.get(name)
        if value is not None and str(value) not in allowed:
            raise ConfigError(
                f"--cluster-postgres-dsn: {name}={value!r} is not one of {', '.join(allowed)}; "
                "fix the connection string (PostgreSQL would refuse every connection with it)"
            )
    port = params.get("port")
    if port is not None and not all(p.strip().isdigit() for p in str(port).split(",")):
        raise ConfigError(f"--cluster-postgres-dsn: port={port!r} is not a port number")
