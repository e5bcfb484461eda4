ALTER TABLE invitations DROP COLUMN revoked;
