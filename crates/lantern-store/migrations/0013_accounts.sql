-- Accounts for the web application: users (argon2id password hashes, a
-- disabled flag) with roles per council (a provider's role names the one
-- provider it may act for), sign-in sessions (only a hash of the session
-- id is kept, with its expiry and the session's CSRF secret), failed
-- sign-ins (so that every server process throttles alike), the account
-- events (who changed which account, signed in or out, when; never a
-- password) and council policies (such as whether two-person sign-off is
-- relaxed), append-only, the newest row of a name in force.
--
-- users.password_hash and users.disabled are set again later (reset,
-- disable); sessions.ended_at is set once, at sign-out or when the
-- account is disabled or its password reset. Every such change is an
-- account event in the same transaction.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    disabled      BIGINT  NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL,
    created_by    TEXT    NOT NULL
);

CREATE TABLE user_roles (
    user_id  BIGINT NOT NULL REFERENCES users (id),
    council  TEXT   NOT NULL,
    role     TEXT   NOT NULL,
    provider TEXT   NOT NULL DEFAULT '',
    PRIMARY KEY (user_id, council, role, provider)
);

CREATE TABLE sessions (
    id_hash    TEXT   PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    csrf       TEXT   NOT NULL,
    created_at TEXT   NOT NULL,
    expires_at TEXT   NOT NULL,
    ended_at   TEXT
);

CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE sign_in_failures (
    id       INTEGER PRIMARY KEY,
    username TEXT    NOT NULL,
    at       TEXT    NOT NULL
);

CREATE INDEX sign_in_failures_by_name ON sign_in_failures (username, at);

CREATE TABLE account_events (
    id       INTEGER PRIMARY KEY,
    at       TEXT    NOT NULL,
    actor    TEXT    NOT NULL,
    action   TEXT    NOT NULL,
    username TEXT    NOT NULL,
    council  TEXT    NOT NULL,
    detail   TEXT    NOT NULL
);

CREATE TABLE council_policies (
    id      INTEGER PRIMARY KEY,
    council TEXT    NOT NULL,
    name    TEXT    NOT NULL,
    value   TEXT    NOT NULL,
    set_at  TEXT    NOT NULL,
    set_by  TEXT    NOT NULL
);

CREATE INDEX council_policies_by_name ON council_policies (council, name, id);
