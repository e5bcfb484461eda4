DROP INDEX users_id_list;
CREATE INDEX users_id_list ON users (id, organization_id, is_apiuser);
