"""The ledger's schema version: a ledger too new for this member is refused, an older one is created or
migrated in place (on a session of its own, without blocking members that still write the old one), and
settled contributions too old to matter are pruned."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import psycopg
import psycopg.errors

from metering_sidecar.cluster._pg_errors import LedgerRefused, error_message, pg_error
from metering_sidecar.cluster._schema import (
    CUSTOMERS,
    MIN_MEMBER_VERSION,
    SCHEMA_LOCK,
    SCHEMA_VERSION,
    V1,
    V2,
    V2_INDEXES,
    V2_KEY_COLUMNS,
)
from metering_sidecar.core import LedgerError
from metering_sidecar.targets import TargetRegistry

log = logging.getLogger("sidecar.cluster")


class Migration:
    """Brings every new session's ledger to this member's schema version, and prunes it."""

    def __init__(
        self, dsn: str, *, call_timeout: float, expiry_after: float, targets: TargetRegistry, window: int
    ) -> None:
        self.dsn = dsn
        self.call_timeout = call_timeout
        self.expiry_after = expiry_after
        self.targets = targets
        self.window = window
        self._migration: asyncio.Task[None] | None = None

    def cancel(self) -> None:
        """Stop a migration under way (the next member takes it up again: each step is idempotent)."""
        if self._migration is not None:
            self._migration.cancel()
        self._migration = None

    async def prepare(self, conn: psycopg.AsyncConnection[Any]) -> str:
        """Refuse a ledger too new for this member, have an older one migrated, return its identity.

        A migration runs in a task of its own, on a session without a statement timeout (building the new key
        over millions of contributions takes longer than any call deadline); until it is done, calls fail
        fast with ``LedgerMigrating`` and are tried again next pass.
        """
        meta, version = await self._read_meta(conn)
        if version < SCHEMA_VERSION:
            if self._migration is None or self._migration.done():
                self._migration = asyncio.create_task(self._migrate(), name="cluster-ledger-migration")
            done, _ = await asyncio.wait({self._migration}, timeout=max(0.1, self.call_timeout * 0.5))
            if not done:
                raise LedgerError("LedgerMigrating", "the cluster ledger is being migrated to schema version "
                                  f"{SCHEMA_VERSION} (a large ledger takes a while); hand-over waits for it",
                                  retryable=True)  # fmt: skip
            migration, self._migration = self._migration, None
            migration.result()  # a failed migration raises its own LedgerError
            meta, version = await self._read_meta(conn)
        return f"{meta.get('identity', '')}/{meta.get('epoch', '')}"

    async def _read_meta(self, conn: psycopg.AsyncConnection[Any]) -> tuple[dict[str, str], int]:
        row = await (await conn.execute(
            "SELECT to_regclass('ms_meta') IS NOT NULL, to_regclass('ms_contributions') IS NOT NULL"
        )).fetchone()  # fmt: skip
        assert row is not None
        meta: dict[str, str] = {}
        if row[0]:
            meta = {
                str(k): str(v)
                for k, v in await (await conn.execute("SELECT key, value FROM ms_meta")).fetchall()
            }
        version = int(meta.get("schema_version", 1 if row[1] else 0))
        needed = int(meta.get("min_member_version", 0))
        if needed > SCHEMA_VERSION:
            raise LedgerRefused(
                f"the cluster ledger has schema version {version} and accepts members of version {needed} "
                f"or newer; this metering-sidecar writes version {SCHEMA_VERSION}. Nothing was changed and "
                "this member's usage stays on its disk: upgrade this member to the version the other "
                "members run, on the same volume"
            )
        return meta, version

    async def _migrate(self) -> None:
        """Create or migrate the ledger on a session of its own; errors say they are migration errors."""
        try:
            conn = await psycopg.AsyncConnection.connect(
                self.dsn, autocommit=True, connect_timeout=max(1, int(self.call_timeout)), keepalives=1,
            )  # fmt: skip
        except psycopg.Error as exc:
            raise pg_error(exc, self.dsn) from None
        try:
            # No statement timeout (the work is proportional to the ledger's size), but a short lock timeout:
            # the brief ACCESS EXCLUSIVE steps back off and retry rather than queue, because a queued one
            # would block every version-1 member's hand-over behind it.
            lock_ms = max(100, int(self.call_timeout * 250))
            await conn.execute(
                "SELECT set_config('statement_timeout', '0', false), set_config('lock_timeout', %s, false)",
                (str(lock_ms),),
            )
            for attempt in range(1, 1000):
                try:
                    if await self._migrate_once(conn):
                        return
                except psycopg.errors.LockNotAvailable:
                    pass  # a member holds the table (or another migrates): back off, try again
                await asyncio.sleep(min(5.0, 0.1 * 2**attempt))
        except psycopg.errors.InsufficientPrivilege as exc:
            raise LedgerError("LedgerMigrationRefused", "migrating the cluster ledger needs the right to create "
                              f"and alter its tables: {error_message(exc, self.dsn)}", retryable=True) from None  # fmt: skip
        except psycopg.Error as exc:
            raise LedgerError(
                "LedgerMigrationFailed",
                f"migrating the cluster ledger failed: {error_message(exc, self.dsn)}",
                retryable=True,
            ) from None
        finally:
            await conn.close()

    async def _migrate_once(self, conn: psycopg.AsyncConnection[Any]) -> bool:
        """One try at the migration; False when another member migrates just now (try again later)."""
        got = await (await conn.execute("SELECT pg_try_advisory_lock(%s)", (SCHEMA_LOCK,))).fetchone()
        if got is None or not got[0]:
            return False
        try:
            meta, version = await self._read_meta(conn)
            if version >= SCHEMA_VERSION:
                return True
            async with conn.transaction():  # cheap: new tables, and columns with constant defaults
                for statement in (*V1, *V2, *CUSTOMERS):
                    await conn.execute(statement)
            await self.prune(conn, limit=None)  # less to index
            await self._build_key(conn)
            needed = int(meta.get("min_member_version", 0))
            meta.setdefault("identity", str(uuid.uuid4()))
            meta.setdefault("epoch", str(uuid.uuid4()))
            meta["schema_version"] = str(SCHEMA_VERSION)
            meta["min_member_version"] = str(max(needed, MIN_MEMBER_VERSION))
            async with conn.transaction():
                await conn.cursor().executemany(
                    "INSERT INTO ms_meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    list(meta.items()),
                )  # fmt: skip
            log.warning(
                "cluster ledger created" if version == 0 else "cluster ledger migrated in place",
                extra={"fields": {"from_version": version, "to_version": SCHEMA_VERSION, "identity": meta["identity"]}},
            )  # fmt: skip
            return True
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))

    async def _build_key(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """Give ms_contributions its version-2 primary key without blocking writers while it is built."""
        for name, statement in V2_INDEXES:
            valid = await (await conn.execute(
                "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", (name,)
            )).fetchone()  # fmt: skip
            if valid is not None and not valid[0]:
                # Left invalid by an interrupted build (a restart, a lost session): build it again.
                await conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
            if name == V2_INDEXES[0][0] and await self._key_is_v2(conn):
                continue
            await conn.execute(statement)
        if not await self._key_is_v2(conn):
            async with conn.transaction():  # catalog-only: the index is built already
                await conn.execute(
                    "ALTER TABLE ms_contributions DROP CONSTRAINT IF EXISTS ms_contributions_pkey"
                )
                await conn.execute(
                    f"ALTER TABLE ms_contributions ADD CONSTRAINT ms_contributions_pkey PRIMARY KEY USING INDEX "
                    f"{V2_INDEXES[0][0]}"
                )

    @staticmethod
    async def _key_is_v2(conn: psycopg.AsyncConnection[Any]) -> bool:
        row = await (await conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'ms_contributions_pkey' "
            "AND conrelid = 'ms_contributions'::regclass"
        )).fetchone()  # fmt: skip
        return row is not None and f"({V2_KEY_COLUMNS})" in str(row[0])

    async def prune(self, conn: psycopg.AsyncConnection[Any], *, limit: int | None) -> int:
        """Delete settled contributions too old for AWS to accept again (twice the maximum record age).

        They only answer verdicts, which members collect every pass; a rebuild can no longer need them.
        """
        longest = max(self.expiry_after, self.targets.longest_expiry)
        cutoff = f"extract(epoch FROM clock_timestamp()) - {2 * longest + self.window:.0f}"
        bound = "" if limit is None else f" LIMIT {int(limit)}"
        pruned = 0
        for table in ("ms_contributions", "ms_settled"):
            done = await conn.execute(
                f"DELETE FROM {table} WHERE ctid IN (SELECT t.ctid FROM {table} t JOIN ms_records r ON r.id = t.record_id "
                f"WHERE r.state IN ('billed', 'dead') AND t.window_start < {cutoff}{bound})"
            )  # fmt: skip
            pruned += max(done.rowcount, 0)
        return pruned
