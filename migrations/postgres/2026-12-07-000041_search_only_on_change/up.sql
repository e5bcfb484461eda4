-- SQLite's search index is now rewritten only when a name, e-mail or
-- position changes (see the SQLite migration of the same name).
-- PostgreSQL's trigram indexes need no such change: an update that leaves
-- every indexed value as it was can be a HOT update, which touches no
-- index. This migration keeps the two histories in step.
SELECT 1;
