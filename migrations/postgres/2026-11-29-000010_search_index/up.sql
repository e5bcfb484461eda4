-- Substring search (`search`, MCP `filter.query`): `lower(x) LIKE '%term%'`
-- cannot use a b-tree, but a trigram GIN index serves it for terms of three
-- characters or more. pg_trgm ships with PostgreSQL and is a trusted
-- extension: the database owner may create it without superuser rights.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX users_search_name ON users USING gin (lower(name) gin_trgm_ops);
CREATE INDEX users_search_email ON users USING gin (lower(email) gin_trgm_ops);
CREATE INDEX users_search_position ON users USING gin (lower(position) gin_trgm_ops);
