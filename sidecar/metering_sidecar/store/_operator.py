"""Operator queries on the record ledger: export, dead letters, discard and retry."""

from __future__ import annotations

from typing import Any

import aiosqlite

from metering_sidecar.core import NotFound, RecordState, RecordView, Refused
from metering_sidecar.store._backlog import Backlog
from metering_sidecar.store._database import Database
from metering_sidecar.store._settings import StoreSettings, targets_for
from metering_sidecar.targets import TargetRegistry

_COLUMNS = (
    "id, state, product, license_arn, customer_field, customer, dimension, quantity, timestamp_s, window_start, "
    "metering_record_id, reason, message, attempts, request_json, sealed_ms, finished_ms, event_count, discard_reason, "
    "marketplace"
)


def _view(row: Any, targets: TargetRegistry) -> RecordView:
    try:
        scale = targets.get(str(row[19])).quantity_scale
    except LookupError:  # a marketplace this version has no target for: its units as stored
        scale = 0
    return RecordView(
        id=int(row[0]), state=str(row[1]), product_code=str(row[2]), license_arn=str(row[3]),
        customer_field=str(row[4]), customer=str(row[5]), dimension=str(row[6]), quantity=int(row[7]),
        timestamp=float(row[8]), window_start=float(row[9]), metering_record_id=str(row[10] or ""),
        reason=str(row[11] or ""), message=str(row[12] or ""), attempts=int(row[13]), request_json=str(row[14]),
        sealed_at=int(row[15]) / 1000, finished_at=None if row[16] is None else int(row[16]) / 1000,
        event_count=int(row[17]), discard_reason=str(row[18] or ""), marketplace=str(row[19]),
        quantity_scale=scale,
    )  # fmt: skip


class OperatorQueries:
    """The read and repair paths an operator uses: listing records, retrying and discarding dead letters."""

    def __init__(
        self,
        database: Database,
        backlog: Backlog,
        settings: StoreSettings,
        targets: TargetRegistry | None = None,
    ) -> None:
        self._database = database
        self._backlog = backlog
        self.settings = settings
        self.targets = targets_for(settings, targets)

    async def list_records(
        self, *, since: float | None, state: str, after_id: int, limit: int
    ) -> list[RecordView]:
        """Return records in id order after ``after_id``, optionally from a window and in a state."""
        clauses, params = ["id > ?"], [after_id]
        if since is not None:
            clauses.append("window_start >= ?")
            params.append(int(since))
        if state:
            clauses.append("state = ?")
            params.append(state)  # type: ignore[arg-type]
        rows = await self._database.conn.execute_fetchall(
            f"SELECT {_COLUMNS} FROM records WHERE {' AND '.join(clauses)} ORDER BY id LIMIT ?",
            (*params, limit),
        )
        return [_view(r, self.targets) for r in rows]

    async def list_dead_letters(
        self, *, include_discarded: bool, after_id: int, limit: int
    ) -> list[RecordView]:
        """Return dead letters in id order after ``after_id``."""
        extra = "" if include_discarded else " AND discarded_ms IS NULL"
        rows = await self._database.conn.execute_fetchall(
            f"SELECT {_COLUMNS} FROM records WHERE state = 'dead'{extra} AND id > ? ORDER BY id LIMIT ?",
            (after_id, limit),
        )
        return [_view(r, self.targets) for r in rows]

    async def get_record(self, record_id: int) -> RecordView:
        """Return one record or raise NotFound."""
        rows = list(
            await self._database.conn.execute_fetchall(
                f"SELECT {_COLUMNS} FROM records WHERE id = ?", (record_id,)
            )
        )
        if not rows:
            raise NotFound(f"record {record_id} does not exist")
        return _view(rows[0], self.targets)

    async def discard_dead_letter(self, record_id: int, reason: str, now: float) -> None:
        """Close a dead letter, keeping the operator's reason."""
        async with self._database.write_lock, self._database.transaction():
            rows = await self._database.conn.execute_fetchall(
                "UPDATE records SET discarded_ms = ?, discard_reason = ? "
                "WHERE id = ? AND state = 'dead' RETURNING id",
                (int(now * 1000), reason, record_id),
            )
        if not rows:
            await _explain_not_dead(self._database.conn, record_id)

    async def retry_dead_letter(self, record_id: int, now: float) -> None:
        """Make a dead letter pending again, only while its marketplace would still accept its timestamp."""
        async with self._database.write_lock, self._database.transaction():
            rows = list(
                await self._database.conn.execute_fetchall(
                    "SELECT timestamp_s, event_count, customer_field FROM records "
                    "WHERE id = ? AND state = 'dead' AND discarded_ms IS NULL",
                    (record_id,),
                )
            )
            if not rows:
                await _explain_not_dead(self._database.conn, record_id)
            timestamp, events = float(rows[0][0]), int(rows[0][1])
            expires = timestamp + self.targets.expiry_after(self.targets.for_field(str(rows[0][2])))
            if expires <= now:
                raise Refused(
                    f"record {record_id} is too old for its marketplace (its timestamp passed the maximum record age "
                    "minus the expiry margin); it can only be discarded"
                )
            await self._database.conn.execute(
                "UPDATE records SET state = 'pending', next_attempt_s = ?, expires_s = ?, finished_ms = NULL, "
                "message = 'retried by an operator after: ' || COALESCE(reason, '') || ' ' || COALESCE(message, ''), "
                "reason = NULL WHERE id = ?",
                (now, expires, record_id),
            )
        self._backlog.reopen(events)


async def _explain_not_dead(db: aiosqlite.Connection, record_id: int) -> None:
    rows = list(
        await db.execute_fetchall("SELECT state, discarded_ms FROM records WHERE id = ?", (record_id,))
    )
    if not rows:
        raise NotFound(f"record {record_id} does not exist")
    if rows[0][0] != RecordState.DEAD:
        raise Refused(f"record {record_id} is {rows[0][0]}, not a dead letter")
    raise Refused(f"dead letter {record_id} was already discarded")
