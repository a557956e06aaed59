"""The shared ledger's schema in PostgreSQL, with a version, an identity and in-place migrations.

Version 1 (metering-sidecar before ledger versions) had no ``ms_meta``. Version 2 adds the incarnation to
contributions, the shipper lease, settled re-offers and the ledger's identity. It is migrated in place,
and stays writable by version-1 members during a rolling upgrade: every new column has a default, the
tables and unique keys version 1 writes through keep working, and version-1 members can no longer become
the shipper while any version-2 member is connected (see ``OLD_SHIPPER_LOCK``).
"""

from __future__ import annotations

SCHEMA_VERSION = 2
# The oldest member version that may still write to a ledger of this version. A member older than a
# ledger's ``min_member_version`` refuses to start (exit 2) and says to upgrade it.
MIN_MEMBER_VERSION = 1

# Version 1 elected its shipper with pg_try_advisory_lock on this key. Every version-2 member holds it
# *shared* on a fence session of its own (queued behind a version-1 shipper, so granted the moment that
# one goes): no version-1 member can take it while a version-2 member is connected, and a version-2 member
# freezes and applies only while its fence holds it, so the two versions never ship at the same time.
OLD_SHIPPER_LOCK = 0x6D657465  # "mete"
# Serializes schema creation and migration between version-2 members (transaction-scoped).
SCHEMA_LOCK = 0x6D657466

# Version 1, exactly as version-1 members create it (they still run these statements).
V1 = (
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

# Version 1 to 2, in place. Each statement is safe to run again.
V2 = (
    # The contributor is (instance id, incarnation); version-1 members write the legacy incarnation ''.
    "ALTER TABLE ms_contributions ADD COLUMN IF NOT EXISTS incarnation TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE ms_contributions ADD COLUMN IF NOT EXISTS reoffered BOOLEAN NOT NULL DEFAULT false",
    "ALTER TABLE ms_members ADD COLUMN IF NOT EXISTS incarnation TEXT",
    # A record rebuilt from contributions offered again after the ledger was lost: AWS's DuplicateRecord
    # for it means the rebuild differs from what AWS holds, so the usage is a 'ledger-lost' dead letter.
    "ALTER TABLE ms_records ADD COLUMN IF NOT EXISTS rebuilt BOOLEAN NOT NULL DEFAULT false",
    # Billed contributions offered again after a loss. Apart from ms_contributions, so a version-1 shipper
    # (which would roll them forward as new usage) never sees them: they only rebuild their own window.
    """
    CREATE TABLE IF NOT EXISTS ms_settled (
        instance_id TEXT NOT NULL, incarnation TEXT NOT NULL,
        product TEXT NOT NULL, license_arn TEXT NOT NULL, customer_field TEXT NOT NULL, customer TEXT NOT NULL,
        dimension TEXT NOT NULL, window_start BIGINT NOT NULL,
        quantity BIGINT NOT NULL, first_event_ms BIGINT NOT NULL, event_count BIGINT NOT NULL,
        request_json TEXT NOT NULL, content_sha256 TEXT NOT NULL,
        record_id BIGINT REFERENCES ms_records (id),
        PRIMARY KEY (instance_id, incarnation, product, license_arn, customer_field, customer, dimension,
                     window_start)
    )
    """,
    # The shipper's lease: one row; expiry on the database's clock, so members' clocks do not matter.
    """
    CREATE TABLE IF NOT EXISTS ms_lease (
        name TEXT PRIMARY KEY, holder TEXT NOT NULL, token BIGINT NOT NULL, expires_at TIMESTAMPTZ NOT NULL
    )
    """,
    "INSERT INTO ms_lease VALUES ('shipper', '', 0, '-infinity') ON CONFLICT DO NOTHING",
    "CREATE TABLE IF NOT EXISTS ms_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)
# Version 2's statements that read the whole contributions table: built CONCURRENTLY, outside any
# transaction, so members of version 1 keep writing while a ledger of millions of rows is indexed.
V2_KEY_COLUMNS = (
    "instance_id, incarnation, product, license_arn, customer_field, customer, dimension, window_start"
)
V2_INDEXES = (
    # The new primary key, attached with ADD CONSTRAINT ... USING INDEX once built.
    ("ms_contributions_key_v2", f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ms_contributions_key_v2 "
                                f"ON ms_contributions ({V2_KEY_COLUMNS})"),
    # Verdicts for records handed over before contributors were remembered are found by key and content.
    ("ms_contributions_by_key", "CREATE INDEX CONCURRENTLY IF NOT EXISTS ms_contributions_by_key "
                                "ON ms_contributions (customer, dimension, window_start)"),
)  # fmt: skip

# Customer bindings (ResolveCustomer), shared by the replicas; created with the rest of the ledger.
CUSTOMERS = (
    """
    CREATE TABLE IF NOT EXISTS ms_customers (
        id BIGSERIAL PRIMARY KEY, binding_key TEXT NOT NULL UNIQUE, customer_identifier TEXT NOT NULL,
        customer_aws_account_id TEXT NOT NULL, product_code TEXT NOT NULL, license_arn TEXT NOT NULL,
        tenant_id TEXT NOT NULL, first_resolved_s DOUBLE PRECISION NOT NULL, last_resolved_s DOUBLE PRECISION NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS ms_registration_tokens (
        token_sha256 TEXT PRIMARY KEY, customer_id BIGINT NOT NULL REFERENCES ms_customers (id),
        resolved_s DOUBLE PRECISION NOT NULL
    )
    """,
)
