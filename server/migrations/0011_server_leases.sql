-- Several servers on one database (docs/architecture.md, "Several servers"): each call records
-- the server process that carries it, and each server renews a lease here while it runs. A
-- server whose lease ended has its open calls closed as interrupted by another.
ALTER TABLE calls ADD COLUMN server_id TEXT;

CREATE TABLE servers (
    id          TEXT PRIMARY KEY,
    -- Milliseconds since the epoch: the server's calls are its own until then.
    lease_until INTEGER NOT NULL
);
