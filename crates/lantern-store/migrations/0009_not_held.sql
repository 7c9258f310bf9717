-- Not held as a recorded fact: declarations that the council (reference
-- NULL) or the officer on one case (reference set) does not hold an
-- indicator's figures or a topic's statement, optionally for one area,
-- period and breakdown, with the reason and who holds it instead; and how
-- officers resolved a draft's blocking findings (who, why, when). Both are
-- append-only; each row is also in the case's history.

CREATE TABLE not_held_declarations (
    id           INTEGER PRIMARY KEY,
    council      TEXT    NOT NULL,
    reference    TEXT,
    subject      TEXT    NOT NULL,
    area         TEXT,
    period       TEXT,
    breakdown    TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    other_holder TEXT,
    declared_at  TEXT    NOT NULL,
    declared_by  TEXT    NOT NULL
);

CREATE INDEX not_held_declarations_by_subject ON not_held_declarations (council, subject);

CREATE TABLE finding_resolutions (
    id             INTEGER PRIMARY KEY,
    council        TEXT    NOT NULL,
    reference      TEXT    NOT NULL,
    finding        TEXT    NOT NULL,
    resolution     TEXT    NOT NULL,
    why            TEXT    NOT NULL,
    declaration_id BIGINT  REFERENCES not_held_declarations (id),
    resolved_at    TEXT    NOT NULL,
    resolved_by    TEXT    NOT NULL
);

CREATE INDEX finding_resolutions_by_case ON finding_resolutions (council, reference, id);
