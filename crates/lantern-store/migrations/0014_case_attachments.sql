-- Files attached to a case's e-mail (a request sent as a letter in a PDF,
-- a spreadsheet of questions), kept with the case so the officer can read
-- them: its council and reference, its place among the e-mail's
-- attachments, its name and type as the e-mail gave them, its size and
-- SHA-256, its bytes, and who kept it and when. Rows are never deleted:
-- when the requester's details are erased past retention, the name and
-- bytes are cleared and `erased_at` set, in the same transaction as the
-- case's other texts.

CREATE TABLE case_attachments (
    id           INTEGER PRIMARY KEY,
    council      TEXT    NOT NULL,
    reference    TEXT    NOT NULL,
    position     BIGINT  NOT NULL,
    name         TEXT,
    content_type TEXT    NOT NULL,
    size         BIGINT  NOT NULL,
    sha256       TEXT    NOT NULL,
    body         BLOB,
    kept_at      TEXT    NOT NULL,
    kept_by      TEXT    NOT NULL,
    erased_at    TEXT
);

CREATE UNIQUE INDEX case_attachments_by_case ON case_attachments (council, reference, position);
