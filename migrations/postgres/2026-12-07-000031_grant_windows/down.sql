ALTER TABLE organizations DROP COLUMN dormant_action;
ALTER TABLE organizations DROP COLUMN dormant_after_days;
DROP INDEX user_roles_expires;
ALTER TABLE user_roles DROP COLUMN expires;
ALTER TABLE user_roles DROP COLUMN starts;
