-- Joins run headless (cmd/ksql/joins_e2e_test.go): a stream-table LEFT
-- JOIN with a WHERE over the joined row, and a stream-stream INNER JOIN
-- WITHIN a window. The three inputs are keyed by card and co-partitioned
-- (three partitions each), so each query runs three tasks, each reading
-- partition p of both of its inputs.
SET 'auto.offset.reset' = 'earliest';

CREATE TABLE cards (
    card   VARCHAR PRIMARY KEY,
    holder VARCHAR,
    credit BIGINT,
    status VARCHAR
) WITH (kafka_topic = 'cards', value_format = 'JSON', partitions = 3);

CREATE STREAM txns (
    card   VARCHAR KEY,
    id     BIGINT,
    amount BIGINT
) WITH (kafka_topic = 'txns', value_format = 'JSON', partitions = 3);

CREATE STREAM checks (
    card VARCHAR KEY,
    id   BIGINT,
    code BIGINT
) WITH (kafka_topic = 'checks', value_format = 'JSON', partitions = 3);

-- Every transaction with its card as the table holds it when the
-- transaction is processed (nulls when there is no card), except those of
-- blocked cards.
CREATE STREAM enriched AS
  SELECT t.card AS card, t.id AS id, t.amount AS amount, c.holder AS holder, c.credit AS credit
  FROM txns t LEFT JOIN cards c ON t.card = c.card
  WHERE c.status IS NULL OR c.status <> 'BLOCKED';

-- Every (transaction, check) pair of a card at most ten seconds apart.
-- The grace period is far longer than the input's span of event time, so
-- no record is ever late and every pair is emitted exactly once, when the
-- later of the two is processed, whatever the order of the inputs.
CREATE STREAM confirmed AS
  SELECT t.card AS card, t.id AS tid, k.id AS kid, t.amount AS amount, k.code AS code
  FROM txns t JOIN checks k WITHIN 10 SECONDS GRACE PERIOD 1 DAY ON t.card = k.card;
