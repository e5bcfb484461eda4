-- Each organization's number of people and of API users (its System actor
-- aside), so that an unfiltered list's exact `count` is one indexed read
-- instead of a walk over every member (docs/PERFORMANCE.md, eighth
-- session). Triggers keep it, so every way a user is written (the API,
-- SCIM, an import, the seed) is counted.
--
-- The table has the same columns on both backends, and is read the same
-- way: the sum of `n` over an organization's rows of a kind. On SQLite,
-- where one writer at a time is the rule, the triggers keep one row per
-- organization and kind; PostgreSQL appends a row of +n or -n per writing
-- statement instead (one row would make concurrent writers of an
-- organization wait on one another), which the scheduler folds together.
CREATE TABLE user_counts (
    id INTEGER PRIMARY KEY,
    organization_id TEXT NOT NULL,
    is_apiuser BOOLEAN NOT NULL,
    n INTEGER NOT NULL
);
CREATE UNIQUE INDEX user_counts_kind ON user_counts (organization_id, is_apiuser);

INSERT INTO user_counts (organization_id, is_apiuser, n)
SELECT organization_id, is_apiuser, count(*) FROM users
WHERE NOT is_system
GROUP BY organization_id, is_apiuser;

CREATE TRIGGER user_counts_insert AFTER INSERT ON users WHEN NOT new.is_system BEGIN
    INSERT INTO user_counts (organization_id, is_apiuser, n)
    VALUES (new.organization_id, new.is_apiuser, 1)
    ON CONFLICT (organization_id, is_apiuser) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER user_counts_delete AFTER DELETE ON users WHEN NOT old.is_system BEGIN
    UPDATE user_counts SET n = n - 1
    WHERE organization_id = old.organization_id AND is_apiuser = old.is_apiuser;
END;

-- No code moves a user between organizations or kinds; should a future one,
-- the counts follow.
CREATE TRIGGER user_counts_update AFTER UPDATE OF organization_id, is_apiuser, is_system ON users
WHEN old.organization_id IS NOT new.organization_id
  OR old.is_apiuser IS NOT new.is_apiuser
  OR old.is_system IS NOT new.is_system
BEGIN
    UPDATE user_counts SET n = n - 1
    WHERE NOT old.is_system
      AND organization_id = old.organization_id AND is_apiuser = old.is_apiuser;
    INSERT INTO user_counts (organization_id, is_apiuser, n)
    SELECT new.organization_id, new.is_apiuser, 1 WHERE NOT new.is_system
    ON CONFLICT (organization_id, is_apiuser) DO UPDATE SET n = n + 1;
END;
