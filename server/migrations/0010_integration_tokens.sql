-- Integration tokens (personal access tokens for the REST API, app/src/domain/tokens.rs):
-- only the SHA-256 of each token is kept. Revoking deletes the row.
CREATE TABLE integration_tokens (
    id           TEXT PRIMARY KEY,
    owner        TEXT NOT NULL,
    email        TEXT NOT NULL,
    name         TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER
);

CREATE INDEX integration_tokens_by_owner ON integration_tokens(owner, created_at);
