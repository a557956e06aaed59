"""Stand-ins for cluster mode's classes when psycopg (the ``[cluster]`` extra) is not installed."""

from __future__ import annotations

from typing import Any, NoReturn

from metering_sidecar.core import ConfigError

MISSING = (
    "--cluster-postgres-dsn: cluster mode needs PostgreSQL's driver (psycopg), which is not installed; "
    "install the extra: pip install 'metering-sidecar[cluster]'"
)


class _Missing:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        refuse()


def refuse() -> NoReturn:
    """Raise the configuration error that names the extra."""
    raise ConfigError(MISSING)


class PostgresLedger(_Missing):
    """Refuses to start: psycopg is missing."""


class ClusterShipping(_Missing):
    """Refuses to start: psycopg is missing."""


class ClusterCustomers(_Missing):
    """Refuses to start: psycopg is missing."""
