DROP TABLE access_requests;
ALTER TABLE roles DROP COLUMN max_duration;
