"""The SQLite schema and its forward migrations. ``PRAGMA user_version`` is the schema version."""

from __future__ import annotations

# Each entry moves the schema from version i to i+1. Never edit a shipped entry: append a new one.
MIGRATIONS: tuple[str, ...] = (
    # 1: events, sealed records, settings
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL UNIQUE,
        fingerprint TEXT NOT NULL,
        product TEXT NOT NULL,
        license_arn TEXT NOT NULL,
        customer_field TEXT NOT NULL,
        customer TEXT NOT NULL,
        dimension TEXT NOT NULL,
        quantity INTEGER NOT NULL,
        event_ms INTEGER NOT NULL,
        window_start INTEGER NOT NULL,
        tags TEXT NOT NULL,
        received_ms INTEGER NOT NULL,
        rolled INTEGER NOT NULL DEFAULT 0,
        record_id INTEGER
    );
    CREATE INDEX events_unsealed ON events (window_start) WHERE record_id IS NULL;
    CREATE INDEX events_by_record ON events (record_id) WHERE record_id IS NOT NULL;
    CREATE TABLE records (
        id INTEGER PRIMARY KEY,
        product TEXT NOT NULL,
        license_arn TEXT NOT NULL,
        customer_field TEXT NOT NULL,
        customer TEXT NOT NULL,
        dimension TEXT NOT NULL,
        window_start INTEGER NOT NULL,
        timestamp_s INTEGER NOT NULL,
        quantity INTEGER NOT NULL,
        first_event_ms INTEGER NOT NULL,
        event_count INTEGER NOT NULL,
        request_json TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_s REAL NOT NULL,
        expires_s REAL NOT NULL,
        sealed_ms INTEGER NOT NULL,
        metering_record_id TEXT,
        reason TEXT,
        message TEXT,
        finished_ms INTEGER,
        UNIQUE (product, license_arn, customer_field, customer, dimension, window_start)
    );
    CREATE INDEX records_due ON records (next_attempt_s) WHERE state = 'pending';
    """,
    # 2: how many tag sets were folded into the untagged allocation, and a state index for counters
    """
    ALTER TABLE records ADD COLUMN folded_tag_sets INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX records_by_state ON records (state, finished_ms);
    """,
    # 3: operators close dead letters with a reason; records before --ship-from are 'skipped'
    """
    ALTER TABLE records ADD COLUMN discarded_ms INTEGER;
    ALTER TABLE records ADD COLUMN discard_reason TEXT;
    CREATE INDEX records_by_window ON records (window_start);
    """,
    # 4: customers from ResolveCustomer, bound one-to-one to a tenant; results kept by token hash
    """
    CREATE TABLE customers (
        id INTEGER PRIMARY KEY,
        binding_key TEXT NOT NULL UNIQUE,
        customer_identifier TEXT NOT NULL,
        customer_aws_account_id TEXT NOT NULL,
        product_code TEXT NOT NULL,
        license_arn TEXT NOT NULL,
        tenant_id TEXT NOT NULL,
        first_resolved_ms INTEGER NOT NULL,
        last_resolved_ms INTEGER NOT NULL
    );
    CREATE TABLE registration_tokens (
        token_sha256 TEXT PRIMARY KEY,
        customer_id INTEGER NOT NULL REFERENCES customers (id),
        resolved_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
    """,
    # 5: cluster mode remembers which contributor (instance id, incarnation) each record was handed over
    # as, so verdicts are fetched under that name after --instance-id changes; 'reoffer' marks records to
    # offer again to a lost or replaced ledger. Records handed before this version were handed by the
    # legacy contributor (incarnation ''). A database that existed before this version keeps '' as its
    # incarnation: its previous version may have handed a record to the ledger (as '') and died before
    # marking it handed, and offering that record under a new incarnation would bill it twice. ``meta`` is
    # empty only while a brand-new database is being created, which gets a random incarnation later.
    # (Unreleased when this statement was added: the previous release, 769cf84, stops at version 4.)
    """
    ALTER TABLE records ADD COLUMN handed_instance TEXT;
    ALTER TABLE records ADD COLUMN handed_incarnation TEXT;
    ALTER TABLE records ADD COLUMN reoffer INTEGER NOT NULL DEFAULT 0;
    UPDATE records SET handed_incarnation = '' WHERE state = 'handed';
    CREATE INDEX records_to_reoffer ON records (id) WHERE reoffer = 1;
    INSERT OR IGNORE INTO meta (key, value) SELECT 'incarnation', '' WHERE EXISTS (SELECT 1 FROM meta);
    """,
    # 6: the marketplace (target) of each event and record; everything before this version is AWS's. The
    # marketplace follows from customer_field, so the unique key stays as it is.
    """
    ALTER TABLE events ADD COLUMN marketplace TEXT NOT NULL DEFAULT 'aws';
    ALTER TABLE records ADD COLUMN marketplace TEXT NOT NULL DEFAULT 'aws';
    """,
    # 7: Azure SaaS subscriptions from ResolveAzureSubscription, each bound to at most one tenant, and
    # the marketplace tokens that resolved them, kept by SHA-256 only. 'announced' is set once a caller
    # has been told new_subscription=true. (Comes after 6, the marketplace columns of events and records.)
    # IF NOT EXISTS: like an ADD COLUMN whose column exists, a file taken back to an older version by hand
    # migrates again instead of failing.
    """
    CREATE TABLE IF NOT EXISTS azure_subscriptions (
        subscription_id TEXT PRIMARY KEY,
        offer_id TEXT NOT NULL,
        plan_id TEXT NOT NULL,
        quantity INTEGER NOT NULL,
        status TEXT NOT NULL,
        name TEXT NOT NULL,
        purchaser_tenant_id TEXT NOT NULL,
        beneficiary_tenant_id TEXT NOT NULL,
        tenant_id TEXT NOT NULL,
        announced INTEGER NOT NULL DEFAULT 0,
        first_resolved_ms INTEGER NOT NULL,
        last_resolved_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS azure_tokens (
        token_sha256 TEXT PRIMARY KEY,
        subscription_id TEXT NOT NULL REFERENCES azure_subscriptions (subscription_id),
        resolved_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
