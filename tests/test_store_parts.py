"""Each part of the store built alone on a real SQLite file, from only what its constructor takes."""

from __future__ import annotations

import ast
import asyncio
import dataclasses
import math
import sqlite3
import threading
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import metering_sidecar.store as store_package
import pytest
from metering_sidecar.core import (
    DERIVED,
    AppendResult,
    ConfigError,
    ConflictingEvent,
    Content,
    CustomerField,
    DatabaseLocked,
    ManualClock,
    NotFound,
    Outcome,
    RecordOutcome,
    Refused,
    ResolvedCustomer,
    StorageError,
    StorageFull,
    UsageEvent,
    common_fingerprint,
)
from metering_sidecar.store import (
    AzureSubscriptions,
    Backlog,
    Customers,
    Database,
    EventRow,
    Handover,
    Ingest,
    Ledger,
    OperatorQueries,
    Sealing,
    StoreSettings,
)
from metering_sidecar.store._event_insert import (
    NEW_ONLY,
    OWN,
    ROWS_PER_STATEMENT,
    SHARED,
    SHARED_ROWS_PER_STATEMENT,
    insert_parts,
    insert_rows,
)
from metering_sidecar.store._ingest import Pending
from metering_sidecar.store._rows import COLUMNS, SharedRows, roll_forward
from metering_sidecar.store._schema import MIGRATIONS
from metering_sidecar.store._settings import CHUNK
from metering_sidecar.targets import AzureSubscription

from tests.conftest import HOUR, START

