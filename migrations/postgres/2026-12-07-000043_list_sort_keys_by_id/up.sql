-- SQLite's id index now carries the lists' sort keys (see the SQLite
-- migration of the same name), so that a filtered page is chosen from the
-- index alone. PostgreSQL joins a filter's candidates to `users` and keeps
-- the first rows of the order with a bounded sort of its own, reading what
-- it needs; its index stays as it is. This migration keeps the two
-- histories in step.
SELECT 1;
