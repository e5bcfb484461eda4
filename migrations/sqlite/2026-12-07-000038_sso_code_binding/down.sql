ALTER TABLE sso_codes DROP COLUMN browser_hash;
