-- API tokens for providers' machine submissions: each scoped to one
-- council and one provider, with a name, who created it and when, when it
-- was last used, and when and by whom it was revoked (set once; a revoked
-- token never authenticates again). Only the SHA-256 of the token's
-- random 32-byte secret is kept (`secret_hash`, lowercase hex), so the
-- database alone cannot be used to submit. Creating and revoking a token
-- are account events (`token.create`, `token.revoke`) in the same
-- transaction; `last_used_at` is set again on use and is not audited.

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    council      TEXT    NOT NULL,
    provider     TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    secret_hash  TEXT    NOT NULL UNIQUE,
    created_at   TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT,
    revoked_by   TEXT
);

CREATE INDEX api_tokens_by_provider ON api_tokens (council, provider, id);
