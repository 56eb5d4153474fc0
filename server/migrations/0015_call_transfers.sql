-- A transferred call (docs/telephony.md, "Transfer"): the giver's record names the colleague
-- who took it, the taker's record (same call id) the colleague who gave it.
ALTER TABLE calls ADD COLUMN transferred_to TEXT;
ALTER TABLE calls ADD COLUMN transferred_from TEXT;
