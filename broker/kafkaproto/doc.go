// Package kafkaproto serves a broker.Log over the Kafka wire protocol, so
// that any Kafka client can produce into and consume from the embedded log.
//
// Server accepts TCP connections and runs one goroutine per connection. It
// reads one request frame at a time (a 4-byte big-endian size, then the
// request header and body), answers it, and reads the next: pipelined
// requests are answered in order, as Kafka does. Requests and responses
// are decoded and encoded with franz-go's kmsg; the request header (v1, or
// v2 with tagged fields for flexible versions) is parsed here (header.go).
//
// What is served, with the versions, is the table in apis.go; ApiVersions
// advertises exactly that table. A request for an unknown API key, or for a
// version outside the table, closes the connection, except ApiVersions,
// which is answered with UNSUPPORTED_VERSION and the table (in the v0
// response format) so that the client can retry with a version it shares.
// A frame larger than Config.MaxFrameBytes, or with a negative size, closes
// the connection before anything of it is allocated; frame bodies are read
// in chunks as they arrive, so a short connection cannot make the server
// allocate the size it announced.
//
// Decoding is bounded too (limits.go). kmsg allocates an array when it
// reads its length, checking only that one byte per element remains, so
// a frame can decode to about 136 times its size. MaxFrameBytes keeps
// Kafka's 100 MiB default, because clients size produce requests to it
// (kgo fills requests up to 100 MiB across partitions), but it applies
// to Produce only, whose shape is walked before decoding: topics,
// partitions and tagged fields that would decode to more than twice the
// frame close the connection (a real partition carries a record batch of
// 61 bytes or more, and its records are not copied). Every other request
// carries no data and is bounded by Config.MaxNonProduceFrameBytes (1 MiB:
// a Fetch of about 30,000 partitions), so decoding one costs at most
// about 136 MiB. CreateTopics and CreatePartitions ask for at most
// Config.MaxPartitions partitions per topic (10,000), else
// INVALID_PARTITIONS: the log makes a directory per partition.
//
// With Config.TLS every connection is TLS (the listener is wrapped with
// crypto/tls): Kafka's SSL security protocol. A client that speaks plain
// Kafka to it fails its handshake and is closed.
//
// With Config.Users clients authenticate with SASL/PLAIN (sasl.go):
// SASL_PLAINTEXT, or SASL_SSL with TLS. SaslHandshake v0-v1 and
// SaslAuthenticate v0-v2 are served, and advertised by ApiVersions, only
// then; SaslHandshake v0 is followed by the raw token, as Kafka allows.
// Another mechanism gets UNSUPPORTED_SASL_MECHANISM with the enabled list
// (PLAIN). A refused password gets SASL_AUTHENTICATION_FAILED and the
// connection is closed after the answer. Before authentication a
// connection may send ApiVersions and the SASL requests only, in frames of
// at most 64 KiB; anything else closes it. Passwords are compared in
// constant time (SHA-256 digests), unknown users included. Sessions do
// not expire (lifetime 0), so clients do not re-authenticate.
//
// This broker is node Config.NodeID, the leader of every partition of
// every topic of the log, with leader epoch -1 (unknown) everywhere.
// Topics are never created automatically.
//
// Administration (partitions.go): CreatePartitions v0-v3 grows a topic
// when the log is a broker.PartitionAdder (the embedded log is).
// DeleteRecords v0-v2 (deleterecords.go) deletes the head of partitions
// through broker.RecordDeleter. Unlike Kafka, which moves the log start
// to exactly the offset asked, the embedded log deletes whole segments
// only (never the active one, never past the stable offset): the low
// watermark answered is the real new start, which may be below the
// offset asked, and records below the offset may still be fetched.
// DescribeConfigs v0-v4 (configs.go) describes topics (their own
// settings as DYNAMIC_TOPIC_CONFIG, the others with the log's defaults as
// DEFAULT_CONFIG, each with its broker synonym) and this broker (its real
// settings, STATIC_BROKER_CONFIG); every config is read-only, as
// AlterConfigs is not served.
//
// Topics internal to the engine (Config.Internal: its command log,
// processing log and query topics) are readable but protected
// (internal.go): a produce or DeleteRecords gets INVALID_TOPIC_EXCEPTION
// as for Kafka's internal topics, DeleteTopics and CreatePartitions
// TOPIC_AUTHORIZATION_FAILED, with a message naming the topic as internal
// to ksql; Metadata marks them IsInternal.
//
// It is also the coordinator of every consumer group. OffsetCommit and
// OffsetFetch keep positions in the log, so they survive a restart
// (groups.go). Membership (JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
// DescribeGroups) is Kafka's classic group protocol, kept in memory as a
// Kafka coordinator keeps it: members rejoin after a restart
// (membership.go).
//
// Idempotent producers (producers.go) are served when the log is a
// broker.ProducerLog (the embedded log is): InitProducerId hands out
// producer ids that are never reused, and the log checks each batch's
// sequence number, so a retried batch is appended once (even across a
// crash) and a gap or a stale epoch is refused as Kafka refuses it.
//
// Transactional producers (txn.go) are served when the log is also a
// broker.CoordinatorStore: this broker is the transaction coordinator of
// every transactional id (FindCoordinator type 1), serving
// InitProducerId with a transactional id (epoch bump; an open
// transaction of the id is aborted and its producer fenced),
// AddPartitionsToTxn v0-v3, AddOffsetsToTxn v0-v3, TxnOffsetCommit v0-v3
// (offsets held until the commit) and EndTxn v0-v3. A Kafka transaction
// is a transaction of the log under broker.ClientTxnPrefix; its state is
// durable in coordinator records, and Serve settles what a stop left
// unfinished before it accepts connections. Fetch serves read_committed
// for those and for the engine's own transactions alike (fetch.go).
//
// Records cross in record batch format v2 (magic 2) only: produce batches
// are checked (size, CRC-32C, record count, structure), decompressed
// (gzip, snappy raw or xerial-framed, lz4, zstd) no further than
// Config.MaxBatchBytes (decompress.go: a compression bomb is refused with
// MESSAGE_TOO_LARGE before it is inflated) and appended with
// broker.Log.Append; fetch responses are built uncompressed from
// broker.Log.Read (batch.go).
//
// It imports broker, franz-go (kmsg, kerr) and the codecs franz-go uses
// (klauspost/compress, pierrec/lz4); nothing of the project imports it
// except cmd wiring.
//
// ClientLog (client*.go) is the other direction: a broker.Log over an
// external Kafka cluster through franz-go's kgo client (Dial). Reads are
// raw Fetch requests to the partition leader with a per-partition
// read-ahead; Wait is one long-poll loop per broker, on a client of its
// own; appends go through an idempotent acks=all producer; each
// transaction producer name is a Kafka transactional producer
// (transactional.id = ClientConfig.TransactionalIDPrefix + name), so that
// Kafka decides transactions (broker.LogDecidedTxns) and fences older
// incarnations (broker.ErrFenced). For it the package also imports kgo,
// kversion and sasl/plain; its tests run against kfake (a test-only
// dependency) and against Server.
package kafkaproto
