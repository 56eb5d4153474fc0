-- Call analytics (docs/analytics.md): one row per day, agent, direction, country, number type,
-- measure (an end reason, or `quality`) and counter, added to in the write that ends a call or
-- first keeps its quality summary. The analytics page reads a period's rows by day.
CREATE TABLE call_rollups (
    day         TEXT NOT NULL,
    agent       TEXT NOT NULL,
    direction   TEXT NOT NULL,
    country     TEXT NOT NULL,
    number_type TEXT NOT NULL,
    measure     TEXT NOT NULL,
    counter     TEXT NOT NULL,
    value       INTEGER NOT NULL,
    PRIMARY KEY (day, agent, direction, country, number_type, measure, counter)
) WITHOUT ROWID;
