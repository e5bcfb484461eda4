DROP INDEX user_roles_user_tier;
DROP INDEX users_list_active;
DROP INDEX users_list_email;
