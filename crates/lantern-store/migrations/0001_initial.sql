-- Lantern schema, version 1, for every engine. Portable SQL: dates are
-- ISO-8601 text, amounts 64-bit integers (pence for money), lists JSON text.
-- Generated ids are written `INTEGER PRIMARY KEY` (SQLite's rowid); the
-- PostgreSQL engine turns that into an identity column. Rows are never
-- updated except to set retired_in, and never deleted.

CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL,
    file        TEXT    NOT NULL,
    sha256      TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    at          TEXT    NOT NULL,
    rows_read   BIGINT  NOT NULL,
    added       BIGINT  NOT NULL,
    replaced    BIGINT  NOT NULL,
    unchanged   BIGINT  NOT NULL
);

CREATE TABLE catalogue_layers (
    id        INTEGER PRIMARY KEY,
    name      TEXT    NOT NULL,
    body      TEXT    NOT NULL,
    added_in  BIGINT  NOT NULL REFERENCES imports (id)
);

CREATE TABLE figures (
    id            INTEGER PRIMARY KEY,
    indicator     TEXT    NOT NULL,
    area          TEXT    NOT NULL,
    period        TEXT    NOT NULL,
    period_first  TEXT    NOT NULL,
    period_last   TEXT    NOT NULL,
    breakdown     TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    amount        BIGINT,
    amount_high   BIGINT,
    reason        TEXT,
    status        TEXT    NOT NULL,
    coverage      TEXT    NOT NULL,
    note          TEXT,
    import_id     BIGINT  NOT NULL REFERENCES imports (id),
    line          BIGINT  NOT NULL,
    added_in      BIGINT  NOT NULL REFERENCES imports (id),
    retired_in    BIGINT           REFERENCES imports (id)
);
CREATE INDEX figures_by_key ON figures (indicator, area, period, breakdown, source, retired_in);

CREATE TABLE statements (
    id          INTEGER PRIMARY KEY,
    topic       TEXT    NOT NULL,
    area        TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    valid_from  TEXT,
    valid_to    TEXT,
    source      TEXT,
    import_id   BIGINT  NOT NULL REFERENCES imports (id),
    line        BIGINT  NOT NULL,
    added_in    BIGINT  NOT NULL REFERENCES imports (id),
    retired_in  BIGINT           REFERENCES imports (id)
);
CREATE INDEX statements_by_key ON statements (topic, area, retired_in);

CREATE TABLE releases (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    publisher   TEXT    NOT NULL,
    date        TEXT    NOT NULL,
    announced   TEXT,
    indicators  TEXT    NOT NULL,
    periods     TEXT    NOT NULL,
    url         TEXT,
    import_id   BIGINT  NOT NULL REFERENCES imports (id),
    line        BIGINT  NOT NULL,
    added_in    BIGINT  NOT NULL REFERENCES imports (id),
    retired_in  BIGINT           REFERENCES imports (id)
);
CREATE INDEX releases_by_code ON releases (code, retired_in);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    import_id   BIGINT  NOT NULL REFERENCES imports (id),
    at          TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    record_key  TEXT    NOT NULL,
    detail      TEXT    NOT NULL
);
