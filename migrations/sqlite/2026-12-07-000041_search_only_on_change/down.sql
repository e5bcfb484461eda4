DROP TRIGGER user_search_update;
CREATE TRIGGER user_search_update AFTER UPDATE OF name, email, position ON users BEGIN
    UPDATE user_search SET name = new.name, email = new.email, position = new.position
        WHERE rowid = (SELECT key FROM user_search_keys WHERE user_id = new.id);
END;
