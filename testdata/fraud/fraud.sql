-- The fraud-detection query from the original KSQL demo, run headless:
-- cards with more than three authorization attempts in five minutes.
--
-- PARTITIONS lets the statement create the topic on a fresh data directory
-- (as in ksqlDB, CREATE STREAM on a missing topic without it is an error);
-- an existing topic must have that many partitions.
SET 'auto.offset.reset' = 'earliest';

CREATE STREAM authorization_attempts (
    card_number BIGINT,
    amount      DOUBLE,
    merchant    STRING
) WITH (kafka_topic = 'authorization_attempts', value_format = 'JSON', partitions = 2);

CREATE TABLE possible_fraud AS
  SELECT card_number, count()
  FROM authorization_attempts
  WINDOW TUMBLING (SIZE 5 MINUTE)
  GROUP BY card_number
  HAVING count() > 3;
