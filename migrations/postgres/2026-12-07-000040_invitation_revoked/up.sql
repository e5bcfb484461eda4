-- An invitation an administrator took back before it was accepted: its
-- link no longer works, and it shows as REVOKED.
ALTER TABLE invitations ADD COLUMN revoked TIMESTAMP;
