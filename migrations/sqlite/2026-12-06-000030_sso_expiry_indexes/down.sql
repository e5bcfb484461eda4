DROP INDEX sso_codes_expires;
DROP INDEX sso_logins_connection;
DROP INDEX sso_logins_expires;
