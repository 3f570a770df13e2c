/** SQLite schema migrations, applied in order inside one transaction each; the applied version is kept in user_version. */

export const MIGRATIONS: readonly string[] = [
  // 1: records, the log, checkpoints, participants, tokens.
  `
  CREATE TABLE records (
    arrival      INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    log_id       TEXT NOT NULL,
    type         TEXT NOT NULL,
    body         TEXT NOT NULL,            -- canonical JSON of the record (all fields, private ones too)
    salts        TEXT NOT NULL,            -- JSON {field: saltHex}
    record_root  TEXT NOT NULL,
    signer       TEXT NOT NULL,
    signature    TEXT NOT NULL UNIQUE,
    issued_at    TEXT NOT NULL,
    entry        TEXT NOT NULL,            -- canonical JSON of the log entry (the leaf data)
    leaf_hash    BLOB NOT NULL,
    participant_id TEXT,
    subject      TEXT,                     -- e.g. the batch a report is about, or the department of a share step
    received_at  INTEGER NOT NULL,         -- ms since epoch
    leaf_index   INTEGER                   -- set when the worker appends it to the log
  );
  CREATE INDEX records_unsequenced ON records (log_id, arrival) WHERE leaf_index IS NULL;
  CREATE INDEX records_subject ON records (subject);
  CREATE INDEX records_type ON records (type, arrival);

  CREATE TABLE log_leaves (
    log_id     TEXT NOT NULL,
    leaf_index INTEGER NOT NULL,
    record_id  TEXT NOT NULL UNIQUE REFERENCES records (id),
    leaf_hash  BLOB NOT NULL,
    PRIMARY KEY (log_id, leaf_index)
  ) WITHOUT ROWID;

  CREATE TABLE tree_nodes (
    log_id TEXT NOT NULL,
    level  INTEGER NOT NULL,
    idx    INTEGER NOT NULL,
    hash   BLOB NOT NULL,
    PRIMARY KEY (log_id, level, idx)
  ) WITHOUT ROWID;

  CREATE TABLE log_state (
    log_id  TEXT PRIMARY KEY,
    size    INTEGER NOT NULL,
    compact TEXT NOT NULL                  -- JSON hex list: the compact range of [0, size)
  );

  CREATE TABLE checkpoints (
    log_id       TEXT NOT NULL,
    size         INTEGER NOT NULL,
    root         TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'submitted', 'confirmed', 'orphaned')),
    chain_id     INTEGER,
    contract     TEXT,
    tx_hash      TEXT,
    block_number INTEGER,
    block_time   INTEGER,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (log_id, size)
  );
  CREATE INDEX checkpoints_status ON checkpoints (log_id, status);

  CREATE TABLE participants (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('lab', 'producer', 'department')),
    name       TEXT NOT NULL,
    code       TEXT NOT NULL,              -- CMA number for labs, unified social credit code otherwise
    valid_from INTEGER,
    valid_to   INTEGER,
    data       TEXT NOT NULL DEFAULT '{}',
    active     INTEGER NOT NULL DEFAULT 1
  );

  CREATE TABLE participant_keys (
    address        TEXT NOT NULL,          -- lowercase 0x address
    participant_id TEXT NOT NULL REFERENCES participants (id),
    valid_from     INTEGER NOT NULL,       -- seconds
    valid_to       INTEGER NOT NULL,
    revoked_at     INTEGER,
    PRIMARY KEY (address, participant_id)
  );

  CREATE TABLE revocations (
    leaf_hash   TEXT PRIMARY KEY,
    reason_code INTEGER NOT NULL,
    revoked_at  INTEGER NOT NULL,
    revoked_by  TEXT NOT NULL,            -- the address that sent the revocation
    participant_id TEXT,                  -- the revoking lab; NULL when a regulator revoked
    tx_hash     TEXT
  );

  CREATE TABLE api_tokens (
    token_hash  TEXT PRIMARY KEY,          -- SHA-256 of the token; the token itself is never stored
    producer_id TEXT NOT NULL REFERENCES participants (id),
    label       TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
  );

  CREATE TABLE kv (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  // 2: data-sharing trails: a department's records in seq order (its sequence state is its last
  // record), and a log's records by leaf index (trail verification and the log monitor).
  `
  CREATE INDEX records_trail ON records (subject, json_extract(body, '$.seq'), arrival) WHERE log_id = 'data-sharing';
  CREATE INDEX records_leaf ON records (log_id, leaf_index);
  `,
  // 3: revocations per revoking party, so that no party's revocation blocks another's: revoker_id is the
  // revoking lab's participant id, or 0x00…00 for the regulator (migration 1 kept NULL for it).
  `
  CREATE TABLE revocations_by_party (
    leaf_hash   TEXT NOT NULL,
    revoker_id  TEXT NOT NULL,            -- the revoking lab's participant id; 0x followed by 64 zeros for the regulator
    reason_code INTEGER NOT NULL,
    revoked_at  INTEGER NOT NULL,         -- block time, seconds
    revoked_by  TEXT NOT NULL,            -- the address that sent the revocation
    tx_hash     TEXT,
    PRIMARY KEY (leaf_hash, revoker_id)
  ) WITHOUT ROWID;
  INSERT INTO revocations_by_party (leaf_hash, revoker_id, reason_code, revoked_at, revoked_by, tx_hash)
    SELECT leaf_hash, lower(COALESCE(participant_id, '0x${'0'.repeat(64)}')), reason_code, revoked_at, revoked_by, tx_hash FROM revocations;
  DROP TABLE revocations;
  ALTER TABLE revocations_by_party RENAME TO revocations;
  `,
  // 4: product keys mirrored from ParticipantRegistry (label hijack): a GS1 company prefix (6-12 digits, GTIN-13
  // form) or one GTIN-14, and the producer it is assigned to. Keys never overlap on chain.
  `
  CREATE TABLE product_keys (
    key         TEXT PRIMARY KEY,          -- 6-12 digits (a company prefix) or 14 digits (a GTIN-14)
    producer_id TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX product_keys_producer ON product_keys (producer_id);
  `,
  // 5: GTIN + lot is unique: one batch per Digital Link key (the subject `{GTIN-14}/{lot}` of a Batch).
  // A data directory from before may hold repeats: the first registered keeps the key (as the consumer
  // lookup chose it before) and the later ones lose their subject (their records and proofs are unchanged;
  // they stay reachable by id, /b/{id}).
  `
  UPDATE records SET subject = NULL
    WHERE type = 'Batch' AND subject IS NOT NULL
      AND arrival > (SELECT MIN(r2.arrival) FROM records r2 WHERE r2.type = 'Batch' AND r2.subject = records.subject);
  CREATE UNIQUE INDEX records_batch_subject ON records (subject) WHERE type = 'Batch';
  `,
  // 6: role tokens. A token has a role; producer, lab and department tokens act for one participant, the
  // registrar's, regulator's and auditor's for none. Every token before this one was a producer's.
  `
  CREATE TABLE api_tokens_v2 (
    token_hash     TEXT PRIMARY KEY,       -- SHA-256 of the token; the token itself is never stored
    role           TEXT NOT NULL CHECK (role IN ('producer', 'lab', 'department', 'registrar', 'regulator', 'auditor')),
    participant_id TEXT REFERENCES participants (id),
    label          TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    revoked_at     INTEGER,
    CHECK ((role IN ('producer', 'lab', 'department')) = (participant_id IS NOT NULL))
  );
  INSERT INTO api_tokens_v2 (token_hash, role, participant_id, label, created_at, revoked_at)
    SELECT token_hash, 'producer', producer_id, label, created_at, revoked_at FROM api_tokens;
  DROP TABLE api_tokens;
  ALTER TABLE api_tokens_v2 RENAME TO api_tokens;
  `,
  // 7: the producer console at scale (batch search): a producer's batches newest first, and a GTIN's batches (the
  // GTIN-only Digital Link). Queries spell out each partial index's WHERE (type = 'Batch') so SQLite uses it.
  `
  -- Covering: the searched public fields sit in the index, so a search reads no record body until it has its page.
  CREATE INDEX records_batch_owner ON records (
    participant_id, arrival, json_extract(body, '$.lot'), json_extract(body, '$.gtin'), json_extract(body, '$.productCategory'),
    json_extract(body, '$.productionDate.date'), json_extract(body, '$.certificate.productName'), id
  ) WHERE type = 'Batch';
  CREATE INDEX records_batch_gtin ON records (json_extract(body, '$.gtin'), arrival) WHERE type = 'Batch';
  `,
  // 8: named leases (the anchoring leader's, see Store.takeLease): who holds each, until when, and in which term.
  `
  CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    term       INTEGER NOT NULL,           -- grows by one each time the lease changes holder
    expires_at INTEGER NOT NULL            -- ms since epoch
  ) WITHOUT ROWID;
  `,
  // 9: a record's leaf index is kept in log_leaves alone. Sequencing had also written it into the record's row, which
  // rewrote every record (its page of ~4 KB in the WAL, then in the database) and two indexes: 25 of its 42-45 µs a
  // record. The records still to sequence are those after the last sequenced one (log_state.last_arrival): a log is
  // sequenced in arrival order, and SQLite commits records in that order (AUTOINCREMENT, one writer). The column
  // records.leaf_index stays as it was (dropping it would rewrite the whole table); nothing reads or writes it now.
  `
  ALTER TABLE log_state ADD COLUMN last_arrival INTEGER NOT NULL DEFAULT 0;
  UPDATE log_state SET last_arrival = COALESCE(
    (SELECT MAX(r.arrival) FROM log_leaves l JOIN records r ON r.id = l.record_id WHERE l.log_id = log_state.log_id), 0);
  DROP INDEX records_unsequenced;
  DROP INDEX records_leaf;
  CREATE INDEX records_log_arrival ON records (log_id, arrival);
  `,
];
