-- Casework, continued: the dates officers give for what moves the clock,
-- the calendar each deadline was counted on, bank-holiday calendars an
-- administrator imports (proclaimed days, later years), and the phrases
-- officers teach Lantern when they correct how a request was understood.

ALTER TABLE case_events ADD COLUMN on_day TEXT;
ALTER TABLE case_events ADD COLUMN extended_to TEXT;
ALTER TABLE case_events ADD COLUMN calendar TEXT;

CREATE TABLE calendars (
    id           INTEGER PRIMARY KEY,
    import_id    BIGINT  NOT NULL REFERENCES imports (id),
    version      TEXT    NOT NULL,
    body         TEXT    NOT NULL
);

CREATE TABLE synonyms (
    id           INTEGER PRIMARY KEY,
    phrase       TEXT    NOT NULL,
    target       TEXT    NOT NULL,
    reference    TEXT,
    added_at     TEXT    NOT NULL,
    added_by     TEXT    NOT NULL
);
