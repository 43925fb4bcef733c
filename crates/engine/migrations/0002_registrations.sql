-- Where each template version's bundle comes from, kept beside the version so that a
-- registration interrupted by a restart can be run again.
CREATE TABLE registrations (
    kind        TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    name        TEXT NOT NULL,
    source      TEXT NOT NULL,
    PRIMARY KEY (kind, account_id, name)
);
