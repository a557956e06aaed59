"""The one exception tree of the sidecar.

SidecarError
├── InvalidUsage          bad input: names the field, the rule and (in a batch) the index
├── ConflictingEvent      an event_id seen before with other content
├── StorageFull           the buffer cap or the disk is full
├── StorageError          the database failed (damaged, unreadable)
├── DatabaseLocked        another process holds the database, or its filesystem cannot lock
├── NotFound              the named record does not exist
├── Refused               well-formed, but not possible in the current state; the message says why
├── RemoteError           a marketplace call failed; ``retryable`` says whether to try again
├── LedgerError           the cluster ledger (PostgreSQL) failed; ``code`` names the cause
└── ConfigError           a flag, env var or setting is wrong
"""

from __future__ import annotations


class SidecarError(Exception):
    """Root of every error the sidecar raises on purpose."""


class InvalidUsage(SidecarError):
    """An event breaks a rule; nothing of its request is stored."""

    def __init__(self, field: str, rule: str, index: int | None = None) -> None:
        self.field = field
        self.rule = rule
        self.index = index
        where = f"events[{index}].{field}" if index is not None else field
        super().__init__(f"{where}: {rule}")

    def at(self, index: int) -> InvalidUsage:
        """Return the same error located at ``index`` of a batch."""
        return InvalidUsage(self.field, self.rule, index)


class ConflictingEvent(SidecarError):
    """An event_id was recorded before with different content."""

    def __init__(self, event_id: str, index: int | None = None) -> None:
        self.event_id = event_id
        self.index = index
        where = f"events[{index}]" if index is not None else "event"
        super().__init__(f"{where}: event_id {event_id!r} was already recorded with different content")


class StorageFull(SidecarError):
    """The buffer cap or the disk is full: the event was not stored."""


class StorageError(SidecarError):
    """The database failed in a way the sidecar cannot repair by itself."""


class DatabaseLocked(SidecarError):
    """Another process holds the database (I10), or the database's filesystem cannot lock files."""


class NotFound(SidecarError):
    """The named record does not exist."""


class Refused(SidecarError):
    """The request is well-formed but cannot be done in the current state; the message says why."""


class RemoteError(SidecarError):
    """An AWS call failed.

    ``code`` is AWS's error code (or a transport code such as ``ConnectionError``), ``retryable`` says
    whether the identical call may succeed later. ``outcome_unknown`` says the request may have reached
    AWS without an answer coming back (a read timeout, a reset after sending, a passed deadline), so AWS
    may have acted on it: safe to repeat for idempotent calls, never blindly for ResolveCustomer.
    """

    def __init__(self, code: str, message: str, *, retryable: bool, outcome_unknown: bool = False) -> None:
        self.code = code
        self.message = message
        self.retryable = retryable
        self.outcome_unknown = outcome_unknown
        super().__init__(f"{code}: {message}")


class LedgerError(SidecarError):
    """A call to the cluster ledger (PostgreSQL) failed: unreachable, too slow, migrating, refused.

    Not a RemoteError: the marketplace is fine, and the sidecar keeps taking usage and sealing it while
    hand-over waits for the ledger. ``code`` names the cause; ``retryable`` says whether to try again.
    """

    def __init__(self, code: str, message: str, *, retryable: bool = True) -> None:
        self.code = code
        self.message = message
        self.retryable = retryable
        super().__init__(f"{code}: {message}")


class ConfigError(SidecarError):
    """A setting is missing or wrong; the message names it and says what is expected."""
