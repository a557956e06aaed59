"""metering-sidecar: bill usage to AWS Marketplace exactly once, from a process beside your application.

What an embedder needs is here; everything else lives in the parts (``api``, ``store``, ``shipping``,
``marketplace``, ``emulator``, ``cluster``, ...), whose modules are private. Names resolve on first use,
so ``import metering_sidecar`` stays cheap (the container's health check relies on that)::

    import metering_sidecar as ms

    config = ms.config_from_env(os.environ, db="/var/lib/metering/metering.db")
    async with ms.Sidecar(config, env=os.environ) as sidecar:
        await sidecar.wait_stopped()

The error tree::

    SidecarError
    ├── InvalidUsage          bad input: names the field, the rule and (in a batch) the index
    ├── ConflictingEvent      an event_id seen before with other content
    ├── StorageFull           the buffer cap or the disk is full
    ├── StorageError          the database failed (damaged, unreadable)
    ├── DatabaseLocked        another process holds the database, or its filesystem cannot lock
    ├── NotFound              the named record does not exist
    ├── Refused               well-formed, but not possible in the current state
    ├── RemoteError           a marketplace call failed; ``retryable`` says whether to try again
    ├── LedgerError           the cluster ledger (PostgreSQL) failed; ``code`` names the cause
    └── ConfigError           a flag, env var or setting is wrong
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from metering_sidecar._app import Sidecar
    from metering_sidecar.config import Config, add_arguments
    from metering_sidecar.config import build as build_config
    from metering_sidecar.config import from_mapping as config_from_env
    from metering_sidecar.core import (
        Clock,
        ConfigError,
        ConflictingEvent,
        DatabaseLocked,
        InvalidUsage,
        LedgerError,
        ManualClock,
        NotFound,
        Refused,
        RemoteError,
        SidecarError,
        StorageError,
        StorageFull,
        SystemClock,
    )

_CORE = (
    "Clock", "ManualClock", "SystemClock", "SidecarError", "InvalidUsage", "ConflictingEvent", "StorageFull",
    "StorageError", "DatabaseLocked", "NotFound", "Refused", "RemoteError", "LedgerError", "ConfigError",
)  # fmt: skip
_EXPORTS = {
    "Sidecar": ("metering_sidecar._app", "Sidecar"),
    "Config": ("metering_sidecar.config", "Config"),
    "add_arguments": ("metering_sidecar.config", "add_arguments"),
    "build_config": ("metering_sidecar.config", "build"),
    "config_from_env": ("metering_sidecar.config", "from_mapping"),
    **{name: ("metering_sidecar.core", name) for name in _CORE},
}

__all__ = [
    "Clock",
    "Config",
    "ConfigError",
    "ConflictingEvent",
    "DatabaseLocked",
    "InvalidUsage",
    "LedgerError",
    "ManualClock",
    "NotFound",
    "Refused",
    "RemoteError",
    "Sidecar",
    "SidecarError",
    "StorageError",
    "StorageFull",
    "SystemClock",
    "add_arguments",
    "build_config",
    "config_from_env",
]


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'metering_sidecar' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value  # resolved once
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
