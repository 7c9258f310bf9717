-- Casework: FOI requests as cases, and every action taken on them.

CREATE TABLE cases (
    reference       TEXT    PRIMARY KEY,
    received        TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    requester_name  TEXT,
    requester_contact TEXT,
    retain_until    TEXT,
    original        TEXT    NOT NULL,
    structured      TEXT,
    opened_at       TEXT    NOT NULL,
    opened_by       TEXT    NOT NULL
);

CREATE TABLE case_events (
    id           INTEGER PRIMARY KEY,
    reference    TEXT    NOT NULL REFERENCES cases (reference),
    at           TEXT    NOT NULL,
    actor        TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    from_status  TEXT,
    to_status    TEXT    NOT NULL,
    note         TEXT
);
CREATE INDEX case_events_by_case ON case_events (reference, id);
