"""The shared ledger in PostgreSQL. Every instance creates it if missing (idempotent DDL)."""

from __future__ import annotations

LOCK_KEY = 0x6D657465  # pg_advisory_lock key of the shipper ("mete")

DDL = (
    """
    CREATE TABLE IF NOT EXISTS ms_members (
        instance_id TEXT PRIMARY KEY,
        heartbeat_s DOUBLE PRECISION NOT NULL,
        sealed_through BIGINT NOT NULL,
        left_s DOUBLE PRECISION
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS ms_records (
        id BIGSERIAL PRIMARY KEY,
        product TEXT NOT NULL, license_arn TEXT NOT NULL, customer_field TEXT NOT NULL, customer TEXT NOT NULL,
        dimension TEXT NOT NULL, window_start BIGINT NOT NULL,
        timestamp_s BIGINT NOT NULL, quantity BIGINT NOT NULL, request_json TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_s DOUBLE PRECISION NOT NULL, expires_s DOUBLE PRECISION NOT NULL,
        metering_record_id TEXT, reason TEXT, message TEXT, finished_s DOUBLE PRECISION,
        UNIQUE (product, license_arn, customer_field, customer, dimension, window_start)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS ms_contributions (
        instance_id TEXT NOT NULL,
        product TEXT NOT NULL, license_arn TEXT NOT NULL, customer_field TEXT NOT NULL, customer TEXT NOT NULL,
        dimension TEXT NOT NULL, window_start BIGINT NOT NULL,
        quantity BIGINT NOT NULL, first_event_ms BIGINT NOT NULL, event_count BIGINT NOT NULL,
        request_json TEXT NOT NULL, content_sha256 TEXT NOT NULL,
        record_id BIGINT REFERENCES ms_records (id),
        PRIMARY KEY (instance_id, product, license_arn, customer_field, customer, dimension, window_start)
    )
    """,
    "CREATE INDEX IF NOT EXISTS ms_contributions_open ON ms_contributions (product, customer, dimension) "
    "WHERE record_id IS NULL",
    "CREATE INDEX IF NOT EXISTS ms_records_due ON ms_records (next_attempt_s) WHERE state = 'pending'",
)
