"""What a ``--db`` path must be before anything is created beside it: a file in an existing, writable directory.

The lock file, the database and SQLite's -wal and -shm files all go in that directory, so a missing or
read-only one would otherwise surface as a traceback from whichever of them is opened first, and a
directory given as --db as a "damaged" database. Each becomes a ConfigError (exit 2) naming the path,
the problem and what to do.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from metering_sidecar.core import ConfigError


def check_db_path(db_path: str) -> None:
    """Raise ConfigError unless ``db_path`` (or its symlink's target) can be a database file."""
    real = Path(os.path.realpath(db_path))
    shown = db_path if str(real) == os.path.abspath(db_path) else f"{db_path} (a link to {real})"
    if real.is_dir():
        raise ConfigError(
            f"--db: {shown} is a directory, not a database file. Give the path of a file, "
            f"e.g. --db {real / 'metering.db'}"
        )
    directory = real.parent
    if not directory.exists():
        raise ConfigError(
            f"--db: the directory {directory} of {shown} does not exist. Create it (mkdir -p {directory}) "
            "or mount the volume there, or give a --db path in an existing directory"
        )
    if not directory.is_dir():
        raise ConfigError(f"--db: {directory} is not a directory, so {shown} cannot be created in it")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise path_error(db_path, OSError(_why_not_writable(directory), "not writable"), directory)


def path_error(db_path: str, exc: OSError, where: Path | None = None) -> ConfigError:
    """Return the ConfigError for ``exc``, raised opening ``where`` (the database, its lock file or directory)."""
    where = where or Path(db_path)
    if exc.errno == errno.ENOENT:
        return ConfigError(
            f"--db: the directory {where.parent} of {db_path} does not exist. Create it or mount the "
            "volume there, or give a --db path in an existing directory"
        )
    if exc.errno == errno.ELOOP:
        return ConfigError(
            f"--db: {where} is a symbolic link; the sidecar does not follow one there. Remove it (the "
            "sidecar creates the file itself)"
        )
    if exc.errno == errno.EISDIR:
        return ConfigError(f"--db: {where} is a directory, not a database file. Give the path of a file")
    if exc.errno == errno.EROFS:
        problem = "is on a read-only filesystem"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        problem = f"is not writable by this user (uid {os.geteuid()})"
    else:
        return ConfigError(f"--db: cannot open {where}: {exc.strerror or exc}")
    return ConfigError(
        f"--db: {where} {problem}. The sidecar writes the database, its .lock file and SQLite's -wal and "
        f"-shm files in {where if where.is_dir() else where.parent}: mount it read-write and writable by "
        "the sidecar's user, or give a --db path in a writable directory"
    )


def _why_not_writable(directory: Path) -> int:
    try:
        read_only = bool(os.statvfs(directory).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    return errno.EROFS if read_only else errno.EACCES
