-- The one-time code of a sign-in a browser started carries the hash of that
-- browser's binding, so the console lets only that browser exchange it.
ALTER TABLE sso_codes ADD COLUMN browser_hash TEXT;
