-- Outgoing e-mail and the public request form's throttle.
--
-- `outbox`: one row per message Lantern sends for a case (the
-- acknowledgement of a request made through the web form): to whom, its
-- subject (which names the case's reference, never the requester) and
-- body text, its status (`queued`, `sent`, `failed`), how many times
-- sending was tried, the last error (without the message's text), when to
-- try again, when and how it was sent (`smtp`, or `by_hand` with the
-- officer who copied it into their mail client). `recipient` and `body`
-- are personal data: the requester's retention erases them with the
-- case's requester details (set to NULL, `erased_at` set once, in the
-- same transaction). Every change of status is a case event.
--
-- `request_throttle`: one row per request admitted through the web form
-- in the throttle's window, keyed by a keyed digest of the client's
-- address (never the address), so that every server process throttles
-- alike, per client and overall; rows older than the window are deleted
-- as new ones are written. Not dumped.

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    council         TEXT    NOT NULL,
    reference       TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    recipient       TEXT,
    subject         TEXT    NOT NULL,
    body            TEXT,
    status          TEXT    NOT NULL,
    attempts        BIGINT  NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at TEXT,
    created_at      TEXT    NOT NULL,
    created_by      TEXT    NOT NULL,
    sent_at         TEXT,
    sent_by         TEXT,
    sent_how        TEXT,
    erased_at       TEXT
);

CREATE INDEX outbox_by_status ON outbox (council, status, id);
CREATE INDEX outbox_by_case ON outbox (council, reference);

CREATE TABLE request_throttle (
    id     INTEGER PRIMARY KEY,
    client TEXT    NOT NULL,
    at     TEXT    NOT NULL
);

CREATE INDEX request_throttle_by_client ON request_throttle (client, at);
