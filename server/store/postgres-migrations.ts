/**
 * PostgreSQL schema migrations (the scale-out store, server/store/postgres.ts), numbered from 1 and kept in the table
 * schema_migrations. Each is applied in its own transaction while the migrating instance holds an advisory lock, so
 * instances starting together apply each exactly once. The schema mirrors the SQLite store's (migrations.ts) as it
 * stands after its migration 8: hashes are BYTEA, ms times and arrival BIGINT, record bodies canonical JSON TEXT
 * (leaf data byte for byte as accepted; queries read fields through ::jsonb).
 */

export const PG_MIGRATIONS: readonly string[] = [
  // 1: everything the SQLite store has after its migration 8.
  `
  CREATE TABLE records (
    arrival        BIGSERIAL PRIMARY KEY,
    id             TEXT NOT NULL,
    log_id         TEXT NOT NULL,
    type           TEXT NOT NULL,
    body           TEXT NOT NULL,          -- JSON of the record (all fields, private ones too)
    salts          TEXT NOT NULL,          -- JSON {field: saltHex}
    record_root    TEXT NOT NULL,
    signer         TEXT NOT NULL,
    signature      TEXT NOT NULL,
    issued_at      TEXT NOT NULL,
    entry          TEXT NOT NULL,          -- canonical JSON of the log entry (the leaf data)
    leaf_hash      BYTEA NOT NULL,
    participant_id TEXT,
    subject        TEXT,
    received_at    BIGINT NOT NULL,        -- ms since epoch
    leaf_index     BIGINT,
    CONSTRAINT records_id_unique UNIQUE (id),
    CONSTRAINT records_signature_unique UNIQUE (signature)
  );
  CREATE INDEX records_unsequenced ON records (log_id, arrival) WHERE leaf_index IS NULL;
  CREATE INDEX records_subject ON records (subject);
  CREATE INDEX records_type ON records (type, arrival);
  CREATE INDEX records_participant ON records (participant_id, arrival);
  CREATE INDEX records_leaf ON records (log_id, leaf_index);
  CREATE INDEX records_trail ON records (subject, ((body::jsonb) -> 'seq'), arrival) WHERE log_id = 'data-sharing';
  CREATE UNIQUE INDEX records_batch_subject ON records (subject) WHERE type = 'Batch';
  CREATE INDEX records_batch_owner ON records (participant_id, arrival) WHERE type = 'Batch';
  CREATE INDEX records_batch_gtin ON records (((body::jsonb) ->> 'gtin'), arrival) WHERE type = 'Batch';

  CREATE TABLE log_leaves (
    log_id     TEXT NOT NULL,
    leaf_index BIGINT NOT NULL,
    record_id  TEXT NOT NULL UNIQUE REFERENCES records (id),
    leaf_hash  BYTEA NOT NULL,
    PRIMARY KEY (log_id, leaf_index)
  );

  CREATE TABLE tree_nodes (
    log_id TEXT NOT NULL,
    level  INTEGER NOT NULL,
    idx    BIGINT NOT NULL,
    hash   BYTEA NOT NULL,
    PRIMARY KEY (log_id, level, idx)
  );

  -- One row per log: sequencing takes it FOR UPDATE, so appends from several instances serialize.
  CREATE TABLE log_state (
    log_id  TEXT PRIMARY KEY,
    size    BIGINT NOT NULL,
    compact TEXT NOT NULL                  -- JSON hex list: the compact range of [0, size)
  );

  CREATE TABLE checkpoints (
    log_id       TEXT NOT NULL,
    size         BIGINT NOT NULL,
    root         TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'submitted', 'confirmed', 'orphaned')),
    chain_id     BIGINT,
    contract     TEXT,
    tx_hash      TEXT,
    block_number BIGINT,
    block_time   BIGINT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (log_id, size)
  );
  CREATE INDEX checkpoints_status ON checkpoints (log_id, status);

  CREATE TABLE participants (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('lab', 'producer', 'department')),
    name       TEXT NOT NULL,
    code       TEXT NOT NULL,
    valid_from BIGINT,
    valid_to   BIGINT,
    data       TEXT NOT NULL DEFAULT '{}',
    active     BOOLEAN NOT NULL DEFAULT TRUE
  );

  CREATE TABLE participant_keys (
    address        TEXT NOT NULL,          -- lowercase 0x address
    participant_id TEXT NOT NULL REFERENCES participants (id),
    valid_from     BIGINT NOT NULL,        -- seconds
    valid_to       BIGINT NOT NULL,
    revoked_at     BIGINT,
    PRIMARY KEY (address, participant_id)
  );
  CREATE INDEX participant_keys_participant ON participant_keys (participant_id, valid_from);

  CREATE TABLE revocations (
    leaf_hash   TEXT NOT NULL,
    revoker_id  TEXT NOT NULL,
    reason_code INTEGER NOT NULL,
    revoked_at  BIGINT NOT NULL,           -- block time, seconds
    revoked_by  TEXT NOT NULL,
    tx_hash     TEXT,
    PRIMARY KEY (leaf_hash, revoker_id)
  );

  CREATE TABLE product_keys (
    key         TEXT PRIMARY KEY,
    producer_id TEXT NOT NULL
  );
  CREATE INDEX product_keys_producer ON product_keys (producer_id);

  CREATE TABLE api_tokens (
    token_hash     TEXT PRIMARY KEY,
    role           TEXT NOT NULL CHECK (role IN ('producer', 'lab', 'department', 'registrar', 'regulator', 'auditor')),
    participant_id TEXT REFERENCES participants (id),
    label          TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    revoked_at     BIGINT,
    CHECK ((role IN ('producer', 'lab', 'department')) = (participant_id IS NOT NULL))
  );
  CREATE INDEX api_tokens_participant ON api_tokens (participant_id);

  CREATE TABLE kv (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );

  CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    term       BIGINT NOT NULL,
    expires_at BIGINT NOT NULL             -- ms since epoch, by the database server's clock
  );
  `,
  // 2: the producer console at scale (batch search, as SQLite's migration 7): a batch's searched public fields as
  // columns computed once at insert (not a JSON parse per row per search), and a producer's batches newest first in
  // an index that holds them (an index-only scan once vacuumed). Other records leave them NULL.
  `
  ALTER TABLE records
    ADD COLUMN batch_lot      TEXT GENERATED ALWAYS AS (CASE WHEN type = 'Batch' THEN (body::jsonb) ->> 'lot' END) STORED,
    ADD COLUMN batch_gtin     TEXT GENERATED ALWAYS AS (CASE WHEN type = 'Batch' THEN (body::jsonb) ->> 'gtin' END) STORED,
    ADD COLUMN batch_category TEXT GENERATED ALWAYS AS (CASE WHEN type = 'Batch' THEN (body::jsonb) ->> 'productCategory' END) STORED,
    ADD COLUMN batch_date     TEXT GENERATED ALWAYS AS (CASE WHEN type = 'Batch' THEN (body::jsonb) #>> '{productionDate,date}' END) STORED,
    ADD COLUMN batch_product  TEXT GENERATED ALWAYS AS (CASE WHEN type = 'Batch' THEN (body::jsonb) #>> '{certificate,productName}' END) STORED;
  DROP INDEX records_batch_owner;
  DROP INDEX records_batch_gtin;
  CREATE INDEX records_batch_owner ON records (participant_id, arrival) INCLUDE (batch_lot, batch_gtin, batch_category, batch_date, batch_product, id) WHERE type = 'Batch';
  CREATE INDEX records_batch_gtin ON records (batch_gtin, arrival) WHERE type = 'Batch';
  `,
];
