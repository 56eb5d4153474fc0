-- Several servers on one database (docs/architecture.md, "Several servers"): each call records
-- the server process that carries it, and each server renews a lease here while it runs. A
-- server whose lease ended has its open calls closed as interrupted by another.
ALTER TABLE calls ADD COLUMN server_id TEXT;

CREATE TABLE servers (
    id          TEXT PRIMARY KEY,
    -- Milliseconds since the epoch: the server's calls are its own until then.
    lease_until INTEGER NOT NULL
);

-- Click-to-dial through whichever server holds the user's live channel: the server that took
-- the REST request writes it here; the one with the user's app open takes it (a conditional
-- update of taken_by) and writes the outcome the first one waits for.
CREATE TABLE dials (
    id         TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    request    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    taken_by   TEXT,
    outcome    TEXT
);
CREATE INDEX dials_pending ON dials(created_at) WHERE taken_by IS NULL;
