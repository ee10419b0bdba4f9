-- The fraud query with EMIT FINAL: one row per card and window, once the
-- window has closed (stream time past its end plus the grace period), with
-- its final count. Attempts arrive up to three minutes late, within grace.
-- One partition: with several, which records are late depends on how far
-- apart in event time the tasks reading them happen to run.
SET 'auto.offset.reset' = 'earliest';

CREATE STREAM authorization_attempts (
    card_number BIGINT,
    amount      DOUBLE,
    merchant    STRING
) WITH (kafka_topic = 'authorization_attempts', value_format = 'JSON', partitions = 1);

CREATE TABLE possible_fraud AS
  SELECT card_number, count()
  FROM authorization_attempts
  WINDOW TUMBLING (SIZE 5 MINUTE, GRACE PERIOD 4 MINUTES)
  GROUP BY card_number
  HAVING count() > 3
  EMIT FINAL;
