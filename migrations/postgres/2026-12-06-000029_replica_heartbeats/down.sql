DROP TABLE replicas;
ALTER TABLE idempotency_keys DROP COLUMN applied;
ALTER TABLE idempotency_keys DROP COLUMN owner;
