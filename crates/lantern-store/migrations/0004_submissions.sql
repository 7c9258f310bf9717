-- Providers' episode-level submissions: the agency register, each submitted
-- file (accepted or rejected, with its validation report), the records of
-- accepted ones in opaque chunks (one per area; `lantern_core::records::chunk`
-- encodes them, the store never looks inside), and the indicator counts
-- computed from them, one versioned set per area and financial year.
--
-- `BLOB` is bytes; the PostgreSQL engine spells it `BYTEA`.
-- `submissions.replaced_by` is the one column set after its row is written
-- (like `retired_in`): when a later submission for the same provider and
-- month is accepted. It is checked at commit, so a dump can restore rows in
-- id order.

CREATE TABLE agencies (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    area        TEXT,
    import_id   BIGINT  NOT NULL REFERENCES imports (id),
    line        BIGINT  NOT NULL,
    added_in    BIGINT  NOT NULL REFERENCES imports (id),
    retired_in  BIGINT           REFERENCES imports (id)
);
CREATE INDEX agencies_by_code ON agencies (code, retired_in);

CREATE TABLE submissions (
    id               INTEGER PRIMARY KEY,
    import_id        BIGINT  NOT NULL REFERENCES imports (id),
    provider         TEXT    NOT NULL,
    month            TEXT    NOT NULL,
    sha256           TEXT    NOT NULL,
    key_fingerprint  TEXT    NOT NULL,
    file             TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('accepted', 'rejected')),
    rows_read        BIGINT  NOT NULL,
    rows_accepted    BIGINT  NOT NULL,
    rows_rejected    BIGINT  NOT NULL,
    report           TEXT    NOT NULL,
    areas            TEXT    NOT NULL,
    replaced_by      BIGINT           REFERENCES submissions (id) DEFERRABLE INITIALLY DEFERRED,
    actor            TEXT    NOT NULL,
    at               TEXT    NOT NULL
);
CREATE INDEX submissions_by_provider ON submissions (provider, month);

CREATE TABLE submission_chunks (
    id             INTEGER PRIMARY KEY,
    submission_id  BIGINT  NOT NULL REFERENCES submissions (id),
    area           TEXT    NOT NULL,
    records        BIGINT  NOT NULL,
    body           BLOB    NOT NULL
);
-- Chunks are packed already: PostgreSQL would spend longer trying to
-- compress each one (TOAST) than storing it.
-- postgres: ALTER TABLE submission_chunks ALTER COLUMN body SET STORAGE EXTERNAL;
CREATE INDEX submission_chunks_by_area ON submission_chunks (area);
CREATE INDEX submission_chunks_by_submission ON submission_chunks (submission_id);

CREATE TABLE record_figure_sets (
    id              INTEGER PRIMARY KEY,
    area            TEXT    NOT NULL,
    financial_year  TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    submissions     TEXT    NOT NULL,
    added_in        BIGINT  NOT NULL REFERENCES imports (id),
    retired_in      BIGINT           REFERENCES imports (id)
);
CREATE INDEX record_figure_sets_by_key ON record_figure_sets (area, financial_year, retired_in);
