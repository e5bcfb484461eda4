-- A filtered list (by label, by search) finds its candidates by id, then
-- keeps the first of them in the list's order. With every sort key beside
-- the id, both steps read this index alone: the user's row is read only for
-- the page's own rows (`db::users::page`, docs/PERFORMANCE.md, eighth
-- session). It replaces the narrower index of migration 39, which it serves
-- as well (counting by id, organization and kind).
DROP INDEX users_id_list;
CREATE INDEX users_id_list ON users (
    id, organization_id, is_apiuser, name_key, email_key, created, changed, last_login
);
