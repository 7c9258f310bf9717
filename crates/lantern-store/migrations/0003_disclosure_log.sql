-- The disclosure log: every figure and decision in every sent answer, with
-- the requester removed; and the drafted answer a case will send.

CREATE TABLE disclosure_log (
    id          INTEGER PRIMARY KEY,
    reference   TEXT    NOT NULL,
    sent_at     TEXT    NOT NULL,
    question    TEXT    NOT NULL,
    indicator   TEXT,
    area        TEXT,
    period      TEXT,
    breakdown   TEXT,
    decision    TEXT    NOT NULL,
    basis       TEXT,
    value       BIGINT,
    released    TEXT    NOT NULL
);
CREATE INDEX disclosure_log_by_figure ON disclosure_log (indicator, area, period);

ALTER TABLE cases ADD COLUMN draft TEXT;
ALTER TABLE cases ADD COLUMN draft_version BIGINT;
