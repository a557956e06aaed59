"""One process per database file, whatever its name (I10): ``flock`` on the database file itself.

The lock on ``<db>.lock`` is keyed on the path, so a hard link or a bind mount of a served database
would get a lock of its own, and two processes would write one file through two -wal files until it is
malformed. This lock is on the file (its inode): taken after the path lock, on a descriptor kept open
until the database is closed. flock and SQLite's POSIX (fcntl) locks are independent on Linux local
filesystems, so SQLite's connection and readers (``sqlite3`` on the file while it is served) are not
affected.

Closing any descriptor of a file drops every POSIX lock the process holds on it, SQLite's included, so
the descriptor is closed only after SQLite's connection, and a second opener of a file this process
already holds is refused before it opens a descriptor of its own.
"""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

from metering_sidecar.core import DatabaseLocked
from metering_sidecar.store._db_path import path_error
from metering_sidecar.store._lock import NO_LOCKING, cannot_lock

_PROC_LOCKS = "/proc/locks"  # the kernel's table of file locks: who holds ours
_HELD: set[tuple[int, int]] = set()  # (device, inode) of the database files this process holds


class DatabaseFileLock:
    """Take with acquire() (after the path lock), give back with release() after SQLite closes the file."""

    def __init__(self, db_path: str) -> None:
        self.path = db_path
        self.had_content = False  # whether the file held anything when locked (else SQLite makes it new)
        self._fd: int | None = None
        self._key: tuple[int, int] | None = None

    def acquire(self) -> None:
        """Lock the file (creating it empty, which SQLite takes as a new database) or raise DatabaseLocked."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            pass
        else:
            if (st.st_dev, st.st_ino) in _HELD:
                raise DatabaseLocked(self._refusal(f"pid {os.getpid()} (this process)"))
        try:
            fd = os.open(
                self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600
            )  # a new database: its user's
        except OSError as exc:
            raise path_error(self.path, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            st = os.fstat(fd)
            os.close(fd)  # no SQLite connection of this process has the file open (checked above)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise DatabaseLocked(self._refusal(self._holder(st))) from None
            if exc.errno in NO_LOCKING:
                raise cannot_lock(self.path, exc) from None
            raise
        st = os.fstat(fd)
        self._fd, self._key, self.had_content = fd, (st.st_dev, st.st_ino), st.st_size > 0
        _HELD.add(self._key)

    def _refusal(self, holder: str) -> str:
        return (
            f"another metering-sidecar serves this database: {holder} holds {self.path}, the same file as "
            "the one it serves under another name (a hard link or a bind mount of it). One process per "
            "database: stop the other one, or give this one its own --db (a new file, not a link to a "
            "served one); two processes writing one file would corrupt it and strand acknowledged usage"
        )

    def _holder(self, st: os.stat_result) -> str:
        """Name the process holding the flock, from /proc/locks (the pid as this process's namespace sees it)."""
        device = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
        try:
            lines = Path(_PROC_LOCKS).read_text().splitlines()
        except OSError:
            lines = []
        for line in lines:
            fields = line.split()
            if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == device and fields[4] != "0":
                return f"pid {fields[4]}"
        return "a process (not visible from here)"

    def release(self) -> None:
        """Give the lock back; safe to call twice. Call it only after SQLite's connection is closed."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            if self._key is not None:
                _HELD.discard(self._key)
                self._key = None
            os.close(fd)
