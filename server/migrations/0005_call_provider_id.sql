-- The telephony provider's own id for a call (Chime PSTN Audio: the SIP media application
-- call's TransactionId), to act on the call later.
ALTER TABLE calls ADD COLUMN provider_call_id TEXT;
