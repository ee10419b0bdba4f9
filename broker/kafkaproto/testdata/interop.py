"""Kafka clients nobody here wrote, against the embedded log's listener.

Run by interop_test.go with Debian's python3 and python3-confluent-kafka
(librdkafka). Every step prints one JSON line the Go test checks; errors
exit non-zero with the reason on stderr. Every wait is bounded.

usage: interop.py BOOTSTRAP COMMAND ARGS...
  produce TOPIC N PREFIX COMPRESSION IDEMPOTENT   produce N keyed records, acks=all
  consume TOPIC GROUP N                           consume N records in GROUP, commit, close
  drain TOPIC GROUP                               consume in GROUP until 3 s of silence, commit
  txn TOPIC N PREFIX COMMIT                       N records in one transaction, committed or aborted
  read_committed TOPIC                            every visible record from the start, read_committed
"""

import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def delivery_errors():
    errs = []

    def cb(err, msg):
        if err is not None:
            errs.append(str(err))

    return errs, cb


def produce(bootstrap, topic, n, prefix, compression, idempotent):
    p = Producer({
        "bootstrap.servers": bootstrap,
        "acks": "all",
        "compression.type": compression,
        "enable.idempotence": idempotent == "true",
        "linger.ms": 5,
        "message.timeout.ms": 20000,
    })
    errs, cb = delivery_errors()
    for i in range(int(n)):
        p.produce(topic, key=f"{prefix}-k{i % 3}", value=f"{prefix}-{i}",
                  headers=[("h", f"{i}".encode())], on_delivery=cb)
        p.poll(0)
    left = p.flush(20)
    if left or errs:
        fail(f"produce: {left} undelivered, errors {errs}")
    print(json.dumps({"produced": int(n)}))


def consumer(bootstrap, group, isolation="read_committed"):
    return Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "isolation.level": isolation,
        "session.timeout.ms": 10000,
    })


def take(c, want, quiet):
    """Poll until want records (want > 0) or quiet seconds without one; at most 30 s."""
    got = []
    deadline = time.time() + 30
    last = time.time()
    while time.time() < deadline:
        if want and len(got) >= want:
            break
        if not want and time.time() - last > quiet:
            break
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            if m.error().code() == -191:  # _PARTITION_EOF
                continue
            fail(f"consume: {m.error()}")
        got.append({"p": m.partition(), "o": m.offset(), "k": (m.key() or b"").decode(),
                    "v": (m.value() or b"").decode(),
                    "h": [[k, v.decode()] for k, v in (m.headers() or [])]})
        last = time.time()
    return got


def consume(bootstrap, topic, group, n):
    c = consumer(bootstrap, group)
    c.subscribe([topic])
    got = take(c, int(n), 0)
    if len(got) < int(n):
        fail(f"consume: {len(got)} of {n} records within 30 s")
    c.commit(asynchronous=False)
    c.close()
    print(json.dumps({"records": got}))


def drain(bootstrap, topic, group):
    c = consumer(bootstrap, group)
    c.subscribe([topic])
    got = take(c, 0, 3)
    if got:
        c.commit(asynchronous=False)
    c.close()
    print(json.dumps({"records": got}))


def txn(bootstrap, topic, n, prefix, commit):
    p = Producer({
        "bootstrap.servers": bootstrap,
        "transactional.id": f"interop-{prefix}",
        "transaction.timeout.ms": 30000,
    })
    p.init_transactions(20)
    p.begin_transaction()
    for i in range(int(n)):
        p.produce(topic, key=f"{prefix}-k{i}", value=f"{prefix}-{i}")
    if commit == "true":
        p.commit_transaction(20)
    else:
        p.flush(20)
        p.abort_transaction(20)
    print(json.dumps({"txn": prefix, "commit": commit == "true"}))


def read_committed(bootstrap, topic):
    c = consumer(bootstrap, f"rc-{time.time()}")
    c.subscribe([topic])
    got = take(c, 0, 3)
    c.close()
    print(json.dumps({"records": got}))


def main():
    if len(sys.argv) < 3:
        fail(__doc__)
    bootstrap, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    fn = {"produce": produce, "consume": consume, "drain": drain, "txn": txn,
          "read_committed": read_committed}.get(cmd)
    if fn is None:
        fail(f"unknown command {cmd}")
    try:
        fn(bootstrap, *args)
    except KafkaException as e:
        fail(f"{cmd}: {e}")


if __name__ == "__main__":
    main()
