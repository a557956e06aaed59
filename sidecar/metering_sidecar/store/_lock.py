"""One process per database (I10): an exclusive OS lock on ``<db>.lock``, held while the store is open.

Two processes sealing one file would each seal from their own idea of the watermark. The lock is
``flock`` on a file beside the database, so the kernel releases it when the holder dies, however it
dies; the file names the holder (pid, host, start time) for the refusal message.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import os
import socket
from pathlib import Path

from metering_sidecar.core import DatabaseLocked
from metering_sidecar.store._db_path import check_db_path, path_error

# flock answers these where the filesystem cannot lock (some NFS mounts, FUSE filesystems).
NO_LOCKING = frozenset({errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL, errno.ENOSYS})


# Network and user-space filesystems: flock may be granted on two hosts at once (NFS with nolock or
# local_lock, a partitioned NFSv4 holder), and SQLite's WAL needs shared memory that they do not share.
_SHARED_FILESYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph", "glusterfs", "lustre", "9p", "afs", "gpfs"}
)


def cannot_lock(path: str | Path, exc: OSError) -> DatabaseLocked:
    """The refusal when ``path``'s filesystem cannot lock files at all."""
    return DatabaseLocked(
        f"the filesystem of {path} cannot lock files ({os.strerror(exc.errno or 0)}), so the sidecar cannot "
        "make sure it is the only process on this database. Put --db on a local disk or a ReadWriteOnce "
        "volume (not NFS or another shared filesystem)"
    )


def lock_path(db_path: str) -> Path:
    """Return the lock file that guards ``db_path`` (resolved, so a symlink shares its target's lock)."""
    return Path(os.path.realpath(db_path) + ".lock")


def filesystem_type(path: Path, mountinfo: str = "/proc/self/mountinfo") -> str:
    """Return the type of the filesystem holding ``path`` ('' when it cannot be told)."""
    best, kind = "", ""
    try:
        lines = Path(mountinfo).read_text().splitlines()
    except OSError:
        return ""
    target = str(path.resolve())
    for line in lines:
        fields = line.split()
        if " - " not in line or len(fields) < 5:
            continue
        mount_point = fields[4].replace("\\040", " ")
        fstype = line.split(" - ", 1)[1].split()[0]
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= len(best):
            best, kind = mount_point, fstype
    return kind


class DatabaseLock:
    """Take with acquire(), give back with release() (safe to call twice)."""

    def __init__(self, db_path: str, *, mountinfo: str = "/proc/self/mountinfo") -> None:
        self.db_path = db_path
        self.path = lock_path(db_path)
        self.mountinfo = mountinfo
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise DatabaseLocked naming the holder, or why the filesystem cannot lock.

        A --db path that cannot be a database file (its directory missing or read-only, a directory)
        raises ConfigError before anything is created.
        """
        check_db_path(self.db_path)
        kind = filesystem_type(self.path.parent, self.mountinfo)
        if kind in _SHARED_FILESYSTEMS or (kind.startswith("fuse.") and kind != "fuse.fuse-overlayfs"):
            raise DatabaseLocked(
                f"{self.path.parent} is on a {kind} filesystem, where neither the one-process lock nor "
                "SQLite's WAL is reliable. Put --db on a local disk or a ReadWriteOnce volume (block "
                "storage such as EBS), not NFS, EFS, SMB or another shared filesystem"
            )
        try:
            # Not through a symlink planted in its place (truncating its target), and readable only by
            # the sidecar's user (anyone who can open it could flock it and block start-up).
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise path_error(self.db_path, exc, self.path) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise DatabaseLocked(
                    f"another metering-sidecar serves this database: {self._holder()} holds {self.path}. "
                    "One process per database: stop the other one (or give this one its own --db); two "
                    "processes sealing one file would bill an hour twice or not at all"
                ) from None
            if exc.errno in NO_LOCKING:
                raise cannot_lock(self.path, exc) from None
            raise
        holder = (
            f"pid {os.getpid()} on host {socket.gethostname()}, "
            f"started {dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%M:%SZ}\n"
        )
        os.ftruncate(fd, 0)
        os.pwrite(fd, holder.encode(), 0)
        self._fd = fd

    def _holder(self) -> str:
        try:
            text = self.path.read_text().strip()
        except OSError:
            text = ""
        return text or "a process that has not written its name yet"

    def release(self) -> None:
        """Give the lock back; safe to call twice."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the descriptor releases the flock
