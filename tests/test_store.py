"""The store on real SQLite files: migrations, damage, retention, and restarts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from metering_sidecar.core._clock import ManualClock
from metering_sidecar.core._errors import ConfigError, StorageError
from metering_sidecar.core._model import CustomerField, Outcome, RecordOutcome, UsageEvent
from metering_sidecar.store import Store, StoreSettings
from metering_sidecar.store._schema import MIGRATIONS, SCHEMA_VERSION

from tests.conftest import HOUR, START

SETTINGS = StoreSettings(window_seconds=HOUR, max_record_age=6 * HOUR, expiry_margin=900)
NEXT = (int(START) // HOUR) * HOUR + HOUR


def usage(event_id: str, when: float, quantity: int = 1) -> UsageEvent:
    """Return a domain event."""
    return UsageEvent(
        event_id, f"fp-{event_id}", "prod", "", CustomerField.ACCOUNT_ID, "1234", "req", quantity, when
    )


async def test_upgrades_a_database_made_by_schema_1(tmp_path: Path) -> None:
    """A v1 database (no folded_tag_sets column) migrates forward and keeps its events and watermark."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(MIGRATIONS[0])
        conn.execute("PRAGMA user_version=1")
        conn.executemany(
            "INSERT INTO meta VALUES (?, ?)", [("window_seconds", "3600"), ("watermark", str(NEXT))]
        )
        conn.execute(
            "INSERT INTO events (event_id, fingerprint, product, license_arn, customer_field, customer, dimension, "
            "quantity, event_ms, window_start, tags, received_ms) VALUES ('old', 'fp', 'prod', '', "
            f"'CustomerAWSAccountId', '1234', 'req', 5, {NEXT * 1000 + 1}, {NEXT}, '', 0)"
        )
    clock = ManualClock(NEXT + 60)
    async with Store(path, SETTINGS, clock) as store:
        assert not store.created
        assert store.watermark == NEXT
        assert (await store.status()).pending_events == 1
        sealed = await store.seal(NEXT + HOUR + 61, 60)
        assert sealed.records == 1
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert conn.execute("SELECT quantity, folded_tag_sets FROM records").fetchall() == [(5, 0)]


async def test_damaged_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    """A file that fails quick_check stops start-up with instructions, and its bytes are untouched."""
    path = tmp_path / "bad.db"
    async with Store(path, SETTINGS, ManualClock(START)) as store:
        await store.append([usage(f"e{i}", START) for i in range(2000)])
    data = bytearray(path.read_bytes())
    for offset in range(4096 + 100, len(data), 4096):
        data[offset : offset + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    before = path.read_bytes()
    with pytest.raises(StorageError) as info:
        async with Store(path, SETTINGS, ManualClock(START)):
            pass
    message = str(info.value)
    assert "damaged" in message
    assert "has not changed it" in message
    assert ".recover" in message
    assert path.read_bytes() == before


async def test_not_a_database_is_refused(tmp_path: Path) -> None:
    """A file that is not SQLite at all is refused the same way."""
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError, match="damaged"):
        async with Store(path, SETTINGS, ManualClock(START)):
            pass
    assert path.read_bytes() == b"this is not a database" * 100


async def test_changing_the_window_is_refused(tmp_path: Path) -> None:
    """Windows cannot change under an existing database: a configuration error (exit 2), not damage."""
    path = tmp_path / "w.db"
    async with Store(path, SETTINGS, ManualClock(START)):
        pass
    other = StoreSettings(window_seconds=60, max_record_age=6 * HOUR, expiry_margin=900)
    with pytest.raises(ConfigError, match="--window-seconds 3600"):
        async with Store(path, other, ManualClock(START)):
            pass


async def test_restart_keeps_watermark_and_pending(tmp_path: Path) -> None:
    """Reopening the same file is not a fresh start: watermark and pending events survive."""
    path = tmp_path / "r.db"
    clock = ManualClock(NEXT + 60)
    async with Store(path, SETTINGS, clock) as store:
        first_watermark = store.watermark
        await store.append([usage("a", NEXT + 60)])
    clock.advance(10)
    async with Store(path, SETTINGS, clock) as store:
        assert store.watermark == first_watermark
        assert store.pending_events == 1
        assert not store.created


async def test_prune_keeps_ids_for_retention_then_drops_billed(tmp_path: Path) -> None:
    """Billed events are pruned after the id retention; audit rows after the audit retention; pending never."""
    settings = StoreSettings(
        window_seconds=HOUR, max_record_age=6 * HOUR, expiry_margin=900,
        id_retention_seconds=7 * 86400, audit_retention_seconds=90 * 86400,
    )  # fmt: skip
    clock = ManualClock(START)  # fresh start: windows from NEXT on are open
    async with Store(tmp_path / "p.db", settings, clock) as store:
        await store.append([usage("billed", NEXT + 60), usage("other", NEXT + 61)])
        await store.seal(NEXT + HOUR + 61, 60)
        [record] = await store.due_records(NEXT + HOUR + 61)
        await store.apply(
            [RecordOutcome(record.id, Outcome.BILLED, metering_record_id="mr-1")], NEXT + HOUR + 61
        )
        await store.append([usage("pending", NEXT + HOUR + 100)])
        assert await store.prune(NEXT + 6 * 86400) == 0
        assert await store.prune(NEXT + 8 * 86400) == 2
        assert (await store.status()).billed_records == 1
        assert (await store.status()).pending_events == 1
        await store.prune(NEXT + 91 * 86400)
        assert (await store.status()).billed_records == 0
        assert (await store.status()).pending_events == 1
