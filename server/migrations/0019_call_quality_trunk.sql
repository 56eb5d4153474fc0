-- The gateway's measure of the trunk's audio beside the agent's summary (docs/quality.md). Either
-- may come first, so neither column is required: the table is rebuilt without 0018's NOT NULL.
CREATE TABLE call_quality_both (
    owner   TEXT NOT NULL,
    call_id TEXT NOT NULL,
    summary TEXT,
    trunk   TEXT,
    PRIMARY KEY (owner, call_id)
);
INSERT INTO call_quality_both (owner, call_id, summary) SELECT owner, call_id, summary FROM call_quality;
DROP TABLE call_quality;
ALTER TABLE call_quality_both RENAME TO call_quality;
