-- Each label link carries its user's kind, so that a label's people (or its
-- API users) are counted from the label's own index entries, without
-- finding every member in `users` (docs/PERFORMANCE.md, ninth session).
-- A user's kind never changes in practice; triggers keep the copy true
-- whatever writes the links (the API, SCIM, an import, the seed).
ALTER TABLE user_labels
    ADD COLUMN is_apiuser BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN is_system BOOLEAN NOT NULL DEFAULT FALSE;

UPDATE user_labels SET is_apiuser = u.is_apiuser, is_system = u.is_system
FROM users u
WHERE u.id = user_labels.user_id AND (u.is_apiuser OR u.is_system);

-- Replaces (label_id, user_id): still covering for a label's members.
DROP INDEX user_labels_label;
CREATE INDEX user_labels_label ON user_labels (label_id, is_apiuser, is_system, user_id);

-- Whatever a link is written with, it takes its user's kind.
CREATE FUNCTION user_labels_kind() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT u.is_apiuser, u.is_system INTO NEW.is_apiuser, NEW.is_system
    FROM users u WHERE u.id = NEW.user_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER user_labels_kind BEFORE INSERT OR UPDATE OF user_id, is_apiuser, is_system
ON user_labels FOR EACH ROW EXECUTE FUNCTION user_labels_kind();

CREATE FUNCTION users_kind_to_labels() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_labels SET is_apiuser = NEW.is_apiuser, is_system = NEW.is_system
    WHERE user_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER users_kind_to_labels AFTER UPDATE OF is_apiuser, is_system ON users
FOR EACH ROW
WHEN (OLD.is_apiuser IS DISTINCT FROM NEW.is_apiuser OR OLD.is_system IS DISTINCT FROM NEW.is_system)
EXECUTE FUNCTION users_kind_to_labels();
