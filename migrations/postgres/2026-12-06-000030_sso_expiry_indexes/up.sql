-- Sign-ins under way and one-time codes are pruned by expiry at each start
-- of a sign-in, and a connection's sign-ins under way are counted (a bound
-- on how many anonymous starts may wait at once): without these indexes
-- each start scanned the tables.
CREATE INDEX sso_logins_expires ON sso_logins (expires);
CREATE INDEX sso_logins_connection ON sso_logins (connection_id, expires);
CREATE INDEX sso_codes_expires ON sso_codes (expires);
