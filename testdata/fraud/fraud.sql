-- The fraud-detection query from the original KSQL demo, run headless:
-- cards with more than three authorization attempts in five minutes.
SET 'auto.offset.reset' = 'earliest';

CREATE STREAM authorization_attempts (
    card_number BIGINT,
    amount      DOUBLE,
    merchant    STRING
) WITH (kafka_topic = 'authorization_attempts', value_format = 'JSON');

CREATE TABLE possible_fraud AS
  SELECT card_number, count()
  FROM authorization_attempts
  WINDOW TUMBLING (SIZE 5 MINUTE)
  GROUP BY card_number
  HAVING count() > 3;
