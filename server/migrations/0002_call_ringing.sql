-- When the far end started alerting (180/183): the call log shows post-dial delay.
ALTER TABLE calls ADD COLUMN ringing_at INTEGER;
CREATE INDEX calls_open ON calls(ended_at) WHERE ended_at IS NULL;
