-- Councils held in the store, and the casework that belongs to each.
--
-- `councils`: a council's settings, versioned like figures (a change
-- retires the row in force and adds one; `import_id`/`added_in` name the
-- import that made it, so who and when, and its audit entries). Keyed by
-- `code`; lists are JSON text. A letter made at data version N uses the
-- row in force at N.
--
-- Cases (and their drafts and history), disclosure log entries and learned
-- phrases belong to one council: the `council` column holds its code. A
-- case's reference is unique within its council, so a case is keyed by
-- (council, reference): `cases` and `case_events` are rebuilt for that key
-- (copied, the old tables dropped, the new ones renamed).
--
-- Rows written before this version, or while a database holds no council,
-- have council '' (no council yet). The first council created adopts them:
-- in the same transaction, their `council` is set to its code (audited as
-- `council.adopt` with how many of each). It is the one UPDATE of these
-- columns, and it happens once: a database that holds a council holds no
-- row with ''.

CREATE TABLE councils (
    id            INTEGER PRIMARY KEY,
    code          TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    areas         TEXT    NOT NULL,
    team          TEXT    NOT NULL,
    email         TEXT,
    address       TEXT    NOT NULL,
    signature     TEXT    NOT NULL,
    threshold     BIGINT  NOT NULL,
    reference     TEXT    NOT NULL,
    retain_years  BIGINT  NOT NULL,
    time_zone     TEXT    NOT NULL,
    import_id     BIGINT  NOT NULL REFERENCES imports (id),
    line          BIGINT  NOT NULL,
    added_in      BIGINT  NOT NULL REFERENCES imports (id),
    retired_in    BIGINT           REFERENCES imports (id)
);
CREATE INDEX councils_by_code ON councils (code, retired_in);

CREATE TABLE cases_v8 (
    council           TEXT    NOT NULL,
    reference         TEXT    NOT NULL,
    received          TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    requester_name    TEXT,
    requester_contact TEXT,
    retain_until      TEXT,
    original          TEXT    NOT NULL,
    structured        TEXT,
    opened_at         TEXT    NOT NULL,
    opened_by         TEXT    NOT NULL,
    draft             TEXT,
    draft_version     BIGINT,
    PRIMARY KEY (council, reference)
);
INSERT INTO cases_v8 (council, reference, received, status, requester_name, requester_contact,
    retain_until, original, structured, opened_at, opened_by, draft, draft_version)
SELECT '', reference, received, status, requester_name, requester_contact,
    retain_until, original, structured, opened_at, opened_by, draft, draft_version
FROM cases;

CREATE TABLE case_events_v8 (
    id           INTEGER PRIMARY KEY,
    council      TEXT    NOT NULL,
    reference    TEXT    NOT NULL,
    at           TEXT    NOT NULL,
    actor        TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    from_status  TEXT,
    to_status    TEXT    NOT NULL,
    note         TEXT,
    on_day       TEXT,
    extended_to  TEXT,
    calendar     TEXT,
    FOREIGN KEY (council, reference) REFERENCES cases_v8 (council, reference)
        DEFERRABLE INITIALLY DEFERRED
);
INSERT INTO case_events_v8 (id, council, reference, at, actor, action, from_status, to_status,
    note, on_day, extended_to, calendar)
SELECT id, '', reference, at, actor, action, from_status, to_status,
    note, on_day, extended_to, calendar
FROM case_events;
-- PostgreSQL checks the copied events' deferred references now: a table
-- with checks pending cannot be altered in the same transaction.
-- postgres: SET CONSTRAINTS ALL IMMEDIATE;

DROP TABLE case_events;
DROP TABLE cases;
ALTER TABLE cases_v8 RENAME TO cases;
ALTER TABLE case_events_v8 RENAME TO case_events;
CREATE INDEX case_events_by_case ON case_events (council, reference, id);
-- The copied events kept their ids: new ones are numbered after them.
-- postgres: SELECT setval(pg_get_serial_sequence('case_events', 'id'), coalesce((SELECT max(id) FROM case_events), 0) + 1, false);

ALTER TABLE disclosure_log ADD COLUMN council TEXT NOT NULL DEFAULT '';
CREATE INDEX disclosure_log_by_council ON disclosure_log (council, id);

ALTER TABLE synonyms ADD COLUMN council TEXT NOT NULL DEFAULT '';
