-- The search index (FTS5, `user_search`) is rewritten only when a name,
-- e-mail or position really changes. `UPDATE OF name, ...` fires whenever
-- the statement sets one of them, even to the value it had, as a SCIM `PUT`
-- of the whole user or a console form saved unchanged do; each such write
-- replaced the row's entries and made FTS5 merge segments at commit, which
-- was most of a write's instructions (docs/PERFORMANCE.md, seventh session).
DROP TRIGGER user_search_update;
CREATE TRIGGER user_search_update AFTER UPDATE OF name, email, position ON users
WHEN old.name IS NOT new.name OR old.email IS NOT new.email OR old.position IS NOT new.position
BEGIN
    UPDATE user_search SET name = new.name, email = new.email, position = new.position
        WHERE rowid = (SELECT key FROM user_search_keys WHERE user_id = new.id);
END;
