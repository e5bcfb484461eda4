-- Each organization's number of people and of API users (its System actor
-- aside), so that an unfiltered list's exact `count` is one indexed read
-- instead of a walk over every member (docs/PERFORMANCE.md, eighth
-- session). Triggers keep it, so every way a user is written (the API,
-- SCIM, an import, the seed) is counted.
--
-- Writers append rows of +n and -n: one row per organization would make
-- concurrent writers of an organization (an identity provider provisioning
-- in parallel, several replicas) wait on one another's transactions. The
-- count is the sum of an organization's rows of a kind, and the scheduler
-- folds those rows together (`db::users::counts::fold`). SQLite, with one
-- writer at a time, keeps one row per organization and kind.
CREATE TABLE user_counts (
    id BIGSERIAL PRIMARY KEY,
    organization_id TEXT NOT NULL,
    is_apiuser BOOLEAN NOT NULL,
    n INTEGER NOT NULL
);
CREATE INDEX user_counts_kind ON user_counts (organization_id, is_apiuser) INCLUDE (n);

INSERT INTO user_counts (organization_id, is_apiuser, n)
SELECT organization_id, is_apiuser, count(*) FROM users
WHERE NOT is_system
GROUP BY organization_id, is_apiuser;

-- Inserts and deletes are counted once per statement, so a bulk insert (an
-- import, the seed) appends one row per organization and kind, not one per
-- user.
CREATE FUNCTION user_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_counts (organization_id, is_apiuser, n)
    SELECT organization_id, is_apiuser, count(*) FROM inserted
    WHERE NOT is_system
    GROUP BY organization_id, is_apiuser;
    RETURN NULL;
END
$$;

CREATE FUNCTION user_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_counts (organization_id, is_apiuser, n)
    SELECT organization_id, is_apiuser, -count(*) FROM deleted
    WHERE NOT is_system
    GROUP BY organization_id, is_apiuser;
    RETURN NULL;
END
$$;

CREATE TRIGGER user_counts_insert AFTER INSERT ON users
REFERENCING NEW TABLE AS inserted
FOR EACH STATEMENT EXECUTE FUNCTION user_counts_inserted();

CREATE TRIGGER user_counts_delete AFTER DELETE ON users
REFERENCING OLD TABLE AS deleted
FOR EACH STATEMENT EXECUTE FUNCTION user_counts_deleted();

-- No code moves a user between organizations or kinds; should a future one,
-- the counts follow. (A row trigger: transition tables cannot be limited to
-- these columns, and every other update of a user must stay free of this.)
CREATE FUNCTION user_counts_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT OLD.is_system THEN
        INSERT INTO user_counts (organization_id, is_apiuser, n)
        VALUES (OLD.organization_id, OLD.is_apiuser, -1);
    END IF;
    IF NOT NEW.is_system THEN
        INSERT INTO user_counts (organization_id, is_apiuser, n)
        VALUES (NEW.organization_id, NEW.is_apiuser, 1);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER user_counts_update AFTER UPDATE OF organization_id, is_apiuser, is_system ON users
FOR EACH ROW
WHEN (OLD.organization_id IS DISTINCT FROM NEW.organization_id
   OR OLD.is_apiuser IS DISTINCT FROM NEW.is_apiuser
   OR OLD.is_system IS DISTINCT FROM NEW.is_system)
EXECUTE FUNCTION user_counts_moved();
