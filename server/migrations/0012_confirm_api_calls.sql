-- Whether a call placed through the REST API waits for the agent to confirm it in the app
-- (docs/security.md, "Web and sessions"): on unless the user turns it off.
ALTER TABLE preferences ADD COLUMN confirm_api_calls INTEGER NOT NULL DEFAULT 1;
