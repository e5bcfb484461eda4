DROP TABLE login_failures;
ALTER TABLE users DROP COLUMN mfa_last_step;
