-- The durable job queue: work the engine does in the background (template version
-- registrations, deployment steps). A worker claims a due job by setting its lease with a
-- conditional UPDATE; a job whose lease expired (its worker crashed) is claimed again, so
-- nothing stays in progress. A finished job is deleted.
CREATE TABLE jobs (
    id           TEXT   NOT NULL PRIMARY KEY,
    account_id   TEXT   NOT NULL,
    kind         TEXT   NOT NULL,
    subject      TEXT   NOT NULL,
    step         TEXT   NOT NULL,
    run_after    BIGINT NOT NULL,
    lease_until  BIGINT NOT NULL DEFAULT 0,
    attempts     BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL
);

CREATE INDEX jobs_due ON jobs (run_after, id);
CREATE INDEX jobs_by_subject ON jobs (kind, subject);