AZURE_SUB = "6f1c2b0e-4d5a-4b1e-9c3d-2a7e8f901234"
OTHER_SUB = "0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b"
WINDOW = (int(START) // HOUR) * HOUR  # the window START falls in
# A new database joins the current window here, so the tests can put usage in it.
SETTINGS = StoreSettings(
    window_seconds=HOUR, max_record_age=6 * HOUR, expiry_margin=900, fresh_start_seals_current_window=False
)


@dataclass
class SealedAt:
    """A fixed watermark: all that ingest and hand-over may see of sealing."""

    watermark: int


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    """Return an open, migrated database on a new file."""
    db = Database(tmp_path / "part.db")
    await db.open()
    yield db
    await db.close()


async def put_event(db: Database, event_id: str, window_start: int, *, customer: str = "1234") -> None:
    """Store one unsealed event as ingest would have."""
    async with db.write_lock, db.transaction():
        await db.conn.execute(
            "INSERT INTO events (event_id, fingerprint, product, license_arn, customer_field, customer, dimension, "
            "quantity, event_ms, window_start, tags, received_ms) VALUES (?, ?, 'prod', '', 'CustomerAWSAccountId', "
            "?, 'req', 2, ?, ?, '', 0)",
            (event_id, f"fp-{event_id}", customer, (window_start + 60) * 1000, window_start),
        )


async def put_record(
    db: Database, window_start: int, *, events: int, state: str = "pending", customer: str = "1234",
    expires_s: float = START + 5 * HOUR, reason: str | None = None,
) -> int:  # fmt: skip
    """Store one sealed record as sealing would have; return its id."""
    async with db.write_lock, db.transaction():
        rows = await db.conn.execute_fetchall(
            "INSERT INTO records (product, license_arn, customer_field, customer, dimension, window_start, "
            "timestamp_s, quantity, first_event_ms, event_count, request_json, next_attempt_s, expires_s, "
            "sealed_ms, state, reason) VALUES ('prod', '', 'CustomerAWSAccountId', ?, 'req', ?, ?, 5, ?, ?, "
            "'{}', 0, ?, 0, ?, ?) RETURNING id",
            (customer, window_start, window_start, window_start * 1000, events, expires_s, state, reason),
        )
    return int(next(iter(rows))[0])


async def rows(db: Database, sql: str) -> list[tuple[object, ...]]:
    """Return every row of a query, as tuples."""
    return [tuple(r) for r in await db.conn.execute_fetchall(sql)]


def usage(event_id: str, when: float, fingerprint: str = "") -> UsageEvent:
    """Return a domain event."""
    return UsageEvent(
        event_id,
        fingerprint or f"fp-{event_id}",
        "prod",
        "",
        CustomerField.ACCOUNT_ID,
        "1234",
        "req",
        1,
        when,
    )


async def fill(db: Database) -> None:
    """Write far more than a 200 kB budget holds, in one transaction."""
    async with db.write_lock, db.transaction():
        for i in range(20):
            await db.set_meta({f"big-{i}": "x" * 50_000})


# --- Database -------------------------------------------------------------------------------------


async def test_database_is_durable_locked_and_keeps_metadata(tmp_path: Path) -> None:
    """WAL with synchronous=FULL, one process per file, metadata and counters survive a reopen."""
    path = tmp_path / "part.db"
    db = Database(path)
    await db.open()
    assert db.created
    assert await rows(db, "PRAGMA journal_mode") == [("wal",)]
    assert await rows(db, "PRAGMA synchronous") == [(2,)]
    with pytest.raises(DatabaseLocked):
        await Database(path).open()
    async with db.write_lock, db.transaction():
        await db.set_meta({"k": "v"})
        await db.add_counter("n", 2)
        await db.add_counter("n", 3)
    await db.close()
    again = Database(path)
    await again.open()
    try:
        assert not again.created
        assert (await again.meta("k"), await again.meta("n")) == ("v", "5")
    finally:
        await again.close()


async def test_database_maps_sqlite_full_to_storage_full_and_recovers(tmp_path: Path) -> None:
    """SQLITE_FULL under --max-db-bytes becomes StorageFull and unhealthy; a probe with room recovers."""
    db = Database(tmp_path / "part.db", max_db_bytes=200_000)
    await db.open()
    try:
        with pytest.raises(StorageFull, match="disk full"):
            await fill(db)
        assert not db.healthy
        assert "disk full" in db.last_error
        assert await db.meta("big-0") is None  # rolled back
        await db.set_max_db_bytes(10_000_000)
        assert await db.probe()
        assert db.healthy
        assert db.last_error == ""
    finally:
        await db.close()


async def test_database_rolls_back_a_transaction_a_cancelled_caller_left_open(database: Database) -> None:
    """A BEGIN left open (a cancelled caller) is rolled back, not committed, by the next transaction."""
    await database.conn.execute("BEGIN IMMEDIATE")
    await database.set_meta({"orphan": "1"})
    async with database.write_lock, database.transaction():
        await database.set_meta({"next": "1"})
    assert (await database.meta("orphan"), await database.meta("next")) == (None, "1")


async def test_database_write_is_one_transaction_on_the_connection_thread(database: Database) -> None:
    """write() runs BEGIN IMMEDIATE ... COMMIT with the body on aiosqlite's own thread, and answers after
    the COMMIT; a body that raises leaves nothing behind."""
    threads: list[int] = []

    def body(db: sqlite3.Connection) -> int:
        threads.append(threading.get_ident())
        assert db.in_transaction
        db.execute("INSERT INTO meta (key, value) VALUES ('written', '1')")
        return 7

    async with database.write_lock:
        assert await database.write(body) == 7
    assert await database.meta("written") == "1"
    assert not database.conn.in_transaction
    assert threads == [database.conn._thread.ident]  # the thread that owns the sqlite3 connection

    def broken(db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO meta (key, value) VALUES ('half', '1')")
        raise KeyError("stop")

    async with database.write_lock:
        with pytest.raises(KeyError):
            await database.write(broken)
    assert await database.meta("half") is None
    assert not database.conn.in_transaction


async def test_database_write_maps_sqlite_full_and_rolls_back_what_a_cancelled_caller_left(
    tmp_path: Path,
) -> None:
    """write() maps SQLITE_FULL to StorageFull like transaction() does, and first rolls back a BEGIN
    that a cancelled caller left open, rather than committing it."""
    db = Database(tmp_path / "part.db", max_db_bytes=200_000)
    await db.open()
    try:
        await db.conn.execute("BEGIN IMMEDIATE")
        await db.set_meta({"orphan": "1"})

        def fill(conn: sqlite3.Connection) -> None:
            for i in range(20):
                conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (f"big-{i}", "x" * 50_000))

        async with db.write_lock:
            with pytest.raises(StorageFull, match="disk full"):
                await db.write(fill)
        assert not db.healthy
        assert (await db.meta("orphan"), await db.meta("big-0")) == (None, None)
    finally:
        await db.close()


# --- Backlog --------------------------------------------------------------------------------------


async def test_backlog_counts_the_disk_and_refuses_beyond_the_cap(database: Database) -> None:
    """Unsealed events and pending/handed records count; billed ones do not; the cap refuses more."""
    await put_event(database, "a", WINDOW)
    await put_event(database, "b", WINDOW)
    await put_record(database, WINDOW - HOUR, events=3)
    await put_record(database, WINDOW - 2 * HOUR, events=4, state="billed")
    backlog = Backlog(database, cap=6)
    await backlog.load()
    assert backlog.count == 5
    assert backlog.admits(1)
    assert not backlog.admits(2)
    refusal = backlog.refusal()
    assert isinstance(refusal, StorageFull)
    assert "cap 6" in str(refusal)
    backlog.add(1)
    assert backlog.room() == 0
    backlog.settle(3)
    backlog.reopen(2)
    assert backlog.count == 5
    assert await backlog.stored() == 5  # the disk did not change: only the in-memory count moved


def test_only_the_backlog_writes_the_count() -> None:
    """No store module but _backlog.py assigns the count or touches Backlog's private attribute."""
    names = {"_count", "count", "_pending_events", "pending_events"}
    folder = Path(store_package.__file__).parent
    writers: dict[str, list[int]] = {}
    for module in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = list(node.targets)
            elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            flat = [e for t in targets for e in (t.elts if isinstance(t, ast.Tuple) else [t])]
            assigned = [t for t in flat if isinstance(t, ast.Attribute) and t.attr in names]
            # Reaching into Backlog's private count from elsewhere would be a writer in waiting.
            if isinstance(node, ast.Attribute) and node.attr == "_count" and module.name != "_backlog.py":
                assigned.append(node)
            writers.setdefault(module.name, []).extend(t.lineno for t in assigned)
    assert {name: lines for name, lines in writers.items() if lines and name != "_backlog.py"} == {}
    assert writers["_backlog.py"]  # the scan does find the writes, so an empty answer above means something


# --- Ingest ---------------------------------------------------------------------------------------


async def test_ingest_commits_rolls_late_usage_forward_and_keeps_the_cap(database: Database) -> None:
    """Acknowledged means committed; usage for a sealed window rolls forward; repeats and the cap hold."""
    backlog = Backlog(database, cap=3)
    await backlog.load()
    ingest = Ingest(database, backlog, SealedAt(WINDOW + HOUR), HOUR, ManualClock(START))
    assert await ingest.append([usage("late", START), usage("on-time", WINDOW + HOUR + 10)]) == AppendResult(
        2, 0
    )
    assert await rows(database, "SELECT event_id, window_start, rolled FROM events ORDER BY seq") == [
        ("late", WINDOW + HOUR, 1),
        ("on-time", WINDOW + HOUR, 0),
    ]
    assert await database.meta("rolled_forward_events") == "1"
    assert (backlog.count, ingest.commits) == (2, 1)
    assert await ingest.append([usage("late", START)]) == AppendResult(0, 1)
    with pytest.raises(ConflictingEvent):
        await ingest.append([usage("late", START, fingerprint="other")])
    with pytest.raises(StorageFull, match="buffer full"):
        await ingest.append([usage("x", START), usage("y", START)])
    assert backlog.count == 2
    await ingest.drain()


async def _ingest(database: Database, delay: float, delay_slice: float, siblings: int = 2) -> Ingest:
    backlog = Backlog(database, cap=1000)
    await backlog.load()
    clock = ManualClock(START)
    return Ingest(
        database, backlog, SealedAt(0), HOUR, clock, commit_delay=delay, commit_delay_slice=delay_slice,
        commit_siblings=siblings,
    )  # fmt: skip


async def _shared_commit(ingest: Ingest, prefix: str) -> None:
    """Two callers share a commit, which engages the delay (two siblings); no probe holds them first."""
    ingest._probe_after = math.inf
    await asyncio.gather(*(ingest.append([usage(f"{prefix}-{n}", START)]) for n in range(2)))


async def _queue_one(ingest: Ingest, event_id: str) -> asyncio.Task[AppendResult]:
    appending = asyncio.create_task(ingest.append([usage(event_id, START)]))
    await asyncio.sleep(0)  # the new task's first step runs before this one resumes: it is queued
    assert len(ingest._queue) == 1
    return appending


async def test_ingest_never_delays_a_lone_caller(database: Database) -> None:
    """Appends one after another never wait, however long the delay (an hour's wait would hang this)."""
    lone = await _ingest(database, 3600, 3600)
    for n in range(5):
        assert await asyncio.wait_for(lone.append([usage(f"lone-{n}", START)]), 30) == AppendResult(1, 0)
    assert lone.commits == 5


async def test_ingest_delays_the_commit_after_a_shared_one_while_callers_arrive(database: Database) -> None:
    """After a shared commit, an append arriving while the writer waits joins the next group."""
    ingest = await _ingest(database, 2, 2)
    await _shared_commit(ingest, "pair")
    assert ingest.commits == 1
    first = await _queue_one(ingest, "first")
    # The writer's first step runs before this sleep ends (it was scheduled first) and waits 2 s from later
    # than now, so "second" arrives while "first" waits, whatever the machine's load.
    await asyncio.sleep(0.05)
    second = await ingest.append([usage("second", START)])
    assert (await first, second, ingest.commits) == (AppendResult(1, 0), AppendResult(1, 0), 2)


async def _queue_together(ingest: Ingest, prefix: str, count: int) -> list[asyncio.Task[AppendResult]]:
    appending = [asyncio.create_task(ingest.append([usage(f"{prefix}-{n}", START)])) for n in range(count)]
    await asyncio.sleep(0)  # their first steps run before this task resumes: all are queued
    assert len(ingest._queue) == count
    return appending


async def test_ingest_commits_of_fewer_than_siblings_never_engage_the_delay(database: Database) -> None:
    """Two callers at a time, three siblings needed: the writer probes once (one slice, no one new), its group
    of two engages nothing, and the next pair is not held back at all (no second probe for 30 delays)."""
    ingest = await _ingest(database, 3600, 0.05, siblings=3)
    first = await _queue_together(ingest, "first", 2)
    assert await asyncio.wait_for(asyncio.gather(*first), 30) == [AppendResult(1, 0)] * 2
    assert (ingest.commits, ingest.delayed) == (1, 1)
    again = await _queue_together(ingest, "again", 2)
    assert await asyncio.wait_for(asyncio.gather(*again), 30) == [AppendResult(1, 0)] * 2
    assert (ingest.commits, ingest.delayed) == (2, 1)


async def test_ingest_probe_finds_many_callers_and_engages_the_delay(database: Database) -> None:
    """Two queued together: the writer probes; a third arrives in the wait and shares the commit, which makes
    three siblings and engages the delay, so the next append waits for the one after it too."""
    ingest = await _ingest(database, 1, 1, siblings=3)
    pair = await _queue_together(ingest, "pair", 2)
    # The probe's 1 s wait is scheduled after this 0.05 s sleep and so ends after it, whatever the load: due
    # timers run in deadline order.
    await asyncio.sleep(0.05)
    third = await ingest.append([usage("third", START)])
    assert (await asyncio.gather(*pair), third) == ([AppendResult(1, 0)] * 2, AppendResult(1, 0))
    assert (ingest.commits, ingest.delayed) == (1, 1)
    first = await _queue_one(ingest, "first")
    await asyncio.sleep(0.05)
    second = await ingest.append([usage("second", START)])
    assert (await first, second) == (AppendResult(1, 0), AppendResult(1, 0))
    assert (ingest.commits, ingest.delayed) == (2, 2)


async def test_ingest_stops_delaying_once_a_slice_brings_no_one(database: Database) -> None:
    """Few callers, all in the last commit: the writer waits one slice, not the whole delay (an hour)."""
    ingest = await _ingest(database, 3600, 0.05)
    await _shared_commit(ingest, "pair")
    first = await _queue_one(ingest, "first")
    assert await asyncio.wait_for(first, 30) == AppendResult(1, 0)
    assert ingest.commits == 2


@pytest.mark.parametrize("settle", [None, 0.05], ids=["before-its-first-step", "in-the-delay"])
async def test_ingest_answers_appends_queued_when_closed_during_the_delay(
    database: Database, settle: float | None
) -> None:
    """The writer cancelled (the loop is closing) before it took the queued appends, before its first step
    or while it waits out the delay: their callers get an error, none hangs, nothing of theirs is stored."""
    ingest = await _ingest(database, 3600, 3600)
    await _shared_commit(ingest, "pair")
    waiting = await _queue_one(ingest, "waiting")
    if settle is not None:
        await asyncio.sleep(settle)
    assert ingest._writer is not None
    assert not ingest._writer.done()
    ingest._writer.cancel()
    with pytest.raises(StorageError, match="closed before this commit"):
        await asyncio.wait_for(waiting, 30)
    assert await rows(database, "SELECT event_id FROM events WHERE event_id = 'waiting'") == []


async def test_ingest_survives_a_writer_that_fails(
    database: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A writer failing on a bug answers its group and those queued behind it with an error that says so,
    logs the failure, and the next append gets a new writer."""
    ingest = await _ingest(database, 0.001, 0.001)
    real_commit = ingest._commit_group

    async def failing(group: list[Pending]) -> None:
        monkeypatch.setattr(ingest, "_commit_group", real_commit)  # once
        ingest._queue.append(Pending([], asyncio.get_running_loop().create_future()))  # queued behind
        behind.append(ingest._queue[-1].future)
        raise RuntimeError("a bug")

    behind: list[asyncio.Future[AppendResult]] = []
    monkeypatch.setattr(ingest, "_commit_group", failing)
    with pytest.raises(StorageError, match=r"writer failed \(RuntimeError\)"):
        await asyncio.wait_for(ingest.append([usage("in-the-group", START)]), 30)
    with pytest.raises(StorageError, match=r"writer failed \(RuntimeError\)"):
        await asyncio.wait_for(behind[0], 30)
    assert "the store's writer failed" in caplog.text
    # The failure was logged and answered: draining does not raise it again.
    await asyncio.wait_for(ingest.drain(), 30)
    assert await asyncio.wait_for(ingest.append([usage("after", START)]), 30) == AppendResult(1, 0)
    assert await rows(database, "SELECT event_id FROM events") == [("after",)]


def test_a_multi_row_insert_stays_under_the_host_parameter_limit() -> None:
    """Ingest's biggest INSERT binds fewer parameters than CHUNK, the limit every store query keeps to."""
    columns = len(COLUMNS.split(","))
    assert max(ROWS_PER_STATEMENT) * columns <= CHUNK
    assert max(SHARED_ROWS_PER_STATEMENT) * 4 + 10 <= CHUNK  # SharedRows: four a row, ten shared
    assert (
        min(ROWS_PER_STATEMENT) == min(SHARED_ROWS_PER_STATEMENT) == 1
    )  # any number of rows is a sum of these
    assert sorted(SHARED(tuple(range(columns))) + OWN(tuple(range(columns)))) == list(range(columns))


def _events_db(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS:
        conn.executescript(script)
    return conn


def _event_rows(prefix: str, count: int, *, received: int = 1_000, vary: int | None = None) -> list[EventRow]:
    """Rows of one request (every shared column alike), or with row ``vary`` received at another time."""
    return [
        (f"{prefix}-{n}", f"fp-{n}", "prod", "", "CustomerAWSAccountId", f"{100 + n % 7}", ("a", "b")[n % 2],
         n, received - 500, WINDOW, "", received + (n == vary), 0, "aws")
        for n in range(count)
    ]  # fmt: skip


@pytest.mark.parametrize(
    "parts",
    [
        [(1000, None)],  # one request: narrow runs of 64 and 16, then wide ones of 4 and 1
        [(70, None), (50, None)],  # two requests in one group: the run across them goes in wide
        [(64, 5), (16, 0), (3, None)],  # a row unlike its run's others: that run goes in wide
        [(0, None)],
    ],
)
def test_event_rows_go_in_as_themselves_in_order_narrow_or_wide(
    tmp_path: Path, parts: list[tuple[int, int | None]]
) -> None:
    """insert_rows stores exactly the rows, in their order, whichever statements it picks: the same table as
    one plain INSERT a row gives."""
    rows = [
        row
        for n, (count, vary) in enumerate(parts)
        for row in _event_rows(f"r{n}", count, received=n, vary=vary)
    ]
    ours, plain = _events_db(tmp_path / "ours.db"), _events_db(tmp_path / "plain.db")
    statements: list[str] = []
    ours.set_trace_callback(statements.append)
    insert_rows(ours, rows, "")
    ours.set_trace_callback(None)
    narrow = [sql for sql in statements if "FROM (VALUES" in sql]
    # Runs of 64 and of 16 that share all 9 columns: 15 + 2 of one request; of two requests, the first 64 and
    # two 16s of the second (the run across them is wide); none where a row differs in each run.
    assert len(narrow) == {0: 0, 1000: 15 + 2, 120: 1 + 2, 83: 0}[len(rows)]
    marks = ", ".join("?" * len(COLUMNS.split(",")))
    plain.execute("BEGIN")
    plain.executemany(f"INSERT INTO events ({COLUMNS}) VALUES ({marks})", rows)
    plain.execute("COMMIT")
    stored = ours.execute("SELECT * FROM events ORDER BY seq").fetchall()
    assert stored == plain.execute("SELECT * FROM events ORDER BY seq").fetchall()
    assert [row[1:14] for row in stored] == [row[:13] for row in rows]  # seq, the row, record_id, marketplace
    assert [row[15] for row in stored] == [row[13] for row in rows]


def test_event_rows_new_only_skips_ids_already_stored_in_narrow_runs(tmp_path: Path) -> None:
    """NEW_ONLY skips an id stored before, in a narrow run as in a wide one, and stores the rest (ingest
    counts the changes to see that some were known)."""
    conn = _events_db(tmp_path / "events.db")
    rows = _event_rows("r", 64 + 16 + 4)
    insert_rows(conn, [rows[5], rows[70], rows[81]], "")
    before = conn.total_changes
    insert_rows(conn, rows, NEW_ONLY)
    assert conn.total_changes - before == len(rows) - 3
    stored = conn.execute(f"SELECT {COLUMNS} FROM events ORDER BY event_id").fetchall()
    assert stored == sorted(rows)


def _shared_rows(prefix: str, count: int, *, window: int = WINDOW) -> SharedRows:
    """A batch of common events as api/_batch_rows.py holds it: four columns and the shared ten."""
    shared = (DERIVED, "prod", "", "CustomerAWSAccountId", 5_000, window, "", 5_000, 0, "aws")
    return SharedRows(
        shared, [f"{prefix}-{n}" for n in range(count)], [f"{100 + n % 7}" for n in range(count)],
        [("a", "b")[n % 2] for n in range(count)], [n for n in range(count)],
    )  # fmt: skip


def test_shared_rows_read_as_the_rows_they_hold() -> None:
    """SharedRows is a sequence of full rows, in order, whichever way it is read; columns of other lengths
    are refused."""
    block = _shared_rows("s", 5)
    expected = [
        (f"s-{n}", DERIVED, "prod", "", "CustomerAWSAccountId", f"{100 + n}", ("a", "b")[n % 2], n, 5_000, WINDOW,
         "", 5_000, 0, "aws")
        for n in range(5)
    ]  # fmt: skip
    assert (len(block), list(block), [block[n] for n in range(5)]) == (5, expected, expected)
    assert (block[-1], block[1:3], list(reversed(block))) == (expected[-1], expected[1:3], expected[::-1])
    with pytest.raises(ValueError, match="one of each column"):
        SharedRows(block.shared, ["a", "b"], ["1"], ["d", "d"], [1, 1])


def test_shared_rows_roll_forward_whole_and_only_when_their_window_is_sealed() -> None:
    """I5 for a batch held as columns: rows whose window is sealed move to the watermark together, marked
    rolled and counted; otherwise the same object comes back."""
    block = _shared_rows("s", 3)
    assert roll_forward(block, WINDOW) == (block, 0)
    moved, count = roll_forward(block, WINDOW + HOUR)
    assert count == 3
    assert isinstance(moved, SharedRows)
    assert list(moved) == [(*row[:9], WINDOW + HOUR, row[10], row[11], 1, row[13]) for row in block]
    assert roll_forward(_shared_rows("e", 0), WINDOW + HOUR)[1] == 0


@pytest.mark.parametrize("count", [1000, 200 + 2 * 50 + 4 * 10 + 1, 3, 0])
def test_shared_rows_go_in_as_the_rows_they_hold_in_order_among_other_parts(
    tmp_path: Path, count: int
) -> None:
    """insert_parts stores a SharedRows part from its columns, and list parts around it, as exactly the same
    table as one plain INSERT a row in the parts' order gives."""
    parts: list[Sequence[EventRow]] = [
        _event_rows("before", 3),
        _shared_rows("s", count),
        _event_rows("after", 70),
    ]
    ours, plain = _events_db(tmp_path / "ours.db"), _events_db(tmp_path / "plain.db")
    statements: list[str] = []
    ours.set_trace_callback(statements.append)
    insert_parts(ours, parts, "")
    ours.set_trace_callback(None)
    # The shared part in statements of 200, 50, 10 and 1 rows: 1000 is 5 of them, 341 is 1 + 2 + 4 + 1.
    sizes = {1000: 5, 341: 8, 3: 3, 0: 0}
    assert sum("FROM (VALUES" in sql and "v.column5" not in sql for sql in statements) == sizes[count]
    marks = ", ".join("?" * len(COLUMNS.split(",")))
    plain.execute("BEGIN")
    plain.executemany(
        f"INSERT INTO events ({COLUMNS}) VALUES ({marks})", [row for part in parts for row in part]
    )
    plain.execute("COMMIT")
    stored = ours.execute("SELECT * FROM events ORDER BY seq").fetchall()
    assert stored == plain.execute("SELECT * FROM events ORDER BY seq").fetchall()
    assert len(stored) == 73 + count


def test_shared_rows_new_only_skip_ids_already_stored(tmp_path: Path) -> None:
    """NEW_ONLY skips an id stored before in a SharedRows part too, and stores the rest."""
    conn = _events_db(tmp_path / "events.db")
    block = _shared_rows("s", 200 + 50 + 10 + 1)
    insert_rows(conn, [block[3], block[220], block[255]], "")
    before = conn.total_changes
    insert_parts(conn, [block], NEW_ONLY)
    assert conn.total_changes - before == len(block) - 3
    assert conn.execute(f"SELECT {COLUMNS} FROM events ORDER BY event_id").fetchall() == sorted(block)


async def test_ingest_decides_repeats_of_derived_fingerprints_by_what_they_stand_for(
    database: Database,
) -> None:
    """I8 with DERIVED fingerprints: a stored common event is a repeat of the same event stored either way
    (DERIVED or hashed, as a version before DERIVED stored it) and a conflict for other content under its
    id; a batch held as columns commits, rolls forward (I5) and counts like any other."""
    backlog = Backlog(database, cap=100)
    await backlog.load()
    ingest = Ingest(database, backlog, SealedAt(WINDOW + HOUR), HOUR, ManualClock(START))
    block = _shared_rows("s", 4)
    assert await ingest.append_rows(block) == AppendResult(4, 0)
    assert (
        await rows(database, "SELECT fingerprint, window_start, rolled FROM events")
        == [(DERIVED, WINDOW + HOUR, 1)] * 4
    )
    assert (backlog.count, await database.meta("rolled_forward_events")) == (4, "4")
    hashed = common_fingerprint("s-1", "101", "b", 1)  # what to_event gives s-1, and an older version stored
    assert await ingest.append_rows([(block[1][0], hashed, *block[1][2:])]) == AppendResult(0, 1)
    assert await ingest.append_rows(block) == AppendResult(0, 4)
    old = ("old", common_fingerprint("old", "9", "d", 2), "prod", "", "CustomerAWSAccountId", "9", "d", 2, 5_000,
           WINDOW + HOUR, "", 5_000, 0, "aws")  # fmt: skip
    assert await ingest.append_rows([old]) == AppendResult(1, 0)
    again = SharedRows(block.shared, ["old", "new"], ["9", "9"], ["d", "d"], [2, 2])
    assert await ingest.append_rows(again) == AppendResult(1, 1)
    for other in (
        SharedRows(block.shared, ["s-2"], ["102"], ["a"], [3]),  # s-2 had quantity 2
        SharedRows(block.shared, ["old"], ["9"], ["e"], [2]),  # another dimension
        [(block[0][0], common_fingerprint("s-0", "100", "a", 0) + "x", *block[0][2:])],
    ):
        with pytest.raises(ConflictingEvent):
            await ingest.append_rows(other)
    assert backlog.count == 6
    await ingest.drain()


async def test_a_group_mixing_shared_rows_and_lists_commits_each_callers_answer(database: Database) -> None:
    """Callers that share one commit, some with SharedRows and some with lists: all new, they go in in
    order in one commit, rolled forward and counted across parts; one repeat among them rolls that back and
    the checked path answers each caller on its own (a conflict refuses only its caller)."""
    backlog = Backlog(database, cap=1_000)
    await backlog.load()
    ingest = Ingest(database, backlog, SealedAt(WINDOW + HOUR), HOUR, ManualClock(START))
    first, second = _shared_rows("a", 3), _shared_rows("b", 2, window=WINDOW + HOUR)
    loose = _event_rows("l", 2)
    together = await asyncio.gather(
        ingest.append_rows(first), ingest.append_rows(loose), ingest.append_rows(second)
    )
    assert list(together) == [AppendResult(3, 0), AppendResult(2, 0), AppendResult(2, 0)]
    assert ingest.commits == 1
    assert await rows(database, "SELECT event_id, window_start, rolled FROM events ORDER BY seq") == [
        *((f"a-{n}", WINDOW + HOUR, 1) for n in range(3)),
        *((f"l-{n}", WINDOW + HOUR, 1) for n in range(2)),
        *((f"b-{n}", WINDOW + HOUR, 0) for n in range(2)),
    ]
    assert (backlog.count, await database.meta("rolled_forward_events")) == (7, "5")
    repeat = SharedRows(first.shared, ["a-1", "c-0"], ["101", "7"], ["b", "a"], [1, 5])  # a-1 as stored
    conflict = SharedRows(first.shared, ["b-0", "c-1"], ["100", "7"], ["a", "a"], [9, 5])  # b-0 had 0
    fresh = _event_rows("m", 2)
    answers = await asyncio.gather(
        ingest.append_rows(repeat),
        ingest.append_rows(conflict),
        ingest.append_rows(fresh),
        return_exceptions=True,
    )
    assert answers[0] == AppendResult(1, 1)
    assert isinstance(answers[1], ConflictingEvent)
    assert answers[2] == AppendResult(2, 0)
    assert await rows(database, "SELECT event_id FROM events WHERE seq > 7 ORDER BY seq") == [
        ("c-0",), ("m-0",), ("m-1",)
    ]  # fmt: skip
    assert backlog.count == 10
    # One id first sent in this very group: its copy is a repeat and other content a conflict, caller by
    # caller (the group's own rows are compared by content too).
    x = SharedRows(first.shared, ["x"], ["0123"], ["d x\x00"], [7])
    same, other = (
        SharedRows(x.shared, ["x"], ["0123"], ["d x\x00"], [7]),
        SharedRows(x.shared, ["x"], ["123"], ["d x\x00"], [7]),
    )
    answers = await asyncio.gather(
        ingest.append_rows(x), ingest.append_rows(same), ingest.append_rows(other), return_exceptions=True
    )
    assert list(answers[:2]) == [AppendResult(1, 0), AppendResult(0, 1)]
    assert isinstance(answers[2], ConflictingEvent)
    # Read back from the file, the account keeps its leading zero and the dimension its NUL: still a repeat.
    assert await ingest.append_rows(SharedRows(x.shared, ["x"], ["0123"], ["d x\x00"], [7])) == AppendResult(
        0, 1
    )
    with pytest.raises(ConflictingEvent) as within:
        await ingest.append_rows(SharedRows(x.shared, ["y", "y"], ["1", "1"], ["d", "d"], [1, 2]))
    assert within.value.index == 1
    assert backlog.count == 11
    await ingest.drain()


def test_the_checked_path_reads_what_is_known_without_copying_it() -> None:
    """Each request of a checked group is compared with what is known by lookups only (a copy per request
    made a retry storm's group quadratic in its size), and what it adds comes back for the caller to keep."""

    class LookupOnly(dict[str, Content]):
        def __iter__(self) -> NoReturn:
            raise AssertionError("known was iterated (copied)")

        def keys(self) -> NoReturn:
            raise AssertionError("known was copied")

    block = _shared_rows("s", 3)
    known = LookupOnly({"s-1": ("s-1", "101", "b", 1)})
    outcome = Ingest._admit(block, known)
    assert outcome == (
        AppendResult(2, 1),
        [block[0], block[2]],
        {"s-0": ("s-0", "100", "a", 0), "s-2": ("s-2", "102", "a", 2)},
    )
    assert dict(known.items()) == {"s-1": ("s-1", "101", "b", 1)}
    assert isinstance(
        Ingest._admit(SharedRows(block.shared, ["s-1"], ["101"], ["b"], [2]), known), ConflictingEvent
    )


async def test_a_damaged_derived_row_is_other_content_not_a_failed_writer(database: Database) -> None:
    """A DERIVED row whose columns were changed by hand to types ingest never writes (a quantity as text) is
    other content: a retry of its id is refused as a conflict, the writer keeps working, nothing is lost."""
    backlog = Backlog(database, cap=100)
    await backlog.load()
    ingest = Ingest(database, backlog, SealedAt(WINDOW), HOUR, ManualClock(START))
    block = _shared_rows("s", 2)
    assert await ingest.append_rows(block) == AppendResult(2, 0)
    async with database.write_lock, database.transaction():
        await database.conn.execute("UPDATE events SET quantity = 'zero' WHERE event_id = 's-0'")
    with pytest.raises(ConflictingEvent):
        await ingest.append_rows(SharedRows(block.shared, ["s-0"], ["100"], ["a"], [0]))
    assert await ingest.append_rows(
        SharedRows(block.shared, ["s-1", "s-2"], ["101", "1"], ["b", "a"], [1, 1])
    ) == AppendResult(1, 1)
    await ingest.drain()


async def test_shared_rows_over_the_buffer_cap_are_refused_whole(database: Database) -> None:
    """The buffer cap (I7) holds for a batch held as columns: a batch that would go over it is refused whole
    and stores nothing; one that fits is stored."""
    backlog = Backlog(database, cap=5)
    await backlog.load()
    ingest = Ingest(database, backlog, SealedAt(WINDOW), HOUR, ManualClock(START))
    assert await ingest.append_rows(_shared_rows("a", 4)) == AppendResult(4, 0)
    with pytest.raises(StorageFull, match="buffer full"):
        await ingest.append_rows(_shared_rows("b", 2))
    assert await ingest.append_rows(_shared_rows("c", 1)) == AppendResult(1, 0)
    assert await rows(database, "SELECT COUNT(*), SUM(event_id LIKE 'b-%') FROM events") == [(5, 0)]
    await ingest.drain()


# --- Sealing --------------------------------------------------------------------------------------


async def test_sealing_builds_one_record_per_key_and_window(database: Database) -> None:
    """Closed windows become one record per key and window, and the watermark moves past them."""
    backlog = Backlog(database, cap=100)
    sealing = Sealing(database, backlog, SETTINGS, ManualClock(START))
    await sealing.load()
    assert sealing.watermark == WINDOW
    for event_id, window, customer in [("a1", WINDOW, "A"), ("a2", WINDOW, "A"), ("b1", WINDOW, "B"),
                                       ("a3", WINDOW + HOUR, "A")]:  # fmt: skip
        await put_event(database, event_id, window, customer=customer)
    result = await sealing.seal(WINDOW + 2 * HOUR + 120, close_delay=60)
    assert (result.records, result.events) == (3, 4)
    assert await rows(
        database,
        "SELECT customer, window_start, quantity, event_count FROM records ORDER BY customer, window_start",
    ) == [
        ("A", WINDOW, 4, 2),
        ("A", WINDOW + HOUR, 2, 1),
        ("B", WINDOW, 2, 1),
    ]
    assert await rows(database, "SELECT COUNT(*) FROM events WHERE record_id IS NULL") == [(0,)]
    assert sealing.watermark == WINDOW + 2 * HOUR
    assert await database.meta("watermark") == str(WINDOW + 2 * HOUR)


async def test_sealing_never_seals_a_window_starting_after_now(database: Database) -> None:
    """Sealing everything (shutdown) seals the open window, never one that starts after now (I9)."""
    sealing = Sealing(database, Backlog(database, cap=100), SETTINGS, ManualClock(START))
    await sealing.load()
    await put_event(database, "now", WINDOW)
    await put_event(database, "future", WINDOW + HOUR)
    await sealing.seal(START, close_delay=60, everything=True)
    assert await rows(database, "SELECT event_id FROM events WHERE record_id IS NULL") == [("future",)]
    assert sealing.watermark == WINDOW + HOUR


async def test_sealing_settles_skipped_windows_and_refuses_a_new_window_length(database: Database) -> None:
    """Windows before --ship-from are sealed 'skipped' and leave the backlog; the window length is fixed."""
    backlog = Backlog(database, cap=100)
    settings = StoreSettings(
        window_seconds=HOUR, max_record_age=6 * HOUR, expiry_margin=900, ship_from=WINDOW + HOUR,
        fresh_start_seals_current_window=False,
    )  # fmt: skip
    sealing = Sealing(database, backlog, settings, ManualClock(START))
    await sealing.load()
    await put_event(database, "old", WINDOW)
    await backlog.load()
    await sealing.seal(WINDOW + HOUR + 120, close_delay=60)
    assert await rows(database, "SELECT state FROM records") == [("skipped",)]
    assert backlog.count == 0
    other = StoreSettings(window_seconds=60, max_record_age=6 * HOUR, expiry_margin=900)
    with pytest.raises(ConfigError, match="--window-seconds"):
        await Sealing(database, backlog, other, ManualClock(START)).load()


# --- Record ledger --------------------------------------------------------------------------------


async def test_ledger_applies_outcomes_and_settles_the_backlog(database: Database) -> None:
    """Billed and dead records leave the backlog; a retry waits for its time; status counts them."""
    ids = [await put_record(database, WINDOW - i * HOUR, events=e) for i, e in ((1, 2), (2, 3), (3, 4))]
    backlog = Backlog(database, cap=100)
    await backlog.load()
    ledger = Ledger(database, backlog, SETTINGS)
    assert [r.id for r in await ledger.due_records(START)] == sorted(ids)
    await ledger.apply(
        [
            RecordOutcome(ids[0], Outcome.BILLED, metering_record_id="m-1"),
            RecordOutcome(ids[1], Outcome.DEAD, reason="invalid", message="no"),
            RecordOutcome(ids[2], Outcome.RETRY, retry_at=START + 100),
        ],
        START,
    )
    assert await rows(database, "SELECT state, attempts, metering_record_id FROM records ORDER BY id") == [
        ("billed", 1, "m-1"),
        ("dead", 1, None),
        ("pending", 1, None),
    ]
    assert backlog.count == 4
    assert await ledger.due_records(START) == []
    status = await ledger.status(sealed_through=WINDOW)
    assert (status.pending_events, status.billed_records, status.dead_letter_records) == (4, 1, 1)
    assert status.last_shipment == START


async def test_ledger_expires_records_and_keeps_a_late_bill(database: Database) -> None:
    """Records past the maximum age are dead-lettered; AWS billing one anyway makes it billed."""
    old = await put_record(database, WINDOW - 5 * HOUR, events=3, expires_s=START - 1)
    backlog = Backlog(database, cap=100)
    await backlog.load()
    ledger = Ledger(database, backlog, SETTINGS)
    assert await ledger.expire(START) == [old]
    assert backlog.count == 0
    await ledger.apply([RecordOutcome(old, Outcome.BILLED, metering_record_id="m-late")], START)
    assert await rows(database, "SELECT state, metering_record_id FROM records") == [("billed", "m-late")]
    assert backlog.count == 0


# --- Customers ------------------------------------------------------------------------------------


async def test_customers_bind_one_tenant(database: Database) -> None:
    """A customer binds to its first tenant; another tenant is refused; tokens find it again."""
    customers = Customers(database)
    resolved = ResolvedCustomer("cust-1", "111122223333", "prod", "arn:license/1")
    first, new = await customers.bind_customer(resolved, "token-1", "tenant-a", START)
    assert new
    again, new = await customers.bind_customer(resolved, "token-2", "tenant-a", START + 1)
    assert (again.id, new) == (first.id, False)
    with pytest.raises(Refused, match="another tenant"):
        await customers.bind_customer(resolved, "token-3", "tenant-b", START + 2)
    found = await customers.customer_for_token("token-2")
    assert found is not None
    assert found.tenant_id == "tenant-a"
    assert [c.id for c in await customers.list_customers(after_id=0, limit=10)] == [first.id]


async def test_azure_subscriptions_are_kept_by_token_hash_and_bound_once(database: Database) -> None:
    """Stored without a tenant, bound to the first tenant that claims it, announced once, refused to
    another tenant with nothing changed, refreshed by a later resolve and by update; ids ignore case."""
    part = AzureSubscriptions(database)
    resolved = AzureSubscription(
        subscription_id=AZURE_SUB.upper(), offer_id="offer", plan_id="basic", quantity=0,
        status="PendingFulfillmentStart", purchaser_tenant_id="p", beneficiary_tenant_id="b", name="n",
    )  # fmt: skip
    stored = await part.store_resolved(resolved, "sha-1", START)
    assert (stored.subscription.subscription_id, stored.tenant_id, stored.first_resolved_at) == (
        AZURE_SUB,
        "",
        START,
    )
    bound, new = await part.bind_tenant(AZURE_SUB, "tenant-a", START + 1)
    assert (bound.tenant_id, bound.last_resolved_at, new) == ("tenant-a", START + 1, True)
    assert (await part.bind_tenant(AZURE_SUB.upper(), "", START + 2))[1] is False
    with pytest.raises(Refused, match="another tenant"):
        await part.bind_tenant(AZURE_SUB, "tenant-b", START + 3)
    await part.store_resolved(dataclasses.replace(resolved, status="Subscribed"), "sha-2", START + 4)
    found = await part.subscription_for_token("sha-2")
    assert found is not None
    assert (found.subscription.status, found.tenant_id, found.first_resolved_at) == (
        "Subscribed",
        "tenant-a",
        START,
    )
    assert await part.subscription_for_token("sha-unknown") is None
    updated = await part.update(dataclasses.replace(resolved, plan_id="pro", status="Suspended"))
    assert updated is not None
    assert (updated.subscription.plan_id, updated.subscription.status) == ("pro", "Suspended")
    assert await part.update(dataclasses.replace(resolved, subscription_id=OTHER_SUB)) is None
    assert await part.subscription(OTHER_SUB) is None
    with pytest.raises(NotFound):
        await part.bind_tenant(OTHER_SUB, "tenant-a", START)
    assert await rows(database, "SELECT token_sha256, subscription_id FROM azure_tokens ORDER BY 1") == [
        ("sha-1", AZURE_SUB), ("sha-2", AZURE_SUB),
    ]  # fmt: skip


# --- Hand-over ------------------------------------------------------------------------------------


async def test_handover_marks_records_handed_and_settles_them(database: Database) -> None:
    """Records handed to the cluster are marked with their contributor; verdicts settle the backlog."""
    first = await put_record(database, WINDOW - 2 * HOUR, events=2)
    second = await put_record(database, WINDOW - HOUR, events=3)
    backlog = Backlog(database, cap=100)
    await backlog.load()
    handover = Handover(database, Ledger(database, backlog, SETTINGS), SealedAt(WINDOW))
    assert [c.record_id for c in await handover.to_hand_over()] == [first, second]
    assert await handover.handed_through() == WINDOW - 2 * HOUR
    await handover.mark_handed([first], ("i-1", "inc-1"))
    assert await rows(database, "SELECT id, state, handed_instance FROM records ORDER BY id") == [
        (first, "handed", "i-1"),
        (second, "pending", None),
    ]
    assert [c.record_id for c in await handover.to_hand_over()] == [second]
    assert [(h.record_id, h.contributor) for h in await handover.handed()] == [(first, ("i-1", "inc-1"))]
    await handover.settle([(first, "billed", "m-1", "")], START)
    assert await rows(database, f"SELECT state FROM records WHERE id = {first}") == [("billed",)]
    assert backlog.count == 3


# --- Operator -------------------------------------------------------------------------------------


async def test_operator_retries_and_discards_dead_letters(database: Database) -> None:
    """A retried dead letter is pending again and back in the backlog; a discarded one stays closed."""
    retried = await put_record(database, WINDOW - HOUR, events=3, state="dead", reason="throttled")
    discarded = await put_record(database, WINDOW - 2 * HOUR, events=1, state="dead", reason="invalid")
    backlog = Backlog(database, cap=100)
    await backlog.load()
    assert backlog.count == 0
    operator = OperatorQueries(database, backlog, SETTINGS)
    await operator.retry_dead_letter(retried, START)
    assert (await operator.get_record(retried)).state == "pending"
    assert backlog.count == 3
    with pytest.raises(Refused, match="not a dead letter"):
        await operator.discard_dead_letter(retried, "no", START)
    await operator.discard_dead_letter(discarded, "customer refunded", START)
    assert [
        r.id for r in await operator.list_dead_letters(include_discarded=False, after_id=0, limit=10)
    ] == []
    assert (await operator.get_record(discarded)).discard_reason == "customer refunded"
    assert backlog.count == 3


def test_no_store_class_inherits_from_another() -> None:
    """Composition, not mixins: every store class's bases are object, Protocol or Exception, but for
    SharedRows, which is a Sequence of rows (an interface, with no state or behaviour to inherit)."""
    allowed = {"Protocol", "Exception"}
    folder = Path(store_package.__file__).parent
    bases = {
        f"{module.name}:{node.name}": [ast.unparse(b) for b in node.bases]
        for module in folder.glob("*.py")
        for node in ast.walk(ast.parse(module.read_text()))
        if isinstance(node, ast.ClassDef)
    }
    assert {name: b for name, b in bases.items() if set(b) - allowed} == {
        "_rows.py:SharedRows": ["Sequence[EventRow]"]
    }


async def test_a_symlink_in_place_of_the_lock_file_is_refused_and_its_target_untouched(
    tmp_path: Path,
) -> None:
    """The lock file is opened without following a symlink planted there (which it would truncate), and a
    new lock file and database are readable by the sidecar's user only."""
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    (tmp_path / "x.db.lock").symlink_to(target)
    database = Database(tmp_path / "x.db")
    with pytest.raises(ConfigError, match="symbolic link"):
        await database.open()
    assert target.read_text() == "keep me"
    fresh = Database(tmp_path / "y.db")
    await fresh.open()
    try:
        assert (tmp_path / "y.db.lock").stat().st_mode & 0o077 == 0
        assert (tmp_path / "y.db").stat().st_mode & 0o077 == 0
    finally:
        await fresh.close()
    await fresh.open()  # closed cleanly: this process may open it again
    await fresh.close()
