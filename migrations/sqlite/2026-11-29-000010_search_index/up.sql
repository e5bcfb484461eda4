-- Substring search (`search`, MCP `filter.query`) through an FTS5 trigram
-- index instead of a scan of every user: `LIKE '%term%'` cannot use a
-- b-tree. The index rows are keyed by `user_search_keys.key`, an INTEGER
-- PRIMARY KEY of our own, because the implicit rowid of `users` (whose key
-- is the Base58 id) may change on VACUUM.
CREATE TABLE user_search_keys (
    key INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE user_search USING fts5 (name, email, position, tokenize = 'trigram');

INSERT INTO user_search_keys (user_id) SELECT id FROM users;
INSERT INTO user_search (rowid, name, email, position)
    SELECT k.key, u.name, u.email, u.position
    FROM user_search_keys k JOIN users u ON u.id = k.user_id;

-- Kept in step by triggers, so every writer (the service, `seed`, a cascade
-- from a deleted organization) maintains it.
CREATE TRIGGER user_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO user_search_keys (user_id) VALUES (new.id);
    INSERT INTO user_search (rowid, name, email, position)
        SELECT key, new.name, new.email, new.position FROM user_search_keys WHERE user_id = new.id;
END;
CREATE TRIGGER user_search_update AFTER UPDATE OF name, email, position ON users BEGIN
    UPDATE user_search SET name = new.name, email = new.email, position = new.position
        WHERE rowid = (SELECT key FROM user_search_keys WHERE user_id = new.id);
END;
CREATE TRIGGER user_search_delete AFTER DELETE ON users BEGIN
    DELETE FROM user_search WHERE rowid = (SELECT key FROM user_search_keys WHERE user_id = old.id);
    DELETE FROM user_search_keys WHERE user_id = old.id;
END;
