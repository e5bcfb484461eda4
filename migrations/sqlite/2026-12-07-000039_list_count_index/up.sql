-- Counting a list filtered by label or by search probes `users` once per
-- candidate (a label's members, the search index's matches) to check its
-- organization and kind. With these columns beside the id, each probe is
-- answered from this index alone, without reading the user's row
-- (docs/PERFORMANCE.md, sixth session).
CREATE INDEX users_id_list ON users (id, organization_id, is_apiuser);
