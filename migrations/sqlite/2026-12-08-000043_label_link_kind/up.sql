-- Each label link carries its user's kind, so that a label's people (or its
-- API users) are counted from the label's own index entries, without
-- finding every member in `users` (docs/PERFORMANCE.md, ninth session).
-- A user's kind never changes in practice; triggers keep the copy true
-- whatever writes the links (the API, SCIM, an import, the seed).
ALTER TABLE user_labels ADD COLUMN is_apiuser BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE user_labels ADD COLUMN is_system BOOLEAN NOT NULL DEFAULT FALSE;

UPDATE user_labels SET is_apiuser = u.is_apiuser, is_system = u.is_system
FROM users u
WHERE u.id = user_labels.user_id AND (u.is_apiuser OR u.is_system);

-- Replaces (label_id, user_id): still covering for a label's members.
DROP INDEX user_labels_label;
CREATE INDEX user_labels_label ON user_labels (label_id, is_apiuser, is_system, user_id);

-- A link written with another kind than its user's (or with the default,
-- for an API user) takes its user's; one lookup of the user a link, so a
-- bulk load of people's links stays cheap.
CREATE TRIGGER user_labels_kind AFTER INSERT ON user_labels
WHEN (SELECT u.is_apiuser IS NOT new.is_apiuser OR u.is_system IS NOT new.is_system
      FROM users u WHERE u.id = new.user_id)
BEGIN
    UPDATE user_labels
    SET (is_apiuser, is_system) = (SELECT is_apiuser, is_system FROM users WHERE id = new.user_id)
    WHERE user_id = new.user_id AND label_id = new.label_id;
END;

-- The same for a link rewritten (nothing in Tessera does).
CREATE TRIGGER user_labels_kind_moved AFTER UPDATE OF user_id, is_apiuser, is_system ON user_labels
WHEN (SELECT u.is_apiuser IS NOT new.is_apiuser OR u.is_system IS NOT new.is_system
      FROM users u WHERE u.id = new.user_id)
BEGIN
    UPDATE user_labels
    SET (is_apiuser, is_system) = (SELECT is_apiuser, is_system FROM users WHERE id = new.user_id)
    WHERE user_id = new.user_id AND label_id = new.label_id;
END;

CREATE TRIGGER users_kind_to_labels AFTER UPDATE OF is_apiuser, is_system ON users
WHEN old.is_apiuser IS NOT new.is_apiuser OR old.is_system IS NOT new.is_system
BEGIN
    UPDATE user_labels SET is_apiuser = new.is_apiuser, is_system = new.is_system
    WHERE user_id = new.id;
END;
