-- Inbound routing (app/src/domain/inbound.rs): the numbers the business owns, each with who it
-- rings (`settings`: the assignment, business hours and unassigned action as JSON, the shape
-- of `OwnedNumber`), and each customer number's last agent (the agent who last called it rings
-- first when the customer calls back).
CREATE TABLE owned_numbers (
    e164       TEXT PRIMARY KEY,
    settings   TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE last_agents (
    customer TEXT PRIMARY KEY,
    owner    TEXT NOT NULL,
    at       INTEGER NOT NULL
);

-- The administrator role of a local account (`server users grant-admin`).
ALTER TABLE users ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;

-- Do not disturb: inbound calls skip the agent (off by default).
ALTER TABLE preferences ADD COLUMN do_not_disturb INTEGER NOT NULL DEFAULT 0;
