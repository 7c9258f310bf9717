-- The final letter as sent, uploaded by the officer who recorded the case
-- as sent (a DOCX or a PDF): its council and reference, its place among
-- the letters kept with the case, its name and type (found from its
-- content, not its name), its size and SHA-256, its bytes, whether its
-- figures were compared with the approved letter's (`compared` 0/1: a
-- PDF's are not) and the differences found (JSON list of text, empty when
-- none), and who kept it and when. Rows are never deleted: when the
-- requester's details are erased past retention the name and bytes are
-- cleared and `erased_at` set, in the same transaction as the case's
-- other texts (the letter names the requester).

CREATE TABLE final_letters (
    id           INTEGER PRIMARY KEY,
    council      TEXT    NOT NULL,
    reference    TEXT    NOT NULL,
    position     BIGINT  NOT NULL,
    name         TEXT,
    content_type TEXT    NOT NULL,
    size         BIGINT  NOT NULL,
    sha256       TEXT    NOT NULL,
    body         BLOB,
    compared     BIGINT  NOT NULL,
    differences  TEXT    NOT NULL,
    kept_at      TEXT    NOT NULL,
    kept_by      TEXT    NOT NULL,
    erased_at    TEXT
);

CREATE UNIQUE INDEX final_letters_by_case ON final_letters (council, reference, position);
