-- Portable between SQLite and PostgreSQL (run through sqlx's Any driver).
-- Timestamps are epoch milliseconds; documents are the API's JSON as text.

CREATE TABLE resources (
    kind        TEXT   NOT NULL,
    account_id  TEXT   NOT NULL,
    name        TEXT   NOT NULL,
    parent      TEXT   NOT NULL DEFAULT '',
    status      TEXT   NOT NULL DEFAULT '',
    arn         TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    doc         TEXT   NOT NULL,
    PRIMARY KEY (kind, account_id, name)
);

CREATE INDEX resources_by_parent ON resources (kind, account_id, parent, name);
CREATE UNIQUE INDEX resources_by_arn ON resources (arn);

CREATE TABLE tags (
    arn    TEXT NOT NULL,
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (arn, key)
);

-- clientToken idempotency: (account, operation, token) → request hash and stored response,
-- valid for eight hours.
CREATE TABLE idempotency (
    account_id    TEXT   NOT NULL,
    operation     TEXT   NOT NULL,
    token         TEXT   NOT NULL,
    request_hash  TEXT   NOT NULL,
    response      TEXT   NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (account_id, operation, token)
);
